"""One event per stage of a build, written as JSON lines; the summary is computed from them."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO

OUTCOMES = ("cached", "pulled", "built", "failed", "skipped", "cancelled")
# The progress state in which each stage's part of a build ends ("done" is the state of "built").
ENDED = frozenset({"cached", "pulled", "done", "failed", "skipped", "cancelled"})


@dataclass(frozen=True)
class StageEvent:
    """How one stage ended. ``reason`` says why it was built or skipped; ``error`` why it failed.

    ``solves``: the BuildKit solves the stage started: a batch's solve is counted on its first
    stage (the others have 0 and the same ``solve``), a failed batch's on its first stage too.
    """

    label: str
    platform: str
    key: str
    kind: str
    outcome: str
    duration_s: float
    solves: int
    reason: str = ""
    error: str = ""
    log: str = ""
    builder: str = ""  # the daemon that built it, when a build has several (--builders)
    phases: dict[str, float] = field(default_factory=dict)  # seconds: context, solve, store, tests, publish
    solve: str = ""  # id of the BuildKit solve the stage was built in; stages of one batch share it

    def to_json(self) -> str:
        return json.dumps({k: v for k, v in asdict(self).items() if v not in ("", {})}, sort_keys=True)


@dataclass(frozen=True)
class Summary:
    """Counts per outcome, total solves and wall time of one build."""

    counts: dict[str, int]
    solves: int
    wall_s: float

    @classmethod
    def of(cls, events: Iterable[StageEvent], wall_s: float) -> Summary:
        events = list(events)
        counts = Counter(e.outcome for e in events)
        return cls({o: counts[o] for o in OUTCOMES}, sum(e.solves for e in events), wall_s)

    def __str__(self) -> str:
        parts = [f"{self.counts[o]} {o}" for o in OUTCOMES if self.counts[o] or o in ("cached", "built")]
        solves = f"{self.solves} solve{'s' if self.solves != 1 else ''}"
        return f"{', '.join(parts)}; {solves}; {self.wall_s:.1f}s"


class EventLog:
    """Collects stage events; with a path, appends each as one JSON line as it happens."""

    def __init__(self, path: Path | None = None):
        self.events: list[StageEvent] = []
        self._lock = threading.Lock()
        self._file: IO[str] | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open("w", encoding="utf-8")

    def record(self, event: StageEvent) -> None:
        with self._lock:
            self.events.append(event)
            if self._file is not None:
                self._file.write(event.to_json() + "\n")
                self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def read_events(path: Path) -> list[StageEvent]:
    """The events of an event log file (for tests and tools)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [StageEvent(**json.loads(line)) for line in lines if line.strip()]
