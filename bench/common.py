"""Shared helpers for benchmark scripts: timing whole commands and writing results."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
JCB = [sys.executable, "-m", "jc_build.cli.main"]


def time_command(argv: Sequence[str], runs: int = 5, cwd: Path | None = None,
                 env: dict[str, str] | None = None) -> dict[str, float]:
    """Wall time of a fresh process, ``runs`` times after one warm-up: median, min, max (seconds).

    Bytecode caching is on, as in an installed jcb (this machine's default environment sets
    PYTHONDONTWRITEBYTECODE=1, which would make every run recompile every module).
    """
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    environment.update(env or {})
    samples = []
    for run in range(runs + 1):
        start = time.perf_counter()
        subprocess.run(list(argv), cwd=cwd, env=environment, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if run:
            samples.append(time.perf_counter() - start)
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples), "runs": runs}


def machine() -> str:
    """One line describing the machine the numbers come from."""
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def report(name: str, rows: dict[str, dict[str, float]], out: Path | None = None) -> None:
    """Print a table and, with ``out``, write the raw numbers as JSON."""
    print(f"# {name} on {machine()}")
    for label, row in rows.items():
        print(f"{label:60s} median {row['median']:.3f}s  (min {row['min']:.3f}, max {row['max']:.3f}, "
              f"n={row['runs']})")
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"machine": machine(), "rows": rows}, indent=2))
