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


BNB_TAR = REPO / "pkgs/llm/bitsandbytes/src-0.48.0.tar"


def needs_bnb_source(target: str, platform: str) -> None:
    """bitsandbytes on the stand-ins compiles a tarball made from a local mirror (see its BUILD file)."""
    if "bitsandbytes" in target and platform.startswith("standin") and not BNB_TAR.is_file():
        pytest.skip(f"{BNB_TAR.relative_to(REPO)} not made (scripts/vendor_source.sh, from a bitsandbytes mirror)")


def plan(jcb, target: str, platform: str) -> dict:
    needs_bnb_source(target, platform)
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


def test_standin_cuda_comes_from_pinned_wheels(jcb) -> None:
    stage = next(s for s in plan(jcb, "//cuda/cuda", "standin-arm64")["stages"] if s["label"] == "//cuda/cuda:13.0")
    installs = re.findall(r"pip install --no-cache-dir --no-deps ([^&]+)&&", stage["dockerfile"])
    assert len(installs) == 1
    wheels = installs[0].split()
    assert {w.split("==")[0] for w in wheels} >= {"nvidia-cuda-nvcc", "nvidia-cuda-crt", "nvidia-nvvm",
                                                  "nvidia-cuda-runtime", "nvidia-cuda-cccl", "nvidia-cuda-cuobjdump"}
    assert all(re.fullmatch(r"[a-z-]+==\d+(\.\d+)+", w) for w in wheels), wheels  # every one pinned
    release = {w.split("==")[1].rsplit(".", 1)[0] for w in wheels if w.startswith(("nvidia-cuda-", "nvidia-nvvm"))
               and "cuobjdump" not in w}
    assert release == {"13.0"}, release  # compiler parts from one release


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
