"""Splits the plain progress log of a batch solve into one log per stage, with its time span.

The engine merges the batch's builds' logs into one stream (``engine/batch_build.py``) whose
vertices are named ``#N [<target> <dockerfile stage> i/n] STEP`` (and ``#N [<target> internal]
...``, ``#N [<target>] exporting ...``), every target's vertex numbered apart; the following ``#N
...`` lines belong to the vertex. A vertex is the stage's whose name it carries (``-build`` and
``-wheels`` stages are parts of the stage they are named after). A step that several targets
share is shown by every target that has it: the stage's log keeps the report of the stage's own
target if it ran the step there, else of the target that ran it (the others say ``CACHED`` or
repeat it). Image IDs come from the builds' metadata, never from the log.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_HEADER = re.compile(r"^#(\d+) \[([^\]]*)\] ")
_VERTEX = re.compile(r"^#(\d+) ")
PART_SUFFIXES = ("-build", "-wheels")


@dataclass
class _Instance:
    """One vertex as one target showed it."""

    target: str
    lines: list[str] = field(default_factory=list)
    times: list[float] = field(default_factory=list)

    @property
    def executed(self) -> bool:
        return any(line.split(" ", 1)[-1].startswith("DONE") for line in self.lines)


@dataclass
class _Vertex:
    """One vertex of the solve (BuildKit numbers a step the same in every target that has it)."""

    owner: str  # the Dockerfile stage name of the plan stage it belongs to
    internal: bool  # set-up (definition, context transfer), or gathering a layer's wheels (it runs as
    # soon as they exist, before the stage below is done): not part of the stage's own time span
    shown: dict[str, _Instance] = field(default_factory=dict)  # by target, first one first

    def chosen(self) -> _Instance:
        """The owner's own target's report if it ran the step there, else the one that ran it."""
        own = self.shown.get(self.owner)
        if own is not None and own.executed:
            return own
        return next((i for i in self.shown.values() if i.executed), own or next(iter(self.shown.values())))


class BatchLogSplitter:
    """Feed it the batch's log lines with their arrival times; ask for each stage's lines and span.

    A step is identified by its stage and text: targets that share it may number it differently
    (their context sources differ; the step is then a content-addressed ``CACHED`` hit).
    """

    def __init__(self, names: Mapping[str, str]):
        self.names = dict(names)  # Dockerfile stage name -> stage key
        self._vertices: dict[tuple[str, ...], _Vertex] = {}
        self._current: dict[str, tuple[tuple[str, ...], str]] = {}  # vertex number -> (step, target)

    def owner(self, bracket: str) -> str | None:
        """The stage name a vertex belongs to, from its bracketed name."""
        words = bracket.split()
        name = words[1] if len(words) > 1 and words[1] != "internal" else words[0] if words else ""
        for suffix in PART_SUFFIXES:
            name = name.removesuffix(suffix)
        return name if name in self.names else None

    def feed(self, line: str, now: float) -> str | None:
        """Take one line; the key of the stage it belongs to, if it is news (first target's report)."""
        if m := _HEADER.match(line):
            words = m[2].split()
            owner, target = self.owner(m[2]), words[0] if words else ""
            if owner is None:
                return None
            internal = len(words) > 1 and words[1] == "internal"
            per_target = internal or len(words) < 2  # set-up and export: each target's own
            internal = internal or (len(words) > 1 and words[1].endswith("-wheels"))
            step = (target, *words[1:], line[m.end():]) if per_target else (*words[1:], line[m.end():])
            vertex = self._vertices.setdefault(step, _Vertex(owner, internal))
            if self._current.get(m[1]) == (step, target) and target in vertex.shown:
                return None  # the printer repeats a header when another vertex interleaved
            vertex.shown.setdefault(target, _Instance(target))
            self._current[m[1]] = (step, target)
        elif (m := _VERTEX.match(line)) and m[1] in self._current:
            step, target = self._current[m[1]]
            vertex = self._vertices[step]
            if line == f"#{m[1]} ...":
                return None
        else:
            return None
        instance = vertex.shown[target]
        instance.lines.append(line)
        instance.times.append(now)
        return self.names[vertex.owner] if target == next(iter(vertex.shown)) else None

    def _chosen(self, name: str) -> list[tuple[_Vertex, _Instance]]:
        return [(v, v.chosen()) for v in self._vertices.values() if v.owner == name]

    def lines(self, name: str) -> list[str]:
        """The stage's log lines, vertex by vertex, in the order the vertices started."""
        return [line for _, instance in self._chosen(name) for line in instance.lines + [""]]

    def span(self, name: str) -> tuple[float, float] | None:
        """From the start of the stage's first step to the end of its last (set-up left out)."""
        times = [t for vertex, instance in self._chosen(name) if not vertex.internal for t in instance.times]
        return (min(times), max(times)) if times else None
