"""``jcb lock`` and ``jcb fetch`` over a loopback git daemon: tag-only pins locked to their commit,
existing entries verified, --update, unverified entries with their reason."""

from __future__ import annotations

import json
from pathlib import Path

from source_servers import GitDaemon, git, make_repo, publish

UPSTREAM = "https://git.upstream.invalid/"
BUILD = """\
git_repository(name = "src", remote = "{upstream}lib.git", {pin})
wheel(name = "wheel", dist = "lib", srcs = [":src"], steps = [run("true")])
"""


def _workspace(workspace, daemon: GitDaemon, pin: str) -> Path:  # type: ignore[no-untyped-def]
    return workspace({
        "WORKSPACE.star": f'workspace(default_platform = "jp6", mirrors = {{"{UPSTREAM}": "{daemon.url}"}})\n',
        "pkgs/x/BUILD.star": BUILD.format(upstream=UPSTREAM, pin=pin)})


def test_lock_pins_a_tag_verifies_and_updates(tmp_path: Path, git_base: Path, git_daemon: GitDaemon,
                                             workspace, jcb) -> None:  # type: ignore[no-untyped-def]
    work = tmp_path / "lib"
    c1 = make_repo(work, {"a.c": "1\n"})
    git(work, "tag", "v1")
    c2 = make_repo(work, {"a.c": "2\n"}, date=1_700_000_100)
    publish(work, git_base, "lib.git")
    root = _workspace(workspace, git_daemon, 'tag = "v1"')
    assert json.loads(jcb(root, "plan", "//x:wheel", "--output=json").out)["stages"][0]["sources"][0]["floating"]

    result = jcb(root, "lock", "//x:wheel")
    assert result.code == 0, result.err
    entry = json.loads((root / "jcb.lock").read_text())["sources"]["//x:src"]
    assert entry["commit"] == c1 and entry["tag"] == "v1" and entry["tree"].startswith("sha256:")
    plan = json.loads(jcb(root, "plan", "//x:wheel", "--output=json").out)
    assert not plan["stages"][0]["sources"][0]["floating"]  # the lock pins the tag-only source
    assert "1 already in the cache" in jcb(root, "fetch", "//x:wheel").out

    root = _workspace(workspace, git_daemon, f'commit = "{c2}"')
    result = jcb(root, "lock", "//x:wheel")
    assert result.code == 1
    assert result.err.strip() == (
        f"jcb: error: //x:src: git_repository {UPSTREAM}lib.git (commit {c2}) is declared, but jcb.lock locks "
        f"git_repository {UPSTREAM}lib.git (commit {c1}, tag v1); run 'jcb lock --update //x:src' to accept the "
        "change")
    assert jcb(root, "lock", "--update", "//x:wheel").code == 0
    assert json.loads((root / "jcb.lock").read_text())["sources"]["//x:src"]["commit"] == c2


def test_a_source_that_cannot_be_fetched_is_locked_unverified(git_daemon: GitDaemon, workspace,
                                                               jcb) -> None:  # type: ignore[no-untyped-def]
    git_daemon.stop()
    root = _workspace(workspace, git_daemon, f'commit = "{"a" * 40}"')
    result = jcb(root, "lock", "//x:wheel")
    assert result.code == 0 and "jcb.lock: 1 sources (1 unverified)" in result.out
    entry = json.loads((root / "jcb.lock").read_text())["sources"]["//x:src"]
    assert "tree" not in entry and entry["commit"] == "a" * 40
    assert entry["unverified"].startswith(f"git_repository {UPSTREAM}lib.git (commit {'a' * 40}): ")
    assert "Connection refused" in entry["unverified"]
