"""Cold-process query and docs timings, with jetson-containers measured in the same run.

    .venv/bin/python bench/query_bench.py [--runs 5] [--jc-docs-runs 3] [--no-jc] [--profile]

jcb rows: a 1,000-package synthetic workspace (bench/gen_workspace.py) and the real sglang stack
(`jcb query deps //llm/sglang`, `jcb query 'deps(//...)'`, `jcb docs //llm/sglang --stdout`), each
without and with the loading cache (a valid cache left by an earlier process).

Anchors, measured in the same run: a bare Python start (`python -c pass`), the import of jcb's
CLI, and jetson-containers itself (bench/jc_anchor.py: resolving sglang's chain, regenerating
the sglang docs page), unless --no-jc or no jetson-containers checkout is found (then the run
says why and keeps the Python anchors only). --profile runs the cold 1,000-package query once
under cProfile and prints where its time goes.

Each row is printed when it has been measured (and bench/out/query.json rewritten), so a run
that is stopped keeps what it measured. jetson-containers' docs runs dominate the run time (about
40 s each on an idle machine, minutes each on a loaded one); --jc-docs-runs 0 leaves them out.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import JCB, REPO, Table, profile_jcb, time_command, time_interleaved
from gen_workspace import generate
from jc_anchor import Anchor

SYNTH_ALL = "synthetic 1000 pkgs: jcb query 'deps(//...)'"
SGLANG_DEPS = "sglang stack: jcb query deps //llm/sglang"
SGLANG_DOCS = "sglang stack: jcb docs //llm/sglang --stdout"
JC_RESOLVE = "jetson-containers: resolve sglang, network refused, no retries"
JC_DOCS = "jetson-containers: docs package 'sglang:*', canned network replies"
TARGETS = [(SYNTH_ALL, 0.5), (SGLANG_DEPS, 0.15)]

# cProfile phases: (name, what: "cum"ulative or "own" time, of a function or, for a module, the sum
# of its functions' own times)
PHASES = [
    ("imports (after interpreter start)", "cum", "<frozen importlib._bootstrap>(_find_and_load)"),
    ("loading: BUILD.star files, all of it", "cum", "loading/packages.py(load_package)"),
    ("  starlark-pyo3 eval, with what it calls back", "cum", "{eval}"),
    ("  starlark-pyo3 eval, own (native) time", "own", "{eval}"),
    ("  rule callbacks (schema checks, labels, locations)", "cum", "loading/packages.py(rule)"),
    ("  value conversion: json.loads of starlark values", "cum", "json/__init__.py(loads)"),
    ("analysis: platform compatibility of every target", "cum", "analysis/graph.py(is_compatible)"),
    ("analysis: dependency closures (graph traversal)", "cum", "query/evaluator.py(closures)"),
    ("output (own time of query/output.py)", "own", "query/output.py"),
]


def profile_cold(workspace: Path, query: list[str]) -> str:
    """Profile one cold `jcb query` (no loading cache) and summarise it."""
    return profile_jcb(["query", *query], PHASES, workspace, {"JCB_NO_LOAD_CACHE": "1"},
                       f"cold `jcb query {' '.join(query)}` (1,000 packages, no loading cache)")


def ratio_lines(rows: dict[str, dict[str, float]]) -> list[str]:
    def median(name: str) -> float | None:
        row = rows.get(name)
        return row["median"] if row else None

    lines = []
    pairs = [(JC_RESOLVE, SGLANG_DEPS), (JC_DOCS, SGLANG_DOCS), (JC_RESOLVE, SYNTH_ALL)]
    for anchor, ours in pairs:
        for which in ("", "before: "):
            for cache in ("[no loading cache]", "[loading cache]"):
                a, b = median(anchor), median(f"{which}{ours} {cache}")
                if a and b:
                    lines.append(f"{anchor} / {which}{ours} {cache}: {a / b:.1f}x")
    for name in [n.removeprefix("before: ") for n in rows if n.startswith("before: ")]:
        lines.append(f"this jcb / the one before, {name}: {median(name) / median('before: ' + name):.2f}x")
    start = median("anchor: python -c pass")
    for ours, bound in TARGETS:
        for cache in ("[no loading cache]", "[loading cache]"):
            b = median(f"{ours} {cache}")
            if b:
                verdict = "met" if b < bound else "NOT met"
                extra = f", {b / start:.1f}x a bare python start" if start else ""
                lines.append(f"target {ours} {cache} < {bound}s: {b:.3f}s {verdict}{extra}")
    return lines


def chain_notes(anchor: Anchor) -> list[str]:
    """Where jetson-containers is, and whether its sglang chain is jcb's `--order=build` listing."""
    jc_chain = anchor.chain("refused")
    run = subprocess.run([*JCB, "query", "deps", "//llm/sglang", "--order=build", "--output=name"], cwd=REPO,
                         capture_output=True, text=True, check=True)
    ours = run.stdout.split()
    same = [n.split(":")[0] for n in jc_chain] == [n.split(":")[0] for n in ours]
    return [f"jetson-containers {anchor.commit()} at {anchor.root} under {anchor.python}",
            f"sglang chain: jetson-containers {len(jc_chain)} packages, jcb {len(ours)}; "
            f"same packages in the same order (ignoring tags): {same}"]


