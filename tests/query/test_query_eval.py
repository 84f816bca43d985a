"""Evaluation: every function, operator and let over the fake Jetson graph."""

from __future__ import annotations

import subprocess
import sys

import pytest
from query_helpers import FakeGraph, L, make_target

from jc_build.errors import AnalysisError
from jc_build.query import normalize_query, run_query


def q(graph: FakeGraph, query: str) -> list[str]:
    return [str(label) for label in run_query(graph, query)]


SGLANG_CLOSURE = [  # breadth-first from the alias //llm/sglang
    "//llm/sglang:sglang", "//llm/sglang:0.4.9",
    "//llm/vllm:vllm", "//pytorch:pytorch", "//llm/sglang:wheel-0.4.9",
    "//llm/vllm:0.9.2", "//pytorch:2.8", "//llm/sglang:src",
    "//cuda/cuda:cuda", "//build/cmake:cmake", "//pytorch:wheel",
    "//cuda/cuda:12.6", "//pytorch:src",
]


def test_words_resolve_through_the_graph(graph):
    assert q(graph, "//pytorch:2.8") == ["//pytorch:2.8"]
    assert q(graph, "sglang:0.4.9") == ["//llm/sglang:0.4.9"]
    assert q(graph, "'//llm/sglang:all'") == [
        "//llm/sglang:0.4.9", "//llm/sglang:wheel-0.4.9", "//llm/sglang:src", "//llm/sglang:sglang"]
    assert q(graph, '"//llm/..."') == q(graph, "//llm/vllm:all + //llm/sglang:all")


def test_deps(graph):
    assert q(graph, "deps(//llm/sglang)") == SGLANG_CLOSURE
    assert q(graph, "deps(//llm/sglang:0.4.9, 1)") == [
        "//llm/sglang:0.4.9", "//llm/vllm:vllm", "//pytorch:pytorch", "//llm/sglang:wheel-0.4.9"]
    assert q(graph, "deps(//llm/sglang:0.4.9, 0)") == ["//llm/sglang:0.4.9"]
    assert q(graph, "deps(//cuda/cuda:all)") == ["//cuda/cuda:12.6", "//cuda/cuda:cuda"]


def test_rdeps(graph):
    assert set(q(graph, "rdeps(//..., //cuda/cuda:12.6)")) == {
        "//cuda/cuda:12.6", "//cuda/cuda:cuda", "//pytorch:2.8", "//pytorch:wheel", "//pytorch:pytorch",
        "//llm/vllm:0.9.2", "//llm/vllm:vllm", "//llm/sglang:0.4.9", "//llm/sglang:wheel-0.4.9",
        "//llm/sglang:sglang"}
    assert q(graph, "rdeps(//..., //pytorch:2.8, 1)") == ["//pytorch:2.8", "//pytorch:pytorch"]
    assert set(q(graph, "rdeps(//..., //pytorch:2.8, 2)")) == {
        "//pytorch:2.8", "//pytorch:pytorch", "//llm/vllm:0.9.2", "//llm/sglang:0.4.9",
        "//llm/sglang:wheel-0.4.9"}
    # Only within the universe's closure: vllm does not reach sglang's sources.
    assert q(graph, "rdeps(//llm/vllm, //llm/sglang:src)") == []
    assert q(graph, "rdeps(//llm/vllm, //pytorch:src)") == [
        "//pytorch:src", "//pytorch:wheel", "//pytorch:2.8", "//pytorch:pytorch", "//llm/vllm:0.9.2",
        "//llm/vllm:vllm"]


def test_rdeps_follows_each_roots_own_configured_edges():
    """An alias resolved differently per root must not make one root depend on the other's choice."""
    a = make_target("a", 1, "container_layer", name="a", version="1")
    b = make_target("b", 1, "container_layer", name="b", version="1")
    alias = make_target("x", 1, "alias", name="x", actual="//a:a")
    one = make_target("one", 1, "container_layer", name="one", deps=["//x"])
    two = make_target("two", 1, "container_layer", name="two", deps=["//x"])
    graph = FakeGraph([a, b, alias, one, two], overrides={L("//two:two"): {L("//x:x"): [L("//b:b")]}})
    assert q(graph, "rdeps(//one + //two, //a:a)") == ["//a:a", "//x:x", "//one:one"]
    assert q(graph, "rdeps(//one + //two, //b:b)") == ["//b:b", "//x:x", "//two:two"]
    assert q(graph, "allpaths(//two, //a:a)") == []
    assert q(graph, "deps(//two)") == ["//two:two", "//x:x", "//b:b"]


