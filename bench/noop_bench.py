"""No-op build benchmark: several jcb trees and the jetson-containers way, in one run, alternating.

    .venv/bin/python bench/noop_bench.py [--tree NAME=DIR[:PYTHON]]... [--rounds 7] [--work 20] [--no-jc-way]

Each tree (default: this checkout, ``this``) is a directory holding a jcb ``tools/`` (a frozen
copy of another commit, see BENCHMARKS.md "Reproducing"), run with ``PYTHON`` (default: this
venv's). Every tree gets its own copy of bench/gen_build_workspace.py's 35-stage workspace (its own
nonce, image names and --cache-dir) and one cold build, untimed. The jetson-containers way's tree
(25 legacy ``docker build``s, bench/build_bench.py) is built once too, as the anchor.

Then, untimed: each tree's docker CLI calls in a no-op are counted through a logging wrapper
first on PATH (twice, the second counted: a jcb that remembers its engine per PATH re-probes
once), and one warm-up round. Then ``--rounds`` timed rounds, each running ``python -c pass``,
every tree's no-op ``jcb build //llm/sglang`` and the jetson-containers way's no-op, the order
rotated each round so load drifts spread over all. Solves come from each no-op's --event-log.
At the end it removes the images it made: those its trees' action caches name and the
jetson-containers way's (by their names), nothing else on the shared daemon.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from build_bench import TARGET, docker_env, jc_build
from common import REPO, commit_of, machine
from gen_build_workspace import ensure_base_image, generate_jc, generate_jcb

PREFIX_JC = "jcbnoop-jc"  # the jetson-containers way's images are named under it
WRAPPER = '#!/bin/sh\necho "$*" >> "{log}"\nexec "{docker}" "$@"\n'


@dataclass
class Tree:
    """One jcb to measure: its tools/, its Python and its workspace."""

    name: str
    root: Path
    python: str
    workspace: Path = Path()
    cache: Path = Path()

    def commit(self) -> str:
        return commit_of(self.root, "COMMIT", 10)

    def build(self, events: Path, path: str | None = None) -> tuple[float, int, int]:
        """One `jcb build`: wall seconds, stages built, solves."""
        env = {**docker_env(), "JCB_CACHE_DIR": str(self.cache), "NO_COLOR": "1",
               "PYTHONPATH": str(self.root / "tools"), **({"PATH": path} if path else {})}
        start = time.perf_counter()
        proc = subprocess.run([self.python, "-m", "jc_build.cli.main", "build", TARGET, f"--event-log={events}",
                               "--progress=plain"], cwd=self.workspace, env=env, capture_output=True, text=True,
                              check=False)
        wall = time.perf_counter() - start
        if proc.returncode:
            raise SystemExit(f"{self.name}: jcb build failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
        records = [json.loads(line) for line in events.read_text().splitlines() if line.strip()]
        return wall, sum(r["outcome"] == "built" for r in records), sum(r.get("solves", 0) for r in records)


def parse_tree(spec: str) -> Tree:
    name, _, rest = spec.partition("=")
    directory, _, python = rest.partition(":")
    return Tree(name, Path(directory).resolve(), python or sys.executable)


def docker_calls(tree: Tree, scratch: Path) -> list[str]:
    """The docker CLI calls of one no-op (the second of two with the wrapper first on PATH)."""
    bindir, log = scratch / "bin", scratch / f"docker-{tree.name}.log"
    bindir.mkdir(exist_ok=True)
    real = shutil.which("docker")
    (bindir / "docker").write_text(WRAPPER.format(log=log, docker=real))
    (bindir / "docker").chmod(0o755)
    path = f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"
    tree.build(scratch / "count.jsonl", path)
    log.unlink(missing_ok=True)
    tree.build(scratch / "count.jsonl", path)
    return log.read_text().splitlines() if log.exists() else []


def timed_round(trees: list[Tree], jc_tree: Path | None, base: str, scratch: Path, rotate: int,
                rows: dict[str, list[float]], solves: dict[str, list[int]]) -> None:
    """One no-op of everything, in an order rotated by ``rotate``."""
    jobs: list[tuple[str, object]] = [("anchor: python -c pass", None), *((t.name, t) for t in trees)]
    if jc_tree is not None:
        jobs.append(("anchor: jetson-containers way no-op", jc_tree))
    jobs = jobs[rotate % len(jobs):] + jobs[:rotate % len(jobs)]
    for name, job in jobs:
        if job is None:
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", "pass"], check=True, env=docker_env())
            rows.setdefault(name, []).append(time.perf_counter() - start)
        elif isinstance(job, Tree):
            wall, built, solved = job.build(scratch / "noop.jsonl")
            if built:
                raise SystemExit(f"{job.name}: a no-op built {built} stages")
            rows.setdefault(name, []).append(wall)
            solves.setdefault(name, []).append(solved)
        else:
            measure = jc_build(job, f"{PREFIX_JC}-{scratch.name}", base, scratch / "jc.log")
            rows.setdefault(name, []).append(measure.wall_s)


def summary(trees: list[Tree], rows: dict[str, list[float]], solves: dict[str, list[int]],
            calls: dict[str, list[str]]) -> list[str]:
    first = trees[0].name
    lines = [f"{'no-op of':40s} {'median':>8s} {'min':>7s} {'max':>7s} {'n':>3s}  vs {first:>8s}  solves  docker calls"]
    for name, samples in rows.items():
        median = statistics.median(samples)
        ratio = f"{median / statistics.median(rows[first]):7.2f}x" if name in calls else " " * 8
        extra = f"  {sorted(set(solves.get(name, [])))!s:6s}  {len(calls[name])}" if name in calls else ""
        lines.append(f"{name:40s} {median:8.3f} {min(samples):7.3f} {max(samples):7.3f} {len(samples):3d}  "
                     f"{ratio}{extra}")
    jc = rows.get("anchor: jetson-containers way no-op")
    if jc:
        lines += [f"jetson-containers way / {t.name}: {statistics.median(jc) / statistics.median(rows[t.name]):.2f}x"
                  for t in trees]
    return lines


def remove_images(trees: list[Tree], scratch: Path) -> int:
    """Remove the images of the trees' cached stages and the jetson-containers way's; how many."""
    ids = set()
    for tree in trees:
        for entry in (tree.cache / "ac").rglob("*.json") if tree.cache.is_dir() else ():
            try:
                result = json.loads(entry.read_text()).get("result", {})
            except (OSError, ValueError):
                continue
            if result.get("image_id"):
                ids.add(result["image_id"])
    listed = subprocess.run(["docker", "images", "-q", "--filter", f"reference={PREFIX_JC}-{scratch.name}/*"],
                            capture_output=True, text=True, check=False).stdout.split()
    ids.update(listed)
    if ids:
        subprocess.run(["docker", "rmi", "--force", *sorted(ids)], capture_output=True, check=False)
    return len(ids)


def prepare(trees: list[Tree], base: str, scratch: Path, work: int) -> list[str]:
    """Workspaces and cold builds (untimed); what each cold build did."""
    notes = []
    for tree in trees:
        tree.workspace, tree.cache = scratch / tree.name / "ws", scratch / tree.name / "cache"
        prefix = re.sub(r"[^a-z0-9._-]+", "-", f"jcbnoop-{tree.name}-{scratch.name}".lower())
        generate_jcb(tree.workspace, base, prefix, uuid.uuid4().hex, work)
        wall, built, solved = tree.build(scratch / "cold.jsonl")
        notes.append(f"{tree.name}: jcb at {tree.commit()} ({tree.root}, {tree.python}); cold build "
                     f"{wall:.1f}s, {built} stages, {solved} solves")
        print(notes[-1], flush=True)
    return notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tree", action="append", default=[], metavar="NAME=DIR[:PYTHON]")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--work", type=int, default=20, help="functions in each wheel's C file (cold builds only)")
    parser.add_argument("--no-jc-way", action="store_true", help="leave out the jetson-containers way's anchor")
    args = parser.parse_args()
    trees = [parse_tree(spec) for spec in args.tree] or [Tree("this", REPO, sys.executable)]
    base = ensure_base_image()
    scratch = Path(tempfile.gettempdir()) / f"jcbnoop-{uuid.uuid4().hex[:8]}"  # its name is in image names
    scratch.mkdir()
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}; scratch {scratch}", flush=True)
    try:
        notes = prepare(trees, base, scratch, args.work)
        jc_tree = None
        if not args.no_jc_way:
            jc_tree = scratch / "jc"
            generate_jc(jc_tree, uuid.uuid4().hex, args.work)
            jc_build(jc_tree, f"{PREFIX_JC}-{scratch.name}", base, scratch / "jc.log")
        calls = {tree.name: docker_calls(tree, scratch) for tree in trees}
        for name, lines in calls.items():
            print(f"{name}: {len(lines)} docker calls in a no-op: " + "; ".join(c[:60] for c in lines), flush=True)
        rows: dict[str, list[float]] = {}
        solves: dict[str, list[int]] = {}
        timed_round(trees, jc_tree, base, scratch, 0, {}, {})  # warm-up (a re-probe after the wrapper's PATH)
        loads = [os.getloadavg()[0]]
        for i in range(args.rounds):
            timed_round(trees, jc_tree, base, scratch, i, rows, solves)
            loads.append(os.getloadavg()[0])
            print(f"round {i + 1}/{args.rounds} done, load average {loads[-1]:.1f}", flush=True)
        lines = summary(trees, rows, solves, calls)
        lines.append(f"load average (1 min) during the timed rounds: {min(loads):.1f} to {max(loads):.1f}")
        print("\n".join(lines))
        out = REPO / "bench" / "out" / "noop.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"machine": machine(), "notes": notes, "summary": lines, "rows": rows,
                                   "solves": solves, "docker_calls": calls}, indent=2))
    finally:
        print(f"removed {remove_images(trees, scratch)} images this run made", flush=True)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
