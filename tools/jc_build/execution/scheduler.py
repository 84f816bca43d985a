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
from typing import TYPE_CHECKING

from ..plan import Stage
from .batch import Batch, BatchOutcome, partition
from .cancel import interrupt_children
from .estimate import Estimate
from .events import EventLog, StageEvent
from .options import check_secrets
from .progress import Progress
from .stage_runner import Lookup, StageRun, StageRunner

if TYPE_CHECKING:
    from .batch_runner import BatchRunner

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


def prefetch_images(stages: Sequence[Stage], roots: Iterable[str], lookups: dict[str, Lookup],
                    runner: StageRunner, jobs: int) -> None:
    """Pull the images of the needed remote layer hits before anything runs. An image that cannot be
    pulled or is not what its result recorded (a tampered blob) turns its hit into a miss, with a
    warning, and the stages below it are then needed: the stage is built here instead."""
    images = runner.remote
    while images is not None:
        needed = needed_stages(stages, roots, lookups)
        pulls = [s for s in stages if s.key in needed and lookups[s.key].pull]
        if not pulls:
            return

        def pull(stage: Stage) -> None:
            found = lookups[stage.key]
            assert found.result is not None and images is not None
            runner.progress.state(stage.key, str(stage.label), "pulling", found.pull)
            why = images.fetch(runner.engine, found.pull, found.result.image_id or "")
            if why:
                images.registry.warn(f"remote cache: the cached image of {stage.label} is unusable ({why}); "
                                     "building it here")
                lookups[stage.key] = Lookup(None, "cached image unusable")
            else:
                lookups[stage.key] = Lookup(found.result, remote=True)
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            list(pool.map(pull, pulls))


