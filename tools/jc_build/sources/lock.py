"""``jcb.lock``: what a workspace's inputs resolved to, checked by every build.

It records each source's declaration and the digest of the tree it fetched to, each base image's
digest, and the exact versions each layer's pip step installed. The file is JSON with sorted keys,
two-space indentation and one value per line, so a change is a small, readable diff. An entry that
could not be verified says why (``"unverified": "reason"``) and has no digest: nothing is invented.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..cache.digest import Digest
from ..errors import JcbError
from .spec import ArchiveSource, Declared, GitSource, GitTag, source_key

LOCK_FILE = "jcb.lock"
FORMAT = 1


class LockError(JcbError):
    """``jcb.lock`` is malformed, or a build's inputs do not match it."""


@dataclass(frozen=True)
class LockedSource:
    """A source as locked: its declaration and the tree digest it was verified to fetch to.

    Only an unverified entry may lack a commit (a tag that could not be resolved).
    """

    source: Declared
    tree: Digest | None = None
    unverified: str = ""  # why there is no tree digest

    def __post_init__(self) -> None:
        if (self.tree is None) == (not self.unverified):
            raise ValueError("a locked source has either a tree digest or the reason it is unverified")
        if isinstance(self.source, GitTag) and self.tree is not None:
            raise ValueError("a verified git source has a commit")


@dataclass(frozen=True)
class LockedImage:
    """A base image reference resolved to its image ID (the digest of its config), which every image
    has, pulled or built locally; builds compare it with the engine's before they start."""

    digest: Digest


@dataclass(frozen=True)
class LockedPip:
    """What one layer's pip steps installed, read from a build of the layer (``jcb lock --pip``):
    every distribution it added or changed, with its version, the indexes the steps used, and the
    stage key that build had."""

    indexes: tuple[str, ...]  # sorted
    packages: tuple[tuple[str, str], ...]  # (name, version), sorted by name
    key: str  # the layer stage's action key


