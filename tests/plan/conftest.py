"""Fixtures of the plan tests: the fixture workspaces, copied so tests may edit them."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from plan_helpers import FIXTURES


@pytest.fixture
def fixture_copy(tmp_path: Path) -> Callable[..., Path]:
    """``fixture_copy("basic", "a")``: a copy of tests/plan/fixtures/basic at <tmp>/a/basic."""

    def copy(name: str = "basic", where: str = "ws") -> Path:
        dest = tmp_path / where / name
        shutil.copytree(FIXTURES / name, dest)
        return dest

    return copy
