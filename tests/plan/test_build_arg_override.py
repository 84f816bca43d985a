"""--build-arg overrides a build argument a target declares: the stage gets the value, and
its key (with every key above it) changes; stages that do not declare it keep their keys."""

from __future__ import annotations

from pathlib import Path

from plan_helpers import graph_of, keys

from jc_build.labels import parse_label
from jc_build.plan import make_plan

FILES = {
    "pkgs/low/BUILD.star": 'container_layer(name = "low", build_args = {"FLAVOR": "plain"}, steps = [run("true")])\n',
    "pkgs/top/BUILD.star": 'container_layer(name = "top", deps = ["//low"], build_args = {"OTHER": "x"}, '
                           'steps = [run("true")])\n',
    "pkgs/side/BUILD.star": 'container_layer(name = "side", steps = [run("true")])\n',
}


def _plan(root: Path, target: str, **overrides: str):
    graph, ws = graph_of(root)
    return make_plan(graph, ws, parse_label(target), build_args=overrides)  # type: ignore[arg-type]


def test_override_reaches_the_declaring_stage_and_its_key(workspace) -> None:
    root = workspace(FILES)
    default, changed = _plan(root, "//top"), _plan(root, "//top", FLAVOR="fancy")
    low = next(s for s in changed.stages if str(s.label) == "//low:low")
    assert low.build_args == {"FLAVOR": "fancy"} and 'ARG FLAVOR="fancy"' in low.dockerfile
    assert keys(default)["//low:low"] != keys(changed)["//low:low"]
    assert keys(default)["//top:top"] != keys(changed)["//top:top"]  # built on the changed layer
    top = next(s for s in changed.stages if str(s.label) == "//top:top")
    assert top.build_args == {"OTHER": "x"}  # an argument a target does not declare is not added
    assert keys(_plan(root, "//side")) == keys(_plan(root, "//side", FLAVOR="fancy"))
