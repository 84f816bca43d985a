"""Targets loaded by an earlier process, reused while every file they came from is unchanged.

Like Bazel's server keeping its package cache, this keeps a cold ``jcb query`` from evaluating
every BUILD.star file again. An entry records the (mtime, size, inode) of the BUILD file, of
every .star file it loaded (transitively) and of the package files it checked; any change, and
any other jcb version, model or platform, is a miss. Only successful loads are stored.

The file is JSON decoded by ``codec`` against the model's type hints: it is data, never code.
A file that does not validate is a miss, with a warning.
"""

from __future__ import annotations

import json
import os
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from ..model import Platform, Target
from .codec import CodecError, decode, encode, fingerprint
from .fields import LoadedTarget

FORMAT = "jcb-loading-cache/5"  # 5: each target a JSON text of its own, decoded when first read
Signature = tuple[int, int, int] | None
# Files modified this recently are not trusted: a later edit could keep mtime and size.
RACY_NS = 2_000_000_000


@dataclass
class Entry:
    """One package: the files it came from with their signatures, and its targets, each as the JSON
    text of a ``LoadedTarget`` (a query reads a quarter of the targets it loads: the others are never
    decoded, and the file's own parse only has strings to read)."""

    files: list[tuple[str, Signature]]
    targets: dict[str, str]


@dataclass
class CacheFile:
    """The whole file; ``schema`` is the model's fingerprint when it was written."""

    format: str
    jcb: str
    schema: str
    key: str  # the workspace's real path and the platform it was loaded for
    packages: dict[str, Entry]


