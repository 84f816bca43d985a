"""Helpers of the plan tests: planning a target of a workspace directory, comparing keys."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from jc_build.analysis.graph import ConfiguredGraph
from jc_build.labels import parse_label
from jc_build.loading.packages import PackageLoader
from jc_build.loading.workspace import load_workspace
from jc_build.plan import Plan, make_plan

FIXTURES = Path(__file__).resolve().parent / "fixtures"
BASIC = FIXTURES / "basic"
APP = "//app/demo"


def graph_of(root: Path, platform: str | None = None) -> tuple[ConfiguredGraph, object]:
    ws = load_workspace(root)
    return ConfiguredGraph(PackageLoader(ws, ws.platform(platform))), ws


def plan_of(root: Path, target: str = APP, platform: str | None = None,
            base_digests: Mapping[str, str] | None = None) -> Plan:
    graph, ws = graph_of(root, platform)
    return make_plan(graph, ws, parse_label(target), base_digests=base_digests)  # type: ignore[arg-type]


def keys(plan: Plan) -> dict[str, str]:
    """label -> key; a label with several stages (e.g. a forced and a normal wheel) is labelled #n."""
    out: dict[str, str] = {}
    for stage in plan.stages:
        name = str(stage.label)
        n = 1
        while name in out:
            n += 1
            name = f"{stage.label}#{n}"
        out[name] = stage.key
    return out


def changed(before: Plan, after: Plan) -> set[str]:
    """Labels whose stage key differs between two plans of the same target."""
    a, b = keys(before), keys(after)
    assert a.keys() == b.keys()
    return {label for label in a if a[label] != b[label]}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def sub(path: Path, pattern: str, new: str) -> None:
    text, n = re.subn(pattern, new, path.read_text(), count=1, flags=re.S)
    assert n == 1, f"{pattern!r} not in {path}"
    path.write_text(text)