class Scheduler:
    """Runs ``stages`` (deps before dependants, unique keys) and records one event per stage.

    ``builders``: the runners of several daemons (``--builders``; default: ``runner`` alone). A
    stage to build goes to the least busy one that answers, each taking ``jobs`` stages at once;
    hits are reused through ``runner``. A stage that fails on a builder whose daemon no longer
    answers is not a failure: the builder is dropped (``warn`` says so) and the stage runs on another.
    With a ``batcher`` (one builder), the stages to build are grouped into batches
    (``batch.partition``), each built in one solve; a batch that cannot be built so is split into
    its stages.
    """

    def __init__(self, runner: StageRunner, events: EventLog, progress: Progress, *,
                 jobs: int, keep_going: bool, builders: Sequence[StageRunner] = (),
                 warn: Callable[[str], None] = lambda message: None, batcher: BatchRunner | None = None,
                 estimator: Callable[[list[Stage]], Estimate] | None = None):
        self.runner = runner
        self.batcher = batcher
        self.estimator = estimator
        self.estimate: Estimate | None = None  # of the stages this run builds, made before it starts them
        # the first stage of a batch whose solve failed: that solve is counted in its event
        self._failed_batches: dict[str, int] = {}
        self.events = events
        self.progress = progress
        self.jobs = max(1, jobs)
        self.keep_going = keep_going
        self.builders = list(builders) or [runner]
        self.several = len(self.builders) > 1  # events then name the builder of each build
        self.warn = warn
        self._on: dict[Future[BatchOutcome], StageRunner] = {}
        self._running: dict[Future[BatchOutcome], Unit] = {}

    def run(self, stages: Sequence[Stage], roots: Iterable[str]) -> dict[str, StageRun]:
        """The runs of the stages that ran (cached, built or failed), by key."""
        roots = list(roots)
        self.progress.start(len(stages))
        lookups = lookup_all(stages, self.runner, self.jobs)
        prefetch_images(stages, roots, lookups, self.runner, self.jobs)
        needed = needed_stages(stages, roots, lookups)
        check_secrets([s for s in stages if s.key in needed and lookups[s.key].result is None],
                      self.runner.asked.secrets)
        for stage in stages:
            if stage.key not in needed:
                found = lookups[stage.key]
                hit = found.result is not None
                self._record_unrun(stage, "pulled" if hit and found.remote else "cached" if hit else "skipped",
                                   "" if hit else NOT_NEEDED)
        pending = self._units([s for s in stages if s.key in needed], lookups)
        if self.estimator is not None:
            self.estimate = self.estimator([s for s in stages if s.key in needed and lookups[s.key].result is None])
        pool = ThreadPoolExecutor(max_workers=self.jobs * len(self.builders), thread_name_prefix="jcb-stage")
        try:
            done, pending = self._run_all(pending, lookups, pool)
        except BaseException as exc:  # an interrupt, or an error no stage could handle (a full disk)
            interrupt_children()  # the solves' docker CLIs stop as on Ctrl-C, even if only jcb was signalled
            pool.shutdown(wait=True, cancel_futures=True)  # running solves end; nothing new starts
            why = "interrupted" if isinstance(exc, KeyboardInterrupt) else f"stopped: {type(exc).__name__}: {exc}"
            for unit in self._running.values():
                for stage in unit.stages:
                    self._record_unrun(stage, "cancelled", why)
            raise
        pool.shutdown()
        for unit in pending:
            for stage in unit.stages:
                self._record_unrun(stage, "skipped", "not started: an earlier stage failed")
        return done

    def _run_all(self, pending: list[Unit], lookups: dict[str, Lookup],
                 pool: ThreadPoolExecutor) -> tuple[dict[str, StageRun], list[Unit]]:
        """Start units as their deps finish; the runs by key, and the units never started."""
        order = {u.stages[0].key: i for i, u in enumerate(pending)}
        done: dict[str, StageRun] = {}
        blocked: dict[str, str] = {}
        running = self._running
        stopped = False
        while pending or running:
            if not stopped:
                pending = self._start_ready(pending, done, blocked, pool, lookups)
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                outcome = future.result()  # first: a unit whose worker raised stays running, to be recorded cancelled
                unit, runner = running.pop(future), self._on.pop(future)
                lost = [r for r in outcome.runs if r.outcome == "failed" and self._lost(runner, r)]
                if lost or outcome.retry:  # a lost builder's stages, or what a batch did not build: one by one
                    again = [*(r.stage for r in lost), *outcome.retry]
                    pending = sorted([*pending, *(Unit((s,)) for s in again)],
                                     key=lambda u: order.get(u.stages[0].key, -1))
                    if outcome.failed_solve and not outcome.runs:  # count the solve that failed
                        self._failed_batches[outcome.retry[0].key] = 1
                    outcome = replace(outcome, runs=[r for r in outcome.runs if r not in lost])
                if self._collect(unit, outcome, lookups, done, blocked, runner):
                    stopped = stopped or not self.keep_going
        return done, pending

    def _collect(self, unit: Unit, outcome: BatchOutcome, lookups: dict[str, Lookup], done: dict[str, StageRun],
                 blocked: dict[str, str], runner: StageRunner) -> bool:
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
            self._record(run, (runner.engine.host or "default") if self.several else "")
        return failed

    def _units(self, needed: list[Stage], lookups: dict[str, Lookup]) -> list[Unit]:
        """Hits one by one; the stages to build in batches (or one by one without a batcher)."""
        to_build = [s for s in needed if lookups[s.key].result is None]
        units = [Unit((s,)) for s in needed if lookups[s.key].result is not None]
        if self.batcher is None:
            units += [Unit((s,)) for s in to_build]
        else:
            units += [Unit(b.stages, b) if len(b.stages) > 1 else Unit(b.stages)
                      for b in partition(to_build, self.batcher.can_batch)]
        order = {s.key: i for i, s in enumerate(needed)}
        return sorted(units, key=lambda u: order[u.stages[0].key])

    def _lost(self, runner: StageRunner, run: StageRun) -> bool:
        """Whether ``run`` failed because its builder went away (and another one can take it)."""
        if runner not in self.builders or len(self.builders) < 2 or runner.engine.answers():
            return runner not in self.builders and bool(self.builders)  # dropped while it ran
        self.builders.remove(runner)
        self.warn(f"builder {runner.engine.host or 'default'} stopped answering ({run.error}); "
                  f"its stages go to {', '.join(b.engine.host or 'default' for b in self.builders)}")
        return True

    def _pick(self, unit: Unit, lookups: dict[str, Lookup]) -> StageRunner | None:
        """The runner for ``unit``: ``runner`` for a hit, else the least busy builder with room."""
        if lookups[unit.stages[0].key].result is not None:
            return self.runner if self.runner in self.builders else self.builders[0]
        load = {id(b): 0 for b in self.builders}
        for runner in self._on.values():
            if id(runner) in load:
                load[id(runner)] += 1
        free = [b for b in self.builders if load[id(b)] < self.jobs]
        return min(free, key=lambda b: load[id(b)]) if free else None

    def _start_ready(self, pending: list[Unit], done: dict[str, StageRun], blocked: dict[str, str],
                     pool: ThreadPoolExecutor, lookups: dict[str, Lookup]) -> list[Unit]:
        """Submit every pending unit whose deps succeeded (while a builder has room); skip those
        below which one failed. ``blocked`` maps the keys of failed and skipped stages to their
        labels. A usable hit needs nothing; a stage to build waits for the stages below it.
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
            elif all(d in done for d in waits) and (runner := self._pick(unit, lookups)):
                future = pool.submit(self._run_unit, unit, runner, dict(done), lookups)
                self._running[future] = unit
                self._on[future] = runner
            else:
                still.append(unit)
        return still

    def _run_unit(self, unit: Unit, runner: StageRunner, done: dict[str, StageRun],
                  lookups: dict[str, Lookup]) -> BatchOutcome:
        if unit.batch is not None and self.batcher is not None:
            return self.batcher.run(unit.batch, done)
        stage = unit.stages[0]
        return BatchOutcome([runner.run(stage, done, lookups[stage.key])])

    def _record(self, run: StageRun, builder: str = "") -> None:
        stage = run.stage
        detail = {"cached": "", "pulled": "", "built": f"{run.duration_s:.1f}s",
                  "failed": f"log {run.log_path}" if run.log_path else run.error}[run.outcome]
        self.progress.state(stage.key, str(stage.label), "done" if run.outcome == "built" else run.outcome, detail)
        self.events.record(StageEvent(
            label=str(stage.label), platform=stage.platform, key=stage.key, kind=stage.kind, outcome=run.outcome,
            duration_s=round(run.duration_s, 3), solves=run.solves, reason=run.reason,
            error=run.error if run.outcome == "failed" else "", log=str(run.log_path or ""),
            builder=builder if run.outcome in ("built", "failed") else "", phases=dict(run.phases),
            solve=run.solve_id))

    def _record_unrun(self, stage: Stage, outcome: str, reason: str) -> None:
        self.progress.state(stage.key, str(stage.label), outcome, reason)
        self.events.record(StageEvent(label=str(stage.label), platform=stage.platform, key=stage.key,
                                      kind=stage.kind, outcome=outcome, duration_s=0.0, solves=0, reason=reason))
