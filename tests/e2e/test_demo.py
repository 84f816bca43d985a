"""The README's main job, end to end on the real engine: build, autotag and run //examples/hello."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO = "demo-arm64" if platform.machine() in ("aarch64", "arm64") else "demo"
GREET = "import jcb_hello; print(jcb_hello.greet('e2e'))"

pytestmark = pytest.mark.engine


def jcb(cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JCB_CACHE_DIR": str(cache), "NO_COLOR": "1"}
    env.pop("JCB_PLATFORM", None)
    command, *rest = args
    proc = subprocess.run([sys.executable, "-m", "jc_build.cli.main", command, f"--platform={DEMO}", *rest], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=600)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, proc.stderr
    return proc


def test_build_autotag_and_run_the_demo(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    built = jcb(cache, "build", "//examples/hello", "--progress=plain")
    image = jcb(cache, "tag", "//examples/hello").stdout.strip()
    assert f"image {image}" in built.stdout
    # The layer's test script ran in the built image (it prints the greeting and the CUDA archs).
    assert "test passed: test_hello.py: hello, Jetson, from a compiled jcb wheel | CUDA archs: 87" in built.stderr
    # autotag finds the image without building anything: its stdout is only the name.
    tagged = jcb(cache, "autotag", "//examples/hello")
    assert tagged.stdout == f"{image}\n"
    assert "built" not in tagged.stderr
    ran = jcb(cache, "run", "//examples/hello", "--data", str(tmp_path / "data"), "--", "python3", "-c", GREET)
    assert ran.stdout.strip() == "hello, e2e, from a compiled jcb wheel"
    assert (tmp_path / "data").is_dir()
