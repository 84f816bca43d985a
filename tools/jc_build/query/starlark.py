"""Attribute values written back as Starlark literals."""

from __future__ import annotations

import json
from typing import Any

_WIDTH = 88


def to_starlark(value: Any, indent: str = "") -> str:
    """A Starlark literal; lists and dicts longer than a line get one item per line."""
    flat = _flat(value)
    if len(indent) + len(flat) <= _WIDTH or not isinstance(value, (list, tuple, dict)) or not value:
        return flat
    inner = indent + "    "
    if isinstance(value, dict):
        items = [f"{_flat(k)}: {to_starlark(v, inner)}" for k, v in value.items()]
        opening, closing = "{", "}"
    else:
        items = [to_starlark(v, inner) for v in value]
        opening, closing = "[", "]"
    return opening + "\n" + "".join(f"{inner}{item},\n" for item in items) + indent + closing


def _flat(value: Any) -> str:
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_flat(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_flat(k)}: {_flat(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value), ensure_ascii=False)
