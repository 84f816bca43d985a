"""Action entries are checked under a key kept outside the cache: a forged entry is not trusted."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from jc_build.cache.action_cache import ActionCache, ActionResult, _checksum
from jc_build.cache.digest import sha256_bytes
from jc_build.cache.key import key_file, user_key

KEY = b"k" * 32


def _result() -> ActionResult:
    return ActionResult(key=sha256_bytes(b"action").hex, kind="layer", image_id="sha256:" + "1" * 64, outputs={},
                        log_digest=sha256_bytes(b"log"), duration_s=1.0)


def _cache(tmp_path: Path, warned: list[str], key: bytes | None = KEY) -> ActionCache:
    (tmp_path / "tmp").mkdir(exist_ok=True)
    return ActionCache(tmp_path, tmp_path / "tmp", warned.append, key)


def test_a_swapped_image_id_with_a_recomputed_plain_checksum_is_refused(tmp_path: Path) -> None:
    warned: list[str] = []
    cache = _cache(tmp_path, warned)
    result = _result()
    cache.write(result)
    assert cache.read(result.key) == result
    path = cache.path(result.key)
    doc = json.loads(path.read_text())
    doc["result"]["image_id"] = "sha256:" + "6" * 64
    doc["checksum"] = _checksum(doc["result"])  # what a forger without the key can compute
    path.write_text(json.dumps(doc))
    assert cache.read(result.key) is None
    assert warned == [f"cache: action entry {result.key} is corrupt (checksum mismatch: edited, or written under "
                      f"another cache key); removed {path}"]


def test_an_entry_written_under_another_key_is_a_miss(tmp_path: Path) -> None:
    warned: list[str] = []
    _cache(tmp_path, warned, b"o" * 32).write(_result())
    assert _cache(tmp_path, warned).read(_result().key) is None
    assert len(warned) == 1


def test_the_key_is_made_once_private_and_outside_the_cache(tmp_path: Path) -> None:
    path = key_file({"XDG_CONFIG_HOME": str(tmp_path / "config")})
    assert path == tmp_path / "config" / "jcb" / "cache-key"
    first = user_key(path)
    assert first is not None and len(first) == 32
    assert user_key(path) == first
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert key_file({"JCB_CACHE_KEY_FILE": "/k"}) == Path("/k")
