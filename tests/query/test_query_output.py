"""Output formats, orders, and format_result's usage errors."""

from __future__ import annotations

import json

import pytest

from jc_build.errors import UsageError
from jc_build.query import format_result, run_query
from jc_build.query.starlark import to_starlark


def out(graph, query: str, output: str, order: str = "sorted") -> str:
    return format_result(graph, run_query(graph, query), output, order)


def test_label_output_is_sorted_by_default(graph):
    assert out(graph, "deps(//llm/vllm:0.9.2)", "label") == (
        "//build/cmake:cmake\n//cuda/cuda:12.6\n//cuda/cuda:cuda\n//llm/vllm:0.9.2\n"
        "//pytorch:2.8\n//pytorch:pytorch\n//pytorch:src\n//pytorch:wheel\n")
    assert format_result(graph, run_query(graph, "deps(//pytorch:2.8)")) == out(graph, "deps(//pytorch:2.8)", "label")
    assert out(graph, "//pytorch:2.8 - //pytorch:2.8", "label") == ""


def test_build_order_and_query_order(graph):
    assert out(graph, "deps(//llm/vllm:0.9.2)", "label", "build") == (
        "//cuda/cuda:12.6\n//cuda/cuda:cuda\n//build/cmake:cmake\n//pytorch:src\n//pytorch:wheel\n"
        "//pytorch:2.8\n//pytorch:pytorch\n//llm/vllm:0.9.2\n")
    assert out(graph, "somepath(//llm/vllm:0.9.2, //cuda/cuda:12.6)", "label", "query") == (
        "//llm/vllm:0.9.2\n//pytorch:pytorch\n//pytorch:2.8\n//cuda/cuda:cuda\n//cuda/cuda:12.6\n")


def test_label_kind(graph):
    assert out(graph, "//pytorch:all", "label_kind") == (
        "container_layer rule //pytorch:2.8\nalias rule //pytorch:pytorch\n"
        "git_repository rule //pytorch:src\nwheel rule //pytorch:wheel\n")


def test_name_prints_container_layers_once_in_jetson_containers_naming(graph):
    assert out(graph, "deps(//llm/sglang)", "name") == "cmake\ncuda:12.6\nsglang:0.4.9\nvllm:0.9.2\npytorch:2.8\n"
    assert out(graph, "deps(//llm/vllm)", "name", "build") == "cuda:12.6\ncmake\npytorch:2.8\nvllm:0.9.2\n"
    assert out(graph, "//tools/pip_cache:all", "name") == "pip_cache:cu126\n"
    assert out(graph, "kind(wheel, //...)", "name") == ""


def test_json(graph):
    items = json.loads(out(graph, "//llm/sglang:0.4.9 + //llm/sglang:src", "json"))
    assert [item["label"] for item in items] == ["//llm/sglang:0.4.9", "//llm/sglang:src"]
    layer, src = items
    assert layer["kind"] == "container_layer" and layer["jc_name"] == "sglang:0.4.9"
    assert layer["location"] == "pkgs/llm/sglang/BUILD.star:1:1"
    assert layer["deps"] == ["//llm/vllm:vllm", "//pytorch:pytorch", "//llm/sglang:wheel-0.4.9"]
    assert layer["attrs"]["env"] == {"SGLANG_VERSION": "0.4.9"} and layer["attrs"]["requires"] == [">=36"]
    assert src["kind"] == "http_archive" and src["jc_name"] is None and src["deps"] == []
    assert out(graph, "//pytorch:2.8 - //pytorch:2.8", "json") == "[]\n"


def test_build_prints_non_default_attributes_as_starlark(graph):
    assert out(graph, "//llm/sglang:0.4.9", "build") == '''\
# pkgs/llm/sglang/BUILD.star:1:1
container_layer(
    name = "0.4.9",
    deps = ["//llm/vllm:vllm", "//pytorch:pytorch"],
    env = {"SGLANG_VERSION": "0.4.9"},
    requires = [">=36"],
    version = "0.4.9",
    wheels = ["//llm/sglang:wheel-0.4.9"],
)
'''
    assert out(graph, "//pytorch:src + //pytorch:wheel + //tools/pip_cache:cu126", "build") == '''\
# pkgs/pytorch/BUILD.star:3:1
git_repository(
    name = "src",
    remote = "https://github.com/pytorch/pytorch",
    tag = "v2.8.0",
)

# pkgs/pytorch/BUILD.star:2:1
wheel(
    name = "wheel",
    build_deps = ["//cuda/cuda:cuda"],
    dist = "torch",
    srcs = ["//pytorch:src"],
    version = "2.8.0",
)

# pkgs/tools/pip_cache/BUILD.star:1:1
container_layer(
    name = "cu126",
    builder = True,
    package = "pip_cache",
    version = "cu126",
)
'''


