"""Platforms (jp5 refused, jp6-cu128 defaults), the image tag, and sglang's dependants."""

from __future__ import annotations

import subprocess
import sys

import pytest

from stack_helpers import REPO, assert_same_chain, chain_names, graph, label, seed_containers, stack_targets

SEED = seed_containers()


def test_tag_of_sglang_0_4_9_in_a_subprocess():
    proc = subprocess.run([sys.executable, "-m", "jc_build.cli.main", "tag", "//llm/sglang:0.4.9"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "sglang:0.4.9-r36.4.0-cu126-24.04"


@pytest.mark.parametrize("name, tag", [
    ("sglang", "sglang:0.4.9-r36.4.0-cu126-24.04"),
    ("sglang:builder", "sglang:0.4.9-builder-r36.4.0-cu126-24.04"),
    ("flashinfer", "flashinfer:0.2.8-r36.4.0-cu126-24.04"),
    ("pip-cache", "pip_cache:cu126-r36.4.0-cu126-24.04"),
    ("torch", "pytorch:2.8-r36.4.0-cu126-24.04"),
    ("cmake", "cmake:pip-r36.4.0-cu126-24.04"),
])
def test_jetson_containers_names_resolve(jcb, name, tag):
    result = jcb(REPO, "tag", name)
    assert (result.code, result.out.strip()) == (0, tag), result.err


def test_jp5_refuses_sglang_naming_the_constraint(jcb):
    result = jcb(REPO, "tag", "//llm/sglang", "--platform=jp5")
    assert result.code != 0
    assert "'>=36'" in result.err and "35.4.1" in result.err, result.err
    assert "//llm/sglang" in result.err


def test_jp5_declares_sglang_requires():
    g = graph("jp5")
    for version in ("0.4.4", "0.4.6", "0.4.9"):
        assert g.target(label(f"//llm/sglang:{version}")).attrs["requires"] == [">=36"]
        assert not g.is_compatible(label(f"//llm/sglang:{version}"))


def test_jp6_cu128_chain_follows_upstream_defaults():
    names = chain_names("//llm/sglang:0.4.9", platform="jp6-cu128")
    for name in ("pip_cache:cu128", "cuda:12.8", "cudnn:9.8", "pytorch:2.7", "torchvision:0.22.0",
                 "torchaudio:2.7.0", "cuda-python:12.8", "triton:3.4.0", "sglang:0.4.9"):
        assert name in names, name
    # the same packages in the same order as the seed's chain for CUDA 12.6
    seed = [n.split(":")[0] for n in SEED["sglang:0.4.9"].chain()]
    assert_same_chain(names, seed)


@pytest.mark.parametrize("platform", ["jp6-cu126", "jp6-cu128", "jp5", "demo"])
def test_every_package_loads_on_every_platform(platform):
    """Defaults (select()s) cover every platform and every label points at a declared target."""
    g = graph(platform)
    count = 0
    for target in stack_targets(g):
        g.edges(target.label)
        count += 1
    assert count > 300


def test_dependants_of_sglang_0_4_9_are_the_seeds():
    """Layers whose deps reach sglang:0.4.9 directly (through the default alias): the Dependants row."""
    g = graph()
    sglang = label("//llm/sglang:0.4.9")
    found = {}
    for target in stack_targets(g):
        if target.kind != "container_layer" or target.attrs["builder"]:
            continue
        deps = g.edges(target.label)[:len(target.attrs["deps"])]
        via_alias = [d for d in deps if d != sglang and g.resolve_alias(d) == sglang]
        if via_alias:
            found[target.jc_name] = target.label.package
    expected = {name: path for name, path in SEED["sglang:0.4.9"].links("Dependants")}
    assert found == expected


@pytest.mark.parametrize("target", ["//llm/dynamo/dynamo:0.3.2", "//ml/l4t/l4t-dynamo", "//llm/llama-factory"])
def test_dependants_images_hold_sglang_0_4_9(target):
    names = chain_names(target)
    assert "sglang:0.4.9" in names and names[-1] == graph().target(label(target)).jc_name
    assert names.index("sglang:0.4.9") < len(names) - 1


def test_vllm_0_8_4_pins_its_flashinfer():
    names = chain_names("//llm/vllm:0.8.4")
    assert "flashinfer:0.2.1.post2" in names and "flashinfer:0.2.8" not in names
