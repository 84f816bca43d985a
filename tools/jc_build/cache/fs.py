"""Filesystem primitives of the cache: atomic publication and the cache lock."""

from __future__ import annotations

import fcntl
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from types import TracebackType


class AtomicFile:
    """A temp file in ``tmp_dir`` that ``commit`` fsyncs and renames onto its destination.

    ``tmp_dir`` must be on the destination's filesystem so ``os.replace`` is atomic.
    Leaving the ``with`` block without committing deletes the temp file; a killed
    process leaves it behind for gc to collect.
    """

    def __init__(self, tmp_dir: Path):
        fd, name = tempfile.mkstemp(dir=tmp_dir, prefix=f"{os.getpid()}-")
        os.fchmod(fd, 0o644)  # mkstemp's 0600 would leak into images built from cached files
        self.path = Path(name)
        self.file = os.fdopen(fd, "wb")
        self._committed = False

    def commit(self, dest: Path) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.path, dest)
        self._committed = True

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._committed:
            self.file.close()
            self.path.unlink(missing_ok=True)


class CacheLock:
    """``flock`` on the cache's lock file: shared for reads and writes, exclusive for gc.

    The shared lock is re-entrant per thread, so a caller can hold it across several
    operations that each take it too.
    """

    def __init__(self, path: Path):
        self._path = path
        self._held = threading.local()

    @contextmanager
    def shared(self) -> Iterator[None]:
        depth: int = getattr(self._held, "depth", 0)
        with nullcontext() if depth else self._flock(fcntl.LOCK_SH):
            self._held.depth = depth + 1
            try:
                yield
            finally:
                self._held.depth = depth

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        if getattr(self._held, "depth", 0):
            raise RuntimeError("cannot take the exclusive cache lock while this thread holds the shared one")
        with self._flock(fcntl.LOCK_EX):
            yield

    @contextmanager
    def _flock(self, operation: int) -> Iterator[None]:
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, operation)
            yield
        finally:
            os.close(fd)  # releases the lock
