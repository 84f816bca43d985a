"""Fixtures for the docs tests (the in-process ``jcb`` fixture comes from tests/conftest.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from docs_testlib import FIXTURE
from jc_build.cli import main


@pytest.fixture(autouse=True)
def docs_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register ``jcb docs`` (for as long as main.COMMANDS does not list it) in a clean environment."""
    monkeypatch.setitem(main.COMMANDS, "docs", "docs")
    monkeypatch.delenv("JCB_WORKSPACE", raising=False)
    monkeypatch.delenv("JCB_PLATFORM", raising=False)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """A writable copy of the fixture workspace."""
    return Path(shutil.copytree(FIXTURE, tmp_path / "ws"))
