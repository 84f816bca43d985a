"""Canonical JSON and node digests: the only way the plan turns data into keys."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from ..cache.digest import sha256_bytes
from .model import PLAN_FORMAT_VERSION


def canonical_json(value: Any) -> bytes:
    """UTF-8 JSON with sorted keys and no insignificant whitespace: equal data, equal bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def node_digest(op: str, attrs: Mapping[str, Any], inputs: Iterable[str]) -> str:
    """sha256 hex of a node: its op, its attributes and its inputs' digests, in order."""
    body = {"v": PLAN_FORMAT_VERSION, "op": op, "attrs": dict(attrs), "inputs": list(inputs)}
    return sha256_bytes(canonical_json(body)).hex
