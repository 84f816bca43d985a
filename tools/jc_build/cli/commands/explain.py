"""``jcb explain``: why each stage of a target would rebuild."""

from __future__ import annotations

import argparse

from ..context import Context
from .build import (
    add_builder,
    add_cache_dir,
    add_remote_cache,
    make_plans,
    open_cache,
    open_remote_cache,
    resolve_targets,
)

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
    add_builder(parser)
    add_cache_dir(parser)
    add_remote_cache(parser)


def run(ctx: Context) -> int:
    from ...engine import detect_engine
    from ...execution import Executor, default_jobs
    labels = resolve_targets(ctx, [ctx.args.target])
    engine = detect_engine(ctx.args.builder)
    plans = make_plans(ctx, labels, engine, pull_base=False)
    executor = Executor(engine, open_cache(ctx), ctx.platform, open_remote_cache(ctx))
    explained = executor.explain(plans, default_jobs())
    for stage, lines in explained:
        for line in lines:
            ctx.print(f"{stage.label}: {line}")
    if not explained:
        ctx.print(f"{', '.join(map(str, labels))}: up to date; nothing would rebuild")
    return 0
