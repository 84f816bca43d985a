"""Builds one batch (``batch.py``) in one BuildKit solve and records every stage of it on its own:
its log (split from the solve's), its time span in the solve, its wheels or image, its result.

A batch whose solve fails records nothing: the scheduler then builds its stages one by one, so
the failing stage fails with its own log and failing step (the steps that succeeded are in
BuildKit's cache by then). So does a batch one of whose stages another jcb process is building.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..engine import BatchEngine, BatchRequest, BatchTarget, SolveFailed
from ..errors import JcbError
from ..plan import Stage
from .batch import Batch, compile_order, compose, stage_name
from .batch_log import BatchLogSplitter
from .context import secret_files, stage_context
from .explain import inputs_meta
from .stage_runner import Phases, StageRun, StageRunner, result_of


@dataclass
class BatchOutcome:
    """The runs of a batch's stages; ``skipped``: stages not recorded because one below failed."""

    runs: list[StageRun]
    skipped: dict[str, str] = field(default_factory=dict)


class BatchRunner:
    """Runs batches with ``runner``'s cache, logs and tests; ``slots``: wheel compiles at once."""

    def __init__(self, runner: StageRunner, engine: BatchEngine, slots: int,
                 expected_s: Callable[[Stage], float] = lambda stage: 1.0):
        self.runner = runner
        self.engine = engine
        self.slots = slots
        self.expected_s = expected_s

    def run(self, batch: Batch, done: Mapping[str, StageRun]) -> BatchOutcome | None:
        """Build ``batch``; None if it must be built stage by stage instead (see the module doc)."""
        with self._locks(batch) as locked:
            if not locked or any(self.runner.lookup(s).result for s in batch.stages):
                return None
            return self._build(batch, done)

    def _build(self, batch: Batch, done: Mapping[str, StageRun]) -> BatchOutcome | None:
        progress, runner = self.runner.progress, self.runner
        solve_id = uuid.uuid4().hex[:12]
        names = {stage_name(s): s.key for s in batch.stages}
        for stage in batch.stages:
            progress.state(stage.key, str(stage.label), "building", f"batch {solve_id} ({len(batch.stages)} stages)")
        runner.logs_dir.mkdir(parents=True, exist_ok=True)
        batch_log = runner.logs_dir / f"batch-{solve_id}.log"
        splitter = BatchLogSplitter(names)
        with tempfile.TemporaryDirectory(prefix="jcb-batch-", ignore_cleanup_errors=True) as tmp:
            context, out = Path(tmp) / "context", Path(tmp) / "out"
            prepared = time.monotonic()
            request = self._request(batch, done, context, out, batch_log)
            context_s = (time.monotonic() - prepared) / len(batch.stages)
            started = time.monotonic()

            def on_line(line: str) -> None:
                key = splitter.feed(line, time.monotonic())
                if key is not None:
                    progress.log_line(key, line)

            try:
                image_ids = self.engine.solve_batch(request, on_line)
            except SolveFailed:
                for stage in batch.stages:
                    progress.state(stage.key, str(stage.label), "retrying", f"batch failed; see {batch_log}")
                return None
            solve_s = time.monotonic() - started
            return self._record(batch, splitter, image_ids, out, solve_id, started,
                                {"context": round(context_s, 3), "batch_solve": round(solve_s, 3)})

    def _request(self, batch: Batch, done: Mapping[str, StageRun], context: Path, out: Path,
                 log_path: Path) -> BatchRequest:
        """Stage every stage's files under ``context/<name>/``; the Dockerfile and targets."""
        keys = batch.keys
        below: dict[str, str] = {}
        staged: dict[str, bool] = {}
        secrets: dict[str, Path] = {}
        for stage in batch.stages:
            outside = [k for k in stage.wheel_inputs if k not in keys]
            stage_context(replace(stage, wheel_inputs=outside), {k: result_of(done, k, stage) for k in outside},
                          self.runner.cache, context / stage_name(stage))
            staged[stage.key] = bool(outside)
            if stage.base[0] == "image" or stage.base[1] not in keys:
                below[stage.key] = self.runner.base_ref(stage, done)
            secrets.update(secret_files(stage))
        order = compile_order(batch, self.slots, self.expected_s)
        targets = tuple(BatchTarget(stage_name(s), tags=(s.image_name,) if s.image_name else (),
                                    output_dir=out / stage_name(s) if s.kind == "wheel" else None)
                        for s in batch.stages)
        first = batch.stages[0]
        return BatchRequest(context, compose(batch, below, staged, order), targets, secrets,
                            platform=first.oci_platform, network=None if batch.network == "default" else batch.network,
                            log_path=log_path)

    def _record(self, batch: Batch, splitter: BatchLogSplitter, image_ids: Mapping[str, str], out: Path,
                solve_id: str, started: float, shared: dict[str, float]) -> BatchOutcome:
        """Store each stage's outputs and result in plan order; a failure skips what is built on it."""
        outcome = BatchOutcome([])
        failed: dict[str, str] = {}
        for i, stage in enumerate(batch.stages):
            below = [d for d in stage.deps if d in failed or d in outcome.skipped]
            if below:
                outcome.skipped[stage.key] = f"{failed.get(below[0]) or outcome.skipped[below[0]]} did not build"
                continue
            run = self._record_stage(stage, splitter, image_ids, out, started, shared)
            run = replace(run, solves=1 if i == 0 else 0, solve_id=solve_id)
            if run.outcome == "failed":
                failed[stage.key] = str(stage.label)
            else:
                self.runner.last_used.record(stage)
            outcome.runs.append(run)
        return outcome

    def _record_stage(self, stage: Stage, splitter: BatchLogSplitter, image_ids: Mapping[str, str], out: Path,
                      started: float, shared: dict[str, float]) -> StageRun:
        name = stage_name(stage)
        log_path = self.runner.log_path(stage)
        log_path.write_text("\n".join(splitter.lines(name)) + "\n", encoding="utf-8")
        first, last = splitter.span(name) or (started, started)
        phases = Phases()
        phases.seconds.update(shared, solve=round(last - first, 3))
        post = time.monotonic()
        try:
            meta = inputs_meta(stage)
            image_id, outputs = self.runner.finish_output(stage, image_ids.get(name), out / name, meta, phases)
            with phases("store"):
                result = self.runner.record_result(stage, image_id, outputs, log_path, last - first, meta)
        except JcbError as exc:
            return StageRun(stage, "failed", error=str(exc), log_path=log_path, phases=phases.seconds,
                            duration_s=last - first + time.monotonic() - post)
        return StageRun(stage, "built", result, log_path=log_path, phases=phases.seconds,
                        duration_s=last - first + time.monotonic() - post)

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
