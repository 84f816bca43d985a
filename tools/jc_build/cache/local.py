"""The on-disk cache: a CAS of blobs plus an action cache, safe for concurrent jcb processes."""

from __future__ import annotations

import os
import shutil
import time
import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

from ..dirs import default_cache_dir
from .action_cache import ActionCache, ActionResult
from .backend import CacheBackend, MissingBlobError
from .cas import Cas
from .digest import Digest
from .fs import CacheLock
from .journal import Journal
from .gc import CacheStats, External, GcReport, collect, measure
from .key import key_file, user_key
from .state import collect_state


class LocalCache(CacheBackend):
    """Layout under ``root``: ``cas/sha256/ab/<hex>``, ``ac/ab/<key>.json``, ``tmp/``, ``lock``.

    Every operation holds a shared ``flock`` on ``lock``; ``gc`` holds it exclusively.
    Writes go to ``tmp/`` and are renamed into place, so readers never see partial files.
    Store a stage's result inside ``session()``: put its blobs, then ``put_action``.
    """

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        *,
        on_warning: Callable[[str], None] = warnings.warn,
    ):
        self.root = Path(root) if root is not None else default_cache_dir()
        self._tmp = self.root / "tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)
        self._lock = CacheLock(self.root / "lock")
        self._journal = Journal(self._tmp)
        self._cas = Cas(self.root, self._tmp, on_warning, self._journal)
        self._actions = ActionCache(self.root, self._tmp, on_warning, user_key(key_file()))

    def session(self) -> AbstractContextManager[None]:
        """Hold the shared lock (re-entrant per thread) so no gc runs until the block ends."""
        return self._lock.shared()

    def get_action(self, key: str) -> ActionResult | None:
        """The recorded result, or None; a hit marks the entry used (for LRU gc)."""
        with self._lock.shared():
            result = self._actions.read(key)
            if result is None:
                return None
            missing = sorted(str(d) for d in result.digests() if not self._cas.has(d))
            if missing:
                self._actions.discard(key, f"references missing blobs {', '.join(missing)}")
                return None
            self._actions.touch(key)
            return result

    def put_action(self, result: ActionResult) -> None:
        with self._lock.shared():
            missing = sorted(str(d) for d in result.digests() if not self._cas.has(d))
            if missing:
                raise MissingBlobError(f"action {result.key} references blobs not in the cache: {', '.join(missing)}")
            self._actions.write(result)
        self._journal.settle(result.digests())

    def close(self) -> None:
        """Give up this process's unreferenced blobs (gc may remove them); also done at exit."""
        self._journal.close()

    def has_blob(self, digest: Digest) -> bool:
        return self._cas.has(digest)

    def open_blob(self, digest: Digest) -> BinaryIO | None:
        return self._cas.open(digest)

    def blob_path(self, digest: Digest) -> Path | None:
        """Path of the verified blob, or None if it is absent or was corrupt."""
        f = self._cas.open(digest)
        if f is None:
            return None
        f.close()
        return self._cas.path(digest)

    def put_blob(self, src: BinaryIO) -> Digest:
        with self._lock.shared():
            return self._cas.put(src)

    def stats(self) -> CacheStats:
        with self._lock.shared():
            return measure(self.root, self._cas, self._actions)

    def images(self) -> dict[str, str]:
        """Action key -> image ID of every entry that names an image."""
        with self._lock.shared():
            return self._images()

    def _images(self) -> dict[str, str]:
        results = (self._actions.read(key) for key, _ in self._actions.keys())
        return {r.key: r.image_id for r in results if r is not None and r.image_id}

    def clear(self, then: Callable[[dict[str, str]], None] | None = None) -> tuple[int, int]:
        """Remove every entry and blob (``jcb clean``); first ``then(self.images())``, under the
        same exclusive lock. The numbers of entries and blobs removed."""
        with self._lock.exclusive():
            if then is not None:
                then(self._images())
            entries, blobs = len(list(self._actions.keys())), len(list(self._cas.blobs()))
            for directory in (self._actions.dir, self.root / "cas"):
                shutil.rmtree(directory, ignore_errors=True)
            return entries, blobs

    def gc(self, max_size_bytes: int, external: External | None = None,
           then: Callable[[], None] | None = None) -> GcReport:
        """Shrink the cache to ``max_size_bytes`` (LRU), counting ``external`` bytes too; waits
        for other processes' sessions; ``then`` runs before the lock is released."""
        with self._lock.exclusive():
            report = collect(self._cas, self._actions, self._tmp, max_size_bytes, time.time(), external)
            if then is not None:
                then()
            state = collect_state(self.root, {key for key, _ in self._actions.keys()}, max_size_bytes == 0)
        return replace(report, removed_temp_files=report.removed_temp_files + state.files,
                       freed_bytes=report.freed_bytes + state.bytes)
