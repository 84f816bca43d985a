"""Errors raised by the build engine adapter."""

from __future__ import annotations

from pathlib import Path

from jc_build.errors import JcbError

HOW_TO_START = (
    "Start one with `bash scripts/setup.sh` (as root; installs docker.io and starts dockerd), "
    "or `sudo dockerd > /var/log/dockerd.log 2>&1 &`."
)


class EngineError(JcbError):
    """A Docker/BuildKit operation failed."""


class EngineUnavailable(EngineError):
    """No usable daemon or CLI; the message says how to get one."""


class SolveFailed(EngineError):
    """A build failed: ``log_tail`` holds its last log lines, ``log_path`` the full log."""

    def __init__(self, message: str, log_tail: list[str], log_path: Path | None):
        tail = "\n".join(log_tail)
        where = f"\n(full log: {log_path})" if log_path else ""
        super().__init__(f"{message}\n{tail}{where}")
        self.log_tail = log_tail
        self.log_path = log_path
