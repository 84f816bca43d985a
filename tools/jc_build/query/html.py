"""``--output=html``: one self-contained page (no script, no external file) with the result's
graph as inline SVG laid out by graphviz's ``dot``, a legend, and a table of the targets."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from html import escape

from ..errors import JcbError
from ..labels import Label
from .dot import KIND_STYLE, group_of, to_dot
from .protocol import QueryGraph

DOT_TIMEOUT_S = 120
_CSS = """\
body { font-family: Helvetica, Arial, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; } .note { color: #8a5a00; }
figure { margin: 0 0 1.5em 0; border: 1px solid #ddd; padding: .5em; }
figure svg { width: 100%; height: auto; }
.legend span { display: inline-block; margin-right: 1.2em; padding: .1em .6em; border: 1px solid #888; }
table { border-collapse: collapse; font-size: .9em; } th, td { border: 1px solid #ccc; padding: .25em .6em; }
th { background: #f2f2f2; text-align: left; } td.label { font-family: monospace; white-space: nowrap; }
tr:target { background: #fff3c4; } a { color: #1f4e99; text-decoration: none; }
"""
_LEGEND = {"container_layer": "#cfe2ff", "wheel": "#ffe0b2", "git_repository": "#e3f2d9", "alias": "#ffffff"}


class GraphvizError(JcbError):
    """``dot`` failed on the DOT text jcb made."""


def render_svg(dot_text: str) -> str | None:
    """The ``<svg>`` element of ``dot_text`` laid out by ``dot``, after graphviz's ``tred`` left out
    the edges that others imply; None when graphviz is not installed."""
    dot, tred = shutil.which("dot"), shutil.which("tred")
    if dot is None or tred is None:
        return None
    reduced = _graphviz([tred], dot_text)
    svg = _graphviz([dot, "-Tsvg"], reduced)
    return svg[svg.index("<svg"):]


def _graphviz(argv: list[str], text: str) -> str:
    proc = subprocess.run(argv, input=text, capture_output=True, text=True, timeout=DOT_TIMEOUT_S)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        raise GraphvizError(f"graphviz {argv[0]} failed on the query's graph: {last}")
    return proc.stdout


def page(graph: QueryGraph, nodes: list[Label], edges: dict[Label, list[Label]]) -> str:
    """The HTML page of ``nodes`` and the ``edges`` among them."""
    anchors = {node: f"t{i}" for i, node in enumerate(nodes)}
    svg = render_svg(to_dot(graph, nodes, edges, url=lambda node: f"#{anchors[node]}")) if nodes else ""
    kinds = Counter(graph.target(node).kind for node in nodes)
    counts = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
    parts = ["<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
             "<title>jcb query result</title>", f"<style>{_CSS}</style></head><body>",
             "<h1>jcb query result</h1>",
             f"<p>{len(nodes)} targets in {len({group_of(n) for n in nodes})} package groups ({counts}).</p>"]
    if svg is None:
        parts.append('<p class="note">The picture needs graphviz (<code>apt-get install graphviz</code>); '
                     "the table lists the same graph.</p>")
    elif svg:
        parts += [_legend(), f'<figure class="graph">{svg}</figure>',
                  "<p>Edges that others imply are left out of the picture; the table lists every direct dep.</p>"]
    parts += [_table(graph, nodes, edges, anchors), "</body></html>"]
    return "\n".join(parts) + "\n"


def _legend() -> str:
    items = "".join(f'<span style="background:{colour}">{kind}</span>' for kind, colour in _LEGEND.items()
                    if kind in KIND_STYLE)
    return f'<p class="legend">{items}<span>thick edge: image chain</span></p>'


def _table(graph: QueryGraph, nodes: list[Label], edges: dict[Label, list[Label]], anchors: dict[Label, str]) -> str:
    rows = ["<table><thead><tr><th>label</th><th>kind</th><th>name</th><th>declared at</th>"
            "<th>direct deps</th></tr></thead><tbody>"]
    for node in nodes:
        target = graph.target(node)
        name = target.jc_name if target.kind == "container_layer" else ""
        deps = ", ".join(f'<a href="#{anchors[dep]}">{escape(str(dep))}</a>' for dep in edges[node])
        rows.append(f'<tr id="{anchors[node]}"><td class="label">{escape(str(node))}</td>'
                    f"<td>{escape(target.kind)}</td><td>{escape(name)}</td>"
                    f"<td>{escape(str(target.location))}</td><td>{deps}</td></tr>")
    return "\n".join([*rows, "</tbody></table>"])
