"""Small parts of the executor: failing-step extraction, wheel tags, input diffs, summaries."""

from __future__ import annotations

import io

import pytest

from jc_build.execution import StageEvent, Summary, check_wheel, failing_step
from jc_build.plan import Input
from jc_build.plan.inputs import diff_inputs
from jc_build.execution.progress import PlainProgress
from jc_build.model import Platform

BUILDX_TAIL = [
    "#6 [3/3] RUN echo about to fail && exit 3",
    "#6 0.164 about to fail",
    "#6 ERROR: executor failed running [/bin/sh -c echo about to fail && exit 3]: exit code: 3",
    "------",
    " > [3/3] RUN echo about to fail && exit 3:",
    "0.164 about to fail",
    "------",
    "ERROR: failed to solve: executor failed running [/bin/sh -c echo about to fail && exit 3]: exit code: 3",
]
CLASSIC_TAIL = [*BUILDX_TAIL[:5], "------",
                "executor failed running [/bin/sh -c echo about to fail && exit 3]: exit code: 3"]


@pytest.mark.parametrize("tail", [BUILDX_TAIL, CLASSIC_TAIL])
def test_failing_step_from_buildkit_logs(tail: list[str]) -> None:
    assert failing_step(tail) == "[3/3] RUN echo about to fail && exit 3: exit code: 3"


def test_failing_step_without_a_run_step() -> None:
    tail = ["#5 [2/2] COPY x /x", 'ERROR: failed to solve: failed to compute cache key: "/x" not found']
    assert failing_step(tail) == 'failed to compute cache key: "/x" not found'


def _platform(python: str = "3.11", arch: str = "x86_64") -> Platform:
    return Platform(name="p", label="@toolchains//:p", l4t="36.4.0", jetpack="6.1", cuda="12.6", cudnn="9.3",
                    python=python, distro="12", arch=arch, cuda_arch=("87",), base_image="b")


@pytest.mark.parametrize("name", [
    "hello-0.1-cp311-cp311-linux_x86_64.whl",
    "hello-0.1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    "pure-1.0-py3-none-any.whl",
    "pure-1.0-py2.py3-none-any.whl",
    "stable-1.0-cp38-abi3-manylinux_2_28_x86_64.whl",
])
def test_wheels_that_fit(name: str) -> None:
    assert check_wheel(name, _platform()) is None


@pytest.mark.parametrize(("name", "problem"), [
    ("hello-0.1-cp310-cp310-linux_x86_64.whl", "python tag cp310"),
    ("stable-1.0-cp312-abi3-linux_x86_64.whl", "python tag cp312"),
    ("hello-0.1-cp311-cp311-linux_aarch64.whl", "platform tag linux_aarch64"),
    ("hello-0.1-cp311-cp311-manylinux2014_aarch64.whl", "platform tag manylinux2014_aarch64"),
    ("not-a-wheel.whl", "not a valid wheel file name"),
])
def test_wheels_that_do_not_fit(name: str, problem: str) -> None:
    assert problem in (check_wheel(name, _platform()) or "")


def test_expected_python_tag_is_accepted() -> None:
    assert check_wheel("x-1-cp311-abi3-linux_aarch64.whl", _platform(arch="aarch64"), "cp311") is None


def test_input_diffs_name_what_changed() -> None:
    def base(key: str) -> Input:
        return Input("base", f"stage:{key}", "base", "stage", key)

    old = [Input("file:src/lib.c", "1234abcd" + "0" * 56, "file", "src/lib.c"),
           Input("build_arg:X", "1", "build_arg", "X"), base("a" * 64),
           Input("platform:cuda_arch", "87", "platform", "cuda_arch"),
           Input("wheel://w:wheel", "b" * 64, "wheel", "//w:wheel"), Input("step:1", "RUN make"),
           Input("env:A", "x", "env", "A")]
    new = [Input("file:src/lib.c", "5678ef01" + "0" * 56, "file", "src/lib.c"),
           Input("build_arg:X", "2", "build_arg", "X"), base("c" * 64),
           Input("platform:cuda_arch", "72", "platform", "cuda_arch"),
           Input("wheel://w:wheel", "d" * 64, "wheel", "//w:wheel"), Input("step:1", "RUN make"),
           Input("file:new.txt", "e" * 64, "file", "new.txt")]
    lines = diff_inputs(old, new, {"c" * 64: "//a:below"}.get)
    assert lines == [
        "base //a:below rebuilt",
        "build arg X: 1 → 2",
        "env:A removed: x",
        "file new.txt added",
        "file src/lib.c changed (sha256 1234abcd → 5678ef01)",
        "platform cuda_arch 87 → 72",
        "wheel //w:wheel rebuilt",
    ]


def test_summary_from_events() -> None:
    def event(outcome: str, solves: int) -> StageEvent:
        return StageEvent("//a:a", "p", "0" * 64, "layer", outcome, 1.0, solves)

    summary = Summary.of([event("cached", 0), event("built", 1), event("failed", 1), event("skipped", 0)], 2.5)
    assert str(summary) == "1 cached, 1 built, 1 failed, 1 skipped; 2 solves; 2.5s"
    assert str(Summary.of([event("cached", 0)], 0.1)) == "1 cached, 0 built; 0 solves; 0.1s"


def test_plain_progress_throttles_log_lines() -> None:
    out = io.StringIO()
    progress = PlainProgress(out)
    progress.state("k", "//a:a", "building", "cache miss")
    for i in range(50):
        progress.log_line("k", f"line {i}")
    progress.state("k", "//a:a", "done", "1.0s")
    assert out.getvalue().splitlines() == ["[//a:a] building: cache miss", "[//a:a] line 0", "[//a:a] done: 1.0s"]
