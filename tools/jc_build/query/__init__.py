"""``jcb query``: Bazel's query language over the configured target graph.

    labels = run_query(graph, normalize_query(["deps", "//llm/sglang"]))
    text = format_result(graph, labels, output="tree", order="build")
"""

from __future__ import annotations

from ..errors import UsageError
from ..labels import Label
from ..suggest import did_you_mean
from .evaluator import evaluate
from .output import ORDERS, OUTPUTS
from .parser import FUNCTIONS, normalize_query, parse
from .protocol import QueryGraph

__all__ = ["FUNCTIONS", "ORDERS", "OUTPUTS", "QueryGraph", "format_result", "normalize_query", "run_query"]


def run_query(graph: QueryGraph, expression: str) -> list[Label]:
    """Evaluate a query; the labels come in evaluation order (QueryError/JcbError on failure)."""
    return evaluate(graph, parse(expression))


def format_result(graph: QueryGraph, labels: list[Label], output: str = "label", order: str = "sorted") -> str:
    """Render labels in an output format (see OUTPUTS) and order (see ORDERS)."""
    for what, value, choices in (("output format", output, OUTPUTS), ("order", order, ORDERS)):
        if value not in choices:
            hint = did_you_mean(value, choices) or f"; expected one of: {', '.join(choices)}"
            raise UsageError(f"unknown {what} '{value}'{hint}")
    return OUTPUTS[output](graph, labels, order)
