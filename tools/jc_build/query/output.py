"""Result formats: each takes (graph, labels, order) and returns text, one line per item, each
line ending in a newline (an empty result is the empty string)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..labels import Label
from ..loading.rules import RULES
from ..model import Target
from .protocol import QueryGraph
from .starlark import to_starlark

ORDERS = ("sorted", "build", "query")  # label-sorted (Bazel's default), image-chain, as evaluated


def ordered(graph: QueryGraph, labels: list[Label], order: str) -> list[Label]:
    """``labels`` in the requested order."""
    if order == "build":
        members = set(labels)
        return list(dict.fromkeys(label for label in graph.build_order(labels) if label in members))
    if order == "query":
        return list(labels)
    return sorted(labels, key=lambda label: (label.root, label.package, label.name))


def result_edges(graph: QueryGraph, labels: list[Label]) -> dict[Label, list[Label]]:
    """Direct edges among ``labels``: the union over every member's configured closure."""
    members = set(labels)
    edges: dict[Label, dict[Label, None]] = {label: {} for label in labels}
    closures = {id(closure): closure for closure in map(graph.closure, labels)}
    for closure in closures.values():
        for node in labels:
            edges[node].update(dict.fromkeys(dep for dep in closure.get(node, ()) if dep in members))
    return {node: list(deps) for node, deps in edges.items()}


def _lines(lines: list[str]) -> str:
    return "".join(f"{line}\n" for line in lines)


def to_label(graph: QueryGraph, labels: list[Label], order: str) -> str:
    return _lines([str(item) for item in ordered(graph, labels, order)])


def to_label_kind(graph: QueryGraph, labels: list[Label], order: str) -> str:
    return _lines([f"{graph.target(item).kind} rule {item}" for item in ordered(graph, labels, order)])


def to_name(graph: QueryGraph, labels: list[Label], order: str) -> str:
    """jetson-containers names (``pytorch:2.8``) of the container layers, once each."""
    targets = [graph.target(item) for item in ordered(graph, labels, order)]
    return _lines(list(dict.fromkeys(t.jc_name for t in targets if t.kind == "container_layer")))


def to_json(graph: QueryGraph, labels: list[Label], order: str) -> str:
    """Each target with its kind, name, location, attributes and direct configured deps."""
    items = []
    for item in ordered(graph, labels, order):
        target = graph.target(item)
        items.append({
            "label": str(item), "kind": target.kind,
            "jc_name": target.jc_name if target.kind == "container_layer" else None,
            "location": str(target.location), "attrs": target.attrs,
            "deps": [str(dep) for dep in graph.closure(item).get(item, [])],
        })
    return json.dumps(items, indent=2, default=str, ensure_ascii=False) + "\n"


def to_build(graph: QueryGraph, labels: list[Label], order: str) -> str:
    """Each target as the rule call that declares it, with its non-default attributes."""
    return "\n".join(_rule_call(graph.target(item)) for item in ordered(graph, labels, order))


def _rule_call(target: Target) -> str:
    lines = [f"# {target.location}", f"{target.kind}(", f"    name = {to_starlark(target.label.name)},"]
    for key in sorted(target.attrs):
        value = target.attrs[key]
        if key != "name" and value is not None and value != _default(target.kind, key):
            lines.append(f"    {key} = {to_starlark(value, '    ')},")
    return _lines([*lines, ")"])


def _default(kind: str, key: str) -> Any:
    attr = RULES[kind].attrs.get(key) if kind in RULES else None
    if attr is None:
        return None
    return attr.default() if callable(attr.default) else attr.default


def to_graph(graph: QueryGraph, labels: list[Label], order: str) -> str:
    """A DOT digraph of the result and the direct edges among its members."""
    nodes = ordered(graph, labels, order)
    edges = result_edges(graph, nodes)
    lines = ["digraph jcb {", "  node [shape=box];", *(f'  "{node}";' for node in nodes)]
    lines += [f'  "{node}" -> "{dep}";' for node in nodes for dep in edges[node]]
    return _lines([*lines, "}"])


def to_tree(graph: QueryGraph, labels: list[Label], order: str) -> str:
    """An indented dependency tree from each root of the result; repeated subtrees become ``(*)``."""
    nodes = ordered(graph, labels, order)
    edges = result_edges(graph, nodes)
    children = {dep for deps in edges.values() for dep in deps}
    return "\n".join(_lines(_tree(edges, root)) for root in nodes if root not in children)


def _tree(edges: dict[Label, list[Label]], root: Label) -> list[str]:
    lines = [str(root)]
    expanded = {root}
    stack = [(edges[root], 0, "")]  # (siblings, index of the next one, prefix), iterative for deep graphs
    while stack:
        siblings, index, prefix = stack.pop()
        if index == len(siblings):
            continue
        stack.append((siblings, index + 1, prefix))
        child, last = siblings[index], index == len(siblings) - 1
        repeated = child in expanded and bool(edges[child])
        lines.append(f"{prefix}{'└── ' if last else '├── '}{child}{' (*)' if repeated else ''}")
        if not repeated:
            expanded.add(child)
            stack.append((edges[child], 0, prefix + ("    " if last else "│   ")))
    return lines


OUTPUTS: dict[str, Callable[[QueryGraph, list[Label], str], str]] = {
    "label": to_label, "label_kind": to_label_kind, "name": to_name, "json": to_json, "build": to_build,
    "graph": to_graph, "tree": to_tree,
}
