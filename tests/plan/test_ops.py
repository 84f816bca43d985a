"""Each plan operation (plan/ops.py): its keyed attrs, its Dockerfile lines, its named inputs.

Adding an operation adds a case here (``test_every_operation_has_a_case`` fails until it does).
"""

from __future__ import annotations

import inspect

import pytest

from jc_build.plan import Node, Operation, ops
from jc_build.plan.canonical import node_digest


def node(operation: Operation, inputs: tuple[str, ...] = ("p" * 64,)) -> Node:
    attrs = operation.attrs()
    return Node(node_digest(operation.OP, attrs, inputs), operation.OP, attrs, inputs, operation.extra(), operation)


BASE = ops.BaseImage("ubuntu:24.04", "sha256:ab")
CASES: dict[type, tuple[Operation, list[str], dict[str, str]]] = {
    ops.BaseImage: (BASE, [], {}),
    ops.PlatformValues: (ops.PlatformValues({"cuda": "12.6", "cuda_arch": ["87", "72"]}), [],
                         {"platform:cuda": "12.6", "platform:cuda_arch": "87,72"}),
    ops.SourceFile: (ops.SourceFile("a.py", "d" * 64, "/abs/a.py"), [], {}),
    ops.GitSource: (ops.GitSource("https://x/y", "v1", "c" * 40, True, "source://a:src"), [],
                    {"source://a:src": f"https://x/y@v1/{'c' * 40} (submodules)"}),
    ops.HttpSource: (ops.HttpSource("https://x/y.tgz", "e" * 64, "y-1", ""), [],
                     {"source:DIGEST": f"https://x/y.tgz#sha256={'e' * 64} strip_prefix=y-1"}),
    ops.From: (ops.From("build"), ["ARG JCB_BASE", "FROM ${JCB_BASE} AS build"], {"base": "stage:" + "p" * 64}),
    ops.Args: (ops.Args({"X": "$1"}), ['ARG X="\\$1"'], {"build_arg:X": "$1"}),
    ops.Env: (ops.Env({"A": "x y"}), ['ENV A="x y"'], {"env:A": "x y"}),
    ops.Context: (ops.Context({"a.py": "d" * 64}), [], {"file:a.py": "d" * 64}),
    ops.Exec: (ops.Exec("make", "step:1", secrets=("cabundle",)),
               [f"RUN --mount=type=secret,id=cabundle {ops.ca_prefix()}; make"],
               {"step:1": f"RUN --mount=type=secret,id=cabundle {ops.ca_prefix()}; make"}),
    ops.WheelInstall: (ops.WheelInstall("pip install w", "wheels", wheel_labels=("//w:wheel",)),
                       ["RUN pip install w"], {"wheel://w:wheel": "k" * 64, "wheels": "RUN pip install w"}),
    ops.Copy: (ops.Copy("a b", "/opt/", "step:2"), ['COPY ["a b", "/opt/"]'], {"step:2": 'COPY ["a b", "/opt/"]'}),
    ops.Workdir: (ops.Workdir("/opt/app", "step:3"), ["WORKDIR /opt/app"], {"step:3": "WORKDIR /opt/app"}),
    ops.Fragment: (ops.Fragment("Dockerfile", "f" * 64, "RUN true\n"), ["# dockerfile: Dockerfile", "RUN true"],
                   {"dockerfile:Dockerfile": "f" * 64}),
    ops.LayerResult: (ops.LayerResult("//a:a"), [], {}),
    ops.WheelExport: (ops.WheelExport("//w:wheel", "w", "cp310", "/opt/wheels", "true"),
                      ["RUN true", "", "FROM scratch", "COPY --from=build /opt/wheels/ /"],
                      {"wheel:dist": "w", "wheel:python_tag": "cp310"}),
}


def test_every_operation_has_a_case() -> None:
    defined = {cls for _, cls in inspect.getmembers(ops, inspect.isclass)
               if issubclass(cls, Operation) and cls is not Operation}
    assert defined == set(CASES)
    assert len({cls.OP for cls in defined}) == len(defined), "each operation has its own op name"


@pytest.mark.parametrize("cls", list(CASES), ids=lambda cls: cls.__name__)
def test_operation_renders_and_names_its_inputs(cls: type) -> None:
    operation, lines, inputs = CASES[cls]
    inputs_of = ("p" * 64, "k" * 64) if cls is ops.WheelInstall else ("p" * 64,)
    n = node(operation, inputs_of)
    assert operation.render() == lines
    expected = {k.replace("DIGEST", n.digest[:12]): v for k, v in inputs.items()}
    assert {i.key: i.value for i in operation.inputs(n, {})} == expected


def test_from_names_the_base_image_when_it_is_the_first_input() -> None:
    base = node(BASE, ())
    (found,) = ops.From().inputs(node(ops.From(), (base.digest,)), {base.digest: base})
    assert (found.key, found.value, found.subject) == ("base", "image:ubuntu:24.04@sha256:ab", "image")


def test_extra_is_never_part_of_the_digest() -> None:
    a = node(ops.Exec("make", "step:1", cache=({"target": "/c", "id": "x", "sharing": "shared"},)))
    b = node(ops.Exec("make", "step:9"))
    assert a.digest == b.digest and a.extra != b.extra


def test_every_step_helper_has_a_step_kind() -> None:
    from jc_build.loading.builtins import STEP_HELPERS
    from jc_build.plan.steps import STEP_KINDS
    assert set(STEP_KINDS) == set(STEP_HELPERS)
    assert all(STEP_HELPERS[name](*args)["op"] == name for name, args in {
        "run": ("true",), "copy": ("a", "/a"), "env": (), "workdir": ("/w",), "apt_install": (["x"],),
        "pip_install": (["x"],)}.items())
