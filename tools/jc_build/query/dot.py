"""``--output=graph``: the result as a DOT digraph people can read: one cluster per package
group (``//cuda/...``), a shape and colour per rule kind, the image chain left to right."""

from __future__ import annotations

from collections.abc import Callable

from ..labels import Label
from .protocol import QueryGraph

# rule kind -> DOT node attributes; other kinds get ``_OTHER``.
KIND_STYLE = {
    "container_layer": 'shape=box, style="rounded,filled", fillcolor="#cfe2ff", color="#1f4e99"',
    "wheel": 'shape=ellipse, style=filled, fillcolor="#ffe0b2", color="#b35900"',
    "git_repository": 'shape=folder, style=filled, fillcolor="#e3f2d9", color="#2e6b1f"',
    "alias": 'shape=box, style=dashed, fontcolor="#555555", color="#888888"',
}
_OTHER = 'shape=box, style=filled, fillcolor="#eeeeee"'
_CHAIN_EDGE = ' [penwidth=2, color="#1f4e99"]'  # a layer on a layer (aliases followed): the image chain


def group_of(label: Label) -> str:
    """The package group a label belongs to: ``cuda`` for ``//cuda/cuda-python:12.6``."""
    return f"@{label.root}" if label.root else label.package.split("/")[0]


def short_name(label: Label) -> str:
    """What a node shows inside its group's cluster: ``cuda-python:12.6``."""
    return f"{label.package.rsplit('/', 1)[-1]}:{label.name}"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(graph: QueryGraph, nodes: list[Label], edges: dict[Label, list[Label]],
           url: Callable[[Label], str] | None = None) -> str:
    """DOT text: each node once, in its group's cluster; edges from dependant to dep, deps on the left."""
    groups: dict[str, list[Label]] = {}
    for node in nodes:
        groups.setdefault(group_of(node), []).append(node)
    lines = ["digraph jcb {", "  rankdir=RL; newrank=true; ranksep=0.6; nodesep=0.15;", '  node [fontname="Helvetica", fontsize=11];',
             '  edge [color="#777777", arrowsize=0.7];']
    for index, (group, members) in enumerate(groups.items()):
        lines += [f"  subgraph cluster_{index} {{", f"    label={_quote(group)};",
                  '    style="rounded"; color="#bbbbbb"; fontname="Helvetica-Bold";']
        for node in members:
            kind = graph.target(node).kind
            link = f", URL={_quote(url(node))}" if url else ""
            lines.append(f"    {_quote(str(node))} [label={_quote(short_name(node))}, "
                         f"tooltip={_quote(f'{node} ({kind})')}{link}, {KIND_STYLE.get(kind, _OTHER)}];")
        lines.append("  }")
    for node in nodes:
        for dep in edges[node]:
            chain = _is_layer(graph, edges, node) and _is_layer(graph, edges, dep)
            lines.append(f"  {_quote(str(node))} -> {_quote(str(dep))}{_CHAIN_EDGE if chain else ''};")
    return "".join(f"{line}\n" for line in [*lines, "}"])


def _is_layer(graph: QueryGraph, edges: dict[Label, list[Label]], label: Label) -> bool:
    """A container layer, or an alias (of an alias ...) of one in the result."""
    kind = graph.target(label).kind
    if kind == "alias":
        return any(_is_layer(graph, edges, actual) for actual in edges[label])
    return kind == "container_layer"
