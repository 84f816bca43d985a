"""The live view of a build on a terminal: a header with ``N/M stages`` and the elapsed time,
then one row per stage that is not simply cached, in a label column as wide as the longest
label; the stage's state, its time and its last log line, cut at the terminal's right edge."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from .events import ENDED

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult

STATE_WIDTH = len("test passed")
_STYLE = {"building": "cyan", "pulling": "cyan", "testing": "cyan", "pulled": "green", "waiting": "yellow",
          "done": "green", "test passed": "green", "failed": "bold red", "skipped": "dim"}


@dataclass
class _Row:
    label: str
    state: str
    detail: str
    started: float
    ended: float | None = None
    last_line: str = ""


class LiveProgress:
    """A rich ``Live`` view; on a stream that is not a terminal, only the final view is written."""

    def __init__(self, stream: TextIO):
        from rich.console import Console
        from rich.live import Live

        self._lock = threading.Lock()
        self._rows: dict[str, _Row] = {}
        self._cached = self._ended = self._total = 0
        self._t0 = time.monotonic()
        self._console = Console(file=stream)
        self._live = Live(self, console=self._console, refresh_per_second=4, transient=False)
        self._live.start()

    def start(self, total: int) -> None:
        self._total = total

    def state(self, key: str, label: str, state: str, detail: str = "") -> None:
        with self._lock:
            self._ended += state in ENDED
            if state == "cached":
                self._cached += 1
                return
            now = time.monotonic()
            row = self._rows.setdefault(key, _Row(label, state, detail, now))
            if state == "building" and row.state != "building":
                row.started = now
            row.state, row.detail = state, detail
            if state in ENDED:
                row.ended = now

    def log_line(self, key: str, line: str) -> None:
        with self._lock:
            if key in self._rows:
                self._rows[key].last_line = line.strip()

    def close(self) -> None:
        self._live.stop()
        if not self._console.is_terminal:
            self._console.file.write("\n")  # what follows (the summary) starts on its own line
            self._console.file.flush()

    def lines(self, width: int) -> list[tuple[str, str]]:
        """The view as (text, style) lines no wider than ``width``."""
        with self._lock:
            now = time.monotonic()
            header = f"[{self._ended}/{self._total} stages] {now - self._t0:.1f}s"
            if self._cached:
                header += f", {self._cached} cached"
            column = max((len(row.label) for row in self._rows.values()), default=0)
            out = [(header, "bold")]
            for row in self._rows.values():
                elapsed = f"{(row.ended or now) - row.started:6.1f}s"
                note = {"building": row.last_line, "done": ""}.get(row.state, row.detail)
                text = f"{row.label:<{column}}  {row.state:<{STATE_WIDTH}} {elapsed}  {note}".rstrip()
                out.append((text, _STYLE.get(row.state, "")))
        return [(_cut(text, width), style) for text, style in out]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.text import Text
        for text, style in self.lines(options.max_width):
            yield Text(text, style=style, no_wrap=True, overflow="crop")


def _cut(text: str, width: int) -> str:
    """``text`` cut on the right to ``width`` columns, an ellipsis marking the cut."""
    return text if len(text) <= width else text[:max(0, width - 1)] + "…"
