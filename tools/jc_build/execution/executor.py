"""Builds, dry runs and explanations of one or more plans on an engine with a local cache,
optionally in front of a remote one."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, cast

from ..cache import CacheBackend, LocalCache, TieredCache
from ..cache.scratch import sweep
from ..engine import BatchEngine, Engine
from ..model import Platform
from ..plan import Plan, Stage
from .estimate import Estimate, Expected, estimate
from .events import EventLog, StageEvent, Summary
from .explain import LastUsed, explain_stage
from .progress import NullProgress, Progress, make_progress
from .remote import RemoteImages
from .options import SecretSource, SkipTests
from .stats import cache_use
from .stats import record as record_use
from .uploads import PendingUploads
from .scheduler import Scheduler, lookup_all, needed_stages
from .source_staging import SourceStager
from .stage_runner import Asked, StageRun, StageRunner, failing_output

if TYPE_CHECKING:
    from ..cache.registry import RegistryCache
    from .batch_runner import BatchRunner

LOG_TAIL_LINES = 15


@dataclass(frozen=True)
class BuildOptions:
    jobs: int
    keep_going: bool = False
    skip_tests: SkipTests = SkipTests()
    progress: str = "auto"  # one of progress.MODES
    event_log: Path | None = None
    secrets: Mapping[str, SecretSource] = field(default_factory=dict)
    no_cache: bool = False
    batch: bool = True  # the stages to build in as few solves as possible (an engine with solve_batch)


@dataclass
class BuildReport:
    runs: dict[str, StageRun]
    events: list[StageEvent]
    summary: Summary
    failed: list[StageRun] = field(default_factory=list)
    estimate: Estimate | None = None  # made before the build started the stages it built


def merged_stages(plans: Sequence[Plan]) -> list[Stage]:
    """The stages of several plans, each key once, deps before dependants."""
    stages: dict[str, Stage] = {}
    for plan in plans:
        for stage in plan.stages:
            stages.setdefault(stage.key, stage)
    return list(stages.values())


def plans_platform(plans: Sequence[Plan]) -> Platform:
    """The one platform of ``plans`` (every plan of one build is made for the same platform)."""
    platforms = {plan.platform for plan in plans}
    if len(platforms) != 1:
        raise ValueError(f"plans of one build need one platform, got {sorted(p.name for p in platforms)}")
    return next(iter(platforms))


class Executor:
    """Runs plans on ``engine`` for the platform they were made for, with results in ``local`` and,
    if given, ``remote`` (read-through, write-through unless it is read-only; layer images pushed
    and pulled too)."""

    def __init__(self, engine: Engine, local: LocalCache, remote: RegistryCache | None = None,
                 sources: SourceStager | None = None, builders: Sequence[Engine] = ()):
        self.engine = engine
        self.builders = list(builders)  # more daemons to spread builds over (``engine`` is one of them)
        self.sources = sources
        self.local = local
        self.remote = remote
        self.cache: CacheBackend = local if remote is None else TieredCache(local, remote, on_warning=remote.warn)
        self.images = None if remote is None else RemoteImages(remote)

    def runner(self, plans: Sequence[Plan], progress: Progress, asked: Asked | None = None,
               engine: Engine | None = None) -> StageRunner:
        return StageRunner(engine or self.engine, self.cache, self.local.root, plans_platform(plans), progress,
                           asked=asked, remote=self.images, sources=self.sources)

    def _scheduler(self, plans: Sequence[Plan], asked: Asked, options: BuildOptions, events: EventLog,
                   progress: Progress) -> Scheduler:
        home = self.runner(plans, progress, asked)
        builders = [home if e is self.engine else self.runner(plans, progress, asked, e)
                    for e in self.builders]
        for runner in builders:
            runner.where = runner.engine.host or "default"
        warn = self.remote.warn if self.remote is not None else (lambda message: None)
        return Scheduler(home, events, progress, jobs=options.jobs, keep_going=options.keep_going,
                         builders=builders, warn=warn, batcher=self._batcher(home, options),
                         estimator=lambda todo: estimate(todo, self.expected, options.jobs))

    def build(self, plans: Sequence[Plan], options: BuildOptions, stream: TextIO) -> BuildReport:
        """Build every plan's root; progress goes to ``stream``. Gc waits until the build ends."""
        started = time.monotonic()
        sweep(self.local.root / "tmp", self.local.root / "logs")  # what killed builds left behind
        events = EventLog(options.event_log)
        progress = make_progress(options.progress, stream)
        try:
            with self.cache.session():
                asked = Asked(options.secrets, options.skip_tests, frozenset(p.root_key for p in plans),
                              options.no_cache)
                scheduler = self._scheduler(plans, asked, options, events, progress)
                runs = scheduler.run(merged_stages(plans), [p.root_key for p in plans])
                self._bring_roots_home(plans, runs, scheduler.runner)
        finally:
            progress.close()
            events.close()
        self._tag_roots(plans, runs)
        self._upload_missed(runs)
        failed = [r for r in runs.values() if r.outcome == "failed"]
        summary = Summary.of(events.events, time.monotonic() - started)
        record_use(self.local.root, cache_use(summary, runs.values(), *self.bytes_moved()))
        return BuildReport(runs, events.events, summary, failed, scheduler.estimate)

    def bytes_moved(self) -> tuple[int, int]:
        """Bytes down from and up to the remote cache so far: its blobs and entries, and images."""
        if self.remote is None or self.images is None:
            return 0, 0
        return (self.remote.http.bytes_in + self.images.bytes_pulled,
                self.remote.http.bytes_out + self.images.bytes_pushed)

    def pending_uploads(self) -> PendingUploads | None:
        if self.remote is None or self.images is None or self.remote.read_only:
            return None
        return PendingUploads(self.local, self.remote, self.images)

    def _upload_missed(self, runs: dict[str, StageRun]) -> None:
        """If the registry went down, record what was built; upload what is pending if it answers now."""
        pending = self.pending_uploads()
        if pending is None or self.remote is None:
            return
        if not self.remote.reachable:
            pending.record(k for k, r in runs.items() if r.outcome == "built")
            if not self.remote.revive():
                if left := len(pending.keys()):
                    self.remote.warn(f"remote cache: {left} result(s) are not in it yet; `jcb cache push` uploads them")
                return
        keys = pending.keys()
        if keys:
            uploaded, _ = pending.upload(self.engine, keys)
            if uploaded:
                self.remote.warn(f"remote cache: uploaded {uploaded} result(s) built while it was down")

    def _bring_roots_home(self, plans: Sequence[Plan], runs: dict[str, StageRun], home: StageRunner) -> None:
        """The roots' images on ``engine`` (the first builder), wherever they were built."""
        for plan in plans:
            run = runs.get(plan.root_key)
            if self.builders and run and run.result and run.result.image_id and run.stage.kind == "layer":
                home.bring_image(run.stage, run.result)
                self.engine.tag(run.result.image_id, plan.root_stage.image_name or run.stage.image_name or "")

    def _batcher(self, runner: StageRunner, options: BuildOptions) -> BatchRunner | None:
        """Batches when asked for, on one builder whose engine can build several stages in one
        session, and not for ``--no-cache`` (each stage then solves on its own)."""
        if not options.batch or options.no_cache or self.builders or not hasattr(self.engine, "solve_batch"):
            return None
        from .batch_runner import BatchRunner  # a no-op build needs none
        return BatchRunner(runner, cast(BatchEngine, self.engine), slots=options.jobs,
                           expected_s=lambda stage: self.expected(stage).seconds)

    def expected(self, stage: Stage) -> Expected:
        """The duration recorded for the stage's key, else for the key last built for its target."""
        result = self.local.get_action(stage.key)
        if result is not None and result.duration_s > 0:
            return Expected(result.duration_s, "the same key")
        last = LastUsed(self.local.root / "last").get(str(stage.label), stage.platform)
        earlier = self.local.get_action(last) if last and last != stage.key else None
        if earlier is not None and earlier.duration_s > 0:
            return Expected(earlier.duration_s, "an earlier key of the target")
        return Expected(0.0, "no record")

    def estimate(self, plans: Sequence[Plan], jobs: int) -> Estimate:
        """The expected wall time of building ``plans`` now, and its critical path; no solve."""
        return estimate([stage for stage, _ in self.to_build(plans, jobs)], self.expected, jobs)

    def _tag_roots(self, plans: Sequence[Plan], runs: dict[str, StageRun]) -> None:
        """A root shared with another plan may have run under that plan's name for it."""
        for plan in plans:
            run = runs.get(plan.root_key)
            name = plan.root_stage.image_name
            if run and run.result and run.result.image_id and name and run.stage.image_name != name:
                self.engine.tag(run.result.image_id, name)

    def to_build(self, plans: Sequence[Plan], jobs: int) -> list[tuple[Stage, str]]:
        """The stages a build would run, each with why (cache miss, image gone); no solve."""
        stages = merged_stages(plans)
        lookups = lookup_all(stages, self.runner(plans, NullProgress()), jobs)
        needed = needed_stages(stages, [p.root_key for p in plans], lookups)
        return [(s, lookups[s.key].reason) for s in stages if s.key in needed and lookups[s.key].result is None]

    def explain(self, plans: Sequence[Plan], jobs: int) -> list[tuple[Stage, list[str]]]:
        """For each stage that would rebuild, the inputs that changed since its last result."""
        runner = self.runner(plans, NullProgress())
        labels = {s.key: str(s.label) for s in merged_stages(plans)}
        return [(stage, explain_stage(stage, reason, runner.last_used, self.cache.get_action, labels.get))
                for stage, reason in self.to_build(plans, jobs)]


def failure_report(run: StageRun) -> str:
    """What a person needs about a failed stage, each once: label, failing command (or the
    error), what the command printed last, the log's path."""
    stage = run.stage
    lines = [f"FAILED {stage.label} ({stage.kind} on {stage.platform}, key {stage.short_key})"]
    if run.step:
        lines.append(f"  failing command: {run.step}")
    else:
        lines.extend("  " + line for line in run.error.splitlines())
    output = failing_output(run.tail)[-LOG_TAIL_LINES:]
    if output:
        lines.append("  its last output:" if run.step else "  last log lines:")
        lines.extend("    " + line for line in output)
    if run.log_path:
        lines.append(f"  full log: {run.log_path}")
    return "\n".join(lines)
