"""One stage on the engine: cache lookup, build context, solve, tests, and the recorded result.

A stage's result is written only after it succeeded (solve, wheel checks and tests), blobs
first, inside a cache session; a failed or interrupted stage records nothing for itself.
A per-key lock file keeps two jcb processes from building the same stage at once.
With a remote cache, a built layer's image is pushed and a remote hit's image pulled.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import threading
import time
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from shlex import quote
from typing import TYPE_CHECKING

from ..cache import ActionResult, CacheBackend, Digest, sha256_bytes, sha256_file
from ..cache.scratch import work_dir
from ..engine import Engine, SolveFailed, SolveRequest, SolveResult
from ..errors import BuildError, JcbError
from ..faults import kill_point
from ..model import Platform
from ..plan import Stage
from .explain import LastUsed, inputs_meta
from .options import SecretSource, SkipTests
from .progress import Progress
from .remote import REMOTE_IMAGE_META, RemoteImages

if TYPE_CHECKING:
    from .source_staging import SourceStager

# What only a stage being built needs (build contexts, wheels and their zip files) is imported by
# the functions that build: a no-op build imports none of it (BENCHMARKS.md section 9).

TESTS_META = "tests_passed"  # fingerprint of the test scripts that passed on this result's image
TEST_OUTPUT_LINES = 40
_STEP = re.compile(r"^\s*> (\[[^\]]+\] .*?):?\s*$")
_EXECUTOR = re.compile(r"executor failed running \[.*\]: (.*)$")
_CAUSE = re.compile(r"executor failed running|ERROR|error:|failed to", re.I)
_VERTEX_ERROR = re.compile(r"^#(\d+) ERROR\b")
_VERTEX_OUTPUT = re.compile(r"^#(\d+) \d+\.\d+ (.*)$")  # `#5 0.664 about to fail`


@dataclass(frozen=True)
class Asked:
    """What the person asked of this build beyond the plan (see ``options``)."""

    secrets: Mapping[str, SecretSource] = field(default_factory=dict)
    skip_tests: SkipTests = SkipTests()
    roots: frozenset[str] = frozenset()  # keys of the requested targets' stages
    no_cache: bool = False


@dataclass(frozen=True)
class Lookup:
    """A usable cached result, or None and why not (``cache miss``, ``image gone``).

    ``remote``: the entry came from the remote cache; ``pull``: the layer's image must be pulled
    from this ref before use; ``tags``: the tags the layer's image has now, when known.
    """

    result: ActionResult | None
    reason: str = ""
    remote: bool = False
    pull: str = ""
    tags: tuple[str, ...] | None = None

    @property
    def outcome(self) -> str:
        """How a hit is reported: ``pulled`` if anything came from the remote cache."""
        return "pulled" if self.remote or self.pull else "cached"


@dataclass(frozen=True)
class StageRun:
    """How one stage went. ``outcome``: cached, pulled, built or failed."""

    stage: Stage
    outcome: str
    result: ActionResult | None = None
    solves: int = 0
    duration_s: float = 0.0
    reason: str = ""
    error: str = ""
    step: str = ""  # the failing build step, from BuildKit's log
    tail: tuple[str, ...] = ()
    log_path: Path | None = None
    phases: Mapping[str, float] = field(default_factory=dict)  # seconds per phase of a build (see Phases)
    solve_id: str = ""  # the BuildKit solve it was built in (shared by the stages of a batch)


class StageRunner:
    """Runs single stages; ``state_dir`` (the cache directory) holds logs, locks and the explain index."""

    def __init__(self, engine: Engine, cache: CacheBackend, state_dir: Path, platform: Platform,
                 progress: Progress, *, asked: Asked | None = None, remote: RemoteImages | None = None,
                 sources: SourceStager | None = None):
        self.engine = engine
        self.sources = sources
        self.cache = cache
        self.platform = platform
        self.progress = progress
        self.asked = asked or Asked()
        self.remote = remote
        self.where = ""  # the builder's name in progress lines, when a build has several
        self.logs_dir = state_dir / "logs"
        self.locks_dir = state_dir / "locks"
        self.tmp_dir = state_dir / "tmp"
        self.last_used = LastUsed(state_dir / "last")

    def present_images(self, stages: Sequence[Stage]) -> Collection[str]:
        """The images of the layers' local results that exist in the daemon (with their tags when
        the engine says), in one call."""
        ids = [result.image_id for stage in stages if stage.kind == "layer"
               and (result := self.cache.get_local_action(stage.key)) is not None and result.image_id]
        return self.engine.existing_images(ids)

    def lookup(self, stage: Stage, present: Collection[str] | None = None) -> Lookup:
        """A hit is a cached result whose image exists or can be pulled (layers), or whose wheels
        are stored (locally, or copied from the remote cache now). ``present``: image IDs known to
        exist (from ``present_images``); others are asked of the daemon."""
        if self.asked.no_cache:
            return Lookup(None, "--no-cache")
        result, tier = self.cache.find_action(stage.key)
        remote = tier == "remote"
        if result is None:
            return Lookup(None, "cache miss")
        if not result.image_id:
            exists = False
        elif present is not None and not remote:  # ``present`` covers the local results
            exists = result.image_id in present
        else:
            exists = self.engine.image_exists(result.image_id)
        if stage.kind == "layer" and not exists:
            ref = result.meta.get(REMOTE_IMAGE_META, "")
            if self.remote is None or not result.image_id or not self.remote.available(ref):
                return Lookup(None, "image gone")
            return Lookup(result, remote=remote, pull=ref)
        tags = present.get(result.image_id) if isinstance(present, Mapping) and result.image_id else None
        return Lookup(result, remote=remote, tags=tags)

    def log_path(self, stage: Stage) -> Path:
        return self.logs_dir / f"{stage.key}.log"

    def run(self, stage: Stage, done: Mapping[str, StageRun], found: Lookup) -> StageRun:
        """Reuse or build ``stage``; ``done`` holds the runs of its deps, ``found`` its lookup."""
        started = time.monotonic()
        try:
            if found.result is not None:
                run = self._reuse_hit(stage, found)
            else:
                with self._key_lock(stage):
                    found = self.lookup(stage)  # another process may have built it meanwhile
                    run = (self._reuse_hit(stage, found) if found.result
                           else self._build(stage, done, found.reason, started))
        except JcbError as exc:
            run = StageRun(stage, "failed", error=str(exc))
        if run.outcome != "failed":
            self.last_used.record(stage)
        return replace(run, duration_s=time.monotonic() - started)

    # -- reuse ------------------------------------------------------------------------
    def _reuse_hit(self, stage: Stage, found: Lookup) -> StageRun:
        """Pull the hit's image if it must be, then reuse it."""
        assert found.result is not None
        if found.pull and self.remote is not None:
            self.progress.state(stage.key, str(stage.label), "pulling", found.pull)
            why = self.remote.fetch(self.engine, found.pull, found.result.image_id or "")
            if why:
                return StageRun(stage, "failed", error=f"cannot pull the cached image of {stage.label}: {why} "
                                                       "(build without it: --no-remote-cache)")
        return StageRun(stage, found.outcome, self._reuse(stage, found.result, found.tags))

    def _reuse(self, stage: Stage, result: ActionResult, tags: tuple[str, ...] | None = None) -> ActionResult:
        """Tag a cached layer's image (unless ``tags`` show it has the name); run its tests if these
        scripts have not passed on it yet."""
        if stage.kind == "layer" and stage.image_name and result.image_id and stage.image_name not in (tags or ()):
            self.engine.tag(result.image_id, stage.image_name)
        fingerprint = tests_fingerprint(stage)
        if result.image_id and self._wants_tests(stage) and result.meta.get(TESTS_META) != fingerprint:
            self._run_tests(stage, result.image_id)
            result = replace(result, meta={**result.meta, TESTS_META: fingerprint})
            with self.cache.session():
                self.cache.put_action(result)
        return result

    def _wants_tests(self, stage: Stage) -> bool:
        return stage.kind == "layer" and bool(stage.tests) and not self.asked.skip_tests.skips(stage, self.asked.roots)

    # -- build ------------------------------------------------------------------------
    def _build(self, stage: Stage, done: Mapping[str, StageRun], reason: str, started: float) -> StageRun:
        from .build_context import stage_context
        where = f" on {self.where}" if self.where else ""
        self.progress.state(stage.key, str(stage.label), "building", reason + where)
        log_path = self.log_path(stage)
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        solves = 0
        phases = Phases()
        try:
            with work_dir(self.tmp_dir, "stage") as tmp:
                context, out_dir = tmp / "context", tmp / "out"
                with phases("context"):
                    wheel_results = {k: result_of(done, k, stage) for k in stage.wheel_inputs}
                    stage_context(stage, wheel_results, self.cache, context)
                    epoch = self._stage_sources(stage, context)
                request = self._solve_request(stage, done, Path(tmp), epoch)
                solves = 1
                try:
                    with phases("solve"):
                        solved = self.engine.solve(request, lambda line: self._log_line(stage, line))
                finally:
                    assert request.log_path is not None
                    if request.log_path.exists():
                        os.replace(request.log_path, log_path)
                kill_point("export")
                meta = inputs_meta(stage)
                image_id, outputs = self.finish_output(stage, solved.image_id, out_dir, meta, phases, epoch)
            with phases("store"):
                result = self.record_result(stage, image_id, outputs, log_path, time.monotonic() - started, meta)
        except SolveFailed as exc:
            return StageRun(stage, "failed", solves=solves, reason=reason, error=exc.message.split("\n")[0],
                            step=failing_step(exc.log_tail), tail=tuple(exc.log_tail), log_path=log_path)
        except JcbError as exc:
            return StageRun(stage, "failed", solves=solves, reason=reason, error=str(exc),
                            log_path=log_path if solves else None)
        return StageRun(stage, "built", result, solves=solves, reason=reason, log_path=log_path,
                        phases=phases.seconds)

    def finish_output(self, stage: Stage, image_id: str | None, out_dir: Path, meta: dict[str, str],
                      phases: Phases, epoch: int | None = None) -> tuple[str | None, dict[str, Digest]]:
        """After a stage's solve: its wheels (normalised to the sources' ``epoch``) into the CAS, or
        its image tested and published."""
        if stage.kind == "wheel":
            from .wheels import store_wheels
            with phases("store"):
                return None, store_wheels(out_dir, self.cache, self.platform, stage.python_tag, epoch=epoch)
        if not image_id:
            raise BuildError(f"the engine reported no image id for {stage.label}")
        if self._wants_tests(stage):
            with phases("tests"):
                self._run_tests(stage, image_id)
            meta[TESTS_META] = tests_fingerprint(stage)
        if self.remote is not None:
            with phases("publish"):
                if ref := self.remote.publish(self.engine, image_id, stage.key):
                    meta[REMOTE_IMAGE_META] = ref
        return image_id, {}

    def record_result(self, stage: Stage, image_id: str | None, outputs: Mapping[str, Digest], log_path: Path,
                      duration_s: float, meta: Mapping[str, str]) -> ActionResult:
        """Store a built stage's log and result (the result last: it makes the stage a hit)."""
        with self.cache.session():
            result = ActionResult(key=stage.key, kind=stage.kind, image_id=image_id, outputs=dict(outputs),
                                  log_digest=self.cache.put_file(log_path), duration_s=duration_s, meta=dict(meta))
            self.cache.put_action(result)
        return result

    def _log_line(self, stage: Stage, line: str) -> None:
        kill_point("solve")
        self.progress.log_line(stage.key, line)

    def rebuild(self, stage: Stage, done: Mapping[str, StageRun], scratch: Path) -> tuple[SolveResult, int | None]:
        """Solve ``stage`` again without BuildKit's cache, recording nothing: its image, or its wheels
        under ``scratch/out`` (normalised as a build normalises them); and the sources' epoch."""
        from .build_context import stage_context
        from .normalize import normalize_wheel
        context, out_dir = scratch / "context", scratch / "out"
        stage_context(stage, {k: result_of(done, k, stage) for k in stage.wheel_inputs}, self.cache, context)
        epoch = self._stage_sources(stage, context)
        request = replace(self._solve_request(stage, done, scratch, epoch), tags=(), no_cache=True,
                          log_path=scratch / "check.log")
        solved = self.engine.solve(request)
        for wheel in sorted(out_dir.rglob("*.whl")) if epoch is not None else []:
            normalize_wheel(wheel, epoch)
        return solved, epoch

    def _stage_sources(self, stage: Stage, context: Path) -> int | None:
        """Fetched sources into the context; the epoch of the first (None without sources)."""
        if not stage.sources:
            return None
        if self.sources is None:
            raise BuildError(f"{stage.label} has sources but this build has no source fetcher")
        return self.sources.stage(stage, context)

    def _solve_request(self, stage: Stage, done: Mapping[str, StageRun], tmp: Path,
                       epoch: int | None = None) -> SolveRequest:
        """What the engine solves for ``stage``: its Dockerfile and context (``tmp``/context), base,
        secrets (an env secret's value in a file under ``tmp``), output (``tmp``/out)."""
        from .build_context import secret_files
        epoch_arg = {} if epoch is None else {"SOURCE_DATE_EPOCH": str(epoch)}
        return SolveRequest(
            context_dir=tmp / "context",
            dockerfile=stage.dockerfile,
            tags=(stage.image_name,) if stage.kind == "layer" and stage.image_name else (),
            build_args={**stage.build_args, **epoch_arg, "JCB_BASE": self.base_ref(stage, done)},
            secrets=secret_files(stage, self.asked.secrets, tmp / "secrets"),
            output_dir=tmp / "out" if stage.kind == "wheel" else None,
            platform=stage.oci_platform,
            network=None if stage.network == "default" else stage.network,
            log_path=self.logs_dir / f"{stage.key}.{os.getpid()}-{threading.get_ident()}.partial",
            no_cache=self.asked.no_cache,
            scratch_dir=tmp,
        )

    def base_ref(self, stage: Stage, done: Mapping[str, StageRun]) -> str:
        """``JCB_BASE``: the base image reference, or the image name of the stage below (re-tagged
        to that stage's image first, in case another build moved the tag)."""
        kind, ref = stage.base
        if kind == "image":
            if self.remote is not None and not self.engine.image_exists(ref):  # a builder with an empty daemon
                self.remote.fetch_base(self.engine, ref, self.platform.name)
            return ref
        result = result_of(done, ref, stage)
        below = done[ref].stage
        if not below.image_name or not result.image_id:
            raise BuildError(f"the stage below {stage.label} ({ref[:12]}) has no image")
        self.bring_image(below, result)
        self.engine.tag(result.image_id, below.image_name)
        return below.image_name

    def bring_image(self, stage: Stage, result: ActionResult) -> None:
        """Pull ``result``'s image from the remote cache unless this daemon has it (another
        builder of this build made it)."""
        if not result.image_id or self.engine.image_exists(result.image_id):
            return
        ref = result.meta.get(REMOTE_IMAGE_META, "")
        why = self.remote.fetch(self.engine, ref, result.image_id) if self.remote and ref else "not in the remote cache"
        if why:
            raise BuildError(f"the image of {stage.label} is not on builder {self.engine.host or 'default'}: {why}")

    @contextmanager
    def _key_lock(self, stage: Stage) -> Iterator[None]:
        self.locks_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.locks_dir / f"{stage.key}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self.progress.state(stage.key, str(stage.label), "waiting", "another jcb process is building it")
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    # -- tests ------------------------------------------------------------------------
    def _run_tests(self, stage: Stage, image_id: str) -> None:
        """Each test script in its own throwaway container (no network), copied into it rather than
        mounted (the daemon may be another machine); BuildError with its output."""
        with work_dir(self.tmp_dir, "tests") as root:
            for i, test in enumerate(stage.tests):
                name = Path(test.path).name
                workdir = root / str(i)
                workdir.mkdir()
                shutil.copy(test.path, workdir / name)
                if sha256_file(workdir / name).hex != test.digest:
                    raise BuildError(f"test {test.path} changed during the build; run it again")
                self.progress.state(stage.key, str(stage.label), "testing", name)
                runner = "python3" if name.endswith(".py") else "sh"
                code, output = self.engine.run_with_files(
                    image_id, ["sh", "-c", f"cd /jcb-tests && {runner} ./{quote(name)}"], workdir, "/jcb-tests")
                lines = output.strip().splitlines()
                if code != 0:
                    shown = "\n".join("    " + line for line in lines[-TEST_OUTPUT_LINES:])
                    raise BuildError(f"test {name} of {stage.label} failed (exit code {code}):\n{shown}")
                self.progress.state(stage.key, str(stage.label), "test passed", f"{name}: {''.join(lines[-1:])}")


