"""Shared helpers for benchmark scripts: timing whole commands and writing results."""

from __future__ import annotations

import io
import json
import os
import platform
import pstats
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
JCB = [sys.executable, "-m", "jc_build.cli.main"]

# $JCB_BENCH_TREE: run jcb from a frozen copy of the tree instead of the live one (other people
# commit while a long benchmark runs), e.g.
#   mkdir /tmp/jcb-snap && git archive HEAD tools | tar -x -C /tmp/jcb-snap && git rev-parse HEAD > /tmp/jcb-snap/COMMIT
# Every jcb process the benchmarks start imports jc_build from $JCB_BENCH_TREE/tools then.
BENCH_TREE = os.environ.get("JCB_BENCH_TREE")
if BENCH_TREE:
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(BENCH_TREE) / "tools"),
                                                              os.environ.get("PYTHONPATH")]))


def jcb_source() -> str:
    """Which jcb the numbers are of: the tree and its commit."""
    if BENCH_TREE:
        commit_file = Path(BENCH_TREE) / "COMMIT"
        commit = commit_file.read_text().strip()[:10] if commit_file.is_file() else "unknown commit"
        return f"jcb from {BENCH_TREE}/tools (a copy of commit {commit})"
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short=10", "HEAD"], capture_output=True,
                            text=True, check=False).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "tools"], capture_output=True,
                           text=True, check=False).stdout.strip()
    return f"jcb from {REPO}/tools at commit {commit}{' with uncommitted changes in tools/' if dirty else ''}"


Case = tuple[Sequence[str], Path | None, dict[str, str] | None]  # argv, cwd, extra environment


def time_command(argv: Sequence[str], runs: int = 5, cwd: Path | None = None,
                 env: dict[str, str] | None = None) -> dict[str, float]:
    """Wall time of a fresh process, ``runs`` times after one warm-up: median, min, max (seconds).

    Bytecode caching is on, as in an installed jcb (this machine's default environment sets
    PYTHONDONTWRITEBYTECODE=1, which would make every run recompile every module).
    """
    return time_interleaved({"": (argv, cwd, env)}, runs)[""]


def time_interleaved(cases: dict[str, Case], runs: int = 5) -> dict[str, dict[str, float]]:
    """``time_command`` for several commands at once: a warm-up of each, then ``runs`` rounds that
    run every command once, so a change of the machine's load falls on all of them alike."""
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for run in range(runs + 1):
        for name, (argv, cwd, env) in cases.items():
            environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
            environment.update(env or {})
            start = time.perf_counter()
            subprocess.run(list(argv), cwd=cwd, env=environment, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            if run:
                samples[name].append(time.perf_counter() - start)
    return {name: {"median": statistics.median(s), "min": min(s), "max": max(s), "runs": runs}
            for name, s in samples.items() if s}


def commit_of(root: Path, marker: str, length: int) -> str:
    """The commit a checkout or a copy is of: the ``marker`` file a copy was given, else git's."""
    if (root / marker).is_file():
        return (root / marker).read_text().strip()[:length]
    run = subprocess.run(["git", "-C", str(root), "rev-parse", f"--short={length}", "HEAD"], capture_output=True,
                         text=True, check=False)
    return run.stdout.strip() or "unknown"


def machine() -> str:
    """One line describing the machine the numbers come from."""
    cpu = ""
    try:
        models = [line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")]
        cpu = f" ({models[0]})" if models else ""
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.0f} GiB RAM"
    except (OSError, ValueError):
        memory = ""
    return (f"{platform.machine()}{cpu}, {os.cpu_count()} cores{memory}, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


class Table:
    """Timed rows, each printed (flushed) as soon as it is measured, so a long run shows its
    progress and a run stopped half-way still shows what it measured; with ``out``, the raw
    numbers so far are rewritten as JSON after every row."""

    def __init__(self, name: str, out: Path | None = None) -> None:
        self.rows: dict[str, dict[str, float]] = {}
        self.out = out
        print(f"# {name} on {machine()}; {jcb_source()}", flush=True)

    def add(self, label: str, row: dict[str, float]) -> None:
        self.rows[label] = row
        print(f"{label:60s} median {row['median']:.3f}s  (min {row['min']:.3f}, max {row['max']:.3f}, "
              f"n={row['runs']})", flush=True)
        if self.out:
            self.out.parent.mkdir(parents=True, exist_ok=True)
            self.out.write_text(json.dumps({"machine": machine(), "jcb": jcb_source(), "rows": self.rows},
                                           indent=2))


def profile_jcb(argv: Sequence[str], phases: Sequence[tuple[str, str, str]], cwd: Path,
                env: dict[str, str] | None = None, title: str = "", top: int = 12) -> str:
    """Run ``jcb ARGV`` once under cProfile and say where its time goes.

    ``phases`` are (name, "cum" or "own", key): the cumulative or own time of the function whose
    pstats name without its line number (``file(function)``, ``{builtin}``) ends with ``key`` (the
    largest if several match), or for a key ending in ``.py`` the sum of that module's functions'.
    """
    out = Path(tempfile.mkstemp(suffix=".prof")[1])
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    environment.update(env or {})
    subprocess.run([sys.executable, "-m", "cProfile", "-o", str(out), *JCB[1:], *argv], cwd=cwd, env=environment,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    buffer = io.StringIO()
    stats = pstats.Stats(str(out), stream=buffer)
    out.unlink()
    total = max(row[3] for row in stats.stats.values())
    lines = [f"cProfile of {title or 'jcb ' + ' '.join(argv)}: {total:.3f}s under the profiler"]
    for phase, kind, key in phases:
        index = 3 if kind == "cum" else 2
        if key.endswith(".py"):
            value = sum(row[index] for func, row in stats.stats.items() if func[0].endswith(key))
        else:
            value = max((row[index] for func, row in stats.stats.items()
                         if re.sub(r":\d+\(", "(", pstats.func_std_string(func)).endswith(key)), default=0.0)
        lines.append(f"  {phase:62s} {value:.3f}s  ({value / total:5.1%})")
    stats.sort_stats("tottime").print_stats(top)
    rows = [line for line in buffer.getvalue().splitlines() if line.strip()][-(top + 1):]
    lines.append("  top functions by own time:")
    lines += [f"    {line.replace(str(REPO) + '/tools/', '')}" for line in rows]
    return "\n".join(lines)
