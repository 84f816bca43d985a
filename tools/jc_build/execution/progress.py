"""Build progress like BuildKit's: a live rich view on a terminal, plain lines for CI logs."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TextIO

if TYPE_CHECKING:
    from rich.console import RenderableType

MODES = ("auto", "plain", "rich")
THROTTLE_S = 1.0  # plain mode: at most one log line per stage per second


class Progress(Protocol):
    """Receives every stage state change and log line of a build (from worker threads)."""

    def state(self, key: str, label: str, state: str, detail: str = "") -> None:
        """``state``: cached, pulling, pulled, waiting, building, done, failed or skipped."""

    def log_line(self, key: str, line: str) -> None: ...
    def close(self) -> None: ...


def make_progress(mode: str, stream: TextIO) -> Progress:
    """``auto`` is rich on a terminal, plain otherwise."""
    if mode == "rich" or (mode == "auto" and stream.isatty()):
        return RichProgress(stream)
    return PlainProgress(stream)


class NullProgress:
    """Shows nothing (dry runs, explanations)."""

    def state(self, key: str, label: str, state: str, detail: str = "") -> None:
        pass

    def log_line(self, key: str, line: str) -> None:
        pass

    def close(self) -> None:
        pass


class PlainProgress:
    """One line per state change; a stage's latest log line at most once per ``THROTTLE_S``."""

    def __init__(self, stream: TextIO):
        self._out = stream
        self._lock = threading.Lock()
        self._labels: dict[str, str] = {}
        self._last_line_at: dict[str, float] = {}

    def state(self, key: str, label: str, state: str, detail: str = "") -> None:
        self._labels[key] = label
        self._write(f"[{label}] {state}{': ' + detail if detail else ''}")

    def log_line(self, key: str, line: str) -> None:
        now = time.monotonic()
        if now - self._last_line_at.get(key, 0.0) < THROTTLE_S:
            return
        self._last_line_at[key] = now
        self._write(f"[{self._labels.get(key, key[:12])}] {line.strip()}")

    def close(self) -> None:
        self._out.flush()

    def _write(self, text: str) -> None:
        with self._lock:
            self._out.write(text + "\n")
            self._out.flush()


@dataclass
class _Row:
    label: str
    state: str
    detail: str
    started: float
    ended: float | None = None
    last_line: str = ""


_STYLE = {"building": "cyan", "pulling": "cyan", "pulled": "green", "waiting": "yellow", "done": "green",
          "failed": "bold red", "skipped": "dim"}


class RichProgress:
    """A live table: stages being built with elapsed time and last log line, then their end state."""

    def __init__(self, stream: TextIO):
        from rich.console import Console
        from rich.live import Live

        self._lock = threading.Lock()
        self._rows: dict[str, _Row] = {}
        self._cached = 0
        self._live = Live(self, console=Console(file=stream), refresh_per_second=4, transient=False)
        self._live.start()

    def state(self, key: str, label: str, state: str, detail: str = "") -> None:
        with self._lock:
            if state == "cached":
                self._cached += 1
                return
            now = time.monotonic()
            row = self._rows.setdefault(key, _Row(label, state, detail, now))
            if state == "building" and row.state != "building":
                row.started = now
            row.state, row.detail = state, detail
            if state in ("done", "pulled", "failed", "skipped"):
                row.ended = now

    def log_line(self, key: str, line: str) -> None:
        with self._lock:
            if key in self._rows:
                self._rows[key].last_line = line.strip()

    def close(self) -> None:
        self._live.stop()

    def __rich__(self) -> RenderableType:
        from rich.table import Table
        from rich.text import Text

        table = Table.grid(padding=(0, 1))
        table.add_column(no_wrap=True)
        table.add_column(no_wrap=True, justify="right")
        table.add_column(no_wrap=True, overflow="ellipsis", ratio=1)
        with self._lock:
            if self._cached:
                table.add_row(Text(f"{self._cached} cached", style="green"), "", "")
            now = time.monotonic()
            for row in self._rows.values():
                elapsed = (row.ended or now) - row.started
                note = {"building": row.last_line, "done": ""}.get(row.state, row.detail)
                table.add_row(Text(f"[{row.state}] {row.label}", style=_STYLE.get(row.state, "")),
                              f"{elapsed:.1f}s", Text(note, style="dim"))
        return table
