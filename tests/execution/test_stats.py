"""Cache use per build, summed by ``jcb cache stats``."""

from __future__ import annotations

from pathlib import Path

from jc_build.execution.stats import CacheUse, record, totals


def test_totals_sum_the_recorded_builds_and_skip_broken_lines(tmp_path: Path) -> None:
    record(tmp_path, CacheUse(1, local=3, remote=0, built=2, bytes_down=0, bytes_up=100, saved_s=1.5))
    record(tmp_path, CacheUse(1, local=0, remote=5, built=0, bytes_down=4096, bytes_up=0, saved_s=20.0))
    with (tmp_path / "stats.jsonl").open("a") as f:
        f.write("not json\n{\"builds\": 1}\n")
    assert totals(tmp_path) == CacheUse(2, 3, 5, 2, 4096, 100, 21.5)
    assert totals(tmp_path / "none") == CacheUse()
