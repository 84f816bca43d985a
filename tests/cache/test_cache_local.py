from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from jc_build.cache import ActionResult, Digest, LocalCache, MissingBlobError, sha256_bytes

Record = Callable[..., ActionResult]
HOUR = 3600


def key(name: str) -> str:
    return sha256_bytes(name.encode()).hex


def entry_path(cache_dir: Path, k: str) -> Path:
    return cache_dir / "ac" / k[:2] / f"{k}.json"


def blob_file(cache_dir: Path, d: Digest) -> Path:
    return cache_dir / "cas" / "sha256" / d.hex[:2] / d.hex


def age(path: Path, seconds: float) -> None:
    t = time.time() - seconds
    os.utime(path, (t, t))


def test_round_trip(tmp_path: Path, cache: LocalCache, open_cache: Callable[[], LocalCache], warned: list[str]) -> None:
    wheel = tmp_path / "torch-2.5.0-cp310-cp310-linux_aarch64.whl"
    wheel.write_bytes(os.urandom(3 << 20))
    d = cache.put_file(wheel)
    assert d == sha256_bytes(wheel.read_bytes())
    assert cache.put_file(wheel) == d  # idempotent
    log = cache.put_bytes(b"building torch\n")
    result = ActionResult(key("torch"), "wheel", "sha256:" + "1" * 64, {wheel.name: d}, log, 812.5, meta={"arch": "sm_87"})
    cache.put_action(result)

    other = open_cache()
    assert other.get_action(result.key) == result
    path = other.blob_path(d)
    assert path == blob_file(cache.root, d) and path.read_bytes() == wheel.read_bytes()
    with other.open_blob(log) as f:  # type: ignore[union-attr]
        assert f.read() == b"building torch\n"
    assert entry_path(cache.root, result.key).is_file()
    assert other.has_blob(d) and not other.has_blob(sha256_bytes(b"never stored"))
    assert not list((cache.root / "tmp").iterdir())
    assert warned == []


def test_unknown_key_is_a_silent_miss(cache: LocalCache, warned: list[str]) -> None:
    assert cache.get_action(key("nothing")) is None
    assert cache.blob_path(sha256_bytes(b"nothing")) is None
    assert warned == []


def test_invalid_key_is_rejected(cache: LocalCache) -> None:
    with pytest.raises(ValueError):
        cache.get_action("../../etc/passwd")


@pytest.mark.parametrize("name", ["", ".", "..", "a/b.whl", "../x.whl"])
def test_output_names_must_be_plain_file_names(name: str) -> None:
    log = sha256_bytes(b"")
    with pytest.raises(ValueError, match="plain file name"):
        ActionResult(key("k"), "wheel", None, {name: log}, log, 0.0)


def test_corrupt_blob_is_a_miss_with_warning(
    record: Record, open_cache: Callable[[], LocalCache], warned: list[str]
) -> None:
    result = record("numpy", {"numpy.whl": b"good wheel bytes"})
    d = result.outputs["numpy.whl"]
    cache = open_cache()
    path = blob_file(cache.root, d)
    path.write_bytes(b"evil wheel bytes")  # same size, different content

    assert cache.blob_path(d) is None
    assert len(warned) == 1 and str(d) in warned[0] and "corrupt" in warned[0]
    assert not path.exists()
    assert cache.get_action(result.key) is None  # its entry now references a missing blob
    assert len(warned) == 2 and "missing" in warned[1]


def test_blob_changed_after_verification_is_rechecked(record: Record, cache: LocalCache, warned: list[str]) -> None:
    d = record("x", {"x.whl": b"0123456789"}).outputs["x.whl"]
    assert cache.blob_path(d) is not None  # verified once, memoized
    blob_file(cache.root, d).write_bytes(b"truncated")
    assert cache.open_blob(d) is None and len(warned) == 1


