"""What the query engine needs from the configured target graph."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from ..labels import Label
from ..model import Target


class QueryGraph(Protocol):
    """The configured graph for one platform (implemented by ``analysis.graph``)."""

    def resolve_pattern(self, text: str) -> list[Label]:
        """Labels a pattern, label or ``package:version`` shorthand names; JcbError when none."""

    def target(self, label: Label) -> Target:
        """The target a label names."""

    def closure(self, root: Label) -> dict[Label, list[Label]]:
        """Every node reachable from ``root`` (included) -> its configured direct deps, in order."""

    def build_order(self, labels: Iterable[Label]) -> list[Label]:
        """``labels`` in image-chain order: deps before dependants, declared order."""