def test_allpaths_and_somepath(graph):
    assert q(graph, "allpaths(//llm/sglang:0.4.9, //cuda/cuda:12.6)") == [
        "//llm/sglang:0.4.9", "//llm/vllm:vllm", "//pytorch:pytorch", "//llm/sglang:wheel-0.4.9",
        "//llm/vllm:0.9.2", "//pytorch:2.8", "//cuda/cuda:cuda", "//pytorch:wheel", "//cuda/cuda:12.6"]
    assert q(graph, "somepath(//llm/sglang:0.4.9, //cuda/cuda:12.6)") == [
        "//llm/sglang:0.4.9", "//pytorch:pytorch", "//pytorch:2.8", "//cuda/cuda:cuda", "//cuda/cuda:12.6"]
    assert q(graph, "somepath(//cuda/cuda:12.6, //llm/sglang:0.4.9)") == []
    assert q(graph, "allpaths(//cuda/cuda:12.6, //llm/sglang:0.4.9)") == []
    assert q(graph, "somepath(//pytorch:2.8, //pytorch:2.8)") == ["//pytorch:2.8"]
    # The first source with a path wins.
    assert q(graph, "somepath(//build/cmake + //llm/vllm:0.9.2, //pytorch:src)") == [
        "//llm/vllm:0.9.2", "//pytorch:pytorch", "//pytorch:2.8", "//pytorch:wheel", "//pytorch:src"]


def test_kind(graph):
    assert q(graph, "kind(wheel, //...)") == ["//pytorch:wheel", "//llm/sglang:wheel-0.4.9"]
    assert q(graph, 'kind("container_layer", deps(//llm/sglang))') == [
        "//llm/sglang:0.4.9", "//llm/vllm:0.9.2", "//pytorch:2.8", "//build/cmake:cmake", "//cuda/cuda:12.6"]
    assert q(graph, "kind('^(git_repository|http_archive)$', //...)") == ["//pytorch:src", "//llm/sglang:src"]
    assert q(graph, "kind(layer, //llm/vllm:all)") == ["//llm/vllm:0.9.2"]  # unanchored, like Bazel


def test_attr(graph):
    assert q(graph, "attr(version, '^0\\.', //...)") == ["//llm/vllm:0.9.2", "//llm/sglang:0.4.9"]
    assert q(graph, "attr(requires, '>=36', //...)") == ["//llm/sglang:0.4.9"]  # a list item matches
    assert q(graph, "attr(deps, '^//pytorch:pytorch$', //...)") == ["//llm/vllm:0.9.2", "//llm/sglang:0.4.9"]
    assert q(graph, "attr(env, 'SGLANG_VERSION=0', //...)") == ["//llm/sglang:0.4.9"]  # dict items are key=value
    assert q(graph, "attr(version, '^$', kind(container_layer, //...))") == ["//build/cmake:cmake"]
    assert q(graph, "attr(deps, '^$', kind(container_layer, //...))") == [  # empty list matches ''
        "//cuda/cuda:12.6", "//build/cmake:cmake", "//tools/pip_cache:cu126", "//tools/pip_cache:cu126-legacy"]
    assert q(graph, "attr(builder, True, //...)") == ["//tools/pip_cache:cu126"]
    assert q(graph, "attr(name, wheel, //...)") == ["//pytorch:wheel", "//llm/sglang:wheel-0.4.9"]
    assert q(graph, "attr(dist, torch, //...)") == ["//pytorch:wheel"]  # only kinds with the attribute


def test_filter(graph):
    assert q(graph, "filter('^//llm/', kind(container_layer, //...))") == [
        "//llm/vllm:0.9.2", "//llm/sglang:0.4.9"]
    assert q(graph, "filter(:src, //...)") == ["//pytorch:src", "//llm/sglang:src"]


