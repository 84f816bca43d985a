"""Loopback git daemon and HTTP server per test, stopped by PID afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from source_servers import GitDaemon, HttpServer


@pytest.fixture
def git_base(tmp_path: Path) -> Path:
    base = tmp_path / "git-served"
    base.mkdir()
    return base


@pytest.fixture
def git_daemon(git_base: Path) -> Iterator[GitDaemon]:
    daemon = GitDaemon(git_base)
    yield daemon
    daemon.stop()


@pytest.fixture
def http_root(tmp_path: Path) -> Path:
    root = tmp_path / "http-served"
    root.mkdir()
    return root


@pytest.fixture
def http_server(http_root: Path) -> Iterator[HttpServer]:
    server = HttpServer(http_root)
    yield server
    server.stop()
