"""Cancelling running solves: SIGINT to this process's docker CLI children, as Ctrl-C at a terminal
does to the whole process group. Needed when only jcb's PID was signalled."""

from __future__ import annotations

import os
import signal
from pathlib import Path


def child_pids(parent: int | None = None, command: str = "docker") -> list[int]:
    """Direct children of ``parent`` (default: this process) whose command starts with ``command``,
    from /proc; [] where /proc is absent."""
    parent = os.getpid() if parent is None else parent
    found = []
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            stat = entry.read_text()
        except OSError:
            continue
        comm = stat[stat.find("(") + 1:stat.rfind(")")]
        fields = stat[stat.rfind(")") + 2:].split()  # after "(comm)": state, ppid, ...
        if len(fields) > 1 and fields[1] == str(parent) and comm.startswith(command):
            found.append(int(entry.parent.name))
    return found


def interrupt_children() -> int:
    """Send SIGINT to every docker CLI this process started; how many were signalled."""
    count = 0
    for pid in child_pids():
        try:
            os.kill(pid, signal.SIGINT)
            count += 1
        except (ProcessLookupError, PermissionError):
            continue
    return count
