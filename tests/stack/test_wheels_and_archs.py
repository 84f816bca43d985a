"""Wheels: pinned sources, index data, minimal build deps; CUDA archs only from the platform."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from stack_helpers import FOREIGN, REPO, graph, label, reachable, stack_targets

HEAVY = ["sglang", "sgl-kernel", "flash-attention", "flashinfer", "xformers", "vllm", "mamba", "causalconv1d",
         "bitsandbytes", "torchao", "triton", "pytorch", "torchvision", "torchaudio"]


def wheels(g):
    return [t for t in stack_targets(g) if t.kind == "wheel"]


def test_heavy_compiles_are_wheels_installed_by_their_layers():
    g = graph()
    by_package = {}
    for w in wheels(g):
        by_package.setdefault(w.package_name, []).append(w)
    for package in HEAVY:
        assert package in by_package, f"no wheel target for {package}"
    for target in stack_targets(g):
        if target.kind == "container_layer" and target.attrs["wheels"]:
            for wheel in g.edges(target.label)[len(target.attrs["deps"]):]:
                assert g.target(wheel).kind == "wheel"


def test_wheel_sources_are_pinned_and_index_is_the_platforms():
    for platform, index in [(None, "https://pypi.jetson-ai-lab.dev/jp6/cu126"),
                            ("jp6-cu128", "https://pypi.jetson-ai-lab.dev/jp6/cu128")]:
        g = graph(platform)
        for w in wheels(g):
            assert w.attrs["index_url"] == index, w.label
            assert w.attrs["index_spec"], w.label
            srcs = [g.target(s) for s in g.edges(w.label)[len(w.attrs["build_deps"]):]]
            assert srcs and all(s.kind == "git_repository" for s in srcs), w.label
            assert all(s.attrs["tag"] or s.attrs["commit"] for s in srcs), w.label
            if any(s.attrs["commit"] for s in srcs):
                assert all(re.fullmatch(r"[0-9a-f]{40}", s.attrs["commit"]) for s in srcs if s.attrs["commit"])


def test_index_specs_follow_upstream_install_steps():
    g = graph()
    spec = {str(w.label): w.attrs["index_spec"] for w in wheels(g)}
    assert spec["//llm/sglang:wheel-0.4.4"] == "sglang==0.4.3.post2"
    assert spec["//llm/sglang:wheel-0.4.9"] == "sglang==0.4.9"
    assert spec["//attention/flash-infer:wheel-0.2.6.post1"] == "flashinfer-python==0.2.6.post1"
    assert spec["//attention/flash-attention:wheel-2.8.0.post2"] == "flash-attn==2.8.0.post2"
    assert spec["//pytorch:wheel-2.8"] == "torch==2.8"


@pytest.mark.parametrize("wheel", ["//attention/flash-attention:wheel-2.8.0.post2",
                                   "//llm/sglang/sgl-kernel:wheel-0.2.3",
                                   "//attention/flash-infer:wheel-0.2.8"])
def test_named_wheels_build_on_what_they_compile_with(wheel):
    g = graph()
    target = g.target(label(wheel))
    closure = reachable(g, g.edges(target.label))
    packages = {g.target(l).package_name for l in closure if g.target(l).kind == "container_layer"}
    assert "pytorch" in packages
    assert not packages & {"ffmpeg", "diffusers", "xformers", "vllm", "minference"}, packages


def test_no_wheel_builds_on_ffmpeg_or_diffusers():
    g = graph()
    for w in wheels(g):
        closure = reachable(g, g.edges(w.label))
        packages = {g.target(l).package_name for l in closure if g.target(l).kind == "container_layer"}
        assert not packages & {"ffmpeg", "diffusers"}, (str(w.label), packages & {"ffmpeg", "diffusers"})


def test_flash_attention_build_deps_are_pytorch_triton_cutlass():
    g = graph()
    target = g.target(label("//attention/flash-attention:wheel-2.8.0.post2"))
    assert target.attrs["build_deps"] == ["//pytorch:pytorch", "//ml/triton:triton", "//cuda/cutlass:cutlass"]
    layer = g.target(label("//attention/flash-attention:2.8.0.post2"))
    assert layer.attrs["deps"] == ["//pytorch:pytorch", "//ml/triton:triton", "//attention/xformers:xformers",
                                   "//cuda/cutlass:cutlass"]


def test_every_versioned_sglang_has_a_builder():
    g = graph()
    for version in ("0.4.4", "0.4.6", "0.4.9"):
        layer = g.target(label(f"//llm/sglang:{version}"))
        builder = g.target(label(f"//llm/sglang:{version}-builder"))
        assert builder.attrs["builder"] and not layer.attrs["builder"]
        assert builder.attrs["deps"] == layer.attrs["deps"] and builder.attrs["wheels"] == layer.attrs["wheels"]
        assert builder.jc_name == f"sglang:{version}-builder"
    assert g.target(label("//llm/sglang:0.4.9-builder")).attrs["aliases"] == ["sglang:builder"]


# -- CUDA architectures ----------------------------------------------------------------------

_DOTTED = re.compile(r"(?<![0-9A-Za-z.])8\.7(?![0-9])")
_PLAIN = re.compile(r"(?<![0-9A-Za-z])87(?![0-9A-Za-z])")


def _code(text: str) -> str:
    """Starlark text without docstrings and comments (they may show examples such as ["87"])."""
    text = re.sub(r'"""(?:.|\n)*?"""', '""', text)
    return "\n".join(line.split("#", 1)[0] if not line.lstrip().startswith("#") else "" for line in text.splitlines())


def test_no_hard_coded_orin_arch_outside_toolchains():
    offenders = []
    for path in sorted((REPO / "pkgs").rglob("*.star")):
        rel = path.relative_to(REPO / "pkgs")
        if rel.parts[0] in FOREIGN:
            continue
        for n, line in enumerate(_code(path.read_text(encoding="utf-8")).splitlines(), 1):
            if _DOTTED.search(line) or _PLAIN.search(line):
                offenders.append(f"pkgs/{rel}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def _arch_values(g):
    values = {}
    for w in wheels(g):
        values[str(w.label)] = (w.attrs["env"]["CUDA_ARCHITECTURES"], w.attrs["env"]["TORCH_CUDA_ARCH_LIST"])
    return values


def test_every_wheel_gets_the_platforms_arch_list():
    for cuda_arch, dotted in [(("87",), ["8.7"])]:
        g = graph()
        assert g.platform.cuda_arch == cuda_arch
        for name, (plain, torch) in _arch_values(g).items():
            assert plain == ";".join(cuda_arch), name
            assert all(d in torch for d in dotted), name


TEST_PLATFORM = """
platform(
    name = "test-archs",
    l4t = "36.4.0",
    jetpack = "6.1",
    cuda = "12.6",
    cudnn = "9.3",
    python = "3.10",
    distro = "24.04",
    arch = "aarch64",
    cuda_arch = ["72", "110"],
    base_image = "ubuntu:24.04",
)
"""


def test_changing_the_platforms_cuda_arch_changes_every_compile(tmp_path: Path):
    ws = tmp_path / "ws"
    ws.mkdir()
    shutil.copy(REPO / "WORKSPACE.star", ws / "WORKSPACE.star")
    shutil.copytree(REPO / "toolchains", ws / "toolchains")
    with open(ws / "toolchains" / "BUILD.star", "a", encoding="utf-8") as f:
        f.write(TEST_PLATFORM)
    shutil.copytree(REPO / "pkgs", ws / "pkgs", ignore=lambda d, names: [n for n in names if n in FOREIGN])
    g = graph("test-archs", root=ws)
    values = _arch_values(g)
    assert len(values) > 50
    for name, (plain, torch) in values.items():
        assert plain == "72;110", name
        assert "7.2" in torch and "11.0" in torch and "8.7" not in torch, name
    # layers and steps that spell archs their own way follow too
    cuda = g.target(label("//cuda/cuda:12.6"))
    assert cuda.attrs["env"]["CUDAARCHS"] == "72;110" and cuda.attrs["build_args"]["CUDA_ARCH_LIST"] == "72;110"
    kernel = g.target(label("//llm/sglang/sgl-kernel:wheel-0.2.3"))
    gencode = " ".join(s.get("cmd", "") for s in kernel.attrs["steps"])
    assert "compute_72,code=sm_72" in gencode and "compute_110,code=sm_110" in gencode
    assert "compute_87" not in gencode
    dynamo = g.target(label("//llm/dynamo/dynamo:wheel-0.3.2"))
    assert dynamo.attrs["env"]["CUDA_COMPUTE_CAP"] == "110"
    assert dynamo.attrs["env"]["COMPUTE_CAPABILITIES"] == "72,110"


@pytest.mark.parametrize("target", ["//llm/sglang:0.4.9", "//llm/sglang:0.4.4-builder", "//llm/dynamo/dynamo:0.3.2",
                                    "//ml/l4t/l4t-dynamo", "//llm/llama-factory"])
def test_the_planner_accepts_the_stack(jcb, target):
    """`jcb plan` turns the data into stages: every wheel compiles in its own builder."""
    result = jcb(REPO, "plan", target)
    assert result.code == 0, result.err
    assert "wheel  //llm/sglang:wheel-" in result.out and "wheel  //attention/flash-attention:wheel-" in result.out


def test_plan_compiles_every_cuda_wheel_for_the_platform_arch(jcb):
    """`jcb plan --output=json`: every wheel stage that compiles CUDA code targets sm_87 (Orin)."""
    import json
    result = jcb(REPO, "plan", "//llm/sglang:0.4.9", "--output=json")
    assert result.code == 0, result.err
    wheels = [s for s in json.loads(result.out)["stages"] if s["kind"] == "wheel"]
    assert len(wheels) >= 11
    for stage in wheels:
        dockerfile = stage["dockerfile"]
        assert "8.7" in dockerfile or "87" in dockerfile, stage["label"]
    compiled = {s["label"] for s in wheels if 'TORCH_CUDA_ARCH_LIST="8.7"' in s["dockerfile"]}
    for name in ("sgl-kernel", "flash-attention", "flash-infer", "xformers", "vllm", "mamba", "causalconv1d"):
        assert any(f"/{name}:" in label for label in compiled), name
