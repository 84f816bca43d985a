"""Builds one batch (``batch.py``: one build per stage, counted as one solve) and records every
stage of it on its own: its log (split from the batch's), its time span, its wheels or image, its
result.

Every stage is recorded from its build's metadata when the batch ends: an interrupted batch
records nothing, though BuildKit's cache keeps its finished steps for the next build. When the
batch fails, its stages are built again one by one, so the failing stage fails with its own log
and failing step (the steps that succeeded are in BuildKit's cache by then); so are all the
stages of a batch one of whose stages another jcb process is building.
"""

from __future__ import annotations

import fcntl
import os
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..cache.scratch import work_dir
from ..engine import BatchEngine, BatchRequest, BatchTarget, SolveFailed
from ..errors import JcbError
from ..plan import WHEELS_CONTEXT_DIR, Stage
from .batch import Batch, BatchOutcome, batchable, compile_order, compose, stage_name
from .batch_log import BatchLogSplitter
from .explain import inputs_meta
from .stage_runner import Phases, StageRun, StageRunner, result_of


class _Recorder:
    """Splits a batch's log while it runs and records its stages when it ends, in plan order: a
    stage after the stages of the batch below it (skipped if one of them failed)."""

    def __init__(self, runner: StageRunner, batch: Batch, out: Path, solve_id: str, shared: dict[str, float]):
        self.runner, self.batch, self.out, self.solve_id, self.shared = runner, batch, out, solve_id, shared
        self.splitter = BatchLogSplitter({stage_name(s): s.key for s in batch.stages})
        self.started = time.monotonic()
        self.outcome = BatchOutcome([])
        self.images: dict[str, str | None] = {}  # exported stage name -> image ID (None for wheels)
        self.failed: dict[str, str] = {}

    def on_line(self, line: str) -> None:
        key = self.splitter.feed(line, time.monotonic())
        if key is not None:
            self.runner.progress.log_line(key, line)

    def finish(self, image_ids: Mapping[str, str]) -> BatchOutcome:
        """After the solve: the rest recorded (``image_ids``: from a successful solve), the others
        to retry."""
        for stage in self.batch.stages if image_ids else ():
            self.images.setdefault(stage_name(stage), image_ids.get(stage_name(stage)))
        self.advance()
        settled = {r.stage.key for r in self.outcome.runs} | set(self.outcome.skipped)
        self.outcome.retry = tuple(s for s in self.batch.stages if s.key not in settled)
        return self.outcome

    def advance(self) -> None:
        """Record every stage whose output is known and whose stages below are settled."""
        outcome, keys = self.outcome, self.batch.keys
        for stage in self.batch.stages:
            settled = {r.stage.key for r in outcome.runs} | set(outcome.skipped)
            inner = [d for d in stage.deps if d in keys]
            if stage.key in settled or any(d not in settled for d in inner) or stage_name(stage) not in self.images:
                continue
            below = [d for d in inner if d in self.failed or d in outcome.skipped]
            if below:
                outcome.skipped[stage.key] = f"{self.failed.get(below[0]) or outcome.skipped[below[0]]} did not build"
                continue
            run = replace(self._record_stage(stage), solves=0 if outcome.runs else 1, solve_id=self.solve_id)
            if run.outcome == "failed":
                self.failed[stage.key] = str(stage.label)
            else:
                self.runner.last_used.record(stage)
            outcome.runs.append(run)

    def _record_stage(self, stage: Stage) -> StageRun:
        name = stage_name(stage)
        log_path = self.runner.log_path(stage)
        log_path.write_text("\n".join(self.splitter.lines(name)) + "\n", encoding="utf-8")
        first, last = self.splitter.span(name) or (self.started, self.started)
        phases = Phases()
        phases.seconds.update(self.shared, solve=round(last - first, 3))
        post = time.monotonic()
        try:
            meta = inputs_meta(stage)
            image_id, outputs = self.runner.finish_output(stage, self.images[name], self.out / name, meta, phases)
            with phases("store"):  # the result's duration: its span in the solve plus its tests and publishing
                result = self.runner.record_result(stage, image_id, outputs, log_path,
                                                   last - first + time.monotonic() - post, meta)
        except JcbError as exc:
            return StageRun(stage, "failed", error=str(exc), log_path=log_path, phases=phases.seconds,
                            duration_s=last - first + time.monotonic() - post)
        return StageRun(stage, "built", result, log_path=log_path, phases=phases.seconds,
                        duration_s=last - first + time.monotonic() - post)


