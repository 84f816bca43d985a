"""Source declarations, their keys, the mirror map and the packed tree format."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from jc_build.cache.digest import sha256_bytes
from jc_build.sources.mirrors import MirrorMap
from jc_build.sources.spec import ArchiveSource, GitSource, source_key
from jc_build.sources.tree import pack

C = "a" * 40
S = "b" * 64


def test_key_is_identity_not_location() -> None:
    assert source_key(GitSource("https://x/a.git", C)) == source_key(GitSource("git://mirror/a.git", C, tag="v1"))
    assert source_key(GitSource("https://x/a.git", C)) != source_key(GitSource("https://x/a.git", C, submodules=True))
    assert source_key(ArchiveSource("https://x/a.tgz", S)) == source_key(ArchiveSource("file:///m/a.tgz", S))
    assert source_key(ArchiveSource("https://x/a.tgz", S, "a/")) == source_key(ArchiveSource("u", S, "a"))
    assert source_key(ArchiveSource("u", S)) != source_key(ArchiveSource("u", S, "a"))


@pytest.mark.parametrize(("make", "message"), [
    (lambda: GitSource("r", "abc"), "commit must be 40 lowercase hex digits, got 'abc'"),
    (lambda: GitSource("", C), "remote must be a non-empty URL"),
    (lambda: GitSource("r", C, tag=""), "tag must be a non-empty string when given"),
    (lambda: ArchiveSource("u", "B" * 64), "sha256 must be 64 lowercase hex digits, got '" + "B" * 64 + "'"),
    (lambda: ArchiveSource("u", S, "../x"), "strip_prefix must be a relative path inside the archive, got '../x'"),
    (lambda: ArchiveSource("u", S, "/x"), "strip_prefix must be a relative path inside the archive, got '/x'"),
])
def test_declarations_are_validated(make: object, message: str) -> None:
    with pytest.raises(ValueError) as err:
        make()  # type: ignore[operator]
    assert str(err.value) == message


def test_mirror_longest_prefix_and_order() -> None:
    user = [("https://github.com/", ["git://lab/gh/"])]
    workspace = [("https://github.com/", ["git://ws/gh/"]), ("https://github.com/NVIDIA/", ["git://nv/", "https://github.com/NVIDIA/"])]
    mirrors = MirrorMap.of(user, workspace)
    assert mirrors.candidates("https://github.com/a/b.git") == ("git://lab/gh/a/b.git",)
    assert mirrors.candidates("https://github.com/NVIDIA/cutlass") == ("git://nv/cutlass", "https://github.com/NVIDIA/cutlass")
    assert mirrors.candidates("https://pypi.org/x") == ("https://pypi.org/x",)
    assert MirrorMap().candidates("u") == ("u",)


def _tree(root: Path, order: list[str], mtime: int) -> None:
    for name in order:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name)
        os.utime(path, (mtime, mtime))
    (root / "run.sh").chmod(0o775)
    (root / "link").symlink_to("a/b.txt")


def test_pack_is_independent_of_mtimes_creation_order_and_umask(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    _tree(one, ["a/b.txt", "run.sh", "z.txt"], 1)
    _tree(two, ["z.txt", "run.sh", "a/b.txt"], 999_999)
    (two / "z.txt").chmod(0o600)
    outs = []
    for root in (one, two):
        buf = io.BytesIO()
        pack(root, buf, epoch=1_700_000_000)
        outs.append(buf.getvalue())
    assert outs[0] == outs[1]
    other = io.BytesIO()
    pack(one, other, epoch=1_700_000_001)
    assert sha256_bytes(other.getvalue()) != sha256_bytes(outs[0])
