"""jcb.lock: a stable, sorted text form; reading rejects malformed entries; checks name the source."""

from __future__ import annotations

from pathlib import Path

import pytest

from jc_build.cache.digest import Digest
from jc_build.sources.lock import Lock, LockedImage, LockedPip, LockedSource, LockError
from jc_build.sources.spec import ArchiveSource, GitSource

C1, C2 = "1" * 40, "2" * 40
S = "5" * 64
TREE = Digest("a" * 64)
OTHER = Digest("b" * 64)


def _lock() -> Lock:
    return Lock(
        sources={"//z:src": LockedSource(ArchiveSource("https://x/z.tgz", S, "z-1"), TREE),
                 "//a:src": LockedSource(GitSource("https://x/a.git", C1, tag="v1", submodules=True),
                                         unverified="the remote is not mirrored here")},
        images={"ubuntu:24.04": LockedImage(OTHER)},
        pip={"//llm/sglang:0.4.9 jp6-cu126": LockedPip(("https://pypi.jetson-ai-lab.dev/jp6/cu126",),
                                                      (("fastapi", "0.115.0"), ("uvicorn", "0.30.1")), "f" * 64)})


def test_text_form_is_sorted_and_round_trips(tmp_path: Path) -> None:
    text = _lock().dumps()
    assert text == Lock(dict(reversed(list(_lock().sources.items()))), _lock().images, _lock().pip).dumps()
    assert text.index('"//a:src"') < text.index('"//z:src"') and text.endswith("}\n")
    assert '      "unverified": "the remote is not mirrored here"\n' in text
    assert f'      "tree": "sha256:{"a" * 64}",\n' in text
    path = tmp_path / "jcb.lock"
    _lock().write(path)
    assert Lock.read(path) == _lock() and path.read_text() == text
    assert Lock.read(tmp_path / "absent.lock") == Lock()


def test_an_entry_has_a_digest_or_a_reason() -> None:
    with pytest.raises(ValueError):
        LockedSource(GitSource("r", C1))
    with pytest.raises(ValueError):
        LockedSource(GitSource("r", C1), TREE, unverified="why")


@pytest.mark.parametrize(("text", "message"), [
    ("{", "jcb.lock:1:2: not valid JSON: Expecting property name enclosed in double quotes"),
    ('{"format": 2}', 'jcb.lock: want an object with "format": 1'),
    ('{"format": 1, "sources": []}', "jcb.lock: 'sources' must be an object"),
    ('{"format": 1, "sources": {"//a:s": {"kind": "svn"}}}', "jcb.lock: entry '//a:s': kind must be 'git' or 'http', got 'svn'"),
    ('{"format": 1, "sources": {"//a:s": {"kind": "git", "remote": "r", "commit": "x", "tree": "t"}}}',
     "jcb.lock: entry '//a:s': commit must be 40 lowercase hex digits, got 'x'"),
    ('{"format": 1, "sources": {"//a:s": {"kind": "http", "url": "u", "sha256": "' + S + '", "color": 1}}}',
     "jcb.lock: entry '//a:s': unknown field(s) color"),
    ('{"format": 1, "images": {"ubuntu": {"digest": "abc"}}}',
     "jcb.lock: entry 'ubuntu': not a sha256 digest (want 'sha256:<64 hex>'): 'abc'"),
    ('{"format": 1, "pip": {"//l:l p": {"indexes": ["i"], "packages": {"x": 1}}}}',
     "jcb.lock: entry '//l:l p': packages must map names to versions"),
    ('{"format": 1, "pip": {"//l:l p": {"index": "i", "packages": {"x": "1"}}}}',
     "jcb.lock: entry '//l:l p': indexes must be a list of index URLs"),
    ('{"format": 1, "pip": {"//l:l p": {"indexes": ["i"], "packages": {"x": "1"}}}}',
     "jcb.lock: entry '//l:l p': 'key' must be a non-empty string"),
])
def test_malformed_lock_is_one_line(text: str, message: str) -> None:
    with pytest.raises(LockError) as err:
        Lock.loads(text, "jcb.lock")
    assert str(err.value) == message


def test_check_source_names_the_source_and_both_values() -> None:
    lock = _lock()
    lock.check_source("//z:src", ArchiveSource("https://mirror/z.tgz", S, "z-1"), TREE)  # another URL is fine
    lock.check_source("//new:src", GitSource("r", C2), OTHER)  # not locked: nothing to check
    lock.check_source("//a:src", GitSource("https://x/a.git", C1, submodules=True), OTHER)  # unverified entry
    with pytest.raises(LockError) as err:
        lock.check_source("//a:src", GitSource("https://x/a.git", C2, submodules=True), None)
    assert str(err.value) == (f"//a:src: git_repository https://x/a.git (commit {C2}) is declared, but jcb.lock "
                              f"locks git_repository https://x/a.git (commit {C1}, tag v1); run 'jcb lock --update "
                              "//a:src' to accept the change")
    with pytest.raises(LockError) as err:
        lock.check_source("//z:src", ArchiveSource("https://x/z.tgz", S, "z-1"), OTHER)
    assert str(err.value) == (f"//z:src: http_archive https://x/z.tgz (sha256 {S}) fetched to tree {OTHER}, but "
                              f"jcb.lock has {TREE}: the same pin now yields other content")


def test_updated_replaces_only_named_entries() -> None:
    new = Lock(sources={"//z:src": LockedSource(ArchiveSource("https://x/z.tgz", S, "z-1"), OTHER)})
    merged = _lock().updated(new)
    assert merged.sources["//z:src"].tree == OTHER and "//a:src" in merged.sources
    assert merged.images == _lock().images


def test_a_base_image_with_another_id_than_the_locked_one_is_an_error_naming_both() -> None:
    lock, seen = _lock(), f"sha256:{'c' * 64}"
    with pytest.raises(LockError) as exc:
        lock.check_image("ubuntu:24.04", seen, "jp6-cu126")
    assert str(exc.value) == (f"base image ubuntu:24.04 of platform 'jp6-cu126': jcb.lock pins image {OTHER}, but "
                              f"the engine's ubuntu:24.04 is {seen}; restore the locked image, or run "
                              "'jcb lock --update' to accept this one")
    lock.check_image("ubuntu:24.04", str(OTHER), "jp6-cu126")  # the locked image
    lock.check_image("ubuntu:24.04", "", "jp6-cu126")  # not present: nothing to compare
    lock.check_image("debian:12", seen, "jp6-cu126")  # not locked


def test_a_verifying_resolver_checks_what_it_resolves() -> None:
    asked: list[str] = []

    def resolve(ref: str) -> str:
        asked.append(ref)
        return f"sha256:{'c' * 64}" if ref == "ubuntu:24.04" else str(OTHER)

    checked = _lock().verifying(resolve, "jp6-cu126")
    assert checked("debian:12") == str(OTHER)
    with pytest.raises(LockError, match="jcb.lock pins image"):
        checked("ubuntu:24.04")
    assert asked == ["debian:12", "ubuntu:24.04"]
