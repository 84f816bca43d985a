"""A build whose cache filesystem fills up stops with one line naming the path and the space, leaves
the cache consistent (no temp files, no entry), and the next build with room succeeds."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest
from e2e_helpers import FIXTURE, JCB, jcb_env, remove_images

from jc_build.execution import read_events

pytestmark = [pytest.mark.engine,
              pytest.mark.skipif(os.geteuid() != 0, reason="mounts a small tmpfs as the cache directory")]


@pytest.fixture
def small_cache(tmp_path: Path):
    cache = tmp_path / "cache"
    cache.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k,mode=755", "tmpfs", str(cache)], check=True)
    yield cache
    subprocess.run(["umount", str(cache)], check=True)


def test_a_full_cache_filesystem(docker_cli: str, small_cache: Path, tmp_path: Path) -> None:
    prefix = f"jcb-e2e-{uuid.uuid4().hex[:8]}"
    ws = tmp_path / "ws"
    (ws / "pkgs/big").mkdir(parents=True)
    (ws / "toolchains").mkdir()
    (ws / "toolchains/BUILD.star").write_text((FIXTURE / "toolchains/BUILD.star").read_text())
    (ws / "WORKSPACE.star").write_text(f'workspace(default_platform = "bookworm", image_name = "{prefix}/{{package}}:{{version}}")\n')
    (ws / "pkgs/big/BUILD.star").write_text('container_layer(name = "big", version = "1", files = ["blob.bin"], '
                                            'steps = [copy("blob.bin", "/blob.bin")])\n')
    blob = ws / "pkgs/big/blob.bin"
    blob.write_bytes(os.urandom(2 << 20))
    log = tmp_path / "events.jsonl"

    def build() -> subprocess.CompletedProcess[str]:
        return subprocess.run([*JCB, "build", "//big", "--progress=plain", f"--event-log={log}"], cwd=ws,
                              env=jcb_env(small_cache), capture_output=True, text=True, timeout=300)

    try:
        proc = build()
        assert proc.returncode == 1, proc.stderr
        errors = [line for line in proc.stderr.splitlines() if line.startswith("jcb: error:")]
        assert len(errors) == 1 and "Traceback" not in proc.stderr, proc.stderr
        assert errors[0].startswith(f"jcb: error: {blob} -> {small_cache}/tmp/work-"), errors[0]
        assert "/context/blob.bin: No space left on device (copying 2048 KiB; " in errors[0]
        assert errors[0].endswith(" KiB on that filesystem; free some, or give jcb another --cache-dir)")
        assert [(e.label, e.outcome) for e in read_events(log)] == [("//big:big", "cancelled")]
        assert not list((small_cache / "tmp").iterdir())
        stats = json.loads(subprocess.run([*JCB, "cache", "stats", "--output=json"], cwd=ws, env=jcb_env(small_cache),
                                          capture_output=True, text=True, check=True).stdout)
        assert (stats["entries"], stats["blobs"], stats["temp"]["files"]) == (0, 0, 0)

        blob.write_bytes(os.urandom(1000))  # now it fits
        proc = build()
        assert proc.returncode == 0, proc.stderr
        assert [(e.label, e.outcome) for e in read_events(log)][-1] == ("//big:big", "built")
    finally:
        remove_images(docker_cli, prefix)
