"""Stand-in platforms (toolchains/BUILD.star `standin-*`) build the Jetson stack's own targets, with
CUDA from NVIDIA's pinned wheels; jp6-cu126's plans stay as they were; sglang keeps sm_87."""

from __future__ import annotations

import json
import re

import pytest
from jp6_plans import KEYS, TARGETS, stage_keys
from stack_helpers import REPO

STANDINS = {"standin-arm64": ("linux/arm64", "87"), "standin-x86": ("linux/amd64", "90")}
ARCH_VARS = re.compile(r'\b(TORCH_CUDA_ARCH_LIST|CUDAARCHS|CMAKE_CUDA_ARCHITECTURES|CUDA_ARCHITECTURES)="?([^"\s]*)')


def plan(jcb, target: str, platform: str) -> dict:
    result = jcb(REPO, "plan", target, f"--platform={platform}", "--output=json")
    assert result.code == 0, result.err
    return json.loads(result.out)


@pytest.mark.parametrize("target", TARGETS)
def test_jp6_plans_are_unchanged(target: str) -> None:
    assert stage_keys(target) == json.loads(KEYS.read_text())[target]


@pytest.mark.parametrize("platform", sorted(STANDINS))
@pytest.mark.parametrize("target", ["//cuda/cuda", "//build/python", "//build/cmake/cmake_pip",
                                    "//llm/bitsandbytes:wheel", "//examples/cuda"])
def test_stack_targets_plan_on_standins(jcb, target: str, platform: str) -> None:
    oci, arch = STANDINS[platform]
    stages = plan(jcb, target, platform)["stages"]
    assert {s["oci_platform"] for s in stages} == {oci}
    for stage in stages:
        text = stage["dockerfile"]
        assert "jetson-ai-lab" not in text, stage["label"]  # no Jetson index, no Tegra installer
        assert "cuda-tegra-repo" not in text, stage["label"]
        for var, value in ARCH_VARS.findall(text):
            assert value == (arch[:-1] + "." + arch[-1] if var == "TORCH_CUDA_ARCH_LIST" else arch), (stage["label"], var)


WHEEL_SOURCE = re.compile(r"http_archive https://files\.pythonhosted\.org/packages/\S+/(nvidia_[a-z_]+)-(\d+(?:\.\d+)+)"
                          r"-py3-none-\S+_(aarch64|x86_64)\.whl \(sha256 [0-9a-f]{64}\)")


@pytest.mark.parametrize(("platform", "machine"), [("standin-arm64", "aarch64"), ("standin-x86", "x86_64")])
def test_standin_cuda_comes_from_pinned_wheels(jcb, platform: str, machine: str) -> None:
    """NVIDIA's wheels for the platform's arch, each pinned by file and sha256, are sources jcb fetches:
    no pip and no network in the image."""
    stage = next(s for s in plan(jcb, "//cuda/cuda", platform)["stages"] if s["label"] == "//cuda/cuda:13.0")
    wheels = [WHEEL_SOURCE.fullmatch(src["source"]) for src in stage["sources"]]
    assert all(wheels), stage["sources"]
    assert {w.group(1) for w in wheels} == {"nvidia_cuda_nvcc", "nvidia_cuda_crt", "nvidia_nvvm", "nvidia_cuda_runtime",
                                            "nvidia_cuda_cccl", "nvidia_cuda_cuobjdump", "nvidia_cublas",
                                            "nvidia_cusparse"}
    assert {w.group(3) for w in wheels} == {machine}
    release = {w.group(2).rsplit(".", 1)[0] for w in wheels if w.group(1).startswith(("nvidia_cuda_", "nvidia_nvvm"))
               and "cuobjdump" not in w.group(1)}
    assert release == {"13.0"}, release  # compiler parts from one release
    assert "pip" not in stage["dockerfile"] and stage["network"] == "none"
    assert "ln -sfn /usr/local/cuda-13.0 /usr/local/cuda" in stage["dockerfile"]


def test_standin_wheels_always_compile(jcb) -> None:
    """No prebuilt index on the stand-ins (PyPI has a bitsandbytes wheel: it must not stand in)."""
    stages = plan(jcb, "//llm/bitsandbytes:wheel", "standin-arm64")["stages"]
    wheel = next(s for s in stages if s["kind"] == "wheel")
    assert wheel["label"] == "//llm/bitsandbytes:wheel-0.48.0"
    assert "pip download" not in wheel["dockerfile"] and "JCB_FORCE_BUILD" not in wheel["build_args"]
    assert "pip download" in next(s for s in plan(jcb, "//llm/bitsandbytes:wheel", "jp6-cu126")["stages"]
                                  if s["kind"] == "wheel")["dockerfile"]


def test_sglang_keeps_sm87_in_every_cuda_wheel(jcb) -> None:
    """Every wheel stage compiling with CUDA (its builder holds //cuda/cuda) targets the platform's arch
    in every arch variable it sets, and every -gencode list it edits includes sm_87."""
    stages = plan(jcb, "//llm/sglang:0.4.9", "jp6-cu126")["stages"]
    by_key = {s["key"]: s for s in stages}
    cuda_wheels = [s for s in stages if s["kind"] == "wheel"
                   and any(by_key[k]["label"].startswith("//cuda/cuda:") for k in s["builder_chain"])]
    assert len(cuda_wheels) >= 20  # derived from the plan: every wheel of the stack builds on CUDA
    for stage in cuda_wheels:
        values = dict(ARCH_VARS.findall(stage["dockerfile"]))
        assert values == {"TORCH_CUDA_ARCH_LIST": "8.7", "CUDAARCHS": "87", "CMAKE_CUDA_ARCHITECTURES": "87",
                          "CUDA_ARCHITECTURES": "87"}, stage["label"]
        if "gencode" in stage["dockerfile"]:
            assert "compute_87,code=sm_87" in stage["dockerfile"], stage["label"]
