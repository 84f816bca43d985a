"""Blobs written and not yet referenced: a per-process journal under ``<cache>/tmp``, locked by its writer.

A writer records each blob's digest before the blob is renamed into the CAS and settles it once an
action entry references it. gc keeps the unreferenced blobs listed in journals whose lock is held
(live writers) and removes all others at once; a killed writer's journal is unlocked, so its blobs
go at the next gc and ``sweep`` removes the journal itself.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import threading
import weakref
from collections.abc import Iterable
from pathlib import Path

from .digest import Digest
from .scratch import JOURNAL_PREFIX, unlocked


class Journal:
    """This process's pending blobs; the file exists only while some are pending."""

    def __init__(self, tmp_dir: Path):
        self._tmp_dir = tmp_dir
        self._pending: set[Digest] = set()
        self._fd: int | None = None
        self._path: Path | None = None
        self._mutex = threading.Lock()
        weakref.finalize(self, _release, self.__dict__)  # at exit too: nothing pending outlives the process

    def record(self, digest: Digest) -> None:
        """Note ``digest`` as written by this process and not yet referenced (call before the commit)."""
        with self._mutex:
            if digest in self._pending:
                return
            if self._fd is None:
                self._fd, self._path = _open_locked(self._tmp_dir)
            self._pending.add(digest)
            os.write(self._fd, f"{digest.hex}\n".encode())

    def settle(self, digests: Iterable[Digest]) -> None:
        """``digests`` are referenced now; with none pending the journal file goes."""
        with self._mutex:
            self._pending.difference_update(digests)
            if not self._pending:
                _release(self.__dict__)

    def close(self) -> None:
        """Give up every pending blob (they become gc's to remove)."""
        with self._mutex:
            self._pending.clear()
            _release(self.__dict__)


def _open_locked(tmp_dir: Path) -> tuple[int, Path]:
    """A new journal file, locked before it takes its journal name (a probe never sees it unlocked)."""
    tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f"{os.getpid()}-", suffix=".journal", dir=tmp_dir)
    fcntl.flock(fd, fcntl.LOCK_EX)
    path = tmp_dir / f"{JOURNAL_PREFIX}{Path(name).name}"
    os.rename(name, path)
    return fd, path


def _release(state: dict) -> None:
    if state.get("_fd") is not None:
        Path(state["_path"]).unlink(missing_ok=True)
        os.close(state["_fd"])
    state["_fd"] = state["_path"] = None


def live_pending(tmp_dir: Path) -> set[Digest]:
    """Digests in the journals of live writers (their lock is held)."""
    pending: set[Digest] = set()
    for path in tmp_dir.glob(f"{JOURNAL_PREFIX}*"):
        if unlocked(path) is False:
            pending.update(_read(path))
    return pending


def _read(path: Path) -> set[Digest]:
    try:
        lines = path.read_text(encoding="ascii", errors="replace").split()
    except OSError:
        return set()
    found = set()
    for line in lines:
        try:
            found.add(Digest(line))
        except ValueError:
            continue  # a line cut short by a kill: that blob was never committed
    return found