@dataclass(frozen=True)
class Lock:
    """The whole lock file; keys are source labels, image references and ``"<layer label> <platform>"``."""

    sources: Mapping[str, LockedSource] = field(default_factory=dict)
    images: Mapping[str, LockedImage] = field(default_factory=dict)
    pip: Mapping[str, LockedPip] = field(default_factory=dict)

    def updated(self, other: Lock) -> Lock:
        """This lock with ``other``'s entries added or replacing the same keys."""
        return Lock({**self.sources, **other.sources}, {**self.images, **other.images}, {**self.pip, **other.pip})

    def check_source(self, name: str, declared: Declared, tree: Digest | None) -> None:
        """Raise LockError if ``name`` is locked to another declaration or another tree digest.

        A source the lock does not name, or names without a digest (unverified), is not a mismatch.
        """
        entry = self.sources.get(name)
        if entry is None:
            return
        if isinstance(entry.source, GitTag) or isinstance(declared, GitTag):
            return  # no commit on one side: nothing to compare
        if source_key(entry.source) != source_key(declared):
            raise LockError(f"{name}: {declared.describe()} is declared, but {LOCK_FILE} locks "
                            f"{entry.source.describe()}; run 'jcb lock --update {name}' to accept the change")
        if tree is not None and entry.tree is not None and tree != entry.tree:
            raise LockError(f"{name}: {declared.describe()} fetched to tree {tree}, but {LOCK_FILE} has "
                            f"{entry.tree}: the same pin now yields other content")

    def check_image(self, ref: str, seen: str, platform: str) -> None:
        """Raise LockError if the lock pins base image ``ref`` to another image ID than ``seen``, the
        engine's ("" when the engine does not have the image: nothing to compare)."""
        entry = self.images.get(ref)
        if entry is None or not seen or str(entry.digest) == seen:
            return
        raise LockError(f"base image {ref} of platform '{platform}': {LOCK_FILE} pins image {entry.digest}, but "
                        f"the engine's {ref} is {seen}; restore the locked image, or run 'jcb lock --update' to "
                        "accept this one")

    def check_pip(self, name: str, installed: LockedPip) -> None:
        """Raise LockError if the lock records other pip installs for layer ``name`` (another build
        of the layer, or the same build resolving to other versions)."""
        entry = self.pip.get(name)
        if entry is None or entry == installed:
            return
        if entry.key != installed.key:
            raise LockError(f"{name}: {LOCK_FILE} records the pip installs of stage {entry.key[:12]}, but the layer "
                            f"is now stage {installed.key[:12]}; run 'jcb lock --pip --update' to record this build")
        differ = sorted(set(entry.packages) ^ set(installed.packages))
        raise LockError(f"{name}: the layer's pip steps installed other versions than {LOCK_FILE} records "
                        f"({', '.join(f'{n}=={v}' for n, v in differ)}); run 'jcb lock --pip --update' to accept them")

    def verifying(self, resolve: Callable[[str], str], platform: str) -> Callable[[str], str]:
        """``resolve`` (a base image reference -> the engine's image ID) checked against the lock."""
        def checked(ref: str) -> str:
            seen = resolve(ref)
            self.check_image(ref, seen, platform)
            return seen
        return checked

    def dumps(self) -> str:
        data = {
            "format": FORMAT,
            "sources": {name: _source_json(entry) for name, entry in self.sources.items()},
            "images": {ref: {"digest": str(img.digest)} for ref, img in self.images.items()},
            "pip": {key: {"indexes": list(p.indexes), "key": p.key, "packages": dict(p.packages)}
                    for key, p in self.pip.items()},
        }
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    @classmethod
    def loads(cls, text: str, path: str | os.PathLike[str] = LOCK_FILE) -> Lock:
        """Parse lock file text; any malformed part is a LockError naming ``path`` and the entry."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise LockError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
        where = str(path)
        try:
            _expect(isinstance(data, dict) and data.get("format") == FORMAT,
                    f"want an object with \"format\": {FORMAT}")
            return cls(
                sources={k: _entry(k, _source_entry, v) for k, v in _section(data, "sources").items()},
                images={k: _entry(k, _image_entry, v) for k, v in _section(data, "images").items()},
                pip={k: _entry(k, _pip_entry, v) for k, v in _section(data, "pip").items()})
        except ValueError as exc:
            raise LockError(f"{where}: {exc}") from None

    @classmethod
    def read(cls, path: Path) -> Lock:
        """The lock at ``path``; a missing file is an empty lock."""
        try:
            return cls.loads(path.read_text(encoding="utf-8"), path)
        except FileNotFoundError:
            return cls()
        except (OSError, UnicodeDecodeError) as exc:
            raise LockError(f"{path}: cannot read: {exc}") from None

    def write(self, path: Path) -> None:
        """Replace ``path`` atomically with this lock."""
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(self.dumps(), encoding="utf-8")
        os.replace(tmp, path)


def _source_json(entry: LockedSource) -> dict[str, Any]:
    src = entry.source
    if isinstance(src, (GitSource, GitTag)):
        data: dict[str, Any] = {"kind": "git", "remote": src.remote}
        data.update({"commit": src.commit} if isinstance(src, GitSource) else {})
        data.update({"tag": src.tag} if src.tag else {})
        data.update({"submodules": True} if src.submodules else {})
    else:
        data = {"kind": "http", "url": src.url, "sha256": src.sha256}
        data.update({"strip_prefix": src.strip_prefix} if src.strip_prefix else {})
    data.update({"tree": str(entry.tree)} if entry.tree else {"unverified": entry.unverified})
    return data


def _source_entry(data: dict[str, Any]) -> LockedSource:
    kind = data.get("kind")
    fields = {"git": {"kind", "remote", "commit", "tag", "submodules"},
              "http": {"kind", "url", "sha256", "strip_prefix"}}.get(kind)
    _expect(fields is not None, f"kind must be 'git' or 'http', got {kind!r}")
    assert fields is not None
    extra = set(data) - fields - {"tree", "unverified"}
    _expect(not extra, f"unknown field(s) {', '.join(sorted(extra))}")
    src: Declared
    if kind == "git" and "commit" not in data:
        src = GitTag(_str(data, "remote"), _str(data, "tag"), data.get("submodules") is True)
    elif kind == "git":
        src = GitSource(_str(data, "remote"), _str(data, "commit"), data.get("tag"), data.get("submodules") is True)
    else:
        src = ArchiveSource(_str(data, "url"), _str(data, "sha256"), data.get("strip_prefix", ""))
    tree = Digest.parse(data["tree"]) if "tree" in data else None
    return LockedSource(src, tree, data.get("unverified", ""))


def _image_entry(data: dict[str, Any]) -> LockedImage:
    return LockedImage(Digest.parse(data.get("digest", "")))


def _pip_entry(data: dict[str, Any]) -> LockedPip:
    packages = data.get("packages")
    indexes = data.get("indexes")
    _expect(isinstance(packages, dict) and all(isinstance(v, str) and v for v in packages.values()),
            "packages must map names to versions")
    _expect(isinstance(indexes, list) and all(isinstance(i, str) and i for i in indexes),
            "indexes must be a list of index URLs")
    return LockedPip(tuple(sorted(indexes)), tuple(sorted(packages.items())), _str(data, "key"))


def _section(data: dict[str, Any], name: str) -> dict[str, Any]:
    section = data.get(name, {})
    _expect(isinstance(section, dict), f"'{name}' must be an object")
    return section


def _entry(key: str, parse: Callable[[dict[str, Any]], Any], value: Any) -> Any:
    try:
        _expect(isinstance(value, dict), "must be an object")
        return parse(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"entry '{key}': {exc}") from None


def _str(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    _expect(isinstance(value, str) and bool(value), f"'{key}' must be a non-empty string")
    return value


def _expect(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)
