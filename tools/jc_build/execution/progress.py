"""Build progress as buildx shows it: a live view on a terminal (``tty``), every BuildKit line
with its stage's label (``plain``), nothing (``quiet``), or one JSON object per event (``rawjson``)."""

from __future__ import annotations

import json
import threading
import time
from typing import Protocol, TextIO

from .events import ENDED

MODES = ("auto", "plain", "tty", "quiet", "rawjson")
ALIASES = {"rich": "tty"}  # the name of the live view before buildx's names were adopted


class Progress(Protocol):
    """Receives every stage state change and log line of a build (from worker threads)."""

    def start(self, total: int) -> None:
        """The number of stages the build will account for (each ends in one ``ENDED`` state)."""

    def state(self, key: str, label: str, state: str, detail: str = "") -> None:
        """``state``: cached, pulling, pulled, waiting, building, testing, test passed, done, failed or skipped."""

    def log_line(self, key: str, line: str) -> None: ...
    def close(self) -> None: ...


def make_progress(mode: str, stream: TextIO) -> Progress:
    """``auto`` is the live view on a terminal, plain otherwise."""
    mode = ALIASES.get(mode, mode)
    if mode == "tty" or (mode == "auto" and stream.isatty()):
        from .progress_live import LiveProgress
        return LiveProgress(stream)
    if mode == "quiet":
        return NullProgress()
    if mode == "rawjson":
        return RawJsonProgress(stream)
    return PlainProgress(stream)


class NullProgress:
    """Shows nothing (``--progress=quiet``, dry runs, explanations)."""

    def start(self, total: int) -> None:
        pass

    def state(self, key: str, label: str, state: str, detail: str = "") -> None:
        pass

    def log_line(self, key: str, line: str) -> None:
        pass

    def close(self) -> None:
        pass


class _Lines:
    """Whole lines to a stream, one writer at a time; counts stages that ended."""

    def __init__(self, stream: TextIO):
        self._out = stream
        self._lock = threading.Lock()
        self.total = 0
        self.ended = 0

    def start(self, total: int) -> None:
        self.total = total

    def count(self, state: str) -> None:
        if state in ENDED:
            self.ended += 1

    def write(self, text: str) -> None:
        with self._lock:
            self._out.write(text + "\n")
            self._out.flush()

    def close(self) -> None:
        self._out.flush()


class PlainProgress(_Lines):
    """Every state change and every BuildKit log line, each with its stage's label in front."""

    def __init__(self, stream: TextIO):
        super().__init__(stream)
        self._labels: dict[str, str] = {}

    def state(self, key: str, label: str, state: str, detail: str = "") -> None:
        self._labels[key] = label
        self.count(state)
        counter = f" ({self.ended}/{self.total} stages)" if state in ENDED and self.total else ""
        self.write(f"[{label}] {state}{': ' + detail if detail else ''}{counter}")

    def log_line(self, key: str, line: str) -> None:
        self.write(f"[{self._labels.get(key, key[:12])}] {line.rstrip()}")


class RawJsonProgress(_Lines):
    """One JSON object per line and event: ``start``, ``state`` and ``log`` (as buildx's rawjson)."""

    def __init__(self, stream: TextIO):
        super().__init__(stream)
        self._labels: dict[str, str] = {}
        self._t0 = time.monotonic()

    def start(self, total: int) -> None:
        super().start(total)
        self._emit({"event": "start", "stages": total})

    def state(self, key: str, label: str, state: str, detail: str = "") -> None:
        self._labels[key] = label
        self.count(state)
        self._emit({"event": "state", "key": key, "label": label, "state": state, "detail": detail,
                    "ended": self.ended, "stages": self.total})

    def log_line(self, key: str, line: str) -> None:
        self._emit({"event": "log", "key": key, "label": self._labels.get(key, ""), "line": line.rstrip()})

    def _emit(self, obj: dict[str, object]) -> None:
        self.write(json.dumps({"elapsed_s": round(time.monotonic() - self._t0, 3), **obj}, sort_keys=True))
