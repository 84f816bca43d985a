"""``jcb run`` is a real ``docker run``: a terminal when one is attached, options forwarded."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from terminal import on_a_terminal
from test_demo import DEMO, REPO, jcb

pytestmark = pytest.mark.engine


def _env(cache: Path) -> dict[str, str]:
    env = {**os.environ, "JCB_CACHE_DIR": str(cache), "NO_COLOR": "1"}
    env.pop("JCB_PLATFORM", None)
    return env


def test_run_gives_a_terminal_and_forwards_options(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    jcb(cache, "build", "//examples/hello", "--progress=plain")
    name = f"jcb-run-tty-{uuid.uuid4().hex[:8]}"
    argv = [sys.executable, "-m", "jc_build.cli.main", "run", "//examples/hello", f"--platform={DEMO}",
            "-e", "JCB_E2E=forwarded", "--name", name, "--", "sh"]
    typed = b'test -t 0 && echo "stdin is a $(echo tty)"; echo "env $JCB_E2E"; echo "name $(hostname)"; exit 3\n'
    code, seen = on_a_terminal(argv, REPO, _env(cache), b"# ", typed)
    assert code == 3, seen
    assert "stdin is a tty" in seen and "env forwarded" in seen, seen
    command = next(line for line in seen.splitlines() if line.startswith("jcb: ") and " run " in line)
    assert " -it " in command and f"--name {name}" in command and "--shm-size=8g" in command, command
    assert "--network host" in command and ":/data" in command, command


def test_run_without_a_terminal_keeps_stdin_open(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    jcb(cache, "build", "//examples/hello", "--progress=plain")
    proc = subprocess.run([sys.executable, "-m", "jc_build.cli.main", "run", "//examples/hello",
                           f"--platform={DEMO}", "--network", "none", "--", "sh", "-c", "cat; test -t 0 || echo no-tty"],
                          input="piped in\n", cwd=REPO, env=_env(cache), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "piped in\nno-tty\n"
    command = proc.stderr.strip().splitlines()[-1]
    assert " -i " in command and " -it " not in command and "--network none" in command
    assert "--network host" not in command
