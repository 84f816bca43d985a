"""Which remote cache a command uses: --remote-cache, $JCB_REMOTE_CACHE, WORKSPACE.star, or none."""

from __future__ import annotations

import argparse
from types import SimpleNamespace

import pytest
from jc_build.cache import RegistryCache
from jc_build.cli.options import add_remote_cache
from jc_build.cli.services import open_remote_cache


def _open(argv: list[str], workspace: str = "") -> RegistryCache | None:
    parser = argparse.ArgumentParser()
    add_remote_cache(parser)
    ctx = SimpleNamespace(args=parser.parse_args(argv), workspace=SimpleNamespace(remote_cache=workspace),
                          warn=lambda text: None)
    return open_remote_cache(ctx)  # type: ignore[arg-type]


def test_flag_then_environment_then_workspace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JCB_REMOTE_CACHE", raising=False)
    assert _open([]) is None
    assert _open([], workspace="ws:5000").location == "ws:5000"  # type: ignore[union-attr]
    monkeypatch.setenv("JCB_REMOTE_CACHE", "env:5000/team")
    assert _open([], workspace="ws:5000").location == "env:5000/team"  # type: ignore[union-attr]
    cache = _open(["--remote-cache", "127.0.0.1:5000/ci", "--remote-cache-readonly"], workspace="ws:5000")
    assert cache is not None and cache.read_only
    assert cache.repo == "ci/jcb-cache" and cache.image_repo == "127.0.0.1:5000/ci/jcb-cache-images"
    assert _open(["--no-remote-cache"], workspace="ws:5000") is None


def test_flags_exclude_each_other() -> None:
    with pytest.raises(SystemExit):
        _open(["--remote-cache", "r:5000", "--no-remote-cache"])


@pytest.mark.parametrize(("location", "base"), [
    ("127.0.0.1:5000", "http://127.0.0.1:5000/v2/jcb-cache/"),
    ("registry.example.com/jetson", "https://registry.example.com/v2/jetson/jcb-cache/"),
    ("http://builders.lan:5000/a/b/", "http://builders.lan:5000/v2/a/b/jcb-cache/"),
])
def test_scheme_and_repository(location: str, base: str) -> None:
    assert RegistryCache(location)._base == base
