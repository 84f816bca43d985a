"""Targets loaded by an earlier process, reused while every file they came from is unchanged.

Like Bazel's server keeping its package cache, this keeps a cold ``jcb query`` from evaluating
every BUILD.star file again. An entry records the (mtime, size, inode) of the BUILD file, of
every .star file it loaded (transitively) and of the package files it checked; any change, and
any other jcb version or platform, is a miss. Only successful loads are stored.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from .. import __version__
from ..model import Platform, Target

FORMAT = 2  # 2: targets keep deps per attribute and a typed view
Signature = tuple[int, int, int] | None
# Files modified this recently are not trusted: a later edit could keep mtime and size.
RACY_NS = 2_000_000_000


def _signature(path: str) -> Signature:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class LoadCache:
    """One pickle per (workspace, platform) under ``<cache dir>/loading/``; ``path=None`` disables it."""

    def __init__(self, path: Path | None):
        self.path = path
        self._entries: dict[str, tuple[list[tuple[str, Signature]], dict[str, Target]]] = {}
        self._dirty = False
        if path is not None:
            try:
                with open(path, "rb") as stream:
                    data = pickle.load(stream)
                if data.get("format") == (FORMAT, __version__):
                    self._entries = data["packages"]
            except Exception:  # a missing, truncated or foreign file is only a cold start
                self._entries = {}

    @classmethod
    def for_workspace(cls, cache_dir: Path, root: Path, platform: Platform) -> LoadCache:
        key = hashlib.sha256(f"{os.path.realpath(root)}\0{platform!r}".encode()).hexdigest()[:24]
        return cls(cache_dir / "loading" / f"{key}.pickle")

    def get(self, package: str) -> dict[str, Target] | None:
        entry = self._entries.get(package)
        if entry is None:
            return None
        files, targets = entry
        if all(_signature(path) == signature for path, signature in files):
            return targets
        return None

    def put(self, package: str, targets: dict[str, Target], files: Iterable[str]) -> None:
        """Remember a package, unless a file changed too recently for its mtime to tell (as git does)."""
        if self.path is None:
            return
        signatures = [(f, _signature(f)) for f in sorted(set(files))]
        racy = time.time_ns() - RACY_NS
        if any(sig is None or sig[0] >= racy for _, sig in signatures):
            return
        self._entries[package] = (signatures, targets)
        self._dirty = True

    def save(self) -> None:
        """Write the cache atomically if anything changed; failures only cost speed next time."""
        if self.path is None or not self._dirty:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as stream:
                pickle.dump({"format": (FORMAT, __version__), "packages": self._entries}, stream,
                            protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
            self._dirty = False
        except OSError:
            pass
