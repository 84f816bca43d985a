"""What several commands do the same way: naming targets, opening caches, detecting the engine,
making plans and executing them. Commands import this module, never one another."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .context import Context

if TYPE_CHECKING:
    from ..cache import LocalCache, RegistryCache
    from ..engine import Engine
    from ..execution import BuildOptions, BuildReport, Executor
    from ..labels import Label
    from ..plan import Plan

BUILDABLE = ("container_layer", "wheel")


def resolve_targets(ctx: Context, texts: list[str]) -> list[Label]:
    """Buildable labels named by ``texts`` (aliases followed); wildcards skip other kinds."""
    from ..errors import UsageError
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
    from ..errors import UsageError
    label = ctx.graph.resolve_alias(ctx.resolve_one(text))
    kind = ctx.graph.target(label).kind
    if kind != "container_layer":
        raise UsageError(f"{label} is a {kind}; only container_layer targets are images")
    return label


def detect_engine(ctx: Context) -> Engine:
    """The build engine of ``--builder`` ($JCB_BUILDER, else auto)."""
    from ..dirs import default_cache_dir
    from ..engine import detect_engine as detect
    cache_dir = getattr(ctx.args, "cache_dir", None) or default_cache_dir()
    return detect(ctx.args.builder, remember=Path(cache_dir) / "engine.json")


def open_cache(ctx: Context) -> LocalCache:
    from ..cache import LocalCache
    return LocalCache(ctx.args.cache_dir, on_warning=ctx.warn)


def open_remote_cache(ctx: Context) -> RegistryCache | None:
    """The remote cache named by --remote-cache, $JCB_REMOTE_CACHE or WORKSPACE.star; None if off."""
    from ..cache import RegistryCache
    args = ctx.args
    location = "" if args.no_remote_cache else (
        args.remote_cache or os.environ.get("JCB_REMOTE_CACHE") or ctx.workspace.remote_cache)
    return RegistryCache(location, read_only=args.remote_cache_readonly, on_warning=ctx.warn) if location else None


def make_executor(ctx: Context, engine: Engine) -> Executor:
    """An executor over the local cache and, when configured, the remote one."""
    from ..execution import Executor
    return Executor(engine, open_cache(ctx), open_remote_cache(ctx))


def make_plans(ctx: Context, labels: list[Label], engine: Engine, pull_base: bool = True) -> list[Plan]:
    """The plans of ``labels``, their base image's digest from ``engine`` (pulled unless ``pull_base``
    is False: then a missing base image is a warning and the keys are computed without it)."""
    from ..execution import EngineBaseImages
    from ..plan import make_plan
    for label in labels:  # analysis errors first: they say more than a missing base image
        ctx.graph.check_compatible(label)

    def missing(ref: str) -> None:
        ctx.warn(f"base image {ref} is not present locally; a build pulls it first "
                 "(keys here are computed without its digest)")

    base_images = EngineBaseImages(engine, ctx.platform.name, pull=pull_base, on_missing=missing)
    return [make_plan(ctx.graph, ctx.workspace, label, base_digests=base_images) for label in labels]


def execute(ctx: Context, executor: Executor, plans: list[Plan], options: BuildOptions,
            summary_to: TextIO | None = None) -> BuildReport:
    """Build ``plans``; print notes, failures and the summary; BuildError when a stage failed."""
    from ..errors import BuildError
    from ..execution import failure_report
    report = executor.build(plans, options, ctx.err)
    for stage_run in report.runs.values():
        if stage_run.outcome not in ("cached", "pulled"):
            for note in stage_run.stage.notes:
                ctx.warn(f"{stage_run.stage.label}: {note}")
    for failed in report.failed:
        ctx.err.write(failure_report(failed) + "\n")
    (summary_to or ctx.out).write(f"jcb: {report.summary}\n")
    if report.estimate is not None and report.summary.counts["built"]:
        from ..execution import comparison
        if line := comparison(report.estimate.seconds, report.summary.wall_s):
            (summary_to or ctx.out).write(f"jcb: {line}; critical path: {report.estimate.path_text()}\n")
    if report.failed:
        names = ", ".join(str(r.stage.label) for r in report.failed)
        raise BuildError(f"{len(report.failed)} stage{'s' if len(report.failed) > 1 else ''} failed: {names}")
    return report


def image_for(ctx: Context, text: str, *, registry: str = "", build: bool = True,
              progress: str = "auto") -> str:
    """A local image of the layer ``text`` names, pulled or built if needed."""
    from ..errors import BuildError
    from ..execution import BuildOptions, default_jobs
    label = layer_label(ctx, text)
    engine = detect_engine(ctx)
    (plan,) = make_plans(ctx, [label], engine)
    name = plan.root_stage.image_name or ""
    executor = make_executor(ctx, engine)
    if not executor.to_build([plan], default_jobs()) and engine.image_exists(name):
        return name
    if registry and _pulled(engine, plan, f"{registry.rstrip('/')}/{name}"):
        return name
    if not build:
        raise BuildError(f"no image of {label} for platform '{ctx.platform.name}' is present or pulled "
                         f"({name}); build it with `jcb build {label} --platform={ctx.platform.name}`")
    execute(ctx, executor, [plan], BuildOptions(jobs=default_jobs(), progress=progress), summary_to=ctx.err)
    return name


def _pulled(engine: Engine, plan: Plan, ref: str) -> bool:
    """Pull ``ref`` and tag it with the plan's image name; False when the registry has no such image."""
    if not engine.pull(ref):
        return False
    image_id = engine.image_id(ref)
    if image_id:
        engine.tag(image_id, plan.root_stage.image_name or "")
    return bool(image_id)
