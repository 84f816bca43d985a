"""Cache size accounting and LRU garbage collection."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .action_cache import ActionCache
from .cas import Cas
from .digest import Digest

GRACE_S = 3600  # temp files and unreferenced blobs younger than this may belong to a live writer

_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*(?:([KMGT])i?)?B?", re.IGNORECASE)
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_size(text: str) -> int:
    """Parse a byte size such as ``123``, ``500M``, ``10G`` or ``1.5GiB`` (powers of 1024)."""
    m = _SIZE.fullmatch(text.strip())
    if not m:
        raise ValueError(
            f"invalid size {text!r}: expected a number of bytes with an optional "
            "K, M, G or T suffix (powers of 1024), e.g. 123, 500M or 10G"
        )
    return int(float(m[1]) * _UNITS[(m[2] or "").upper()])


@dataclass(frozen=True)
class CacheStats:
    """What ``jcb cache stats`` shows."""

    location: Path
    entries: int
    blobs: int
    total_bytes: int  # entries + blobs; temp files of in-flight writes excluded


@dataclass(frozen=True)
class GcReport:
    """What one ``gc`` run removed and what remains."""

    removed_entries: int
    removed_blobs: int
    removed_temp_files: int
    freed_bytes: int
    total_bytes: int  # what remains, as in CacheStats (may exceed the limit by in-flight blobs)


def measure(root: Path, cas: Cas, actions: ActionCache) -> CacheStats:
    entries = [st.st_size for _, st in actions.keys()]
    blobs = [st.st_size for _, st in cas.blobs()]
    return CacheStats(root, len(entries), len(blobs), sum(entries) + sum(blobs))


def collect(cas: Cas, actions: ActionCache, tmp_dir: Path, max_size_bytes: int, now: float) -> GcReport:
    """Evict least recently used entries until they and the blobs they reference fit in
    ``max_size_bytes``, deleting blobs no remaining entry references.

    The caller holds the exclusive cache lock, so no session is open. Blobs that were
    unreferenced before this run and are younger than ``GRACE_S`` are kept and not
    counted: a writer that did not use a session may not have written its entry yet.
    Unusable entries (corrupt, or referencing missing blobs) are removed first.
    """
    blobs = dict(cas.blobs())
    live, removed_entries, freed = _usable_entries(actions, blobs)
    removed_blobs = 0
    refs: Counter[Digest] = Counter(d for *_, digests in live for d in digests)
    entry_bytes = sum(size for _, _, size, _ in live)
    total = entry_bytes + sum(st.st_size for st in blobs.values())
    in_use = entry_bytes + sum(blobs[d].st_size for d in refs)

    def drop_blob(digest: Digest) -> None:
        nonlocal removed_blobs, freed, total
        cas.path(digest).unlink(missing_ok=True)
        removed_blobs += 1
        freed += blobs[digest].st_size
        total -= blobs[digest].st_size

    for digest, st in blobs.items():
        if not refs[digest] and st.st_mtime < now - GRACE_S:
            drop_blob(digest)

    for _, key, size, digests in sorted(live):
        if in_use <= max_size_bytes:
            break
        actions.path(key).unlink(missing_ok=True)
        removed_entries += 1
        freed += size
        total -= size
        in_use -= size
        for digest in digests:
            refs[digest] -= 1
            if not refs[digest]:
                in_use -= blobs[digest].st_size
                drop_blob(digest)

    removed_temp, temp_bytes = _remove_stale_temp(tmp_dir, now)
    return GcReport(removed_entries, removed_blobs, removed_temp, freed + temp_bytes, total)


def _usable_entries(actions: ActionCache, blobs: Mapping[Digest, object]) -> tuple[list[tuple[int, str, int, set[Digest]]],
                                                                              int, int]:
    """Entries as (mtime_ns, key, size, blobs), after discarding unusable ones; how many were, their bytes."""
    live: list[tuple[int, str, int, set[Digest]]] = []
    removed = freed = 0
    for key, st in actions.keys():
        result = actions.read(key)
        if result is not None and not result.digests() <= blobs.keys():
            actions.discard(key, "references missing blobs")
            result = None
        if result is None:
            removed += 1
            freed += st.st_size
            continue
        live.append((st.st_mtime_ns, key, st.st_size, result.digests()))
    return live, removed, freed


def _remove_stale_temp(tmp_dir: Path, now: float) -> tuple[int, int]:
    """Remove temporary files older than GRACE_S (left by killed writers); how many, their bytes."""
    removed = freed = 0
    for path in tmp_dir.iterdir():
        st = path.stat()
        if st.st_mtime < now - GRACE_S:
            path.unlink(missing_ok=True)
            removed += 1
            freed += st.st_size
    return removed, freed
