"""Filesystem primitives of the cache: atomic publication and the cache lock."""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def locked(lock_file: Path, *, exclusive: bool) -> Iterator[None]:
    """Hold ``flock`` on ``lock_file``: shared for reads/writes, exclusive for gc."""
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)
