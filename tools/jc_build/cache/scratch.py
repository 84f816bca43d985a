"""Crash-safe scratch space under ``<cache>/tmp``: work directories owned through a lock.

A work directory holds ``.owner``, locked by the process using it; when the ``with`` block ends
(normally, by an exception or by Ctrl-C) the directory is removed. A process that died (SIGKILL,
power loss) leaves it behind unlocked, and the next ``sweep`` (every build and every gc) removes
it, with the temp files and partial logs of dead processes.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

WORK_PREFIX = "work-"
OWNER = ".owner"
JOURNAL_PREFIX = "journal-"  # cache/journal.py: locked by its writer while it lives


@contextmanager
def work_dir(tmp_dir: Path, purpose: str) -> Iterator[Path]:
    """A fresh directory ``<tmp_dir>/work-<pid>-<purpose>-*``, removed when the block ends."""
    tmp_dir.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=f"{WORK_PREFIX}{os.getpid()}-{purpose}-", dir=tmp_dir))
    fd = os.open(path / OWNER, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        os.close(fd)


@dataclass(frozen=True)
class Swept:
    """What one sweep removed."""

    files: int = 0
    bytes: int = 0


def sweep(tmp_dir: Path, logs_dir: Path) -> Swept:
    """Remove what dead processes left: unlocked work directories and blob journals, their temp files,
    partial logs."""
    files = size = 0
    for path in _entries(tmp_dir):
        if path.name.startswith(WORK_PREFIX) and path.is_dir():
            if _abandoned(path):
                count, total = count_files(path)
                shutil.rmtree(path, ignore_errors=True)
                files, size = files + count, size + total
        elif path.name.startswith(JOURNAL_PREFIX):
            if unlocked(path):
                files, size = files + 1, size + unlink_size(path)
        elif path.is_file() and not _alive(path.name.split("-", 1)[0]):
            files, size = files + 1, size + unlink_size(path)
    for path in _entries(logs_dir):
        if path.name.endswith(".partial") and not _alive(path.name.rsplit(".", 2)[-2].split("-", 1)[0]):
            files, size = files + 1, size + unlink_size(path)
    return Swept(files, size)


def _entries(directory: Path) -> list[Path]:
    try:
        return list(directory.iterdir())
    except OSError:
        return []


def _abandoned(path: Path) -> bool:
    """True when no live process holds the directory's owner lock."""
    free = unlocked(path / OWNER)
    if free is None:  # died between mkdtemp and the lock, or mid-removal
        return not _alive(path.name[len(WORK_PREFIX):].split("-", 1)[0])
    return free


def unlocked(path: Path) -> bool | None:
    """Whether no process holds an flock on ``path``; None when it does not exist."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return None
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def _alive(pid_text: str) -> bool:
    """Whether the process named by a temp name's pid runs (unknown names count as alive)."""
    if not pid_text.isdigit():
        return True
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def count_files(path: Path) -> tuple[int, int]:
    """Files under ``path`` and their bytes."""
    count = total = 0
    for root, _, names in os.walk(path):
        for name in names:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
                count += 1
            except OSError:
                continue
    return count, total


def unlink_size(path: Path) -> int:
    """Remove the file; the bytes it held (0 when it was gone or could not be removed)."""
    try:
        size = path.stat().st_size
        path.unlink()
        return size
    except OSError:
        return 0
