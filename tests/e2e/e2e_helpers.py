"""The cext workspace copied per test and jcb run on it as a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

from jc_build.execution import StageEvent, read_events

HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "fixtures" / "cext"
JCB = [sys.executable, "-m", "jc_build.cli.main"]  # the jcb command, from this interpreter
TIMEOUT_S = 300


@dataclass
class Workspace:
    """A private copy of the cext fixture, its cache dir and its image name prefix."""

    root: Path
    cache: Path
    prefix: str
    docker: str

    def jcb(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([*JCB, *args], cwd=self.root, env=jcb_env(self.cache),
                              capture_output=True, text=True, timeout=TIMEOUT_S)
        assert "Traceback" not in proc.stderr, proc.stderr
        if check:
            assert proc.returncode == 0, f"jcb {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}"
        return proc

    def build(self, *args: str, check: bool = True) -> tuple[subprocess.CompletedProcess[str], list[StageEvent]]:
        """``jcb build ARGS --event-log=...``: the process and its events."""
        log = self.root / f"events-{uuid.uuid4().hex[:8]}.jsonl"
        proc = self.jcb("build", *args, f"--event-log={log}", "--progress=plain", check=check)
        return proc, read_events(log) if log.exists() else []

    def write(self, rel: str, text: str) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def docker_run(self, image: str, *argv: str) -> str:
        return subprocess.run([self.docker, "run", "--rm", image, *argv], capture_output=True, text=True,
                              check=True, timeout=60).stdout


def jcb_env(cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("JCB_PLATFORM", "JCB_WORKSPACE")}
    return {**env, "JCB_CACHE_DIR": str(cache), "NO_COLOR": "1"}


def by_label(events: list[StageEvent]) -> dict[str, str]:
    return {e.label: e.outcome for e in events}


def copy_fixture(dest: Path, prefix: str) -> Path:
    shutil.copytree(FIXTURE, dest)
    ws = dest / "WORKSPACE.star"
    ws.write_text(ws.read_text().replace('"jcb-e2e/', f'"{prefix}/'))
    return dest


def remove_images(docker: str, prefix: str) -> None:
    """Untag the images a test named with its prefix (locally and for the local registry)."""
    refs = subprocess.run([docker, "images", "--format", "{{.Repository}}:{{.Tag}}"],
                          capture_output=True, text=True).stdout.split()
    mine = [ref for ref in refs if ref.startswith((f"{prefix}/", f"127.0.0.1:5000/{prefix}/"))]
    if mine:
        subprocess.run([docker, "rmi", *mine], capture_output=True)
