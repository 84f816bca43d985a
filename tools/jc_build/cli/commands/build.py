"""``jcb build``: build targets' images and wheels on BuildKit, reusing cached stages."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ..context import Context

if TYPE_CHECKING:
    from ...cache import LocalCache, RegistryCache
    from ...engine import Engine
    from ...execution import BuildOptions, BuildReport, Executor
    from ...loading.labels import Label
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
BUILDABLE = ("container_layer", "wheel")


def add_cache_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cache-dir", metavar="DIR", type=Path,
                        help="the local cache (default: $JCB_CACHE_DIR, else $XDG_CACHE_HOME/jcb or ~/.cache/jcb)")


def add_builder(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--builder", choices=("auto", "buildx", "docker"),
                        help="buildx plugin, or DOCKER_BUILDKIT=1 docker build (default: $JCB_BUILDER or auto)")


def add_remote_cache(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--remote-cache", metavar="REGISTRY[/PATH]",
                       help="share results and layer images through this OCI registry "
                            "(default: $JCB_REMOTE_CACHE, else WORKSPACE.star's remote_cache)")
    group.add_argument("--no-remote-cache", action="store_true", help="use only the local cache")
    parser.add_argument("--remote-cache-readonly", action="store_true",
                        help="read from the remote cache but store nothing in it (e.g. untrusted CI jobs)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ...execution import default_jobs
    parser.add_argument("targets", nargs="+", metavar="TARGET", help="labels, patterns or jetson-containers names")
    parser.add_argument("-j", "--jobs", type=int, default=default_jobs(), metavar="N",
                        help="stages built at once (default: %(default)s)")
    parser.add_argument("-k", "--keep-going", action="store_true",
                        help="after a failure, still build every stage that does not depend on it")
    parser.add_argument("--dry-run", action="store_true", help="list what would be built and why; build nothing")
    parser.add_argument("--event-log", type=Path, metavar="FILE", help="write one JSON line per stage to FILE")
    parser.add_argument("--progress", choices=("auto", "plain", "rich"), default="auto",
                        help="live view on a terminal (rich) or one line per change (plain; default off a tty)")
    add_builder(parser)
    add_cache_dir(parser)
    add_remote_cache(parser)
    parser.add_argument("--output", type=Path, metavar="DIR", help="copy the built wheels of a wheel target to DIR")
    parser.add_argument("--no-batch", action="store_true",
                        help="one BuildKit solve per stage, instead of one solve for the stages that can share one")
    parser.add_argument("--skip-tests", action="store_true", help="do not run the layers' test scripts")
    parser.add_argument("--push", metavar="REPO", help="tag the image of the (single) layer target as REPO and push it")


def resolve_targets(ctx: Context, texts: list[str]) -> list[Label]:
    """Buildable labels named by ``texts`` (aliases followed); wildcards skip other kinds."""
    from ...errors import UsageError
    labels: list[Label] = []
    for text in texts:
        found = ctx.graph.resolve_pattern(text)
        buildable = []
        for label in found:
            resolved = ctx.graph.resolve_alias(label)
            kind = ctx.graph.target(resolved).kind
            if kind in BUILDABLE:
                buildable.append(resolved)
            elif len(found) == 1:
                raise UsageError(f"{label} is a {kind}; jcb builds container_layer and wheel targets")
        if not buildable:
            raise UsageError(f"'{text}' names no container_layer or wheel target")
        labels.extend(buildable)
    return list(dict.fromkeys(labels))


def layer_label(ctx: Context, text: str) -> Label:
    """The one container_layer ``text`` names (aliases followed)."""
    from ...errors import UsageError
    label = ctx.graph.resolve_alias(ctx.resolve_one(text))
    kind = ctx.graph.target(label).kind
    if kind != "container_layer":
        raise UsageError(f"{label} is a {kind}; only container_layer targets are images")
    return label


def open_cache(ctx: Context) -> LocalCache:
    from ...cache import LocalCache
    return LocalCache(ctx.args.cache_dir, on_warning=ctx.warn)


def open_remote_cache(ctx: Context) -> RegistryCache | None:
    """The remote cache named by --remote-cache, $JCB_REMOTE_CACHE or WORKSPACE.star; None if off."""
    from ...cache import RegistryCache
    args = ctx.args
    location = "" if args.no_remote_cache else (
        args.remote_cache or os.environ.get("JCB_REMOTE_CACHE") or ctx.workspace.remote_cache)
    return RegistryCache(location, read_only=args.remote_cache_readonly, on_warning=ctx.warn) if location else None


def make_plans(ctx: Context, labels: list[Label], engine: Engine, pull_base: bool = True) -> list[Plan]:
    from ...execution import base_digests
    from ...plan import make_plan
    for label in labels:  # analysis errors first: they say more than a missing base image
        ctx.graph.check_compatible(label)
    digests = base_digests(engine, ctx.platform, pull=pull_base)
    if not digests:
        ctx.warn(f"base image {ctx.platform.base_image} is not present locally; a build pulls it first "
                 "(keys here are computed without its digest)")
    return [make_plan(ctx.graph, ctx.workspace, label, base_digests=digests) for label in labels]


def push_ref(repo: str, image_name: str) -> str:
    """``REPO`` if it has a tag, else ``REPO:<the image name's tag>``."""
    if ":" in repo.rsplit("/", 1)[-1]:
        return repo
    name = image_name.rsplit("/", 1)[-1]
    return f"{repo}:{name.split(':', 1)[1] if ':' in name else 'latest'}"


def run(ctx: Context) -> int:
    from ...engine import detect_engine
    from ...errors import UsageError
    from ...execution import BuildOptions, Executor
    args = ctx.args
    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    labels = resolve_targets(ctx, args.targets)
    kinds = {ctx.graph.target(label).kind for label in labels}
    if args.output and kinds != {"wheel"}:
        raise UsageError("--output copies wheels: give only wheel targets")
    if args.push and (len(labels) != 1 or kinds != {"container_layer"}):
        raise UsageError("--push takes exactly one container_layer target")
    engine = detect_engine(args.builder)
    cache = open_cache(ctx)
    plans = make_plans(ctx, labels, engine, pull_base=not args.dry_run)
    executor = Executor(engine, cache, ctx.platform, open_remote_cache(ctx))
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
                for path in fetch_wheels(result.outputs, cache, args.output):
                    ctx.print(f"  -> {path}")
    return 0


def execute(ctx: Context, executor: Executor, plans: list[Plan], options: BuildOptions,
            summary_to: TextIO | None = None) -> BuildReport:
    """Build ``plans``; print notes, failures and the summary; BuildError when a stage failed."""
    from ...errors import BuildError
    from ...execution import failure_report
    report = executor.build(plans, options, ctx.err)
    for stage_run in report.runs.values():
        if stage_run.outcome not in ("cached", "pulled"):
            for note in stage_run.stage.notes:
                ctx.warn(f"{stage_run.stage.label}: {note}")
    for failed in report.failed:
        ctx.err.write(failure_report(failed) + "\n")
    (summary_to or ctx.out).write(f"jcb: {report.summary}\n")
    if report.estimate is not None and report.summary.counts["built"]:
        from ...execution import comparison
        if line := comparison(report.estimate.seconds, report.summary.wall_s):
            (summary_to or ctx.out).write(f"jcb: {line}; critical path: {report.estimate.path_text()}\n")
    if report.failed:
        names = ", ".join(str(r.stage.label) for r in report.failed)
        raise BuildError(f"{len(report.failed)} stage{'s' if len(report.failed) > 1 else ''} failed: {names}")
    return report


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
