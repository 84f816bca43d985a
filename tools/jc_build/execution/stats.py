"""What the caches did for each build, appended to ``<cache>/stats.jsonl`` for ``jcb cache stats``.

Hits are ``local`` (cached) or ``remote`` (pulled); ``saved_s`` is, over the hits that ran, the
recorded build duration of each result less the time its reuse took.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from .events import Summary
from .stage_runner import StageRun

STATS_FILE = "stats.jsonl"


@dataclass(frozen=True)
class CacheUse:
    builds: int = 0
    local: int = 0
    remote: int = 0
    built: int = 0
    bytes_down: int = 0
    bytes_up: int = 0
    saved_s: float = 0.0

    def __add__(self, other: CacheUse) -> CacheUse:
        return CacheUse(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})


def cache_use(summary: Summary, runs: Iterable[StageRun], bytes_down: int, bytes_up: int) -> CacheUse:
    """One build's use of the caches, from its summary and its stage runs."""
    saved = sum(max(0.0, run.result.duration_s - run.duration_s) for run in runs
                if run.outcome in ("cached", "pulled") and run.result is not None)
    return CacheUse(1, summary.counts["cached"], summary.counts["pulled"], summary.counts["built"],
                    bytes_down, bytes_up, round(saved, 3))


def record(cache_root: Path, use: CacheUse) -> None:
    with (cache_root / STATS_FILE).open("a", encoding="utf-8") as f:
        f.write(json.dumps(asdict(use), sort_keys=True) + "\n")


def totals(cache_root: Path) -> CacheUse:
    """The sum over every recorded build; lines that do not parse are skipped."""
    total = CacheUse()
    path = cache_root / STATS_FILE
    if not path.is_file():
        return total
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            data: Mapping[str, object] = json.loads(line)
            total = total + CacheUse(**{f.name: type(getattr(total, f.name))(data[f.name])  # type: ignore[arg-type]
                                        for f in fields(CacheUse)})
        except (ValueError, KeyError, TypeError):
            continue
    return total
