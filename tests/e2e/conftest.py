"""End-to-end fixtures: the real daemon, a builder base built once per session, the cext workspace."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_helpers import Workspace, copy_fixture, remove_images


@pytest.fixture(scope="session")
def docker_cli() -> str:
    """The daemon must answer (tests fail otherwise) unless JCB_SETUP_SKIP_ENGINE=1 (then they skip)."""
    if os.environ.get("JCB_SETUP_SKIP_ENGINE") == "1":
        pytest.skip("JCB_SETUP_SKIP_ENGINE=1")
    from jc_build.engine import detect_engine
    from jc_build.engine.base import CliEngine

    engine = detect_engine()
    assert isinstance(engine, CliEngine)
    assert engine.image_exists("jcb/debian:bookworm"), "run scripts/setup.sh: it makes jcb/debian:bookworm"
    return engine.cli


@pytest.fixture(scope="session")
def warm_base(docker_cli: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Build the builder base once per session, so BuildKit answers its apt step from its cache later."""
    root = tmp_path_factory.mktemp("warm")
    prefix = f"jcb-e2e-{uuid.uuid4().hex[:8]}"
    ws = Workspace(copy_fixture(root / "ws", prefix), root / "cache", prefix, docker_cli)
    ws.jcb("build", "//build/pydev", "--progress=plain")
    yield
    remove_images(docker_cli, prefix)


@pytest.fixture
def cext(warm_base: None, docker_cli: str, tmp_path: Path) -> Iterator[Workspace]:
    prefix = f"jcb-e2e-{uuid.uuid4().hex[:8]}"
    yield Workspace(copy_fixture(tmp_path / "ws", prefix), tmp_path / "cache", prefix, docker_cli)
    remove_images(docker_cli, prefix)
