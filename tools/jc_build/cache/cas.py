"""Content-addressed blob store: ``<root>/cas/sha256/ab/abcdef...``."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from ..faults import kill_point
from .digest import CHUNK, Digest, sha256_stream
from .fs import AtomicFile
from .journal import Journal


class Cas:
    """Blobs addressed by their sha256; every read verifies the content.

    Not locked: ``LocalCache`` holds the cache lock around writes.
    """

    def __init__(self, root: Path, tmp_dir: Path, on_warning: Callable[[str], None], journal: Journal):
        self.dir = root / "cas" / "sha256"
        self.journal = journal
        self._tmp_dir = tmp_dir
        self._warn = on_warning
        # (path, inode, size, mtime_ns) of blobs verified by this process.
        self._verified: set[tuple[str, int, int, int]] = set()

    def path(self, digest: Digest) -> Path:
        return self.dir / digest.hex[:2] / digest.hex

    def has(self, digest: Digest) -> bool:
        """Whether the blob is present (not verified)."""
        return self.path(digest).is_file()

    def put(self, src: BinaryIO) -> Digest:
        """Copy a stream into the store (hashing while copying) and return its digest.

        Idempotent: re-putting existing content atomically replaces it with an
        identical, fresh copy, which also heals a corrupt one. The digest stays in this process's
        journal until ``journal.settle`` (an entry references it).
        """
        h = hashlib.sha256()
        with AtomicFile(self._tmp_dir) as tmp:
            while chunk := src.read(CHUNK):
                h.update(chunk)
                tmp.file.write(chunk)
                kill_point("cas-write")
            digest = Digest(h.hexdigest())
            self.journal.record(digest)  # before the blob is visible: gc keeps it until an entry references it
            tmp.commit(self.path(digest))
        return digest

    def open(self, digest: Digest) -> BinaryIO | None:
        """Open a verified blob positioned at 0, or None if absent or corrupt (removed, warned)."""
        path = self.path(digest)
        try:
            f = open(path, "rb")
        except FileNotFoundError:
            return None
        st = os.fstat(f.fileno())
        memo = (str(path), st.st_ino, st.st_size, st.st_mtime_ns)
        if memo not in self._verified:
            actual = sha256_stream(f)
            if actual != digest:
                f.close()
                path.unlink(missing_ok=True)
                self._warn(f"cache: blob {digest} was corrupt (content hashes to {actual}); removed {path}")
                return None
            self._verified.add(memo)
            f.seek(0)
        return f

    def blobs(self) -> Iterator[tuple[Digest, os.stat_result]]:
        """Every stored blob with its stat; stray names are skipped."""
        for shard in sorted(self.dir.glob("??")):
            for path in shard.iterdir():
                try:
                    digest = Digest(path.name)
                    yield digest, path.stat()
                except (ValueError, FileNotFoundError):
                    continue
