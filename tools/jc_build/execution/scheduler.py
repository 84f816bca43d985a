"""Runs a set of stages on a thread pool: each starts when the stages it needs are done.

Every stage is looked up first. Only stages a requested root needs are run: a cached wheel
does not need its builder, a cached layer whose image exists does not need the layers below.
After a failure no new stage starts (running ones finish) unless ``keep_going``, which goes on
with every stage that does not depend on a failed one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace

from ..plan import Stage
from .batch import Batch, partition
from .batch_runner import BatchOutcome, BatchRunner
from .estimate import Estimate
from .events import EventLog, StageEvent
from .progress import Progress
from .stage_runner import Lookup, StageRun, StageRunner

NOT_NEEDED = "not needed: what is built on it is cached"


@dataclass(frozen=True)
class Unit:
    """What one worker runs: one stage, or a batch of stages built in one solve."""

    stages: tuple[Stage, ...]
    batch: Batch | None = None


def default_jobs() -> int:
    return min(4, max(2, os.cpu_count() or 2))


def lookup_all(stages: Sequence[Stage], runner: StageRunner, jobs: int) -> dict[str, Lookup]:
    """Every stage's cache lookup: one daemon call for the local results' images, then the
    lookups (concurrently, for a remote cache's latency)."""
    present = runner.present_images(stages)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return dict(zip((s.key for s in stages), pool.map(lambda s: runner.lookup(s, present), stages),
                        strict=True))


def needed_stages(stages: Sequence[Stage], roots: Iterable[str], lookups: dict[str, Lookup]) -> set[str]:
    """Keys of the roots and of every stage a stage that must be built needs (``stages`` in plan order)."""
    needed = set(roots)
    for stage in reversed(stages):
        if stage.key in needed and lookups[stage.key].result is None:
            needed.update(stage.deps)
    return needed


class Scheduler:
    """Runs ``stages`` (deps before dependants, unique keys) and records one event per stage.

    With a ``batcher``, the stages to build are grouped into batches (``batch.partition``), each
    built in one solve; a batch that cannot be built so is split into its stages.
    """

    def __init__(self, runner: StageRunner, events: EventLog, progress: Progress, *,
                 jobs: int, keep_going: bool, batcher: BatchRunner | None = None,
                 estimator: Callable[[list[Stage]], Estimate] | None = None):
        self.runner = runner
        self.estimator = estimator
        self.estimate: Estimate | None = None  # of the stages this run builds, made before it starts them
        # the first stage of a batch whose solve failed: that solve is counted in its event
        self._failed_batches: dict[str, int] = {}
        self.events = events
        self.progress = progress
        self.jobs = max(1, jobs)
        self.keep_going = keep_going
        self.batcher = batcher

    def run(self, stages: Sequence[Stage], roots: Iterable[str]) -> dict[str, StageRun]:
        """The runs of the stages that ran (cached, built or failed), by key."""
        lookups = lookup_all(stages, self.runner, self.jobs)
        needed = needed_stages(stages, roots, lookups)
        for stage in stages:
            if stage.key not in needed:
                found = lookups[stage.key]
                hit = found.result is not None
                self._record_unrun(stage, "pulled" if hit and found.remote else "cached" if hit else "skipped",
                                   "" if hit else NOT_NEEDED)
        pending = self._units([s for s in stages if s.key in needed], lookups)
        if self.estimator is not None:
            self.estimate = self.estimator([s for s in stages if s.key in needed and lookups[s.key].result is None])
        done: dict[str, StageRun] = {}
        blocked: dict[str, str] = {}
        running: dict[Future[BatchOutcome], Unit] = {}
        stopped = False
        pool = ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="jcb-stage")
        try:
            while pending or running:
                if not stopped:
                    pending = self._start_ready(pending, done, blocked, running, pool, lookups)
                if not running:
                    break
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    unit = running.pop(future)
                    outcome = future.result()
                    if outcome.retry:  # what the batch did not build: one by one
                        pending = [Unit((s,)) for s in outcome.retry] + pending
                        if outcome.failed_solve and not outcome.runs:  # count the solve that failed
                            self._failed_batches[outcome.retry[0].key] = 1
                    if self._collect(unit, outcome, lookups, done, blocked):
                        stopped = stopped or not self.keep_going
        except BaseException:  # an interrupt, or a bug in a worker
            pool.shutdown(wait=True, cancel_futures=True)  # running solves end; nothing new starts
            raise
        pool.shutdown()
        for unit in pending:
            for stage in unit.stages:
                self._record_unrun(stage, "skipped", "not started: an earlier stage failed")
        return done

    def _collect(self, unit: Unit, outcome: BatchOutcome, lookups: dict[str, Lookup], done: dict[str, StageRun],
                 blocked: dict[str, str]) -> bool:
        """Record a finished unit's stages; whether one of them failed."""
        for key, reason in outcome.skipped.items():
            blocked[key] = reason
            self._record_unrun(next(s for s in unit.stages if s.key == key), "skipped", reason)
        failed = False
        for run in outcome.runs:
            run = replace(run, reason=run.reason or lookups[run.stage.key].reason,
                          solves=run.solves + self._failed_batches.pop(run.stage.key, 0))
            done[run.stage.key] = run
            if run.outcome == "failed":
                blocked[run.stage.key] = str(run.stage.label)
                failed = True
            self._record(run)
        return failed

    def _units(self, needed: list[Stage], lookups: dict[str, Lookup]) -> list[Unit]:
        """Hits one by one; the stages to build in batches (or one by one without a batcher)."""
        to_build = [s for s in needed if lookups[s.key].result is None]
        units = [Unit((s,)) for s in needed if lookups[s.key].result is not None]
        if self.batcher is None:
            units += [Unit((s,)) for s in to_build]
        else:
            units += [Unit(b.stages, b) if len(b.stages) > 1 else Unit(b.stages) for b in partition(to_build)]
        order = {s.key: i for i, s in enumerate(needed)}
        return sorted(units, key=lambda u: order[u.stages[0].key])

    def _start_ready(self, pending: list[Unit], done: dict[str, StageRun], blocked: dict[str, str],
                     running: dict[Future[BatchOutcome], Unit], pool: ThreadPoolExecutor,
                     lookups: dict[str, Lookup]) -> list[Unit]:
        """Submit every pending unit whose deps succeeded; skip those below which one failed.

        ``blocked`` maps the keys of failed and skipped stages to their labels. A usable hit
        needs nothing; a stage to build waits for the stages below it.
        """
        still: list[Unit] = []
        for unit in pending:  # plan order, so a skip reaches the units built on it in one pass
            keys = {s.key for s in unit.stages}
            waits = [d for s in unit.stages if lookups[s.key].result is None for d in s.deps if d not in keys]
            bad = [d for d in waits if d in blocked]
            if bad:
                for stage in unit.stages:
                    blocked[stage.key] = str(stage.label)
                    self._record_unrun(stage, "skipped", f"{blocked[bad[0]]} did not build")
            elif all(d in done for d in waits):
                running[pool.submit(self._run_unit, unit, dict(done), lookups)] = unit
            else:
                still.append(unit)
        return still

    def _run_unit(self, unit: Unit, done: dict[str, StageRun], lookups: dict[str, Lookup]) -> BatchOutcome:
        if unit.batch is not None and self.batcher is not None:
            return self.batcher.run(unit.batch, done)
        stage = unit.stages[0]
        return BatchOutcome([self.runner.run(stage, done, lookups[stage.key])])

    def _record(self, run: StageRun) -> None:
        stage = run.stage
        detail = {"cached": "", "pulled": "", "built": f"{run.duration_s:.1f}s",
                  "failed": run.step or run.error}[run.outcome]
        self.progress.state(stage.key, str(stage.label), "done" if run.outcome == "built" else run.outcome, detail)
        self.events.record(StageEvent(
            label=str(stage.label), platform=stage.platform, key=stage.key, kind=stage.kind, outcome=run.outcome,
            duration_s=round(run.duration_s, 3), solves=run.solves, reason=run.reason,
            error=run.error if run.outcome == "failed" else "", log=str(run.log_path or ""),
            phases=dict(run.phases), solve=run.solve_id))

    def _record_unrun(self, stage: Stage, outcome: str, reason: str) -> None:
        self.progress.state(stage.key, str(stage.label), outcome, reason)
        self.events.record(StageEvent(label=str(stage.label), platform=stage.platform, key=stage.key,
                                      kind=stage.kind, outcome=outcome, duration_s=0.0, solves=0, reason=reason))
