"""Temp space under <cache>/tmp: removed on every exit path, and after a crash by the next sweep;
stats count it and gc --max-size 0 empties the cache."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from jc_build.cache import ActionResult, LocalCache, sha256_bytes
from jc_build.cache.scratch import sweep, work_dir
from jc_build.cache.state import StateCount


def test_a_work_dir_is_removed_when_its_block_ends_or_fails(tmp_path: Path) -> None:
    with work_dir(tmp_path, "stage") as path:
        (path / "f").write_text("x")
        assert path.parent == tmp_path and path.name.startswith(f"work-{os.getpid()}-stage-")
    assert not path.exists()
    with pytest.raises(KeyboardInterrupt), work_dir(tmp_path, "stage") as path:
        raise KeyboardInterrupt
    assert not path.exists()


_KILLED_INSIDE = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from jc_build.cache.scratch import work_dir
    with work_dir(Path(sys.argv[1]), "stage") as path:
        (path / "big").write_bytes(b"x" * 4096)
        print(path, flush=True)
        time.sleep(600)
""")


def test_a_killed_processs_work_dir_goes_at_the_next_sweep_a_live_one_stays(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_INSIDE, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    left = Path(proc.stdout.readline().strip())
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=10) == -signal.SIGKILL
    assert left.is_dir()
    with work_dir(tmp_path, "stage") as mine:
        assert sweep(tmp_path, tmp_path / "logs").files == 2  # big and .owner
        assert mine.is_dir() and not left.exists()


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stats_count_state_and_gc_to_zero_leaves_an_empty_cache(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    cache = LocalCache(root)
    log = cache.put_bytes(b"log")
    key = sha256_bytes(b"k").hex
    cache.put_action(ActionResult(key, "wheel", None, {"a.whl": cache.put_bytes(b"a")}, log, 1.0))
    dead = _dead_pid()
    for rel, data in {f"logs/{key}.log": "log", f"logs/{key}.{dead}-1.partial": "part", f"locks/{key}.lock": "",
                      f"tmp/{dead}-abc": "tmp", "last/x.json": json.dumps({"key": key}),
                      "loading/x.json": "{}", "workspace/y.json": "{}", f"tmp/work-{dead}-stage-q/context/f": "ctx"}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(data)
    stats = cache.stats()
    assert (stats.entries, stats.blobs) == (1, 2)
    assert stats.state == {"logs": StateCount(2, 7), "locks": StateCount(1, 0), "temp": StateCount(2, 6),
                           "loading": StateCount(1, 2), "workspace": StateCount(1, 2),
                           "last": StateCount(1, len(json.dumps({"key": key})))}
    assert stats.disk_bytes == stats.total_bytes + 7 + 6 + 2 + 2 + len(json.dumps({"key": key}))

    report = cache.gc(0)

    assert report.total_bytes == 0
    left = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert left == ["lock"]  # the cache lock itself
    after = cache.stats()
    assert (after.entries, after.blobs, after.disk_bytes) == (0, 0, 0)
