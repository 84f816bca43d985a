"""Disk is bounded: jcb's images count in ``cache stats``, ``gc`` removes old ones (never a
tagged result or what it is built on), ``clean`` removes what jcb built, ``--expunge`` the cache."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_helpers import Workspace, copy_fixture, remove_images

pytestmark = pytest.mark.engine


@pytest.fixture
def disk(docker_cli: str, tmp_path: Path) -> Iterator[Workspace]:
    """Two layers of this test's own (unique content, so no image is shared with other tests)."""
    prefix = f"jcb-e2e-{uuid.uuid4().hex[:8]}"
    ws = Workspace(copy_fixture(tmp_path / "ws", prefix), tmp_path / "cache", prefix, docker_cli)
    ws.write("pkgs/gcbase/BUILD.star", f'container_layer(name = "gcbase", steps = [run("echo {prefix} > /id")])\n')
    ws.write("pkgs/gctop/BUILD.star", 'container_layer(name = "gctop", deps = ["//gcbase"], files = ["v.txt"], '
                                      'steps = [copy("v.txt", "/v.txt")])\n')
    ws.write("pkgs/gctop/v.txt", "1\n")
    yield ws
    remove_images(docker_cli, prefix)


def _stats(ws: Workspace) -> dict[str, int]:
    return json.loads(ws.jcb("cache", "stats", "--output=json").stdout)


def _exists(ws: Workspace, image_id: str) -> bool:
    return subprocess.run([ws.docker, "image", "inspect", image_id], capture_output=True).returncode == 0


def test_gc_removes_an_old_image_and_clean_removes_the_rest(disk: Workspace) -> None:
    first, _ = disk.build("//gctop")
    old = first.stdout.split("(")[-1].rstrip(")\n")
    disk.write("pkgs/gctop/v.txt", "2\n")
    second, _ = disk.build("//gctop")
    new = second.stdout.split("(")[-1].rstrip(")\n")
    assert old != new and _exists(disk, old)  # the rebuild left the old image behind, nameless

    stats = _stats(disk)
    assert stats["images"] == 3 and stats["image_bytes"] > 0  # gcbase, two gctop images
    assert stats["total_bytes"] >= stats["image_bytes"]
    gc = disk.jcb("cache", "gc", "--max-size", "1").stdout
    assert "1 images" in gc, gc
    assert not _exists(disk, old) and _exists(disk, new)  # the tagged result and its base stay
    assert _stats(disk)["images"] == 2
    _, events = disk.build("//gctop")
    assert sum(e.solves for e in events) == 0

    clean = disk.jcb("clean").stdout
    assert clean.startswith("removed 2 images, 2 entries"), clean
    assert not _exists(disk, new) and _stats(disk)["images"] == 0
    _, events = disk.build("//gctop")
    assert sorted(e.outcome for e in events) == ["built", "built"]

    info = disk.jcb("info").stdout
    assert f"cache dir:      {disk.cache}\n" in info
    disk.jcb("clean", "--expunge")
    assert not disk.cache.exists()
    refused = disk.jcb("clean", "--expunge", f"--cache-dir={disk.root}", check=False)
    assert refused.returncode == 2 and "does not look like a jcb cache directory" in refused.stderr
    assert (disk.root / "WORKSPACE.star").exists()
