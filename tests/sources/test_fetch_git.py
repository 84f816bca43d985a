"""git_repository sources fetched from a loopback git daemon: verified, cached, mirrored."""

from __future__ import annotations

from pathlib import Path

import pytest
from source_servers import GitDaemon, Recorder, git, make_repo, publish

from jc_build.errors import SourceError
from jc_build.sources.mirrors import MirrorMap
from jc_build.sources.spec import GitSource

UPSTREAM = "https://git.upstream.invalid/team/"  # unreachable: only the mirror map makes it fetchable


def _repo(tmp_path: Path, base: Path) -> tuple[str, str]:
    """A repo 'lib.git' with two commits, the first tagged v1 (annotated); returns (c1, c2)."""
    work = tmp_path / "lib"
    c1 = make_repo(work, {"src/lib.c": "int one(void) { return 1; }\n", "build.sh": "#!/bin/sh\n"},
                   date=1_700_000_000)
    (work / "build.sh").chmod(0o755)
    git(work, "add", "build.sh")
    git(work, "commit", "--quiet", "--amend", "--no-edit", date=1_700_000_000)
    c1 = git(work, "rev-parse", "HEAD").strip()
    git(work, "tag", "-a", "v1", "-m", "v1", c1, date=1_700_000_000)
    c2 = make_repo(work, {"src/lib.c": "int two(void) { return 2; }\n"}, date=1_700_000_100)
    publish(work, base, "lib.git")
    return c1, c2


def _mirrored(tmp_path: Path, daemon: GitDaemon) -> Recorder:
    return Recorder(tmp_path, MirrorMap.of([(UPSTREAM, [daemon.url])]))


def test_fetch_through_mirror_then_cache_hit_without_server(tmp_path: Path, git_base: Path,
                                                           git_daemon: GitDaemon) -> None:
    c1, _ = _repo(tmp_path, git_base)
    rec = _mirrored(tmp_path, git_daemon)
    src = GitSource(UPSTREAM + "lib.git", c1, tag="v1")
    first = rec.fetcher.fetch("//pkg:lib", src)
    assert not first.cache_hit and first.epoch == 1_700_000_000
    assert first.url == git_daemon.url + "lib.git" and first.tags == ("v1",)

    git_daemon.stop()
    second = rec.fetcher.fetch("//pkg:lib", src)
    assert second.cache_hit and second.tree == first.tree
    assert rec.kinds() == ["fetched", "hit"]

    out = tmp_path / "out"
    rec.fetcher.unpack(second, out)
    assert (out / "src/lib.c").read_text() == "int one(void) { return 1; }\n"
    assert (out / "build.sh").stat().st_mode & 0o111
    assert not (out / ".git").exists()


def test_same_commit_from_another_remote_is_the_same_key_and_tree(tmp_path: Path, git_base: Path,
                                                                 git_daemon: GitDaemon) -> None:
    c1, _ = _repo(tmp_path, git_base)
    rec = Recorder(tmp_path, MirrorMap())
    direct = rec.fetcher.fetch("//pkg:lib", GitSource(git_daemon.url + "lib.git", c1))
    other = Recorder(tmp_path / "other", MirrorMap.of([(UPSTREAM, [git_daemon.url])]))
    mirrored = other.fetcher.fetch("//pkg:lib", GitSource(UPSTREAM + "lib.git", c1))
    assert direct.key == mirrored.key and direct.tree == mirrored.tree


def test_tag_naming_another_commit_fails_with_both_commits(tmp_path: Path, git_base: Path,
                                                           git_daemon: GitDaemon) -> None:
    c1, c2 = _repo(tmp_path, git_base)
    rec = _mirrored(tmp_path, git_daemon)
    with pytest.raises(SourceError) as err:
        rec.fetcher.fetch("//pkg:lib", GitSource(UPSTREAM + "lib.git", c2, tag="v1"))
    assert str(err.value) == (
        f"//pkg:lib: git_repository {UPSTREAM}lib.git (commit {c2}, tag v1): tag 'v1' is commit {c1} "
        f"(at {git_daemon.url}lib.git), not the declared commit {c2}")
    assert rec.kinds() == []


def test_missing_tag_and_missing_commit(tmp_path: Path, git_base: Path, git_daemon: GitDaemon) -> None:
    c1, _ = _repo(tmp_path, git_base)
    rec = _mirrored(tmp_path, git_daemon)
    with pytest.raises(SourceError, match=r"tag 'v9' does not exist \(at git://127\.0\.0\.1:\d+/lib\.git\)$"):
        rec.fetcher.fetch("//pkg:lib", GitSource(UPSTREAM + "lib.git", c1, tag="v9"))
    absent = "0123456789abcdef0123456789abcdef01234567"
    with pytest.raises(SourceError) as err:
        rec.fetcher.fetch("//pkg:lib", GitSource(UPSTREAM + "lib.git", absent))
    assert str(err.value).startswith(f"//pkg:lib: git_repository {UPSTREAM}lib.git (commit {absent}): ")
    assert f"(from {git_daemon.url}lib.git)" in str(err.value)