class Phases:
    """Seconds spent in named phases of one stage's build (``with phases("solve"): ...``)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.seconds[name] = round(self.seconds.get(name, 0.0) + time.monotonic() - started, 3)


def result_of(done: Mapping[str, StageRun], key: str, stage: Stage) -> ActionResult:
    run = done.get(key)
    if run is None or run.result is None:
        raise BuildError(f"{stage.label} needs stage {key[:12]}, which has no result in this build")
    return run.result


def tests_fingerprint(stage: Stage) -> str:
    """Identifies the set of test scripts (by content) that passed on a layer's image."""
    return sha256_bytes(json.dumps(sorted(t.digest for t in stage.tests)).encode()).hex


def failing_step(tail: list[str]) -> str:
    """BuildKit's failing step and cause from a log tail, e.g. ``[3/3] RUN make: exit code: 2``."""
    step = next((m[1] for line in reversed(tail) if (m := _STEP.match(line))), "")
    cause = next((line.strip() for line in reversed(tail) if _CAUSE.search(line)), "")
    cause = re.sub(r"^(#\d+ )?(ERROR: )?(failed to solve: )?", "", cause)
    if m := _EXECUTOR.search(cause):
        cause = m[1]  # the command is already in the step
    return f"{step}: {cause}" if step and cause else step or cause


def failing_output(tail: Sequence[str]) -> list[str]:
    """What the failing BuildKit step printed (``#N <time> text`` lines of the vertex that
    reports ``#N ERROR``), without BuildKit's framing; the whole tail if none can be told apart."""
    vertex = next((m[1] for line in reversed(tail) if (m := _VERTEX_ERROR.match(line))), None)
    output = [m[2] for line in tail if (m := _VERTEX_OUTPUT.match(line)) and m[1] == vertex]
    return output if vertex is not None else list(tail)
