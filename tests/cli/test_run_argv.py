"""``jcb run``'s split of its command line and the docker defaults it adds (no daemon)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jc_build.cli.docker_run import Host, RunLine, default_options, detected_devices, docker_run_argv, split_run_argv

JCB = {"--platform": True, "--data": True, "--registry": True, "-C": True, "--workspace": True,
       "--no-remote-cache": False}


@pytest.mark.parametrize(("argv", "jcb", "docker", "command"), [
    (["//x", "--platform=demo", "--", "bash"], ["//x", "--platform=demo"], [], ["bash"]),
    (["//x", "-e", "FOO=1", "--name", "foo", "--shm-size=8g"], ["//x"], ["-e", "FOO=1", "--name", "foo",
                                                                         "--shm-size=8g"], []),
    (["//x", "-it", "-v", "/a:/b", "python3", "-c", "print(1)"], ["//x"], ["-it", "-v", "/a:/b"],
     ["python3", "-c", "print(1)"]),
    (["--platform", "demo", "//x", "-eFOO=1", "--rm", "-ite", "A=1", "sh"], ["--platform", "demo", "//x"],
     ["-eFOO=1", "--rm", "-ite", "A=1"], ["sh"]),
    (["//x", "--no-remote-cache", "-d", "--network", "bridge", "--", "-c"], ["//x", "--no-remote-cache"],
     ["-d", "--network", "bridge"], ["-c"]),
])
def test_split(argv: list[str], jcb: list[str], docker: list[str], command: list[str]) -> None:
    line = split_run_argv(argv, JCB)
    assert (line.jcb, line.docker, line.command) == (jcb, docker, command)


def test_jetson_defaults_on_a_terminal() -> None:
    host = Host(frozenset({"runc", "nvidia"}), terminal=True, devices=("/dev/video0",))
    argv = docker_run_argv("docker", "img:1", RunLine(["//x"], ["-e", "A=1"], ["bash"]), host, Path("/d"))
    assert argv == ["docker", "run", "--rm", "-it", "--runtime", "nvidia", "--network", "host", "--shm-size=8g",
                    "--volume", "/d:/data", "--device", "/dev/video0", "-e", "A=1", "img:1", "bash"]


def test_a_users_option_replaces_the_default() -> None:
    host = Host(frozenset({"nvidia"}), terminal=False)
    options = default_options(["--net=bridge", "--shm-size", "1g", "--runtime=runc", "-d", "--rm"], host, Path("/d"))
    assert options == ["--volume", "/d:/data"]
    assert default_options([], Host(frozenset({"runc"}), terminal=False), Path("/d"))[:2] == ["--rm", "-i"]


def test_devices_present_are_found(tmp_path: Path) -> None:
    for name in ("video0", "video1", "i2c-7", "ttyACM0", "null", "bus/usb"):
        (tmp_path / name).mkdir(parents=True)
    assert detected_devices(tmp_path) == sorted(str(tmp_path / n) for n in ("bus/usb", "i2c-7", "ttyACM0",
                                                                            "video0", "video1"))
