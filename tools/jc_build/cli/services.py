"""What several commands do the same way: naming targets, opening caches, detecting the engine,
making plans and executing them. Commands import this module, never one another."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, TextIO

from .context import Context
from .remote_options import open_remote_cache

if TYPE_CHECKING:
    from ..cache import LocalCache
    from ..execution.source_staging import SourceStager
    from ..sources.lock import Lock
    from ..sources.fetcher import FetchEvent
    from ..engine import Engine
    from ..execution import BuildOptions, BuildReport, Executor
    from ..labels import Label
    from ..plan import Plan
    from ..plan.model import StageSource

BUILDABLE = ("container_layer", "wheel")


def resolve_targets(ctx: Context, texts: list[str]) -> list[Label]:
    """Buildable labels named by ``texts`` (aliases followed), left to right; a text starting
    with ``-`` removes what it names (as Bazel's ``-- //... -//llm/...``); wildcards skip other kinds."""
    from ..errors import UsageError
    labels: list[Label] = []
    for text in texts:
        if text.startswith("-"):
            dropped = {ctx.graph.resolve_alias(label) for label in ctx.graph.resolve_pattern(text[1:])}
            labels = [label for label in labels if label not in dropped]
            continue
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
    if not labels:
        raise UsageError(f"'{' '.join(texts)}' leaves no target to build")
    return list(dict.fromkeys(labels))


def layer_label(ctx: Context, text: str) -> Label:
    """The one container_layer ``text`` names (aliases followed)."""
    from ..errors import UsageError
    label = ctx.graph.resolve_alias(ctx.resolve_one(text))
    kind = ctx.graph.target(label).kind
    if kind != "container_layer":
        raise UsageError(f"{label} is a {kind}; only container_layer targets are images")
    return label


def builder_hosts(ctx: Context) -> list[str]:
    """The daemons of ``--builders`` (else $JCB_BUILDERS, else WORKSPACE.star's ``builders``), for
    commands that take it; [] for the default daemon alone."""
    import os

    from ..engine.builders import parse_builders
    from ..errors import UsageError
    if not hasattr(ctx.args, "builders"):
        return []
    given = ctx.args.builders or os.environ.get("JCB_BUILDERS")
    try:
        return parse_builders([given] if given else ctx.workspace.builders)
    except ValueError as exc:
        raise UsageError(f"--builders: {exc}") from None


def detect_engine(ctx: Context) -> Engine:
    """The build engine of ``--builder`` ($JCB_BUILDER, else auto), on the first of the builders; the
    choice is remembered in the cache directory (engine.json) for the next run."""
    from ..engine import detect_engine as detect
    hosts = builder_hosts(ctx)
    return detect(ctx.args.builder, hosts[0] if hosts else "", remember=ctx.cache_dir / "engine.json")


def open_cache(ctx: Context) -> LocalCache:
    from ..cache import LocalCache
    return LocalCache(ctx.cache_dir, on_warning=ctx.warn)


def make_executor(ctx: Context, engine: Engine) -> Executor:
    """An executor over the local cache and, when configured, the remote one; sources are fetched
    into the local cache through the mirrors and checked against jcb.lock. With several builders,
    ``engine`` is the first; builds spread over all of them."""
    from ..engine.builders import open_builders
    from ..errors import UsageError
    from ..execution import Executor
    local = open_cache(ctx)
    remote = open_remote_cache(ctx)
    hosts = builder_hosts(ctx)
    if len(hosts) > 1 and (remote is None or remote.read_only):
        raise UsageError("--builders: several builders exchange results through the remote cache; "
                         "give a writable one (--remote-cache)")
    builders = [engine, *open_builders(ctx.args.builder, hosts[1:])] if len(hosts) > 1 else []
    return Executor(engine, local, remote, source_stager(ctx, local), builders=builders)


def read_lock(ctx: Context) -> Lock:
    """The workspace's jcb.lock (empty when there is none)."""
    from ..sources.lock import LOCK_FILE, Lock
    return Lock.read(ctx.workspace.root / LOCK_FILE)


def source_stager(ctx: Context, local: LocalCache, lock: Lock | None = None) -> SourceStager:
    """Fetches sources into ``local`` through the user's and the workspace's mirrors."""
    from ..execution.source_staging import SourceStager
    from ..sources.fetcher import SourceFetcher
    from ..sources.mirrors import MirrorMap
    mirrors = MirrorMap.of(ctx.config.mirrors, ctx.workspace.mirrors)
    fetcher = SourceFetcher(local, mirrors, local.root / "fetch", on_event=lambda event: _fetch_event(ctx, event))
    return SourceStager(fetcher, read_lock(ctx) if lock is None else lock)


def _fetch_event(ctx: Context, event: FetchEvent) -> None:
    if event.kind == "fetched":
        ctx.err.write(f"jcb: fetched {event.owner} from {event.url}\n")


def locked_commits(lock: Lock) -> dict[str, str]:
    """Source label -> commit, for sources whose BUILD file pins only a tag."""
    from ..sources.spec import GitSource
    return {name: e.source.commit for name, e in lock.sources.items() if isinstance(e.source, GitSource)}


def make_plans(ctx: Context, labels: list[Label], executor: Executor, pull_base: bool = True,
               hermetic: bool = False, build_args: Mapping[str, str] | None = None) -> list[Plan]:
    """The plans of ``labels``, their base image's digest from the executor's engine: an absent base
    image comes from the remote cache, else its registry (unless ``pull_base`` is False: then it is a
    warning and the keys are computed without it); a present one is shared through the remote cache.
    Tag-only sources pinned by jcb.lock, and the base image's ID checked against it (LockError on a
    mismatch); ``hermetic`` plans (wheels compiled, never taken from an index);
    ``build_args`` override declared build arguments (--build-arg)."""
    from ..errors import UsageError
    from ..execution import EngineBaseImages
    from ..plan import make_plan
    for label in labels:  # analysis errors first: they say more than a missing base image
        ctx.graph.check_compatible(label)

    def missing(ref: str) -> None:
        ctx.warn(f"base image {ref} is not present locally; a build pulls it first "
                 "(keys here are computed without its digest)")

    lock = read_lock(ctx)  # pins the base image's ID (checked before any stage runs) and tag-only commits
    base_images = lock.verifying(EngineBaseImages(executor.engine, ctx.platform.name, pull=pull_base,
                                                  on_missing=missing, images=executor.images), ctx.platform.name)
    commits = locked_commits(lock)
    plans = [make_plan(ctx.graph, ctx.workspace, label, base_digests=base_images, locked_commits=commits,
                       hermetic=hermetic, build_args=build_args) for label in labels]
    declared = {name for plan in plans for stage in plan.stages for name in stage.build_args}
    for name in sorted(set(build_args or {}) - declared):
        raise UsageError(f"--build-arg {name}: no stage of {', '.join(map(str, labels))} declares it "
                         f"(build_args of a target; declared: {', '.join(sorted(declared)) or 'none'})")
    return plans


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


def stage_sources(ctx: Context, labels: list[Label]) -> list[StageSource]:
    """Every source the plans of ``labels`` fetch (their deps' too), each label once, plan order;
    no engine is asked (the keys do not matter here)."""
    from ..plan import make_plan
    commits = locked_commits(read_lock(ctx))
    found: dict[str, StageSource] = {}
    for label in labels:
        for stage in make_plan(ctx.graph, ctx.workspace, label, locked_commits=commits).stages:
            for src in stage.sources:
                found.setdefault(src.label, src)
    return list(found.values())
