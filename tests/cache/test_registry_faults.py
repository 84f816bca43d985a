"""The remote cache against misbehaving loopback servers: each fault costs one warning and bounded
time, then the registry is left alone; credentials never show in a message."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
from cache_helpers import Always500, TokenProxy, Trickle, Unauthorized, hanging_accept, serve
from jc_build.cache import ActionResult, RegistryCache, sha256_bytes
from jc_build.cache.registry import RegistryDown

KEY = sha256_bytes(b"some action").hex


def _touch_everything(cache: RegistryCache) -> None:
    """Every kind of call a build makes."""
    assert cache.get_action(KEY) is None
    assert not cache.has_blob(sha256_bytes(b"x"))
    assert cache.open_blob(sha256_bytes(b"x")) is None
    cache.put_bytes(b"x")
    cache.put_action(ActionResult(key=KEY, kind="wheel", image_id=None, outputs={},
                                  log_digest=sha256_bytes(b"x"), duration_s=0))
    assert not cache.has_image("0" * 64)


def test_500s_mark_the_registry_down_after_one_request() -> None:
    warned: list[str] = []
    with serve(Always500) as (host, seen):
        cache = RegistryCache(f"{host}/team", on_warning=warned.append, timeout_s=5)
        _touch_everything(cache)
    assert len(seen) == 1, seen
    assert len(warned) == 1 and "HTTP 500" in warned[0] and "going on without it" in warned[0]
    assert not cache.reachable


def test_a_hanging_accept_costs_one_deadline() -> None:
    warned: list[str] = []
    with hanging_accept() as host:
        cache = RegistryCache(host, on_warning=warned.append, timeout_s=1)
        _touch_everything(cache)
    assert len(warned) == 1 and "ReadTimeout" in warned[0], warned


def test_a_trickling_body_is_cut_off_at_the_deadline() -> None:
    warned: list[str] = []
    with serve(Trickle) as (host, seen):
        cache = RegistryCache(host, on_warning=warned.append, timeout_s=1)
        assert cache.open_blob(sha256_bytes(b"wheel")) is None
        assert cache.get_action(KEY) is None
    assert len(warned) == 1 and "no answer in time" in warned[0], warned
    assert len(seen) == 1


def test_required_remote_cache_fails_instead() -> None:
    with serve(Always500) as (host, _):
        cache = RegistryCache(host, on_warning=lambda _: None, timeout_s=5, required=True)
        with pytest.raises(RegistryDown, match="--remote-cache-required"):
            cache.get_action(KEY)


def test_userinfo_is_used_and_never_shown() -> None:
    warned: list[str] = []
    with serve(Unauthorized) as (host, seen):
        cache = RegistryCache(f"http://ci-user:hunter2-secret@{host}/team", on_warning=warned.append, timeout_s=5)
        _touch_everything(cache)
    assert cache.location == f"http://***@{host}/team"
    assert len(warned) == 1 and "not authorized" in warned[0]
    assert "hunter2" not in warned[0] and "ci-user" not in warned[0]
    assert seen[-1][2].startswith("Basic ")  # the userinfo was offered as basic credentials


def _registry_up() -> bool:
    try:
        urllib.request.urlopen("http://127.0.0.1:5000/v2/", timeout=2).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _registry_up(), reason="no registry on 127.0.0.1:5000 (run scripts/setup.sh)")
def test_bearer_token_flow_with_credentials_from_docker_config(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    with serve(TokenProxy) as (host, seen):
        config = {"auths": {host: {"auth": TokenProxy.credentials.removeprefix("Basic ")}}}
        (tmp_path / "config.json").write_text(json.dumps(config))
        monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
        warned: list[str] = []
        cache = RegistryCache(f"{host}/jcb-token-{KEY[:8]}", on_warning=warned.append, timeout_s=10)
        result = ActionResult(key=KEY, kind="wheel", image_id=None, log_digest=cache.put_bytes(b"log"),
                              outputs={"a-1.0-py3-none-any.whl": cache.put_bytes(b"token wheel")}, duration_s=1)
        cache.put_action(result)
        reader = RegistryCache(f"{host}/jcb-token-{KEY[:8]}", on_warning=warned.append, timeout_s=10)
        assert reader.get_action(KEY) == result
        cache.delete_action(KEY)
    assert warned == []
    token_calls = [s for s in seen if s[1].startswith("/token")]
    assert token_calls and all(auth == TokenProxy.credentials for _, _, auth in token_calls)
    # tokens are reused: far fewer token requests than registry requests
    assert len(token_calls) <= 4 < len(seen) - len(token_calls)
