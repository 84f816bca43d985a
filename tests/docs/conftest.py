"""Fixtures for the docs tests (the in-process ``jcb`` fixture comes from tests/conftest.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from docs_helpers import FIXTURE


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A clean environment: no workspace or platform from the caller's shell."""
    monkeypatch.delenv("JCB_WORKSPACE", raising=False)
    monkeypatch.delenv("JCB_PLATFORM", raising=False)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """A writable copy of the fixture workspace."""
    return Path(shutil.copytree(FIXTURE, tmp_path / "ws"))