def file_signature(path: str) -> Signature:
    """(mtime, size, inode) of ``path``; None when it does not exist."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class CachedTargets(Mapping[str, Target]):
    """A package's targets as the cache file holds them, each decoded when first read. One that does
    not decode hands the whole package over to ``reload`` (its BUILD file evaluated again)."""

    def __init__(self, texts: dict[str, str], where: str, on_invalid: Callable[[str], Mapping[str, Target]]):
        self._texts = texts
        self._where = where
        self._on_invalid = on_invalid
        self._decoded: dict[str, Target] = {}
        self._reloaded: Mapping[str, Target] | None = None

    def __getitem__(self, name: str) -> Target:
        if self._reloaded is not None:
            return self._reloaded[name]
        target = self._decoded.get(name)
        if target is None:
            text = self._texts[name]
            try:
                target = self._decoded[name] = decode(json.loads(text), LoadedTarget, f"{self._where}.{name}")
            except (CodecError, RecursionError, ValueError) as exc:  # JSON errors are ValueErrors
                self._reloaded = self._on_invalid(str(exc)[:200])
                return self._reloaded[name]
        return target

    def __contains__(self, name: object) -> bool:  # Mapping's own would decode the target
        return name in (self._texts if self._reloaded is None else self._reloaded)

    def __iter__(self) -> Iterator[str]:
        return iter(self._texts if self._reloaded is None else self._reloaded)

    def __len__(self) -> int:
        return len(self._texts if self._reloaded is None else self._reloaded)


class LoadCache:
    """One JSON file per (workspace, platform) under ``<cache dir>/loading/``; ``path=None`` disables it."""

    def __init__(self, path: Path | None, on_warning: Callable[[str], None] = lambda _: None, key: str = ""):
        self.path = path
        self.key = key
        self._warn = on_warning
        # Packages as the file holds them: a query reads a few dozen of a workspace's packages.
        self._raw: dict[str, Any] = {} if path is None else _read(path, key, on_warning)
        self._loaded: dict[str, tuple[list[tuple[str, Signature]], Mapping[str, Target]]] = {}
        self._dirty = False

    @classmethod
    def for_workspace(cls, cache_dir: Path, root: Path, platform: Platform,
                      on_warning: Callable[[str], None] = lambda _: None) -> LoadCache:
        """The file of ``root`` loaded for ``platform``. Its name is two checksums of both (zlib's:
        importing hashlib cost a warm query more than its whole cache lookup); the file holds them in
        full, so two workspaces whose names collide only take turns, each a cold start."""
        key = f"{os.path.realpath(root)}\0{platform!r}"
        digest = key.encode()
        name = f"{zlib.crc32(digest):08x}{zlib.adler32(digest):08x}.json"
        return cls(cache_dir / "loading" / name, on_warning, key)

    def get(self, package: str, reload: Callable[[], Mapping[str, Target]]) -> Mapping[str, Target] | None:
        """The cached targets of ``package`` if every file they came from is unchanged, else None.
        ``reload`` evaluates the package afresh, for a cached target found not to decode."""
        data = self._raw.get(package)
        if data is None:
            return None
        where = f"$.packages.{package}"
        try:
            entry = decode(data, Entry, where)
        except (CodecError, RecursionError) as exc:
            self._invalid(str(exc)[:200])
            return None
        if not all(file_signature(path) == signature for path, signature in entry.files):
            return None

        def on_invalid(problem: str) -> Mapping[str, Target]:
            self._invalid(problem)
            return reload()
        return CachedTargets(entry.targets, f"{where}.targets", on_invalid)

    def _invalid(self, problem: str) -> None:
        """A file holding what does not decode is not used any further (a warning; what is loaded
        from now on is evaluated afresh, and the file rewritten without what it held)."""
        self._warn(f"loading cache {self.path} is not valid ({problem}); ignoring it")
        self._raw.clear()
        self._dirty = True

    def put(self, package: str, targets: Mapping[str, Target], files: Iterable[str]) -> None:
        """Remember a package, unless a file changed too recently for its mtime to tell (as git does)."""
        if self.path is None:
            return
        signatures = [(f, file_signature(f)) for f in sorted(set(files))]
        if any(sig is None or racy(sig) for _, sig in signatures):
            return
        self._loaded[package] = (signatures, targets)
        self._dirty = True

    def save(self) -> None:
        """Write the cache atomically if anything changed; failures only cost speed next time."""
        if self.path is None or not self._dirty:
            return
        try:
            entries = {package: encode(Entry(files, {name: json.dumps(encode(t, LoadedTarget), separators=(",", ":"))
                                                     for name, t in targets.items()}), Entry)
                       for package, (files, targets) in self._loaded.items()}
            head = encode(CacheFile(FORMAT, __version__, fingerprint(CacheFile), self.key, {}), CacheFile)
            text = json.dumps({**head, "packages": {**self._raw, **entries}}, separators=(",", ":"))
        except CodecError:
            return  # a value the codec cannot store: this run's loads are simply not kept
        if write_atomically(self.path, text):
            self._dirty = False


def write_atomically(path: Path, text: str) -> bool:
    """``text`` as ``path``, through a temp file beside it and a rename; False when the filesystem
    refused (for a cache, that only costs speed next time)."""
    import tempfile
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "w") as stream:
            stream.write(text)
        os.replace(tmp, path)
        return True
    except OSError:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        return False


def racy(signature: Signature) -> bool:
    """Whether the file changed too recently for its mtime to tell a later edit (as git does)."""
    return signature is not None and signature[0] >= time.time_ns() - RACY_NS


def _read(path: Path, key: str, warn: Callable[[str], None]) -> dict[str, Any]:
    """The packages (undecoded) of a valid file of this jcb, model and ``key``; {} (warned unless
    absent, older or another workspace's) otherwise."""
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
        if data.get("key") != key:
            return {}  # another workspace or platform with the same file name: a cold start
        packages = data.get("packages")
        if not isinstance(packages, dict) or data.keys() != {"format", "jcb", "schema", "key", "packages"}:
            raise CodecError("$: expected the fields of CacheFile")
        return packages
    except (ValueError, RecursionError) as exc:  # JSON, UTF-8 and codec errors are ValueErrors
        warn(f"loading cache {path} is not valid ({str(exc)[:200]}); ignoring it")
        return {}