def test_labels(graph):
    assert q(graph, "labels(deps, //llm/sglang:0.4.9)") == ["//llm/vllm:vllm", "//pytorch:pytorch"]
    assert q(graph, "labels(wheels, //llm/sglang:0.4.9 + //pytorch:2.8)") == [
        "//llm/sglang:wheel-0.4.9", "//pytorch:wheel"]
    assert q(graph, "labels(actual, //pytorch + //llm/vllm:vllm)") == ["//pytorch:2.8", "//llm/vllm:0.9.2"]
    assert q(graph, "labels(srcs, //llm/sglang:all)") == ["//llm/sglang:src"]


def test_set_operators(graph):
    assert q(graph, "//pytorch:all - kind(alias, //pytorch:all)") == [
        "//pytorch:2.8", "//pytorch:wheel", "//pytorch:src"]
    assert q(graph, "//pytorch:all except //pytorch:wheel") == [
        "//pytorch:2.8", "//pytorch:src", "//pytorch:pytorch"]
    assert q(graph, "//pytorch:src + //llm/sglang:src union //pytorch:src") == [
        "//pytorch:src", "//llm/sglang:src"]
    assert q(graph, "deps(//llm/vllm:0.9.2) ^ //pytorch:all") == q(graph, "deps(//llm/vllm:0.9.2) intersect "
                                                                        "//pytorch:all")
    assert q(graph, "deps(//llm/vllm:0.9.2) ^ //pytorch:all") == [
        "//pytorch:pytorch", "//pytorch:2.8", "//pytorch:wheel", "//pytorch:src"]
    # Left to right, equal precedence: (all - src) + src puts src last; (a + b) ^ b is b.
    assert q(graph, "//pytorch:all - //pytorch:src + //pytorch:src")[-1] == "//pytorch:src"
    assert q(graph, "//pytorch:2.8 + //pytorch:src ^ //pytorch:src") == ["//pytorch:src"]
    assert q(graph, "//pytorch:2.8 + (//pytorch:src ^ //pytorch:src)") == ["//pytorch:2.8", "//pytorch:src"]


def test_let(graph):
    assert q(graph, "let v = deps(//llm/vllm:0.9.2, 1) in $v - //llm/vllm:0.9.2") == ["//pytorch:pytorch"]
    assert q(graph, "let v = //pytorch:2.8 in let v = //pytorch:src in $v") == ["//pytorch:src"]
    assert q(graph, "let a = //pytorch:2.8 in let b = $a + //pytorch:src in $b - $a") == ["//pytorch:src"]


def test_shorthand_end_to_end(graph):
    assert q(graph, normalize_query(["deps", "//llm/vllm:0.9.2", "1"])) == ["//llm/vllm:0.9.2", "//pytorch:pytorch"]
    assert q(graph, normalize_query(["kind", "wheel", "//..."])) == ["//pytorch:wheel", "//llm/sglang:wheel-0.4.9"]


def test_resolution_errors_get_the_words_column(graph):
    with pytest.raises(AnalysisError) as info:
        run_query(graph, "//pytorch + deps(sglang:0.5)")
    assert str(info.value) == "<query>:1:18: no package 'sglang:0.5' (did you mean 'sglang:0.4.9'?)"
    assert info.value.exit_code == 1
    with pytest.raises(AnalysisError, match=r"^<query>:1:6: no target matches '//llm/nope'$"):
        run_query(graph, "deps(//llm/nope)")


def test_label_syntax_errors_get_the_words_column(graph):
    with pytest.raises(AnalysisError) as info:
        run_query(graph, "//pytorch - //llm/../x")
    assert str(info.value) == ("<query>:1:13: invalid label '//llm/../x': package path may not contain '..' "
                               "(labels cannot leave the workspace)")


def test_resolution_errors_keep_their_own_location(graph):
    with pytest.raises(AnalysisError) as info:
        run_query(graph, "deps(//located:error)")
    assert str(info.value) == "pkgs/located/BUILD.star:4:2: broken BUILD file"


def test_importing_the_package_is_cheap():
    code = ("import sys, jc_build.query; heavy = {'rich', 'python_on_whales', 'starlark'} & set(sys.modules);"
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True)
