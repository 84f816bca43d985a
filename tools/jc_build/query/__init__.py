"""``jcb query``: Bazel's query language over the configured target graph.

    labels = run_query(graph, normalize_query(["deps", "//llm/sglang"]))
"""

from __future__ import annotations

from ..loading.labels import Label
from .evaluator import evaluate
from .parser import FUNCTIONS, normalize_query, parse
from .protocol import QueryGraph

__all__ = ["FUNCTIONS", "QueryGraph", "normalize_query", "run_query"]


def run_query(graph: QueryGraph, expression: str) -> list[Label]:
    """Evaluate a query; the labels come in evaluation order (QueryError/JcbError on failure)."""
    return evaluate(graph, parse(expression))
