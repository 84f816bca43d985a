"""``jcb query``: Bazel's query language over the configured target graph."""

from __future__ import annotations

from .parser import FUNCTIONS, normalize_query, parse

__all__ = ["FUNCTIONS", "normalize_query", "parse"]
