"""The expected wall time of a build, from recorded durations, and its critical path.

A stage's expected duration is the one recorded with its own key (a result whose image is gone,
say), else the one recorded for the key last built for the same target (an earlier version of
it), else unknown (counted as zero and reported). The build is simulated as the scheduler runs
it: a stage starts when the stages below it end; compiles (wheel stages) take ``compile_slots``
of ``slots`` each, in plan order. The critical path is the chain of stages, each waiting for the one
before it (a dep, or the compile before it in its slot), that ends last.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..plan import Stage


class Slots:
    """List scheduling of compiles over ``n`` slots (``--jobs``): a compile of weight ``w``
    (``compile_slots``) takes the ``w`` slots that are free first, and starts when they all are."""

    def __init__(self, n: int):
        self.free: list[tuple[float, str | None]] = [(0.0, None)] * max(1, n)

    def take(self, key: str, weight: int, ready: float, seconds: float) -> tuple[float, list[str], str | None]:
        """Start time, the compiles it waits for in its slots, and the one that decided its start."""
        chosen = sorted(range(len(self.free)), key=lambda i: (self.free[i][0], i))[:min(max(1, weight), len(self.free))]
        start = max([ready] + [self.free[i][0] for i in chosen])
        before = list(dict.fromkeys(k for i in chosen if (k := self.free[i][1]) is not None))
        decided = max((self.free[i] for i in chosen), key=lambda f: f[0])[1] if start > ready else None
        for i in chosen:
            self.free[i] = (start + seconds, key)
        return start, before, decided


@dataclass(frozen=True)
class Expected:
    """A stage's expected duration and where it came from: ``key``, ``earlier key`` or ``unknown``."""

    seconds: float
    source: str


@dataclass(frozen=True)
class Estimate:
    """Expected wall time of the stages to build and the stages on its critical path."""

    seconds: float
    path: tuple[tuple[Stage, float], ...]
    sources: dict[str, int]  # how many stages' durations came from each source

    def describe(self) -> str:
        counts = ", ".join(f"{n} from {source}" for source, n in sorted(self.sources.items()) if n)
        return f"expected wall time {self.seconds:.1f}s ({counts or 'nothing to build'})"

    def path_text(self) -> str:
        return " -> ".join(f"{stage.label} ({seconds:.1f}s)" for stage, seconds in self.path)


def estimate(stages: Sequence[Stage], expected: Callable[[Stage], Expected], slots: int) -> Estimate:
    """Simulate building ``stages`` (plan order, the stages to build) with ``slots`` compiles at once."""
    keys = {s.key for s in stages}
    finish: dict[str, float] = {}
    waited_on: dict[str, str | None] = {}
    durations: dict[str, Expected] = {s.key: expected(s) for s in stages}
    compiles = Slots(slots)
    for stage in stages:
        deps = [(finish[d], d) for d in stage.deps if d in keys]
        start, before = max(deps, default=(0.0, None))
        if stage.kind == "wheel":
            start, _, decided = compiles.take(stage.key, stage.compile_slots, start, durations[stage.key].seconds)
            before = decided or before
        finish[stage.key] = start + durations[stage.key].seconds
        waited_on[stage.key] = before
    sources: dict[str, int] = {}
    for value in durations.values():
        sources[value.source] = sources.get(value.source, 0) + 1
    if not stages:
        return Estimate(0.0, (), sources)
    by_key = {s.key: s for s in stages}
    last = max(finish, key=lambda k: finish[k])
    path: list[tuple[Stage, float]] = []
    cursor: str | None = last
    while cursor is not None:
        path.append((by_key[cursor], durations[cursor].seconds))
        cursor = waited_on[cursor]
    return Estimate(finish[last], tuple(reversed(path)), sources)


def comparison(estimated: float, took: float) -> str:
    """How close a build came to its estimate, for the summary line."""
    if estimated <= 0:
        return ""
    return f"expected {estimated:.1f}s, took {took:.1f}s ({took / estimated:.0%} of the estimate)"