def _truncate(text: str) -> str:
    return text[: len(text) // 2]


def _tamper(text: str) -> str:  # valid JSON, stale checksum
    doc = json.loads(text)
    doc["result"]["image_id"] = "sha256:" + "6" * 64
    return json.dumps(doc)


def _drop_field(text: str) -> str:  # checksum recomputed, schema broken
    from jc_build.cache.action_cache import _checksum

    doc = json.loads(text)
    del doc["result"]["duration_s"]
    doc["checksum"] = str(_checksum(doc["result"]))
    return json.dumps(doc)


@pytest.mark.parametrize(
    "corrupt",
    [_truncate, _tamper, _drop_field, lambda t: "", lambda t: "\x00\xff garbage", lambda t: "[1, 2]"],
    ids=["truncated", "tampered", "missing-field", "empty", "garbage", "not-an-entry"],
)
def test_corrupt_action_entry_is_a_miss_with_warning(
    record: Record, open_cache: Callable[[], LocalCache], warned: list[str], corrupt: Callable[[str], str]
) -> None:
    result = record("scipy", {"scipy.whl": b"wheel"})
    cache = open_cache()
    path = entry_path(cache.root, result.key)
    path.write_text(corrupt(path.read_text()))

    assert cache.get_action(result.key) is None
    assert len(warned) == 1 and result.key in warned[0] and "corrupt" in warned[0]
    assert not path.exists()


def test_entry_filed_under_another_key_is_a_miss(record: Record, cache: LocalCache, warned: list[str]) -> None:
    result = record("a", {"a.whl": b"a"})
    moved = entry_path(cache.root, key("b"))
    moved.parent.mkdir(parents=True, exist_ok=True)
    moved.write_bytes(entry_path(cache.root, result.key).read_bytes())
    assert cache.get_action(key("b")) is None
    assert "is for key" in warned[0]


def test_entry_with_missing_blob_is_a_miss(record: Record, cache: LocalCache, warned: list[str]) -> None:
    result = record("cupy", {"cupy.whl": b"wheel"}, log=b"the log")
    blob_file(cache.root, result.log_digest).unlink()
    assert cache.get_action(result.key) is None
    assert len(warned) == 1 and str(result.log_digest) in warned[0]
    assert not entry_path(cache.root, result.key).exists()


def test_put_action_requires_its_blobs(cache: LocalCache) -> None:
    log = cache.put_bytes(b"log")
    result = ActionResult(key("k"), "wheel", None, {"k.whl": sha256_bytes(b"not stored")}, log, 0.5)
    with pytest.raises(MissingBlobError, match="k.whl|not in the cache"):
        cache.put_action(result)
    assert cache.get_action(result.key) is None


def test_get_marks_entry_used(record: Record, cache: LocalCache) -> None:
    result = record("used", {"u.whl": b"u"})
    path = entry_path(cache.root, result.key)
    age(path, 10 * HOUR)
    assert cache.get_action(result.key) == result
    assert time.time() - path.stat().st_mtime < 60


def test_stats(record: Record, cache: LocalCache) -> None:
    assert (cache.stats().entries, cache.stats().blobs, cache.stats().total_bytes) == (0, 0, 0)
    record("a", {"a.whl": b"A" * 1000, "shared.whl": b"S" * 500}, log=b"log")
    record("b", {"b.whl": b"B" * 2000, "shared.whl": b"S" * 500}, log=b"log")
    stats = cache.stats()
    files = [p for d in ("ac", "cas") for p in (cache.root / d).rglob("*") if p.is_file()]
    assert stats.location == cache.root
    assert (stats.entries, stats.blobs) == (2, 4)  # A, B, S and the log
    assert stats.total_bytes == sum(p.stat().st_size for p in files)
    assert stats.total_bytes > 1000 + 2000 + 500 + 3


def test_gc_evicts_least_recently_used(record: Record, cache: LocalCache, warned: list[str]) -> None:
    old = record("old", {"old.whl": b"o" * 10_000, "common.whl": b"c" * 10_000})
    mid = record("mid", {"mid.whl": b"m" * 10_000, "common.whl": b"c" * 10_000})
    new = record("new", {"new.whl": b"n" * 10_000})
    for hours, r in [(3, old), (2, mid), (1, new)]:  # as if built that long ago
        t = time.time() - hours * HOUR
        for path in [entry_path(cache.root, r.key), *(blob_file(cache.root, d) for d in r.digests())]:
            os.utime(path, (t, t))
    assert cache.get_action(old.key) == old  # "old" becomes the most recently used
    before = cache.stats().total_bytes

    report = cache.gc(before - 1)

    assert report.removed_entries == 1 and report.removed_blobs == 1  # "mid" and mid.whl; common.whl stays
    assert cache.get_action(mid.key) is None
    assert cache.get_action(old.key) == old and cache.get_action(new.key) == new
    assert report.freed_bytes == before - report.total_bytes == before - cache.stats().total_bytes
    assert not cache.has_blob(mid.outputs["mid.whl"]) and cache.blob_path(old.outputs["common.whl"]) is not None
    assert warned == []


def test_gc_to_zero_keeps_fresh_unreferenced_blobs(record: Record, cache: LocalCache) -> None:
    record("a", {"a.whl": b"a"})
    in_flight = cache.put_bytes(b"put by a writer that has not written its entry yet")
    report = cache.gc(0)
    assert report.removed_entries == 1 and report.removed_blobs == 2
    assert cache.stats().entries == 0 and cache.has_blob(in_flight)


def test_gc_collects_fresh_unreferenced_blobs_no_live_writer_holds(cache: LocalCache) -> None:
    orphan = cache.put_bytes(b"orphan")
    cache.close()  # the writer gives it up, as a process does at exit (or by dying)
    report = cache.gc(10 << 30)
    assert report.removed_blobs == 1 and not cache.has_blob(orphan)
    assert list((cache.root / "tmp").iterdir()) == []


def test_a_killed_writers_blob_goes_at_the_next_gc_and_its_journal_at_the_sweep(tmp_path: Path) -> None:
    code = ("import os, signal, sys; from jc_build.cache import LocalCache\n"
            "c = LocalCache(sys.argv[1]); d = c.put_bytes(b'written, then killed before its entry'); print(d.hex, flush=True)\n"
            "os.kill(os.getpid(), signal.SIGKILL)\n")
    killed = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True)
    assert killed.returncode == -signal.SIGKILL
    journals = list((tmp_path / "tmp").glob("journal-*"))
    assert len(journals) == 1 and journals[0].read_text().split() == [killed.stdout.strip()]
    cache = LocalCache(tmp_path)
    report = cache.gc(10 << 30)
    assert report.removed_blobs == 1 and not cache.has_blob(Digest(killed.stdout.strip()))
    assert list((tmp_path / "tmp").iterdir()) == []


def test_settled_blobs_leave_no_journal(record: Record, cache: LocalCache) -> None:
    record("a", {"a.whl": b"a"})
    assert list((cache.root / "tmp").iterdir()) == []


def test_gc_removes_stale_temp_files_and_bad_entries(record: Record, cache: LocalCache, warned: list[str]) -> None:
    good = record("good", {"g.whl": b"g"})
    bad = record("bad", {"b.whl": b"b"})
    entry_path(cache.root, bad.key).write_text("{")
    stale, fresh = cache.root / "tmp" / "123-stale", cache.root / "tmp" / f"{os.getpid()}-fresh"  # a live writer
    stale.write_bytes(b"x" * 100)
    fresh.write_bytes(b"y")
    age(stale, 2 * HOUR)

    report = cache.gc(10 << 30)

    assert (report.removed_entries, report.removed_temp_files) == (1, 1)
    assert not stale.exists() and fresh.exists()
    assert cache.get_action(good.key) == good
    assert len(warned) == 1 and bad.key in warned[0]