def jcb_rows(table: Table, runs: int, profile: bool, before: Path | None) -> list[str]:
    """Time every jcb case cold (no loading cache) and warm; the sglang cases interleaved with the
    same command of the jcb at ``before`` (a copy of an earlier commit: its tools/ and pkgs/) if
    given; the profile's summary if asked."""
    with tempfile.TemporaryDirectory() as tmp:
        synthetic = Path(tmp) / "ws"
        generate(synthetic, 1000)
        old = time.time() - 60  # files just written are "racy" and not cached; age them
        for path in synthetic.rglob("*"):
            os.utime(path, (old, old))
        cases = [(SYNTH_ALL, ["query", "deps(//...)"], synthetic),
                 ("synthetic 1000 pkgs: jcb query deps //g19/p999 (deepest)", ["query", "deps", "//g19/p999"],
                  synthetic)]
        if (REPO / "pkgs" / "llm" / "sglang" / "BUILD.star").exists():
            cases += [(SGLANG_DEPS, ["query", "deps", "//llm/sglang"], REPO),
                      ("sglang stack: jcb query 'deps(//...)'", ["query", "deps(//...)"], REPO),
                      (SGLANG_DOCS, ["docs", "//llm/sglang", "--stdout"], REPO)]
        # Cold: every BUILD.star evaluated. Warm: the loading cache of an earlier process is valid.
        for name, argv, cwd in cases:
            for cache in ("no loading cache", "loading cache"):
                env = {"JCB_NO_LOAD_CACHE": "1"} if cache == "no loading cache" else \
                    {"JCB_CACHE_DIR": str(Path(tmp) / "cache")}
                timed = {f"{name} [{cache}]": ([*JCB, *argv], cwd, env)}
                if before is not None and cwd == REPO:
                    timed[f"before: {name} [{cache}]"] = (
                        [sys.executable, "-m", "jc_build.cli.main", *argv], before,
                        {**env, "PYTHONPATH": str(before / "tools"), "JCB_CACHE_DIR": str(Path(tmp) / "cache-before")})
                if cache == "loading cache":
                    time_interleaved(timed, 0)  # fill the caches (files are > 2 s old)
                for label, row in time_interleaved(timed, runs).items():
                    table.add(label, row)
        return [profile_cold(synthetic, ["deps(//...)"])] if profile else []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--jc-docs-runs", type=int, default=3,
                        help="runs of jetson-containers' docs generation (about 40 s each on an idle machine; "
                             "0 skips it)")
    parser.add_argument("--no-jc", action="store_true", help="skip the jetson-containers anchors")
    parser.add_argument("--profile", action="store_true", help="profile one cold 1,000-package query")
    parser.add_argument("--before", type=Path, metavar="DIR",
                        help="also time the sglang cases with the jcb and pkgs/ of DIR (a copy of an earlier "
                             "commit), interleaved with this one's")
    args = parser.parse_args()
    table = Table("query and docs benchmark", REPO / "bench" / "out" / "query.json")
    table.add("anchor: python -c pass", time_command([sys.executable, "-c", "pass"], args.runs))
    table.add("anchor: import jc_build.cli.main", time_command([sys.executable, "-c", "import jc_build.cli.main"],
                                                               args.runs))
    anchor = None if args.no_jc else Anchor()
    problem = "--no-jc" if args.no_jc else anchor.problem()
    notes = [f"jetson-containers anchors skipped: {problem}"] if problem else chain_notes(anchor)
    print("\n".join(notes), flush=True)
    notes += jcb_rows(table, args.runs, args.profile, args.before)
    if not problem:
        for name, argv in anchor.cases():
            runs = args.jc_docs_runs if "docs" in name else args.runs
            if runs > 0:
                table.add(name, time_command(argv, runs, cwd=anchor.cwd, env=anchor.env))
    for line in ratio_lines(table.rows) + notes:
        print(line)


if __name__ == "__main__":
    main()
