"""``jcb run``'s command line: jcb's own words, the ``docker run`` options it forwards, the
command; and the Jetson defaults added to them (as jetson-containers' ``run`` adds them)."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

# ``docker run`` options that take no value (every other one takes one, as pflag parses them).
DOCKER_FLAGS = frozenset({
    "-d", "--detach", "--disable-content-trust", "--help", "--init", "-i", "--interactive",
    "--no-healthcheck", "--oom-kill-disable", "--privileged", "-P", "--publish-all", "-q", "--quiet",
    "--read-only", "--rm", "--sig-proxy", "-t", "--tty", "--use-api-socket",
})
# Long spellings of the options whose defaults jcb sets, so that a user's own wins.
_ALIASES = {"--net": "--network", "-d": "--detach", "-i": "--interactive", "-t": "--tty"}
SHM_SIZE = "8g"
# Device nodes a Jetson container gets when they exist (cameras, sound, USB, I2C, serial).
DEVICE_GLOBS = ("video*", "snd", "bus/usb", "i2c-*", "ttyACM*", "ttyUSB*")


@dataclass
class RunLine:
    """``jcb run`` split: jcb's arguments (for argparse), docker's options, the container command."""

    jcb: list[str] = field(default_factory=list)
    docker: list[str] = field(default_factory=list)
    command: list[str] = field(default_factory=list)


def split_run_argv(argv: Sequence[str], jcb_options: Mapping[str, bool]) -> RunLine:
    """Split the words after ``run``: ``jcb_options`` (option -> takes a value) and the first
    positional (the target) are jcb's; other options, with their values, are docker's; the
    next positional or ``--`` starts the command."""
    line, words, target_seen = RunLine(), list(argv), False
    while words:
        word = words.pop(0)
        if word == "--":
            line.command = words
            break
        name = word.split("=", 1)[0]
        if name in jcb_options:
            line.jcb.append(word)
            if jcb_options[name] and "=" not in word and words:
                line.jcb.append(words.pop(0))
        elif word.startswith("-") and word != "-":
            line.docker.append(word)
            if _takes_value(word) and words:
                line.docker.append(words.pop(0))
        elif not target_seen:
            line.jcb.append(word)
            target_seen = True
        else:
            line.command = [word, *words]
            break
    return line


def _takes_value(word: str) -> bool:
    """Whether the docker option ``word`` takes the next word as its value."""
    if "=" in word:
        return False
    if word.startswith("--"):
        return word not in DOCKER_FLAGS
    for i, char in enumerate(word[1:], start=1):  # -it, -dit, -e, -eFOO=1, -ite NAME=1
        if f"-{char}" not in DOCKER_FLAGS:
            return i == len(word) - 1
    return False


def given_options(docker: Sequence[str]) -> set[str]:
    """The long names of the options in ``docker`` (short ones and aliases spelled out)."""
    names = set()
    for word in docker:
        if word.startswith("--"):
            name = word.split("=", 1)[0]
            names.add(_ALIASES.get(name, name))
        elif word.startswith("-") and len(word) > 1:
            for char in word[1:]:
                names.add(_ALIASES.get(f"-{char}", f"-{char}"))
                if f"-{char}" not in DOCKER_FLAGS:
                    break
    return names


def detected_devices(dev: Path = Path("/dev")) -> list[str]:
    """The device nodes of ``DEVICE_GLOBS`` present under ``dev``, sorted."""
    return sorted({str(path) for pattern in DEVICE_GLOBS for path in dev.glob(pattern)})


@dataclass(frozen=True)
class Host:
    """What the defaults depend on: the daemon's runtimes, a terminal, a Jetson's devices."""

    runtimes: frozenset[str]
    terminal: bool
    devices: tuple[str, ...] = ()


def default_options(user: Sequence[str], host: Host, data_dir: Path) -> list[str]:
    """Jetson defaults before the user's options; each one the user gave is left to them."""
    given = given_options(user)
    options = ["--rm"] if "--rm" not in given else []
    if "--detach" not in given:
        options += ["-it"] if host.terminal else ["-i"]
    if "nvidia" in host.runtimes and "--runtime" not in given:
        options += ["--runtime", "nvidia"]
    if "--network" not in given:
        options += ["--network", "host"]
    if "--shm-size" not in given:
        options.append(f"--shm-size={SHM_SIZE}")
    options += ["--volume", f"{data_dir}:/data"]
    for device in host.devices:
        options += ["--device", device]
    return options


def docker_run_argv(cli: str, image: str, line: RunLine, host: Host, data_dir: Path) -> list[str]:
    """The full ``docker run`` command line."""
    return [cli, "run", *default_options(line.docker, host, data_dir), *line.docker, image, *line.command]


def is_jetson(release: Path = Path("/etc/nv_tegra_release")) -> bool:
    """L4T hosts have this file (jetson-containers reads the L4T version from it)."""
    return release.exists()


def terminal_attached() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def shown(argv: Sequence[str]) -> str:
    """``argv`` as a shell would read it back."""
    return shlex.join(argv)
