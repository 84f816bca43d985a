"""An imported package built end to end on the real engine: its own Dockerfiles, in place, on the demo platform."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from jc_build.execution import read_events

REPO = Path(__file__).resolve().parents[2]
TREE = Path(__file__).resolve().parent / "fixtures" / "tree"
pytestmark = pytest.mark.engine


def run_jcb(ws: Path, cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**{k: v for k, v in os.environ.items() if k != "JCB_PLATFORM"}, "JCB_CACHE_DIR": str(cache),
           "NO_COLOR": "1"}
    proc = subprocess.run([sys.executable, "-m", "jc_build.cli.main", *args], cwd=ws, env=env,
                          capture_output=True, text=True, timeout=600)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture
def docker() -> str:
    if os.environ.get("JCB_SETUP_SKIP_ENGINE") == "1":
        pytest.skip("JCB_SETUP_SKIP_ENGINE=1")
    from jc_build.engine import detect_engine
    return detect_engine().cli


def test_an_imported_chain_builds_runs_its_tests_and_is_cached(tmp_path: Path, docker: str, workspace) -> None:
    prefix = f"jcb-e2e-imp-{uuid.uuid4().hex[:8]}"
    ws = workspace({
        "WORKSPACE.star": f'workspace(default_platform = "demo", image_name = "{prefix}/{{package}}:{{version}}")\n',
        "toolchains/BUILD.star": (REPO / "toolchains" / "BUILD.star").read_text(), "pkgs/.keep": ""})
    cache = tmp_path / "cache"
    run_jcb(ws, cache, "import", str(TREE), "--platforms", "demo")
    log = tmp_path / "events.jsonl"
    try:
        built = run_jcb(ws, cache, "build", "//imported/app/hello-app", "--progress=plain", f"--event-log={log}")
        outcomes = {e.label: e.outcome for e in read_events(log)}
        assert outcomes == {"//imported/base/hello-base:hello-base": "built",
                            "//imported/base/greeter:1.0": "built",
                            "//imported/app/hello-app:hello-app": "built"}
        assert "test passed: test.sh" in built.stderr
        image = run_jcb(ws, cache, "tag", "//imported/app/hello-app").stdout.strip()
        ran = subprocess.run([docker, "run", "--rm", image, "cat", "/hello-app.txt"], capture_output=True,
                             text=True, check=True, timeout=120)
        assert ran.stdout.strip() == "hello from greeter 1.0"
        again_log = tmp_path / "again.jsonl"
        run_jcb(ws, cache, "build", "//imported/app/hello-app", "--progress=plain", f"--event-log={again_log}")
        assert {e.outcome for e in read_events(again_log)} == {"cached"}
    finally:
        refs = subprocess.run([docker, "images", "--format", "{{.Repository}}:{{.Tag}}"], capture_output=True,
                              text=True).stdout.split()
        mine = [ref for ref in refs if ref.startswith(f"{prefix}/")]
        if mine:
            subprocess.run([docker, "rmi", *mine], capture_output=True)
