"""A fake engine and a small workspace for the scheduler tests (no Docker daemon needed)."""

from __future__ import annotations

from collections.abc import Sequence

import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jc_build.analysis.graph import ConfiguredGraph
from jc_build.cache import LocalCache
from jc_build.engine import BatchRequest, SolveFailed, SolveRequest, SolveResult
from jc_build.engine.model import LogCallback
from jc_build.execution import BuildOptions, BuildReport, Executor
from jc_build.labels import parse_label
from jc_build.loading.packages import PackageLoader
from jc_build.loading.workspace import load_workspace
from jc_build.plan import Plan, make_plan

TOOLCHAINS = """\
platform(name = "x86", l4t = "36.4.0", jetpack = "6.1", cuda = "12.6", cudnn = "9.3", python = "3.11",
         distro = "12", arch = "x86_64", cuda_arch = ["87"], base_image = "fake/base:1")
"""
# base <- a (installs w), base <- b, a <- c; w is built on base; each step names its stage.
PACKAGES = {
    "WORKSPACE.star": 'workspace(default_platform = "x86", image_name = "t/{package}:{version}")\n',
    "toolchains/BUILD.star": TOOLCHAINS,
    "pkgs/base/BUILD.star": 'container_layer(name = "base", steps = [run("echo stage=base")])\n',
    "pkgs/w/BUILD.star": 'wheel(name = "wheel", dist = "w", build_deps = ["//base"], '
                         'steps = [run("echo stage=w")])\n',
    "pkgs/a/BUILD.star": 'container_layer(name = "a", deps = ["//base"], wheels = ["//w:wheel"], '
                         'steps = [run("echo stage=a")], tests = ["t.sh"])\n',
    "pkgs/a/t.sh": "true\n",
    "pkgs/b/BUILD.star": 'container_layer(name = "b", deps = ["//base"], steps = [run("echo stage=b")])\n',
    "pkgs/c/BUILD.star": 'container_layer(name = "c", deps = ["//a"], steps = [run("echo stage=c")])\n',
}
_STAGE = re.compile(r"stage=(\w+)")


@dataclass
class FakeEngine:
    """Solves by sleeping; records when each stage's solve ran. ``fail`` names stages whose solve fails."""

    delay: float = 0.05
    fail: set[str] = field(default_factory=set)
    failing_tests: bool = False
    name: str = "fake"
    host: str = ""
    dies_after: int = -1  # this many solves succeed, then the daemon is gone (solves fail, answers() is False)
    images: set[str] = field(default_factory=lambda: {"fake/base:1"})
    tags: dict[str, str] = field(default_factory=dict)
    spans: dict[str, tuple[float, float]] = field(default_factory=dict)  # stage -> (start, end)
    solves: list[str] = field(default_factory=list)
    test_runs: list[str] = field(default_factory=list)
    secrets: dict[str, dict[str, Path]] = field(default_factory=dict)  # stage -> the secret files it got
    no_cache_solves: int = 0
    max_parallel: int = 0
    _active: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def solve(self, req: SolveRequest, on_log_line: LogCallback | None = None) -> SolveResult:
        match = _STAGE.search(req.dockerfile)
        assert match, req.dockerfile
        stage = match[1]
        with self._lock:
            if self.dies_after == 0:
                raise SolveFailed("build failed (fake): cannot connect to the Docker daemon", [], req.log_path)
            self.dies_after -= 1
            self.solves.append(stage)
            self.secrets[stage] = dict(req.secrets)
            self.no_cache_solves += req.no_cache
            self._active += 1
            self.max_parallel = max(self.max_parallel, self._active)
        start = time.monotonic()
        try:
            base = req.build_args["JCB_BASE"]
            assert base in self.images or base in self.tags, f"{stage}: base {base} does not exist"
            assert req.log_path is not None
            lines = [f"#1 [1/2] FROM {base}", f"#2 [2/2] RUN echo stage={stage}"]
            time.sleep(self.delay)
            if stage in self.fail:
                lines += ["#2 ERROR: executor failed running [/bin/sh -c false]: exit code: 1", "------",
                          f" > [2/2] RUN echo stage={stage}:", "------"]
            req.log_path.write_text("\n".join(lines) + "\n")
            for line in lines:
                if on_log_line:
                    on_log_line(line)
            if stage in self.fail:
                raise SolveFailed("build failed (fake)", lines, req.log_path)
            if req.output_dir is not None:
                req.output_dir.mkdir(parents=True)
                (req.output_dir / f"{stage}-1.0-py3-none-any.whl").write_bytes(b"wheel " + stage.encode())
                return SolveResult(None, req.log_path)
            image_id = f"sha256:{uuid.uuid4().hex * 2}"
            self.images.add(image_id)
            for tag in req.tags:
                self.tags[tag] = image_id
            return SolveResult(image_id, req.log_path)
        finally:
            with self._lock:
                self._active -= 1
                self.spans[stage] = (start, time.monotonic())

    def image_exists(self, ref: str) -> bool:
        return ref in self.images or self.tags.get(ref) in self.images

    def existing_images(self, image_ids: Sequence[str]) -> set[str]:
        return {image_id for image_id in image_ids if image_id in self.images}

    def image_id(self, ref: str) -> str | None:
        return ref if ref in self.images else self.tags.get(ref)

    def tag(self, image_id: str, ref: str) -> None:
        assert image_id in self.images
        self.tags[ref] = image_id

    def push(self, ref: str) -> None:
        raise AssertionError("not used")

    def pull(self, ref: str) -> bool:
        return False

    def run(self, image: str, argv: list[str], *, runtime: str | None, network: str | None,
            volumes: list[tuple[str, str]], interactive: bool, remove: bool = True) -> int:
        raise AssertionError("stage tests run with run_with_files")

    def run_with_files(self, image: str, argv: list[str], files: Path, dest: str,
                       network: str = "none") -> tuple[int, str]:
        assert network == "none" and image in self.images and any(files.iterdir())
        self.test_runs.append(image)
        return (1, "assertion failed: 1 != 2\n") if self.failing_tests else (0, "ok\n")

    def runtimes(self) -> set[str]:
        return {"runc"}

    def answers(self, timeout_s: float = 20) -> bool:
        return self.dies_after != 0


