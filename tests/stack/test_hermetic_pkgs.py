"""Every build target of pkgs/, on every platform, plans hermetic Dockerfiles: no step clones or
fetches git sources (jcb fetches them on the host), and no pip install floats unless the target
says why (``allow_floating``)."""

from __future__ import annotations

import re
from functools import lru_cache

import pytest
from stack_helpers import REPO

from jc_build.analysis.graph import ConfiguredGraph
from jc_build.errors import AnalysisError
from jc_build.labels import Label, parse_label
from jc_build.loading.load_cache import LoadCache
from jc_build.loading.packages import PackageLoader
from jc_build.loading.workspace import load_workspace
from jc_build.pins import command_requirements, floating_requirements
from jc_build.plan import make_plan

GIT = re.compile(r"(?<![\w.-])git\s+(clone|fetch|submodule)\b")
WORKSPACE = load_workspace(REPO)


@lru_cache(maxsize=None)
def _graph(platform: str) -> ConfiguredGraph:
    return ConfiguredGraph(PackageLoader(WORKSPACE, WORKSPACE.platform(platform), LoadCache(None)))


def _targets(platform: str) -> list[Label]:
    graph = _graph(platform)
    return [Label(p, name) for p in graph.loader.all_packages()
            for name, t in graph.loader.load_package(p).items()
            if t.kind in ("container_layer", "wheel") and graph.is_compatible(Label(p, name))]


@pytest.mark.parametrize("platform", sorted(WORKSPACE.platforms))
def test_no_git_and_no_floating_pip_in_any_dockerfile(platform: str) -> None:
    graph, problems, planned = _graph(platform), [], 0
    for label in _targets(platform):
        try:
            plan = make_plan(graph, WORKSPACE, label)
        except AnalysisError as exc:
            assert "would hold two versions" in str(exc), exc  # a known conflict of that target, not ours
            continue
        planned += 1
        for stage in plan.stages:
            floats_ok = bool(graph.target(stage.label).fields.allow_floating)
            for line in stage.dockerfile.splitlines():
                if GIT.search(line):
                    problems.append(f"{stage.label}: git in a step: {line[:120]}")
                loose = floating_requirements(command_requirements(line.replace("\\$", "$")))
                if loose and not floats_ok:
                    problems.append(f"{stage.label}: floating pip install {loose}")
    assert planned > 20 and sorted(set(problems)) == []


@pytest.mark.parametrize("platform", sorted(WORKSPACE.platforms))
def test_every_wheel_compiles_without_network(platform: str) -> None:
    """Every wheel target of pkgs/ compiles at network=none: planned --hermetic its stage needs no
    network, and planned with its index lookup only that lookup does (the compile's build tools are
    installed in a layer below it, which declares the network)."""
    graph, problems, compiles = _graph(platform), [], 0
    for label in _targets(platform):
        if graph.target(label).kind != "wheel":
            continue
        for hermetic in (True, False):
            try:
                plan = make_plan(graph, WORKSPACE, label, hermetic=hermetic)
            except AnalysisError as exc:
                assert "would hold two versions" in str(exc), exc  # a known conflict of that target
                break
            stage = next(s for s in plan.stages if s.key == plan.root_key)
            assert stage.kind == "wheel" and stage.label == label
            needing = sorted(set(stage.network_steps) - {"index"})
            if needing or (hermetic and stage.network != "none"):
                problems.append(f"{label} (hermetic={hermetic}): network={stage.network}, needed by {needing}")
            compiles += hermetic
    assert compiles >= 5 and problems == []


STAGE_HEADER = re.compile(r"^# ---- stage \d+/\d+: (layer|wheel) (\S+) ", re.M)


def test_sglang_dockerfile_clones_nothing_and_pins_every_pip_install(jcb) -> None:
    """`jcb plan //llm/sglang:0.4.9 --output=dockerfile`: no git clone/fetch anywhere, and every pip
    install of every stage (layers, build tools, compiles) names exact versions; no layer of the
    chain declares allow_floating."""
    result = jcb(REPO, "plan", "//llm/sglang:0.4.9", "--output=dockerfile")
    assert result.code == 0, result.err
    assert not GIT.search(result.out)
    graph, floating, kinds, pip_installs = _graph("jp6-cu126"), {}, {}, 0
    parts = STAGE_HEADER.split(result.out)[1:]
    for kind, label, text in zip(parts[::3], parts[1::3], parts[2::3]):
        kinds[label] = kind
        requirements = [r for line in text.splitlines() for r in command_requirements(line)]
        pip_installs += len(requirements)
        if floating_requirements(requirements):
            floating[label] = floating_requirements(requirements)
    assert sum(kind == "wheel" for kind in kinds.values()) > 20 and any(":build-tools-" in k for k in kinds)
    assert pip_installs > 100 and floating == {}
    assert [label for label in kinds if graph.target(parse_label(label)).fields.allow_floating] == []