def test_unreachable_remote_names_target_source_and_url(tmp_path: Path, git_base: Path,
                                                        git_daemon: GitDaemon) -> None:
    c1, _ = _repo(tmp_path, git_base)
    git_daemon.stop()
    rec = _mirrored(tmp_path, git_daemon)
    with pytest.raises(SourceError) as err:
        rec.fetcher.fetch("//pkg:lib", GitSource(UPSTREAM + "lib.git", c1))
    message = str(err.value)
    assert message.startswith(f"//pkg:lib: git_repository {UPSTREAM}lib.git (commit {c1}): ")
    assert message.endswith(f"(from {git_daemon.url}lib.git)") and "unable to connect" in message


def test_new_tag_on_cached_commit_is_verified_once(tmp_path: Path, git_base: Path, git_daemon: GitDaemon) -> None:
    c1, _ = _repo(tmp_path, git_base)
    rec = _mirrored(tmp_path, git_daemon)
    rec.fetcher.fetch("//pkg:lib", GitSource(UPSTREAM + "lib.git", c1))
    tagged = rec.fetcher.fetch("//pkg:lib", GitSource(UPSTREAM + "lib.git", c1, tag="v1"))
    assert tagged.tags == ("v1",)
    git_daemon.stop()
    assert rec.fetcher.fetch("//pkg:lib", GitSource(UPSTREAM + "lib.git", c1, tag="v1")).cache_hit
    assert rec.kinds() == ["fetched", "fetched", "hit"]


def test_submodules_relative_and_nested(tmp_path: Path, git_base: Path, git_daemon: GitDaemon) -> None:
    leaf = make_repo(tmp_path / "leaf", {"leaf.txt": "leaf\n"})
    publish(tmp_path / "leaf", git_base, "leaf.git")
    mid_work = tmp_path / "mid"
    make_repo(mid_work, {"mid.txt": "mid\n"})
    git(mid_work, "-c", "protocol.file.allow=always", "submodule", "--quiet", "add", str(git_base / "leaf.git"),
        "third_party/leaf")
    git(mid_work, "config", "-f", ".gitmodules", "submodule.third_party/leaf.url", "../leaf.git")
    mid = make_repo(mid_work, {})
    publish(mid_work, git_base, "mid.git")
    top_work = tmp_path / "top"
    make_repo(top_work, {"top.txt": "top\n"})
    git(top_work, "-c", "protocol.file.allow=always", "submodule", "--quiet", "add", str(git_base / "mid.git"), "mid")
    git(top_work, "config", "-f", ".gitmodules", "submodule.mid.url", "./../mid.git")
    top = make_repo(top_work, {})
    publish(top_work, git_base, "top.git")

    rec = _mirrored(tmp_path, git_daemon)
    with_subs = rec.fetcher.fetch("//pkg:top", GitSource(UPSTREAM + "top.git", top, submodules=True))
    out = tmp_path / "out"
    rec.fetcher.unpack(with_subs, out)
    assert (out / "mid/mid.txt").read_text() == "mid\n"
    assert (out / "mid/third_party/leaf/leaf.txt").read_text() == "leaf\n"
    without = rec.fetcher.fetch("//pkg:top", GitSource(UPSTREAM + "top.git", top))
    assert without.tree != with_subs.tree and without.key != with_subs.key
    assert mid and leaf


def test_submodule_url_resolution() -> None:
    from jc_build.sources.git import resolve_url

    assert resolve_url("https://h/a/b.git", "../c.git") == "https://h/a/c.git"
    assert resolve_url("https://h/a/b.git/", "./sub") == "https://h/a/b.git/sub"
    assert resolve_url("https://h/a/b", "../../x/y") == "https://h/x/y"
    assert resolve_url("https://h/a/b", "git://elsewhere/z") == "git://elsewhere/z"


def test_resolve_tag_for_a_tag_only_source(tmp_path: Path, git_base: Path, git_daemon: GitDaemon) -> None:
    c1, _ = _repo(tmp_path, git_base)
    rec = _mirrored(tmp_path, git_daemon)
    assert rec.fetcher.resolve_tag("//pkg:lib", UPSTREAM + "lib.git", "v1") == c1
    with pytest.raises(SourceError) as err:
        rec.fetcher.resolve_tag("//pkg:lib", UPSTREAM + "lib.git", "v2")
    assert str(err.value) == (f"//pkg:lib: git_repository {UPSTREAM}lib.git: tag 'v2' does not exist "
                              f"(at {git_daemon.url}lib.git)")
