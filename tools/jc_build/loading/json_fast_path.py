"""A fast path for ``json.loads`` while Starlark evaluates: how starlark-pyo3 hands values over.

starlark-pyo3 converts every value a BUILD file passes to a built-in (each argument, and each item
of a list or dict in it) by writing it as JSON and calling ``json.loads``, which it looks up in
the ``json`` module at each call: a cold ``jcb query deps //llm/sglang`` makes 14,000 such calls.
Most of their time was ``json.loads``'s own Python layers (whitespace checks, the decoder object),
not the parsing: BENCHMARKS.md section 9 has the figures.

``exact_loads`` calls the C scanner directly and gives the value or the error ``json.loads`` gives
for every input: what is not one JSON value from the first character to the last (whitespace
around it, bytes, options) goes to ``json.loads`` itself. It is installed only while an
evaluation runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_LOADS = json.loads
_SCAN = json.JSONDecoder().scan_once


def exact_loads(text: Any, *args: Any, **kwargs: Any) -> Any:
    """``json.loads(text, *args, **kwargs)``, without its Python layers where ``text`` is a ``str``
    holding exactly one JSON value."""
    if type(text) is str and not args and not kwargs:
        try:
            value, end = _SCAN(text, 0)
        except (StopIteration, ValueError):  # json.loads raises its own error, with its message
            return _LOADS(text)
        if end == len(text):
            return value
    return _LOADS(text, *args, **kwargs)


@contextmanager
def installed() -> Iterator[None]:
    """``json.loads`` is ``exact_loads`` inside the block (nested blocks leave it to the outermost)."""
    if json.loads is exact_loads:
        yield
        return
    json.loads = exact_loads
    try:
        yield
    finally:
        json.loads = _LOADS
