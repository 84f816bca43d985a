"""SIGKILL at each phase of a stage (solve, export, CAS write, entry write; ``JCB_KILL_AT``): no temp
file outlives the next run, which builds correctly, and ``gc --max-size 0`` then leaves an empty cache: a
blob the killed run wrote but no entry references is in its journal, unlocked since it died, so gc removes it."""

from __future__ import annotations

import json
import signal
import subprocess
import uuid
from pathlib import Path

import pytest
from e2e_helpers import FIXTURE, JCB, jcb_env, remove_images

from jc_build.faults import PHASES

pytestmark = pytest.mark.engine


def _leftovers(cache: Path) -> list[str]:
    """Temp files, work dirs and partial logs under the cache."""
    found = [p for p in (cache / "tmp").rglob("*")] if (cache / "tmp").is_dir() else []
    found += list((cache / "logs").glob("*.partial")) if (cache / "logs").is_dir() else []
    return sorted(str(p.relative_to(cache)) for p in found)


@pytest.mark.parametrize("phase", PHASES)
def test_a_kill_at_each_phase_leaves_nothing_behind(phase: str, docker_cli: str, tmp_path: Path) -> None:
    prefix = f"jcb-e2e-{uuid.uuid4().hex[:8]}"
    ws, cache = tmp_path / "ws", tmp_path / "cache"
    (ws / "pkgs/k").mkdir(parents=True)
    (ws / "toolchains").mkdir()
    (ws / "toolchains/BUILD.star").write_text((FIXTURE / "toolchains/BUILD.star").read_text())
    (ws / "WORKSPACE.star").write_text(f'workspace(default_platform = "bookworm", '
                                       f'image_name = "{prefix}/{{package}}:{{version}}")\n')
    (ws / "pkgs/k/BUILD.star").write_text('container_layer(name = "k", version = "1", files = ["f"], '
                                          f'steps = [copy("f", "/f"), run("echo {phase} > /phase")])\n')
    (ws / "pkgs/k/f").write_text(uuid.uuid4().hex)

    def jcb(*argv: str, kill: str = "") -> subprocess.CompletedProcess[str]:
        env = {**jcb_env(cache), **({"JCB_KILL_AT": kill} if kill else {})}
        return subprocess.run([*JCB, *argv], cwd=ws, env=env, capture_output=True, text=True, timeout=300)

    try:
        killed = jcb("build", "//k", "--progress=plain", kill=phase)
        assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
        assert _leftovers(cache), f"the kill at {phase} left nothing to clean up: it did not happen mid-stage"

        again = jcb("build", "//k", "--progress=plain")
        assert again.returncode == 0, again.stderr
        assert _leftovers(cache) == []
        assert again.stdout.strip().endswith(")") and f"{prefix}/k:1" in again.stdout

        remove_images(docker_cli, prefix)  # gc never evicts what a tagged result needs: untag it first
        gc = jcb("cache", "gc", "--max-size", "0")
        assert gc.returncode == 0, gc.stderr
        left = sorted(str(p.relative_to(cache)) for p in cache.rglob("*") if p.is_file())
        # the cache lock, the remembered engine choice and the builds' cache-use records: state, not results
        assert left == ["engine.json", "lock", "stats.jsonl"], left
        stats = json.loads(jcb("cache", "stats", "--output=json").stdout)
        assert (stats["entries"], stats["blobs"], stats["temp"]["files"]) == (0, 0, 0)
    finally:
        remove_images(docker_cli, prefix)
