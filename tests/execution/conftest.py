"""Fixtures of the executor tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from execution_helpers import PACKAGES, FakeEngine, Harness, load_graph, write_files

from jc_build.cache import LocalCache


@pytest.fixture
def harness(tmp_path: Path) -> Callable[..., Harness]:
    made = iter(range(100))

    def make(files: dict[str, str] | None = None, **engine: object) -> Harness:
        """A workspace, engine and cache of their own."""
        n = next(made)
        root = write_files(tmp_path / f"ws{n}", {**PACKAGES, **(files or {})})
        fake = FakeEngine(**engine)  # type: ignore[arg-type]
        return Harness(root, fake, LocalCache(tmp_path / f"cache{n}"), load_graph(root))

    return make
