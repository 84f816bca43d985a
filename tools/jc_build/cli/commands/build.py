"""``jcb build``: build targets' images and wheels on BuildKit, reusing cached stages."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ..context import Context
from ..options import add_engine_and_caches, add_progress
from ..services import detect_engine, execute, make_executor, make_plans, resolve_targets

if TYPE_CHECKING:
    from ...engine import Engine
    from ...execution import Executor
    from ...plan import Plan

HELP = "build targets (container layers and wheels) on BuildKit"
DESCRIPTION = """\
Build each target's stages on the Docker daemon's BuildKit. A stage whose action key is in the
cache (and whose image still exists) is reused without a solve; independent stages build
concurrently. A failed stage shows its failing step, the end of its log and the log's path.

examples:
  jcb build //examples/hello
  jcb build //attention/flash-attention:wheel --output=dist/
  jcb build sglang:0.4.9 --dry-run
  jcb build //... --keep-going --progress=plain --event-log=events.jsonl
  jcb build //examples/hello --push 127.0.0.1:5000/jetson/hello
  jcb build sglang --remote-cache 127.0.0.1:5000/jetson --remote-cache-readonly
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ...execution import default_jobs
    parser.add_argument("targets", nargs="+", metavar="TARGET", help="labels, patterns or jetson-containers names")
    parser.add_argument("-j", "--jobs", type=int, default=default_jobs(), metavar="N",
                        help="stages built at once (default: %(default)s)")
    parser.add_argument("-k", "--keep-going", action="store_true",
                        help="after a failure, still build every stage that does not depend on it")
    parser.add_argument("--dry-run", action="store_true", help="list what would be built and why; build nothing")
    parser.add_argument("--event-log", type=Path, metavar="FILE", help="write one JSON line per stage to FILE")
    add_progress(parser, "live view on a terminal (rich) or one line per change (plain; default off a tty)")
    add_engine_and_caches(parser)
    parser.add_argument("--output", type=Path, metavar="DIR", help="copy the built wheels of a wheel target to DIR")
    parser.add_argument("--no-batch", action="store_true",
                        help="one BuildKit solve per stage, instead of one solve for the stages that can share one")
    parser.add_argument("--skip-tests", action="store_true", help="do not run the layers' test scripts")
    parser.add_argument("--push", metavar="REPO", help="tag the image of the (single) layer target as REPO and push it")


def push_ref(repo: str, image_name: str) -> str:
    """``REPO`` if it has a tag, else ``REPO:<the image name's tag>``."""
    if ":" in repo.rsplit("/", 1)[-1]:
        return repo
    name = image_name.rsplit("/", 1)[-1]
    return f"{repo}:{name.split(':', 1)[1] if ':' in name else 'latest'}"


def run(ctx: Context) -> int:
    from ...engine import check_can_run
    from ...errors import UsageError
    from ...execution import BuildOptions
    args = ctx.args
    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    labels = resolve_targets(ctx, args.targets)
    kinds = {ctx.graph.target(label).kind for label in labels}
    if args.output and kinds != {"wheel"}:
        raise UsageError("--output copies wheels: give only wheel targets")
    if args.push and (len(labels) != 1 or kinds != {"container_layer"}):
        raise UsageError("--push takes exactly one container_layer target")
    if not args.dry_run:
        check_can_run(ctx.platform.oci_platform)  # before any engine call: no pull of a foreign base
    engine = detect_engine(ctx)
    plans = make_plans(ctx, labels, engine, pull_base=not args.dry_run)
    executor = make_executor(ctx, engine)
    if args.dry_run:
        return _dry_run(ctx, executor, plans)

    options = BuildOptions(jobs=args.jobs, keep_going=args.keep_going, run_tests=not args.skip_tests,
                           progress=args.progress, event_log=args.event_log, batch=not args.no_batch)
    report = execute(ctx, executor, plans, options)
    for plan in plans:
        result = report.runs[plan.root_key].result
        assert result is not None
        if plan.root_stage.kind == "layer":
            ctx.print(f"{plan.root}: image {plan.root_stage.image_name} ({result.image_id})")
            if args.push:
                _push(ctx, engine, result.image_id or "", push_ref(args.push, plan.root_stage.image_name or ""))
        else:
            ctx.print(f"{plan.root}: {', '.join(sorted(result.outputs))}")
            if args.output:
                from ...execution import fetch_wheels
                for path in fetch_wheels(result.outputs, executor.local, args.output):
                    ctx.print(f"  -> {path}")
    return 0


def _dry_run(ctx: Context, executor: Executor, plans: list[Plan]) -> int:
    todo = executor.to_build(plans, ctx.args.jobs)
    for stage, reason in todo:
        ctx.print(f"would build {stage.label} ({stage.kind}, key {stage.short_key}): {reason}")
        for note in stage.notes:
            ctx.print(f"  note: {note}")
    ctx.print(f"{len(todo)} stage(s) to build; everything else is cached")
    if todo:
        expected = executor.estimate(plans, ctx.args.jobs)
        ctx.print(expected.describe())
        ctx.print(f"critical path: {expected.path_text()}")
    return 0


def _push(ctx: Context, engine: Engine, image_id: str, ref: str) -> None:
    engine.tag(image_id, ref)
    engine.push(ref)
    ctx.print(f"pushed {ref}")
