"""Cold-process query timings: a 1,000-package synthetic workspace and the real sglang stack.

    .venv/bin/python bench/query_bench.py [--runs 5]

Anchor, measured in the same run: a bare Python start (`python -c pass`) and the import of
jcb's CLI, so the figures can be read as "start-up + loading + analysis".
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tempfile
from pathlib import Path

from common import JCB, REPO, report, time_command
from gen_workspace import generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows = {
        "anchor: python -c pass": time_command([sys.executable, "-c", "pass"], args.runs),
        "anchor: import jc_build.cli.main": time_command([sys.executable, "-c", "import jc_build.cli.main"],
                                                          args.runs),
    }
    with tempfile.TemporaryDirectory() as tmp:
        synthetic = Path(tmp) / "ws"
        generate(synthetic, 1000)
        old = time.time() - 60  # files just written are "racy" and not cached; age them
        for path in synthetic.rglob("*"):
            os.utime(path, (old, old))
        cases = [("synthetic 1000 pkgs: jcb query 'deps(//...)'", ["deps(//...)"], synthetic),
                 ("synthetic 1000 pkgs: jcb query deps //g19/p999 (deepest)", ["deps", "//g19/p999"], synthetic)]
        if (REPO / "pkgs" / "llm" / "sglang" / "BUILD.star").exists():
            cases += [("sglang stack: jcb query deps //llm/sglang", ["deps", "//llm/sglang"], REPO),
                      ("sglang stack: jcb query 'deps(//...)'", ["deps(//...)"], REPO)]
        # Cold: every BUILD.star evaluated. Warm: the loading cache of an earlier process is valid.
        for name, query, cwd in cases:
            rows[f"{name} [no loading cache]"] = time_command(
                [*JCB, "query", *query], args.runs, cwd=cwd, env={"JCB_NO_LOAD_CACHE": "1"})
            cache = {"JCB_CACHE_DIR": str(Path(tmp) / "cache")}
            time_command([*JCB, "query", *query], 1, cwd=cwd, env=cache)  # fill it (files are > 2 s old)
            rows[f"{name} [loading cache]"] = time_command([*JCB, "query", *query], args.runs, cwd=cwd, env=cache)
    report("query benchmark", rows, REPO / "bench" / "out" / "query.json")


if __name__ == "__main__":
    main()
