"""Several jcb processes on one cache, and writers killed mid-write."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from jc_build.cache import ActionResult, Digest, LocalCache, sha256_bytes
from jc_build.cache.state import StateCount

KEYS = [sha256_bytes(b"key %d" % i).hex for i in range(6)]


def _payload(k: str, variant: int) -> bytes:
    """One of a few wheels per key (so writers re-put the same blobs), naming the key
    so that a reader can tell a wrong result from a right one."""
    rng = random.Random(f"{k}/{variant}")
    return k.encode() + b":" + rng.randbytes(rng.randrange(1, 48) * 1024)


def _write(root: Path, seed: int, rounds: int) -> list[str]:
    warned: list[str] = []
    cache = LocalCache(root, on_warning=warned.append)
    rng = random.Random(seed)
    for i in range(rounds):
        k = rng.choice(KEYS)
        with cache.session():  # else gc could collect the blobs before put_action references them
            wheel = cache.put_bytes(_payload(k, rng.randrange(3)))
            log = cache.put_bytes(f"{k} writer {seed} round {i}".encode())
            cache.put_action(ActionResult(k, "wheel", None, {"pkg.whl": wheel}, log, 0.1))
    return warned


def _read(root: Path, seed: int, rounds: int) -> tuple[int, list[str]]:
    warned: list[str] = []
    cache = LocalCache(root, on_warning=warned.append)
    rng = random.Random(seed)
    hits = 0
    deadline = time.monotonic() + 30
    attempts = 0
    # At least `rounds` reads, and on until one hit (a reader may start before any writer has
    # written or just after a gc emptied the cache): the test must not depend on scheduling.
    while attempts < rounds or (hits == 0 and time.monotonic() < deadline):
        attempts += 1
        k = rng.choice(KEYS)
        result = cache.get_action(k)
        if result is None:
            continue
        assert result.key == k
        f = cache.open_blob(result.outputs["pkg.whl"])
        if f is not None:  # None only if a gc evicted the entry after we read it
            with f:
                assert f.read().startswith(k.encode() + b":")
            hits += 1
    return hits, warned


def _collect(root: Path, rounds: int) -> tuple[int, list[str]]:
    warned: list[str] = []
    cache = LocalCache(root, on_warning=warned.append)
    removed = 0
    for _ in range(rounds):
        removed += cache.gc(100 * 1024).removed_entries
        time.sleep(0.005)
    return removed, warned


def root_blob(root: Path, d: Digest) -> Path:
    return root / "cas" / "sha256" / d.hex[:2] / d.hex


def assert_consistent(root: Path) -> int:
    """Every entry on disk reads back with verified blobs; every blob verifies; no warnings."""
    warned: list[str] = []
    cache = LocalCache(root, on_warning=warned.append)
    entries = list((root / "ac").glob("*/*.json"))
    for path in entries:
        result = cache.get_action(path.stem)
        assert result is not None, path
        for d in result.digests():
            assert cache.blob_path(d) is not None
    for path in (root / "cas" / "sha256").glob("*/*"):
        assert cache.blob_path(Digest(path.name)) is not None
    assert warned == []
    return len(entries)


def test_concurrent_writers_readers_and_gc(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    LocalCache(root)
    with multiprocessing.get_context("fork").Pool(8) as pool:
        writers = [pool.apply_async(_write, (root, seed, 100)) for seed in range(4)]
        readers = [pool.apply_async(_read, (root, 100 + seed, 400)) for seed in range(3)]
        gc = pool.apply_async(_collect, (root, 40))
        assert all(w.get(timeout=120) == [] for w in writers)  # put_action never missed a blob
        reads = [r.get(timeout=120) for r in readers]
        gc_removed, gc_warned = gc.get(timeout=120)
    assert all(warned == [] for _, warned in reads) and gc_warned == []
    assert sum(hits for hits, _ in reads) > 0 and gc_removed > 0
    assert assert_consistent(root) > 0
    assert not list((root / "tmp").iterdir())


def test_gc_waits_for_sessions_of_other_processes(tmp_path: Path) -> None:
    cache = LocalCache(tmp_path / "cache")
    gc = [sys.executable, "-c", "import sys; from jc_build.cache import LocalCache; LocalCache(sys.argv[1]).gc(0)"]
    with cache.session():
        orphan = cache.put_bytes(b"not referenced yet")
        os.utime(root_blob(cache.root, orphan), (0, 0))  # old enough to collect, were it not for the session
        proc = subprocess.Popen([*gc, str(cache.root)])
        time.sleep(0.5)
        assert proc.poll() is None
        with pytest.raises(RuntimeError, match="exclusive"):
            cache.gc(0)  # would wait for itself
        cache.put_action(ActionResult(KEYS[0], "wheel", None, {"a.whl": orphan}, orphan, 1.0))
    assert proc.wait(timeout=10) == 0
    assert cache.get_action(KEYS[0]) is None and not cache.has_blob(orphan)  # gc(0) ran after the session


_SLOW_WRITER = textwrap.dedent(
    """
    import sys, time
    from jc_build.cache import LocalCache

    class Stalls:
        # The first chunk of a big wheel arrives, then the writer hangs until killed.
        sent = False
        def read(self, n=-1):
            if self.sent:
                print("writing", flush=True)
                time.sleep(600)
            self.sent = True
            return b"w" * (8 << 20)

    LocalCache(sys.argv[1]).put_blob(Stalls())
    """
)


def test_writer_killed_mid_blob_leaves_only_a_temp_file(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    cache = LocalCache(root)
    log = cache.put_bytes(b"log")
    kept = ActionResult(KEYS[0], "wheel", None, {"a.whl": cache.put_bytes(b"a")}, log, 1.0)
    cache.put_action(kept)
    before = cache.stats()

    proc = subprocess.Popen([sys.executable, "-c", _SLOW_WRITER, str(root)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline() == "writing\n"
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=10) == -signal.SIGKILL

    [temp] = (root / "tmp").iterdir()
    assert temp.stat().st_size == 8 << 20
    after = cache.stats()
    assert (after.entries, after.blobs, after.total_bytes) == (before.entries, before.blobs, before.total_bytes)
    assert after.state["temp"] == StateCount(1, 8 << 20)  # counted, but not a blob
    assert cache.get_action(kept.key) == kept
    assert cache.gc(10 << 30).removed_temp_files == 1  # its writer is dead: removed at once
    assert not temp.exists() and cache.get_action(kept.key) == kept


def test_a_live_writers_fresh_temp_file_is_kept(tmp_path: Path) -> None:
    cache = LocalCache(tmp_path / "cache")
    mine = tmp_path / "cache" / "tmp" / f"{os.getpid()}-x"
    mine.write_bytes(b"in flight")
    assert cache.gc(10 << 30).removed_temp_files == 0
    old = time.time() - 2 * 3600
    os.utime(mine, (old, old))
    assert cache.gc(10 << 30).removed_temp_files == 1


_BUSY_WRITER = textwrap.dedent(
    """
    import os, sys
    from jc_build.cache import ActionResult, LocalCache

    cache = LocalCache(sys.argv[1])
    keys = sys.argv[2:]
    print("started", flush=True)
    i = 0
    while True:
        k = keys[i % len(keys)]
        wheel = cache.put_bytes(k.encode() + b":" + os.urandom(1 << 20))
        log = cache.put_bytes(b"log %d" % i)
        cache.put_action(ActionResult(k, "wheel", None, {"pkg.whl": wheel}, log, 0.1))
        i += 1
    """
)


def test_writers_killed_at_random_points_leave_cache_consistent(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    LocalCache(root)
    rng = random.Random(7)
    for _ in range(5):
        proc = subprocess.Popen(
            [sys.executable, "-c", _BUSY_WRITER, str(root), *KEYS], stdout=subprocess.PIPE, text=True
        )
        assert proc.stdout is not None and proc.stdout.readline() == "started\n"
        time.sleep(rng.uniform(0.05, 0.3))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        assert_consistent(root)
    assert assert_consistent(root) > 0