class BatchRunner:
    """Runs batches with ``runner``'s cache, logs and tests; ``slots``: wheel compiles at once."""

    def __init__(self, runner: StageRunner, engine: BatchEngine, slots: int,
                 expected_s: Callable[[Stage], float] = lambda stage: 1.0):
        self.runner = runner
        self.engine = engine
        self.slots = slots
        self.expected_s = expected_s

    @staticmethod
    def can_batch(stage: Stage) -> bool:
        """Whether ``stage`` may share a solve: only jcb's own rendering, and no fetched sources
        (their staging and ``SOURCE_DATE_EPOCH`` are per stage: such a stage solves alone)."""
        return batchable(stage) and not stage.sources

    def run(self, batch: Batch, done: Mapping[str, StageRun]) -> BatchOutcome:
        """Build ``batch``; what it could not build is to be built stage by stage (module doc)."""
        with self._locks(batch) as locked:
            if not locked or any(self.runner.lookup(s).result for s in batch.stages):
                return BatchOutcome([], retry=batch.stages)
            return self._build(batch, done)

    def _build(self, batch: Batch, done: Mapping[str, StageRun]) -> BatchOutcome:
        progress, runner = self.runner.progress, self.runner
        solve_id = uuid.uuid4().hex[:12]
        for stage in batch.stages:
            progress.state(stage.key, str(stage.label), "building", f"batch {solve_id} ({len(batch.stages)} stages)")
        runner.logs_dir.mkdir(parents=True, exist_ok=True)
        batch_log = runner.logs_dir / f"batch-{solve_id}.log"
        with work_dir(runner.tmp_dir, "batch") as tmp:
            context, out = tmp / "context", tmp / "out"
            prepared = time.monotonic()
            request = self._request(batch, done, tmp, batch_log)
            recorder = _Recorder(self.runner, batch, out, solve_id,
                                 {"context": round((time.monotonic() - prepared) / len(batch.stages), 3)})
            try:
                image_ids = self.engine.solve_batch(request, recorder.on_line)
            except SolveFailed:
                outcome = replace(recorder.finish({}), failed_solve=True)
                for stage in outcome.retry:
                    progress.state(stage.key, str(stage.label), "retrying", f"batch failed; see {batch_log}")
                return outcome
            return recorder.finish(image_ids)

    def _request(self, batch: Batch, done: Mapping[str, StageRun], tmp: Path, log_path: Path) -> BatchRequest:
        """Stage every stage's files under ``tmp/context/<name>/``; the Dockerfile and targets (wheels
        to ``tmp/out/<name>``), secrets (an env secret's value in a file under ``tmp``)."""
        from .build_context import secret_files, stage_context, stage_installer  # not on a no-op's path
        context, out = tmp / "context", tmp / "out"
        keys = batch.keys
        below: dict[str, str] = {}
        secrets: dict[str, Path] = {}
        for stage in batch.stages:
            outside = [k for k in stage.wheel_inputs if k not in keys]
            stage_context(replace(stage, wheel_inputs=outside), {k: result_of(done, k, stage) for k in outside},
                          self.runner.cache, context / stage_name(stage))
            if stage.wheel_inputs:
                stage_installer(context / stage_name(stage) / WHEELS_CONTEXT_DIR)
            if stage.base[0] == "image" or stage.base[1] not in keys:
                below[stage.key] = self.runner.base_ref(stage, done)
            secrets.update(secret_files(stage, self.runner.asked.secrets, tmp / "secrets"))
        order = compile_order(batch, self.slots, self.expected_s)
        below_others = {d for s in batch.stages for d in s.deps}
        tops_first = sorted(batch.stages, key=lambda s: s.key in below_others)  # their builds hold every step
        targets = tuple(BatchTarget(stage_name(s), tags=(s.image_name,) if s.image_name else (),
                                    output_dir=out / stage_name(s) if s.kind == "wheel" else None)
                        for s in tops_first)
        first = batch.stages[0]
        return BatchRequest(context, compose(batch, below, order), targets, secrets,
                            platform=first.oci_platform, network=None if batch.network == "default" else batch.network,
                            log_path=log_path)

    @contextmanager
    def _locks(self, batch: Batch) -> Iterator[bool]:
        """Every stage's key lock, without waiting; False if another process holds one."""
        locks_dir = self.runner.locks_dir
        locks_dir.mkdir(parents=True, exist_ok=True)
        with ExitStack() as stack:
            for stage in batch.stages:
                fd = os.open(locks_dir / f"{stage.key}.lock", os.O_RDWR | os.O_CREAT, 0o644)
                stack.callback(os.close, fd)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    yield False
                    return
            yield True