@dataclass
class Harness:
    root: Path
    engine: FakeEngine
    cache: LocalCache
    graph: ConfiguredGraph

    def plans(self, *targets: str) -> list[Plan]:
        ws = self.graph.loader.workspace
        return [make_plan(self.graph, ws, parse_label(t)) for t in targets]

    def build(self, *targets: str, jobs: int = 2, builders: Sequence[FakeEngine] = (), **asked: Any) -> BuildReport:
        """Build ``targets`` (over ``builders`` when given); ``asked``: other BuildOptions (keep_going, ...)."""
        self.graph = load_graph(self.root)  # a fresh load, as a new jcb process would do
        executor = Executor(self.engine, self.cache, builders=builders)
        options = BuildOptions(jobs=jobs, progress="plain", **asked)
        with open(self.root / "progress.log", "a") as stream:
            return executor.build(self.plans(*targets), options, stream)

    def outcomes(self, report: BuildReport) -> dict[str, str]:
        return {e.label: e.outcome for e in report.events}


def write_files(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def load_graph(root: Path) -> ConfiguredGraph:
    ws = load_workspace(root)
    return ConfiguredGraph(PackageLoader(ws, ws.platform(None)))


@dataclass
class FakeBatchEngine(FakeEngine):
    """Also builds batches: every target in one call, with a BuildKit-like log; ``fail_batches``
    makes every batch fail (the scheduler then builds stage by stage)."""

    fail_batches: bool = False
    batches: list[list[str]] = field(default_factory=list)  # the targets of each batch solve

    def solve_batch(self, req: BatchRequest, on_log_line: LogCallback | None = None) -> dict[str, str]:
        self.batches.append([t.name for t in req.targets])
        if self.fail_batches:
            raise SolveFailed("batch failed (fake)", ["#1 ERROR: fake"], req.log_path)
        ids = {}
        for i, target in enumerate(req.targets, start=1):
            for line in (f"#{i} [{target.name} {target.name} 1/1] RUN echo {target.name}", f"#{i} DONE 0.1s"):
                if on_log_line:
                    on_log_line(line)
            if target.output_dir is not None:
                target.output_dir.mkdir(parents=True)
                (target.output_dir / f"{target.name}-1.0-py3-none-any.whl").write_bytes(target.name.encode())
            else:
                ids[target.name] = f"sha256:{uuid.uuid4().hex * 2}"
                self.images.add(ids[target.name])
                self.tags.update({tag: ids[target.name] for tag in target.tags})
                export = [f"#{i + 100} [{target.name}] exporting to image", f"#{i + 100} writing image {ids[target.name]}",
                          f"#{i + 100} DONE 0.1s"]
                if on_log_line and i % 2:  # half of them say when they are done
                    for line in export:
                        on_log_line(line)
        return ids
