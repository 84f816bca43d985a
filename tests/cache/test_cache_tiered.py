from __future__ import annotations

from pathlib import Path

import pytest

from jc_build.cache import ActionResult, LocalCache, TieredCache, sha256_bytes

KEY = sha256_bytes(b"torch").hex


@pytest.fixture
def tiers(tmp_path: Path) -> tuple[LocalCache, LocalCache, TieredCache, list[str]]:
    warned: list[str] = []
    local = LocalCache(tmp_path / "local", on_warning=warned.append)
    remote = LocalCache(tmp_path / "remote", on_warning=warned.append)
    return local, remote, TieredCache(local, remote, on_warning=warned.append), warned


def store(cache: LocalCache, wheel: bytes = b"torch wheel") -> ActionResult:
    with cache.session():
        result = ActionResult(KEY, "wheel", None, {"torch.whl": cache.put_bytes(wheel)}, cache.put_bytes(b"log"), 9.0)
        cache.put_action(result)
    return result


def test_write_through(tiers: tuple[LocalCache, LocalCache, TieredCache, list[str]], tmp_path: Path) -> None:
    local, remote, tiered, warned = tiers
    (tmp_path / "torch.whl").write_bytes(b"torch wheel")
    with tiered.session():
        wheel = tiered.put_file(tmp_path / "torch.whl")
        result = ActionResult(KEY, "wheel", "sha256:" + "a" * 64, {"torch.whl": wheel}, tiered.put_bytes(b"log"), 9.0)
        tiered.put_action(result)
    for tier in (local, remote):
        assert tier.get_action(KEY) == result
        assert tier.blob_path(wheel).read_bytes() == b"torch wheel"  # type: ignore[union-attr]
    assert warned == []


def test_read_through_copies_remote_hit_into_local(tiers: tuple[LocalCache, LocalCache, TieredCache, list[str]]) -> None:
    local, remote, tiered, warned = tiers
    result = store(remote)
    assert local.get_action(KEY) is None

    assert tiered.get_action(KEY) == result
    assert local.get_action(KEY) == result  # now served without the remote
    assert local.blob_path(result.outputs["torch.whl"]).read_bytes() == b"torch wheel"  # type: ignore[union-attr]
    assert warned == []


def test_local_hit_wins(tiers: tuple[LocalCache, LocalCache, TieredCache, list[str]]) -> None:
    local, remote, tiered, _ = tiers
    store(remote, b"remote wheel")
    mine = store(local, b"local wheel")
    assert tiered.get_action(KEY) == mine


def test_miss_in_both(tiers: tuple[LocalCache, LocalCache, TieredCache, list[str]]) -> None:
    _, _, tiered, warned = tiers
    assert tiered.get_action(KEY) is None and warned == []


def test_remote_entry_with_corrupt_blob_is_a_miss(tiers: tuple[LocalCache, LocalCache, TieredCache, list[str]]) -> None:
    local, remote, tiered, warned = tiers
    result = store(remote)
    wheel = result.outputs["torch.whl"]
    remote.blob_path(wheel).write_bytes(b"torch wheeX")  # type: ignore[union-attr]

    assert tiered.get_action(KEY) is None
    assert local.get_action(KEY) is None and not local.has_blob(wheel)
    assert len(warned) == 1 and str(wheel) in warned[0]


def test_blobs_read_through(tiers: tuple[LocalCache, LocalCache, TieredCache, list[str]]) -> None:
    _, remote, tiered, _ = tiers
    d = remote.put_bytes(b"only remote")
    assert tiered.has_blob(d)
    with tiered.open_blob(d) as f:  # type: ignore[union-attr]
        assert f.read() == b"only remote"
    assert tiered.open_blob(sha256_bytes(b"nowhere")) is None
