"""``jcb explain``: why each stage of a target would rebuild."""

from __future__ import annotations

import argparse

from ..context import Context
from ..options import add_engine_and_caches
from ..services import detect_engine, make_executor, make_plans, resolve_targets

HELP = "say which changed input makes each stage of a target rebuild"
DESCRIPTION = """\
For every stage of TARGET that is not in the cache (or whose image is gone), name the inputs
that changed since the result last built or reused for the same target and platform: files,
build args, steps, the base below it, platform values.

examples:
  jcb explain //examples/hello
      //examples/hello:hello: file src/app.py changed (sha256 1234abcd → 5678ef01)
  jcb explain sglang:0.4.9 --platform=jp6-cu128
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", help="a label, pattern or jetson-containers name")
    add_engine_and_caches(parser)


def run(ctx: Context) -> int:
    from ...execution import default_jobs
    labels = resolve_targets(ctx, [ctx.args.target])
    engine = detect_engine(ctx)
    plans = make_plans(ctx, labels, engine, pull_base=False)
    executor = make_executor(ctx, engine)
    explained = executor.explain(plans, default_jobs())
    for stage, lines in explained:
        for line in lines:
            ctx.print(f"{stage.label}: {line}")
    if not explained:
        ctx.print(f"{', '.join(map(str, labels))}: up to date; nothing would rebuild")
    return 0
