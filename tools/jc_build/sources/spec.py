"""What a target declares about a source: typed, validated values and the identity that keys it.

A source's identity is what its content is a function of (a git commit and whether submodules are
included, or an archive's sha256 and strip_prefix), never where it is fetched from: a mirror may
serve it, and the key stays the same.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass

from ..cache.digest import Digest, sha256_bytes

_SHA1 = re.compile(r"[0-9a-f]{40}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
IDENTITY_VERSION = 1  # bump when the packed tree format changes
ARCHIVE_UNPACK = 2  # 2: zip entries keep their executable bits (an archive's tree changed, not a git one's)


@dataclass(frozen=True)
class GitSource:
    """``git_repository``: a commit of a remote, optionally checked against a tag, with submodules."""

    remote: str
    commit: str
    tag: str | None = None
    submodules: bool = False

    def __post_init__(self) -> None:
        _check(bool(self.remote), "remote must be a non-empty URL")
        _check(bool(_SHA1.fullmatch(self.commit)), f"commit must be 40 lowercase hex digits, got '{self.commit}'")
        _check(self.tag is None or bool(self.tag), "tag must be a non-empty string when given")

    @property
    def kind(self) -> str:
        return "git"

    @property
    def origin(self) -> str:
        return self.remote

    @property
    def pin(self) -> str:
        return self.commit

    def identity(self) -> dict[str, object]:
        return {"kind": "git", "commit": self.commit, "submodules": self.submodules}

    def describe(self) -> str:
        return f"git_repository {self.remote} (commit {self.commit}" + (f", tag {self.tag})" if self.tag else ")")


@dataclass(frozen=True)
class ArchiveSource:
    """``http_archive``: an archive at a URL with a declared sha256, optionally one directory of it."""

    url: str
    sha256: str
    strip_prefix: str = ""

    def __post_init__(self) -> None:
        _check(bool(self.url), "url must be a non-empty URL")
        _check(bool(_SHA256.fullmatch(self.sha256)), f"sha256 must be 64 lowercase hex digits, got '{self.sha256}'")
        prefix = self.strip_prefix
        _check(prefix == "" or (not prefix.startswith("/") and ".." not in prefix.split("/")
                                and posixpath.normpath(prefix) == prefix.rstrip("/")),
               f"strip_prefix must be a relative path inside the archive, got '{prefix}'")

    @property
    def kind(self) -> str:
        return "http"

    @property
    def origin(self) -> str:
        return self.url

    @property
    def pin(self) -> str:
        return self.sha256

    def identity(self) -> dict[str, object]:
        return {"kind": "http", "sha256": self.sha256, "strip_prefix": self.strip_prefix.rstrip("/"),
                "unpack": ARCHIVE_UNPACK}

    def describe(self) -> str:
        return f"http_archive {self.url} (sha256 {self.sha256})"


@dataclass(frozen=True)
class GitTag:
    """A git_repository pinned by tag only, with no commit in the BUILD file or jcb.lock: floating.

    Its identity holds the remote and the tag (nothing better is known before fetching); the
    executor resolves the tag to a commit and fetches that. ``jcb lock`` turns it into a GitSource.
    """

    remote: str
    tag: str
    submodules: bool = False

    @property
    def kind(self) -> str:
        return "git"

    @property
    def origin(self) -> str:
        return self.remote

    def identity(self) -> dict[str, object]:
        return {"kind": "git-tag", "remote": self.remote, "tag": self.tag, "submodules": self.submodules}

    def describe(self) -> str:
        return f"git_repository {self.remote} (tag {self.tag}, no commit pinned)"

    def at(self, commit: str) -> GitSource:
        """The pinned source this tag resolved to."""
        return GitSource(self.remote, commit, self.tag, self.submodules)


Source = GitSource | ArchiveSource
Declared = GitSource | ArchiveSource | GitTag  # what a target declares, pinned or not


def source_key(source: Declared) -> Digest:
    """The digest of a source's identity: its cache key and its input to action keys."""
    ident = {**source.identity(), "v": IDENTITY_VERSION}
    return sha256_bytes(json.dumps(ident, sort_keys=True, separators=(",", ":")).encode())


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)
