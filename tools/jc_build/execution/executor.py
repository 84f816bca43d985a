"""Builds, dry runs and explanations of one or more plans on an engine with a local cache,
optionally in front of a remote one."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO, cast

from ..cache import CacheBackend, LocalCache, RegistryCache, TieredCache
from ..engine import BatchEngine, Engine
from ..model import Platform
from ..plan import Plan, Stage
from .batch_runner import BatchRunner
from .estimate import Estimate, Expected, estimate
from .events import EventLog, StageEvent, Summary
from .explain import LastUsed, explain_stage
from .progress import NullProgress, Progress, make_progress
from .remote import RemoteImages
from .scheduler import Scheduler, lookup_all, needed_stages
from .stage_runner import StageRun, StageRunner

LOG_TAIL_LINES = 15


@dataclass(frozen=True)
class BuildOptions:
    jobs: int
    keep_going: bool = False
    run_tests: bool = True
    progress: str = "auto"  # auto | plain | rich
    event_log: Path | None = None
    batch: bool = True  # the stages to build in as few solves as possible (an engine with bake)


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

    def __init__(self, engine: Engine, local: LocalCache, remote: RegistryCache | None = None):
        self.engine = engine
        self.local = local
        self.cache: CacheBackend = local if remote is None else TieredCache(local, remote, on_warning=remote.warn)
        self.images = None if remote is None else RemoteImages(remote)

    def runner(self, plans: Sequence[Plan], progress: Progress, run_tests: bool = True) -> StageRunner:
        return StageRunner(self.engine, self.cache, self.local.root, plans_platform(plans), progress,
                           run_tests=run_tests, remote=self.images)

    def build(self, plans: Sequence[Plan], options: BuildOptions, stream: TextIO) -> BuildReport:
        """Build every plan's root; progress goes to ``stream``. Gc waits until the build ends."""
        started = time.monotonic()
        events = EventLog(options.event_log)
        progress = make_progress(options.progress, stream)
        try:
            with self.cache.session():
                runner = self.runner(plans, progress, options.run_tests)
                scheduler = Scheduler(runner, events, progress, jobs=options.jobs, keep_going=options.keep_going,
                                      batcher=self._batcher(runner, options),
                                      estimator=lambda todo: estimate(todo, self.expected, options.jobs))
                runs = scheduler.run(merged_stages(plans), [p.root_key for p in plans])
        finally:
            progress.close()
            events.close()
        self._tag_roots(plans, runs)
        failed = [r for r in runs.values() if r.outcome == "failed"]
        return BuildReport(runs, events.events, Summary.of(events.events, time.monotonic() - started), failed,
                           scheduler.estimate)

    def _batcher(self, runner: StageRunner, options: BuildOptions) -> BatchRunner | None:
        """Batches when asked for and the engine can build several stages in one session."""
        if not options.batch or not hasattr(self.engine, "solve_batch"):
            return None
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
    """What a person needs about a failed stage: label, failing step, last log lines, log path."""
    stage = run.stage
    lines = [f"FAILED {stage.label} ({stage.kind} on {stage.platform}, key {stage.short_key})"]
    if run.step:
        lines.append(f"  failing step: {run.step}")
    lines.extend("  " + line for line in run.error.splitlines())
    if run.tail:
        lines.append("  last log lines:")
        lines.extend("    " + line for line in run.tail[-LOG_TAIL_LINES:])
    if run.log_path:
        lines.append(f"  full log: {run.log_path}")
    return "\n".join(lines)
