"""``jcb query``: Bazel's query language over the configured graph."""

from __future__ import annotations

import argparse

from ..context import Context

HELP = "query the configured target graph"
DESCRIPTION = """\
Evaluate a Bazel-style query over the target graph configured for a platform.

functions: deps(x [, depth]), rdeps(universe, x [, depth]), allpaths(a, b), somepath(a, b),
           kind(pattern, x), attr(name, pattern, x), filter(pattern, x), labels(attr, x)
operators: x + y (union), x - y (except), x ^ y (intersect), let v = x in $v
shorthand: 'jcb query deps //llm/sglang' means 'jcb query "deps(//llm/sglang)"'

examples:
  jcb query deps //llm/sglang
  jcb query 'deps(//llm/sglang:0.4.9)' --order=build --output=name
  jcb query 'rdeps(//..., //pytorch:2.8, 1)'
  jcb query 'kind(wheel, deps(//llm/sglang))' --output=json
  jcb query 'somepath(//llm/sglang, //cuda/cuda:12.6)' --platform=jp6-cu128
"""
OUTPUTS = ("label", "label_kind", "name", "json", "build", "graph", "tree")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("expression", nargs="+", help="a query expression, or a function name and its arguments")
    parser.add_argument("--output", default="label", metavar="FORMAT",
                        help=f"output format: {', '.join(OUTPUTS)} (default: label)")
    parser.set_defaults(trailing_words="expression")
    parser.add_argument("--order", choices=("sorted", "build", "query"), default="sorted",
                        help="sorted: by label (default); build: the image's layer chain in jetson-containers' "
                             "build order, ending with the target (wheels, sources and layers only builders use "
                             "are left out); "
                             "query: as evaluated (e.g. a somepath in path order)")


def run(ctx: Context) -> int:
    from ...query import format_result, normalize_query, run_query
    expression = normalize_query(ctx.args.expression)
    labels = run_query(ctx.graph, expression)
    text = format_result(ctx.graph, labels, ctx.args.output, ctx.args.order)
    ctx.out.write(text)
    return 0
