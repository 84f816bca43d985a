"""The cache directory's files beside entries and blobs: logs, key locks, temp space, indexes.

``measure_state`` counts them for ``cache stats``; ``collect_state`` removes those no entry
needs any more, after ``gc`` evicted entries (the caller holds the exclusive cache lock).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from .scratch import count_files, sweep, unlink_size, unlocked

# (directory, what ``cache stats`` calls it)
STATE_DIRS = (("logs", "logs"), ("locks", "locks"), ("tmp", "temp"), ("loading", "loading"),
              ("workspace", "workspace"), ("last", "last"))


@dataclass(frozen=True)
class StateCount:
    """Files and bytes of one kind of state."""

    files: int = 0
    bytes: int = 0


def measure_state(root: Path) -> dict[str, StateCount]:
    """Files and bytes under each state directory, by the name stats shows."""
    return {name: _count(root / directory) for directory, name in STATE_DIRS}


def collect_state(root: Path, live_keys: set[str], everything: bool) -> StateCount:
    """Remove dead processes' temp files, logs and explain records of keys without an entry, unlocked
    key locks, and (``everything``: gc to size 0) the loading and workspace caches. What was removed."""
    swept = sweep(root / "tmp", root / "logs")
    files, size = swept.files, swept.bytes
    for path in _files(root / "logs"):
        if path.suffix == ".log" and path.stem not in live_keys:
            files, size = files + 1, size + unlink_size(path)
    for path in _files(root / "locks"):
        if unlocked(path):
            files, size = files + 1, size + unlink_size(path)
    for path in _files(root / "last"):
        if _recorded_key(path) not in live_keys:
            files, size = files + 1, size + unlink_size(path)
    if everything:
        for path in _files(root / "loading") + _files(root / "workspace"):
            files, size = files + 1, size + unlink_size(path)
    return StateCount(files, size)


def _count(directory: Path) -> StateCount:
    return StateCount(*count_files(directory))


def _files(directory: Path) -> list[Path]:
    try:
        return [p for p in directory.iterdir() if p.is_file()]
    except OSError:
        return []


def _recorded_key(path: Path) -> str | None:
    try:
        return str(json.loads(path.read_text(encoding="utf-8"))["key"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
