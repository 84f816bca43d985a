"""Targets loaded by an earlier process, reused while every file they came from is unchanged.

Like Bazel's server keeping its package cache, this keeps a cold ``jcb query`` from evaluating
every BUILD.star file again. An entry records the (mtime, size, inode) of the BUILD file, of
every .star file it loaded (transitively) and of the package files it checked; any change, and
any other jcb version, model or platform, is a miss. Only successful loads are stored.

The file is JSON decoded by ``codec`` against the model's type hints: it is data, never code.
A file that does not validate is a miss, with a warning.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .. import __version__
from ..model import Platform, Target
from .codec import CodecError, decode, encode, fingerprint
from .fields import typed_fields

FORMAT = "jcb-loading-cache/4"  # 4: no typed views stored (3 could hold them as lists)
Signature = tuple[int, int, int] | None
# Files modified this recently are not trusted: a later edit could keep mtime and size.
RACY_NS = 2_000_000_000


@dataclass
class Entry:
    """One package: the files it came from with their signatures, and its targets."""

    files: list[tuple[str, Signature]]
    targets: dict[str, Target]


@dataclass
class CacheFile:
    """The whole file; ``schema`` is the model's fingerprint when it was written."""

    format: str
    jcb: str
    schema: str
    packages: dict[str, Entry]


def _signature(path: str) -> Signature:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class LoadCache:
    """One JSON file per (workspace, platform) under ``<cache dir>/loading/``; ``path=None`` disables it."""

    def __init__(self, path: Path | None, on_warning: Callable[[str], None] = lambda _: None):
        self.path = path
        self._warn = on_warning
        self._entries: dict[str, Entry] = {}
        # Packages as the file holds them, decoded when first asked for: a query reads a few
        # dozen of a workspace's packages, and decoding all of them was most of a warm query.
        self._raw: dict[str, Any] = {} if path is None else _read(path, on_warning)
        self._dirty = False

    @classmethod
    def for_workspace(cls, cache_dir: Path, root: Path, platform: Platform,
                      on_warning: Callable[[str], None] = lambda _: None) -> LoadCache:
        key = hashlib.sha256(f"{os.path.realpath(root)}\0{platform!r}".encode()).hexdigest()[:24]
        return cls(cache_dir / "loading" / f"{key}.json", on_warning)

    def get(self, package: str) -> dict[str, Target] | None:
        entry = self._entries.get(package) or self._decoded(package)
        if entry is None:
            return None
        if all(_signature(path) == signature for path, signature in entry.files):
            for target in entry.targets.values():  # the typed view is never stored: derived from attrs and deps
                target.fields = typed_fields(target.kind, target.attrs, target.deps)
            return entry.targets
        return None

    def _decoded(self, package: str) -> Entry | None:
        """The file's entry for ``package``, decoded now; a file with an entry that does not
        validate is not used at all (a warning, then every package is loaded afresh)."""
        data = self._raw.pop(package, None)
        if data is None:
            return None
        try:
            self._entries[package] = decode(data, Entry, f"$.packages.{package}")
        except (CodecError, RecursionError) as exc:
            self._warn(f"loading cache {self.path} is not valid ({str(exc)[:200]}); ignoring it")
            self._raw.clear()
            self._dirty = True  # rewritten without what it held
            return None
        return self._entries[package]

    def put(self, package: str, targets: dict[str, Target], files: Iterable[str]) -> None:
        """Remember a package, unless a file changed too recently for its mtime to tell (as git does)."""
        if self.path is None:
            return
        signatures = [(f, _signature(f)) for f in sorted(set(files))]
        racy = time.time_ns() - RACY_NS
        if any(sig is None or sig[0] >= racy for _, sig in signatures):
            return
        self._entries[package] = Entry(signatures, dict(targets))
        self._dirty = True

    def save(self) -> None:
        """Write the cache atomically if anything changed; failures only cost speed next time."""
        if self.path is None or not self._dirty:
            return
        try:
            # The typed views are left out (every entry's, also those ``get`` gave out): ``get`` derives them.
            entries = {package: encode(Entry(e.files, {n: replace(t, fields=None) for n, t in e.targets.items()}),
                                       Entry) for package, e in self._entries.items()}
            head = encode(CacheFile(FORMAT, __version__, fingerprint(CacheFile), {}), CacheFile)
            text = json.dumps({**head, "packages": {**self._raw, **entries}}, separators=(",", ":"))
        except CodecError:
            return  # a value the codec cannot store: this run's loads are simply not kept
        import tempfile
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tmp-")
            with os.fdopen(fd, "w") as stream:
                stream.write(text)
            os.replace(tmp, self.path)
            self._dirty = False
        except OSError:
            pass


def _read(path: Path, warn: Callable[[str], None]) -> dict[str, Any]:
    """The packages (undecoded) of a valid file of this jcb and model; {} (warned unless absent or
    older) otherwise."""
    try:
        raw = path.read_bytes()
    except OSError:
        return {}
    try:
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise CodecError("not a jcb loading cache of this format")
        if (data.get("jcb"), data.get("schema")) != (__version__, fingerprint(CacheFile)):
            return {}  # written by another jcb: a cold start, not a problem
        packages = data.get("packages")
        if not isinstance(packages, dict) or data.keys() != {"format", "jcb", "schema", "packages"}:
            raise CodecError("$: expected the fields of CacheFile")
        return packages
    except (ValueError, RecursionError) as exc:  # JSON, UTF-8 and codec errors are ValueErrors
        warn(f"loading cache {path} is not valid ({str(exc)[:200]}); ignoring it")
        return {}
