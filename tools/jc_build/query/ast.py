"""The query syntax tree. Every node keeps the 1-based column it starts at, for errors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Union


@dataclass(frozen=True)
class Word:
    """A target pattern (or a plain word argument such as an attribute name)."""

    text: str
    col: int


@dataclass(frozen=True)
class Var:
    """``$name``, bound by an enclosing ``let``."""

    name: str
    col: int


@dataclass(frozen=True)
class Let:
    """``let name = value in body``."""

    name: str
    value: Node
    body: Node
    col: int


@dataclass(frozen=True)
class SetOp:
    """``left op right`` with op one of ``union``, ``except``, ``intersect``."""

    op: str
    left: Node
    right: Node
    col: int


@dataclass(frozen=True)
class Int:
    """A depth argument."""

    value: int
    col: int


@dataclass(frozen=True)
class Regex:
    """A pattern argument of kind(), attr() and filter(), compiled when parsed."""

    pattern: re.Pattern[str]
    col: int


@dataclass(frozen=True)
class Call:
    """``name(args...)``; arguments are checked against the function's signature when parsed."""

    name: str
    args: tuple[Node, ...]
    col: int


Node = Union[Word, Var, Let, SetOp, Int, Regex, Call]
