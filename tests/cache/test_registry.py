"""RegistryCache against the real registry on 127.0.0.1:5000 (scripts/setup.sh starts it)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from jc_build.cache import (
    ActionResult,
    Digest,
    LocalCache,
    MissingBlobError,
    RegistryCache,
    TieredCache,
    sha256_bytes,
)
from jc_build.cache.registry import MANIFEST_TYPE, tag

REGISTRY = "127.0.0.1:5000"


def _registry_up() -> bool:
    try:
        urllib.request.urlopen(f"http://{REGISTRY}/v2/", timeout=2).close()
        return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _registry_up(), reason=f"no registry on {REGISTRY} (run scripts/setup.sh)")


@pytest.fixture
def warned() -> list[str]:
    return []


@pytest.fixture
def remote(warned: list[str]) -> Iterator[RegistryCache]:
    """A cache under a path of its own; its action tags are deleted afterwards."""
    cache = RegistryCache(f"{REGISTRY}/jcb-test-{uuid.uuid4().hex[:8]}", on_warning=warned.append)
    yield cache
    try:
        with urllib.request.urlopen(f"http://{REGISTRY}/v2/{cache.repo}/tags/list", timeout=10) as resp:
            tags = json.load(resp).get("tags") or []
    except urllib.error.HTTPError:  # nothing was ever stored under this path
        tags = []
    for key in tags:
        cache.delete_action(key.removeprefix("ac-"))


def _result(cache: RegistryCache | LocalCache, name: str, wheel: bytes = b"wheel") -> ActionResult:
    return ActionResult(key=sha256_bytes(name.encode()).hex, kind="wheel", image_id=None,
                        outputs={"demo-1.0-py3-none-any.whl": cache.put_bytes(wheel)},
                        log_digest=cache.put_bytes(b"log of " + name.encode()), duration_s=2.5,
                        meta={"remote_image": "x"})


def _put_manifest(cache: RegistryCache, key: str, config: bytes) -> None:
    """A hand-made entry for ``key`` whose config blob is ``config``."""
    digest = cache.put_bytes(config)
    manifest = {"schemaVersion": 2, "mediaType": MANIFEST_TYPE, "layers": [],
                "config": {"mediaType": "application/json", "digest": str(digest), "size": len(config)}}
    req = urllib.request.Request(f"http://{REGISTRY}/v2/{cache.repo}/manifests/{tag(key)}", method="PUT",
                                 data=json.dumps(manifest).encode(), headers={"Content-Type": MANIFEST_TYPE})
    urllib.request.urlopen(req, timeout=10).close()


def test_round_trip(remote: RegistryCache, warned: list[str]) -> None:
    result = _result(remote, "a")
    remote.put_action(result)
    assert remote.get_action(result.key) == result
    with remote.open_blob(result.outputs["demo-1.0-py3-none-any.whl"]) as f:  # type: ignore[union-attr]
        assert f.read() == b"wheel"
    assert warned == []


def test_registry_reports_its_tier_as_remote(remote: RegistryCache, warned: list[str]) -> None:
    result = _result(remote, "tier")
    remote.put_action(result)
    assert remote.find_action(result.key) == (result, "remote")
    assert remote.get_local_action(result.key) is None  # nothing of it is on this machine
    assert remote.find_action(sha256_bytes(b"never stored").hex) == (None, "local")
    assert warned == []


def test_missing_key_is_a_quiet_miss(remote: RegistryCache, warned: list[str]) -> None:
    assert remote.get_action(sha256_bytes(b"never stored").hex) is None
    assert remote.open_blob(sha256_bytes(b"never stored")) is None
    assert warned == []


def test_put_action_needs_its_blobs(remote: RegistryCache) -> None:
    result = _result(remote, "b")
    absent = ActionResult(**{**result.__dict__, "log_digest": sha256_bytes(b"not uploaded")})
    with pytest.raises(MissingBlobError):
        remote.put_action(absent)


def test_blobs_are_deduplicated_by_digest(remote: RegistryCache, monkeypatch: pytest.MonkeyPatch) -> None:
    first = remote.put_bytes(b"same wheel")
    uploads: list[Digest] = []
    monkeypatch.setattr(remote, "_upload", lambda digest, data: uploads.append(digest))
    assert remote.put_bytes(b"same wheel") == first == sha256_bytes(b"same wheel")
    assert remote.has_blob(first)
    assert uploads == []


@pytest.mark.parametrize("config", [b"not json", b'{"key": "x"}', b"[]"])
def test_corrupt_entry_is_a_miss_with_a_warning(remote: RegistryCache, warned: list[str], config: bytes) -> None:
    key = sha256_bytes(b"corrupt").hex
    _put_manifest(remote, key, config)
    assert remote.get_action(key) is None
    assert len(warned) == 1 and "corrupt" in warned[0]
    remote.delete_action(key)


def test_entry_for_another_key_is_a_miss(remote: RegistryCache, warned: list[str]) -> None:
    result = _result(remote, "c")
    other = sha256_bytes(b"other").hex
    _put_manifest(remote, other, json.dumps(result.to_json()).encode())
    assert remote.get_action(other) is None
    assert "corrupt" in warned[0]
    remote.delete_action(other)


def test_blob_not_matching_its_digest_is_a_miss(remote: RegistryCache, warned: list[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    real = remote.put_bytes(b"good bytes")
    claimed = sha256_bytes(b"other bytes")
    request = remote._request  # asked for ``claimed``, the registry sends ``real``
    monkeypatch.setattr(remote, "_request", lambda method, path, *a, **kw: request(
        method, path.replace(claimed.hex, real.hex), *a, **kw))
    assert remote.open_blob(claimed) is None
    assert "arrived as" in warned[0]


def test_registry_down_is_a_miss_with_one_warning(warned: list[str]) -> None:
    down = RegistryCache("127.0.0.1:1/nothing", on_warning=warned.append, timeout_s=2)
    key = sha256_bytes(b"x").hex
    assert down.get_action(key) is None
    assert not down.has_blob(sha256_bytes(b"x"))
    assert down.put_bytes(b"x") == sha256_bytes(b"x")
    down.put_action(ActionResult(key=key, kind="wheel", image_id=None, outputs={},
                                 log_digest=sha256_bytes(b"x"), duration_s=0))
    assert len(warned) == 1 and "going on without it" in warned[0]


def test_read_only_stores_nothing(remote: RegistryCache, warned: list[str]) -> None:
    reader = RegistryCache(remote.location, read_only=True, on_warning=warned.append)
    result = _result(reader, "d", wheel=b"read-only wheel")
    reader.put_action(result)
    assert not remote.has_blob(result.log_digest)
    assert remote.get_action(result.key) is None


def test_tiered_pulls_remote_results_into_an_empty_local_cache(remote: RegistryCache, tmp_path: Path,
                                                               warned: list[str]) -> None:
    writer = TieredCache(LocalCache(tmp_path / "a", on_warning=warned.append), remote, on_warning=warned.append)
    result = _result(writer, "e", wheel=b"shared wheel")
    writer.put_action(result)
    reader_local = LocalCache(tmp_path / "b", on_warning=warned.append)
    reader = TieredCache(reader_local, remote, on_warning=warned.append)
    assert reader.get_action(result.key) == result
    assert reader_local.get_action(result.key) == result
    assert warned == []


def test_has_image_looks_in_the_image_repository(remote: RegistryCache, warned: list[str]) -> None:
    assert not remote.has_image("0" * 64)
    assert remote.image_repo.endswith("/jcb-cache-images")
    assert warned == []
