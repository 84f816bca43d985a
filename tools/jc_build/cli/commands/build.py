"""``jcb build``: build targets' images and wheels on BuildKit, reusing cached stages."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ..context import Context
from ..options import add_builders, add_engine_and_caches, add_progress, check_paths
from ..services import detect_engine, execute, make_executor, make_plans, resolve_targets

if TYPE_CHECKING:
    from ...engine import Engine
    from ...execution import Executor
    from ...execution.stage_runner import StageRun
    from ...plan import Plan

HELP = "build targets (container layers and wheels) on BuildKit"
DESCRIPTION = """\
Build each target's stages on the Docker daemon's BuildKit. A stage whose action key is in the
cache (and whose image still exists) is reused without a solve; independent stages build
concurrently. A failed stage shows its failing command once, what it printed last and the log's
path. After `--`, a pattern starting with `-` removes what it names, as in Bazel.

examples:
  jcb build //examples/hello
  jcb build //attention/flash-attention:wheel --output=dist/
  jcb build sglang:0.4.9 --dry-run
  jcb build //... --keep-going --progress=plain --event-log=events.jsonl
  jcb build -- //... -//llm/...               everything but what is under pkgs/llm
  jcb build //examples/hello --push 127.0.0.1:5000/jetson/hello
  jcb build //attention/flash-attention:wheel --hermetic
  jcb build sglang --remote-cache 127.0.0.1:5000/jetson --remote-cache-readonly
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ...execution import default_jobs
    parser.add_argument("targets", nargs="+", metavar="TARGET", help="labels, patterns or jetson-containers names")
    parser.add_argument("-j", "--jobs", type=int, metavar="N",
                        help=f"stages built at once (default: jobs in ~/.config/jcb/config.yaml, else {default_jobs()})")
    parser.add_argument("-k", "--keep-going", action="store_true",
                        help="after a failure, still build every stage that does not depend on it")
    parser.add_argument("--dry-run", action="store_true", help="list what would be built and why; build nothing")
    parser.add_argument("--check", action="store_true",
                        help="after the build, rebuild each target's stage without the cache and report whether "
                             "its output equals the cached one, or the first file that differs")
    parser.add_argument("--hermetic", action="store_true",
                        help="compile wheels from their pinned sources (no index lookup) and refuse to build a "
                             "stage that needs the network or has a source pinned by tag only")
    parser.add_argument("--event-log", type=Path, metavar="FILE", help="write one JSON line per stage to FILE")
    add_progress(parser)
    add_engine_and_caches(parser)
    add_builders(parser)
    parser.add_argument("--output", type=Path, metavar="DIR", help="copy the built wheels of a wheel target to DIR")
    parser.add_argument("--no-batch", action="store_true",
                        help="one BuildKit solve per stage, instead of one solve for the stages that can share one")
    parser.add_argument("--skip-tests", nargs="?", const="all", metavar="all|intermediate|NAMES",
                        help="skip the layers' test scripts: all (the default without a value), intermediate "
                             "(all but the requested targets'), or comma-separated package names")
    parser.add_argument("--secret", action="append", default=[], metavar="id=NAME,src=PATH|env=VAR",
                        help="a secret for the steps that declare it (run(..., secrets = [NAME])); "
                             "never in a layer, a key or a log (repeatable)")
    parser.add_argument("--build-arg", action="append", default=[], metavar="NAME=VALUE",
                        help="override a build argument the targets declare (build_args); part of the keys (repeatable)")
    parser.add_argument("--no-cache", action="store_true",
                        help="build every stage again, BuildKit's own cache unused (results are still stored)")
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
    from ...execution import BuildOptions, default_jobs
    from ...execution.options import SkipTests, parse_secret
    args = ctx.args
    from ...execution import default_jobs
    if args.jobs is None:
        args.jobs = ctx.config.jobs or default_jobs()
    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    check_paths(args)
    labels = resolve_targets(ctx, args.targets)
    kinds = {ctx.graph.target(label).kind for label in labels}
    if args.output and kinds != {"wheel"}:
        raise UsageError("--output copies wheels: give only wheel targets")
    if args.push and (len(labels) != 1 or kinds != {"container_layer"}):
        raise UsageError("--push takes exactly one container_layer target")
    if not args.dry_run:
        check_can_run(ctx.platform.oci_platform)  # before any engine call: no pull of a foreign base
    engine = detect_engine(ctx)
    executor = make_executor(ctx, engine)
    plans = make_plans(ctx, labels, executor, pull_base=not args.dry_run, hermetic=args.hermetic,
                       build_args=_build_args(args.build_arg))
    if args.hermetic:
        _refuse_network(executor, plans, args.jobs)
    if args.dry_run:
        return _dry_run(ctx, executor, plans)

    options = BuildOptions(jobs=args.jobs, keep_going=args.keep_going, skip_tests=SkipTests.parse(args.skip_tests),
                           progress=args.progress, event_log=args.event_log, no_cache=args.no_cache,
                           secrets={secret.id: secret for secret in map(parse_secret, args.secret)},
                           batch=not args.no_batch)
    report = execute(ctx, executor, plans, options)
    if args.check:
        return _check(ctx, executor, plans, report.runs)
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


def _check(ctx: Context, executor: Executor, plans: list[Plan], runs: dict[str, StageRun]) -> int:
    from ...execution.repro_check import check_plans
    checks = check_plans(executor, plans, runs)
    for check in checks:
        ctx.print(f"check: {check}")
    good = sum(c.verdict == "reproducible" for c in checks)
    ctx.print(f"jcb: {good} of {len(checks)} stages reproducible")
    return 0 if good == len(checks) else 1


def _refuse_network(executor: Executor, plans: list[Plan], jobs: int) -> None:
    """BuildError listing the stages to build that need the network or float (cached ones are fine)."""
    from ...errors import BuildError
    bad = []
    for stage, _ in executor.to_build(plans, jobs):
        why = [f"network={stage.network} for {', '.join(stage.network_steps) or 'its steps'}"] \
            if stage.network != "none" else []
        why += [f"source {s.label} is pinned by tag only (run `jcb lock`)" for s in stage.sources if s.floating]
        if why:
            bad.append(f"  {stage.label} ({stage.kind}, key {stage.short_key}): {'; '.join(why)}")
    if bad:
        raise BuildError(f"--hermetic: {len(bad)} stage(s) to build are not hermetic:\n" + "\n".join(bad))


def _build_args(specs: list[str]) -> dict[str, str]:
    """``NAME=VALUE`` pairs of --build-arg."""
    from ...errors import UsageError
    pairs = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        if not sep or not name:
            raise UsageError(f"--build-arg takes NAME=VALUE, got '{spec}'")
        pairs[name] = value
    return pairs


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