def test_to_starlark_wraps_long_values():
    assert to_starlark({"a": [1, None, False], "b": 'say "hi"'}) == '{"a": [1, None, False], "b": "say \\"hi\\""}'
    steps = [{"op": "run", "cmd": "pip3 install --no-cache-dir " + "x" * 20}, {"op": "env", "vars": {"A": "1"}}]
    assert to_starlark(steps, "    ") == (
        '[\n'
        '        {"op": "run", "cmd": "pip3 install --no-cache-dir ' + "x" * 20 + '"},\n'
        '        {"op": "env", "vars": {"A": "1"}},\n'
        '    ]')


def test_graph_is_dot_clustered_by_group_styled_by_kind(graph):
    layer = 'shape=box, style="rounded,filled", fillcolor="#cfe2ff", color="#1f4e99"'
    alias = 'shape=box, style=dashed, fontcolor="#555555", color="#888888"'
    cluster = 'style="rounded"; color="#bbbbbb"; fontname="Helvetica-Bold";'
    chain = ' [penwidth=2, color="#1f4e99"]'
    assert out(graph, "deps(//llm/vllm:0.9.2, 2)", "graph") == f'''\
digraph jcb {{
  rankdir=RL; newrank=true; ranksep=0.6; nodesep=0.15;
  node [fontname="Helvetica", fontsize=11];
  edge [color="#777777", arrowsize=0.7];
  subgraph cluster_0 {{
    label="llm";
    {cluster}
    "//llm/vllm:0.9.2" [label="vllm:0.9.2", tooltip="//llm/vllm:0.9.2 (container_layer)", {layer}];
  }}
  subgraph cluster_1 {{
    label="pytorch";
    {cluster}
    "//pytorch:2.8" [label="pytorch:2.8", tooltip="//pytorch:2.8 (container_layer)", {layer}];
    "//pytorch:pytorch" [label="pytorch:pytorch", tooltip="//pytorch:pytorch (alias)", {alias}];
  }}
  "//llm/vllm:0.9.2" -> "//pytorch:pytorch"{chain};
  "//pytorch:pytorch" -> "//pytorch:2.8"{chain};
}}
'''
    wheel_edge = '"//pytorch:2.8" -> "//pytorch:wheel";'
    chain_edge = '"//pytorch:2.8" -> "//cuda/cuda:cuda" [penwidth=2, color="#1f4e99"];'
    text = out(graph, "deps(//pytorch:2.8)", "graph")
    assert wheel_edge in text and chain_edge in text  # a layer on a layer: the image chain, drawn thick


def test_tree_marks_repeated_subtrees(graph):
    assert out(graph, "deps(//llm/sglang:0.4.9)", "tree") == '''\
//llm/sglang:0.4.9
├── //llm/vllm:vllm
│   └── //llm/vllm:0.9.2
│       └── //pytorch:pytorch
│           └── //pytorch:2.8
│               ├── //cuda/cuda:cuda
│               │   └── //cuda/cuda:12.6
│               ├── //build/cmake:cmake
│               └── //pytorch:wheel
│                   ├── //cuda/cuda:cuda (*)
│                   └── //pytorch:src
├── //pytorch:pytorch (*)
└── //llm/sglang:wheel-0.4.9
    ├── //pytorch:pytorch (*)
    └── //llm/sglang:src
'''
    assert out(graph, "//pytorch:src + //llm/sglang:src", "tree") == "//llm/sglang:src\n\n//pytorch:src\n"
    # Edges only among result members: the wheels' layers are not in the result.
    assert out(graph, "kind(container_layer, deps(//pytorch:2.8))", "tree") == (
        "//cuda/cuda:12.6\n\n//pytorch:2.8\n└── //build/cmake:cmake\n")


@pytest.mark.parametrize("output, order, message", [
    ("jsn", "sorted", "unknown output format 'jsn' (did you mean 'json'?)"),
    ("xml", "sorted", "unknown output format 'xml'; expected one of: label, label_kind, name, json, build, "
                      "graph, tree, html"),
    ("label", "bild", "unknown order 'bild' (did you mean 'build'?)"),
    ("label", "random", "unknown order 'random'; expected one of: sorted, build, query"),
])
def test_format_result_usage_errors(graph, output, order, message):
    with pytest.raises(UsageError) as info:
        format_result(graph, [], output, order)
    assert str(info.value) == message
    assert info.value.exit_code == 2
