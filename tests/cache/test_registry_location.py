"""Where a remote cache location points, and that its userinfo never shows."""

from __future__ import annotations

import pytest
from jc_build.cache.registry_http import is_loopback, parse_location


@pytest.mark.parametrize(("location", "scheme", "host", "path", "display"), [
    ("127.0.0.1:5000/ci", "http", "127.0.0.1:5000", "ci", "127.0.0.1:5000/ci"),
    ("localhost:5000", "http", "localhost:5000", "", "localhost:5000"),
    ("registry.lan/jetson", "https", "registry.lan", "jetson", "registry.lan/jetson"),
    ("https://127.0.0.1:5443/x", "https", "127.0.0.1:5443", "x", "https://127.0.0.1:5443/x"),
    ("http://u:p%40ss@reg.lan:5000/a/b", "http", "reg.lan:5000", "a/b", "http://***@reg.lan:5000/a/b"),
    ("u:pw@127.0.0.1:5000/t", "http", "127.0.0.1:5000", "t", "***@127.0.0.1:5000/t"),
])
def test_locations(location: str, scheme: str, host: str, path: str, display: str) -> None:
    endpoint = parse_location(location)
    assert (endpoint.scheme, endpoint.host, endpoint.path, endpoint.display) == (scheme, host, path, display)
    assert "pw" not in repr(endpoint) and "p@ss" not in repr(endpoint)


def test_userinfo_becomes_credentials() -> None:
    creds = parse_location("http://ci:p%40ss@reg.lan:5000/a").userinfo
    assert creds is not None and (creds.username, creds.password) == ("ci", "p@ss")


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1:5000", True), ("127.8.0.1", True), ("localhost:80", True), ("[::1]:5000", True),
    ("registry.lan:5000", False), ("10.0.0.1:5000", False), ("[fd00::2]:5000", False),
])
def test_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
