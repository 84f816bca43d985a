"""Can this host run a platform's binaries? Natively, or through qemu registered with binfmt_misc.

A foreign-arch build runs every RUN step under qemu-user. BuildKit needs the kernel's binfmt_misc
entry for the arch with flag ``F`` (the interpreter is opened at registration, so it also works
inside containers); without it a build fails late with ``exec format error`` or, worse, with a
pull of the base image from Docker Hub. jcb checks first and says how to enable it.

``$JCB_BINFMT_DIR`` overrides ``/proc/sys/fs/binfmt_misc`` (tests simulate a host without it).
"""

from __future__ import annotations

import os
import platform as host_platform
from pathlib import Path

from jc_build.engine.errors import EngineUnavailable

BINFMT_DIR = Path("/proc/sys/fs/binfmt_misc")
# OCI platform -> the kernel's machine name (uname -m) and Debian's arch name
_MACHINES = {"linux/amd64": ("x86_64", "amd64"), "linux/arm64": ("aarch64", "arm64")}
_HOST_ALIASES = {"amd64": "x86_64", "arm64": "aarch64"}


class EmulationUnavailable(EngineUnavailable):
    """The host cannot run the platform's binaries; the message says how to enable qemu."""


def host_machine() -> str:
    """The host's arch as ``uname -m`` names it (``x86_64``, ``aarch64``)."""
    machine = host_platform.machine().lower()
    return _HOST_ALIASES.get(machine, machine)


def binfmt_dir() -> Path:
    return Path(os.environ.get("JCB_BINFMT_DIR") or BINFMT_DIR)


def qemu_entry_ok(entry: Path) -> bool:
    """Whether a binfmt_misc entry file says ``enabled`` with flag ``F``."""
    try:
        lines = entry.read_text(encoding="utf-8").splitlines()
    except OSError:
        return False
    flags = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("flags:")), "")
    return "enabled" in lines and "F" in flags


def check_can_run(oci_platform: str, host: str | None = None, binfmt: Path | None = None) -> None:
    """Return when ``oci_platform`` runs here natively or under qemu; else EmulationUnavailable."""
    if oci_platform not in _MACHINES:
        return  # not an arch jcb knows how to emulate: let the engine decide
    machine, debian_arch = _MACHINES[oci_platform]
    host = host or host_machine()
    if machine == host:
        return
    entry = (binfmt or binfmt_dir()) / f"qemu-{machine}"
    if qemu_entry_ok(entry):
        return
    raise EmulationUnavailable(
        f"cannot build for {oci_platform} on this {host} host: no enabled qemu-{machine} entry with flag F "
        f"in {entry.parent}. Enable it with `bash scripts/setup.sh`, or as root: "
        f"`apt-get install qemu-user-static binfmt-support && "
        f"(mountpoint -q {entry.parent} || mount -t binfmt_misc binfmt_misc {entry.parent}) && "
        f"update-binfmts --enable qemu-{machine}` (the base image must be {debian_arch} too)")
