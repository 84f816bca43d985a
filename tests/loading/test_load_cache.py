"""The loading cache: reused across processes, never stale."""

from __future__ import annotations

import os
import time
from pathlib import Path


def _age(root: Path) -> None:
    """Make every file look older than the racy window, as files are between edits."""
    old = time.time() - 60
    for path in root.rglob("*"):
        os.utime(path, (old, old))


def test_reuses_and_invalidates(workspace, jcb) -> None:
    root = workspace({
        "pkgs/defs/m.star": 'def layer(name, deps = []):\n    container_layer(name = name, deps = deps)\n',
        "pkgs/a/BUILD.star": 'load("//defs:m.star", "layer")\nlayer("a", deps = ["//b"])\n',
        "pkgs/b/BUILD.star": 'container_layer(name = "b")\n',
    })
    _age(root)
    assert jcb(root, "query", "deps(//a)").out == "//a:a\n//b:b\n"
    caches = list(Path(os.environ["JCB_CACHE_DIR"], "loading").glob("*.pickle"))
    assert len(caches) == 1
    # An edit of a loaded .star file is seen, even with the same size and an old mtime.
    (root / "pkgs/defs/m.star").write_text(
        'def layer(name, deps = []):\n    container_layer(name = name, deps = [])\n')
    assert jcb(root, "query", "deps(//a)").out == "//a:a\n"
    # A package file that disappears after it was checked is seen too.
    (root / "pkgs/b/f.txt").write_text("x")
    (root / "pkgs/b/BUILD.star").write_text('container_layer(name = "b", files = ["f.txt"])\n')
    _age(root)
    assert jcb(root, "query", "deps(//b)").code == 0
    (root / "pkgs/b/f.txt").unlink()
    result = jcb(root, "query", "deps(//b)")
    assert result.code == 1
    assert "no file 'f.txt' in pkgs/b" in result.err


def test_corrupt_cache_is_a_cold_start(workspace, jcb) -> None:
    root = workspace({"pkgs/b/BUILD.star": 'container_layer(name = "b")\n'})
    _age(root)
    assert jcb(root, "query", "//b").code == 0
    for cache in Path(os.environ["JCB_CACHE_DIR"], "loading").glob("*.pickle"):
        cache.write_bytes(b"not a pickle")
    assert jcb(root, "query", "//b").out == "//b:b\n"
