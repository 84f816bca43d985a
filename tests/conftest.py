"""Shared fixtures: throw-away workspaces and an in-process ``jcb``."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from jc_build.cli.main import main

REPO = Path(__file__).resolve().parent.parent
# No user config file of the machine's (~/.config/jcb/config.yaml) changes what the tests see;
# tests of the config file set $JCB_CONFIG themselves.
os.environ["JCB_CONFIG"] = os.devnull

DEFAULT_TOOLCHAINS = """\
platform(name = "jp6", l4t = "36.4.0", jetpack = "6.1", cuda = "12.6", cudnn = "9.3", python = "3.10",
         distro = "24.04", arch = "aarch64", cuda_arch = ["87"], base_image = "ubuntu:24.04")
platform(name = "jp6-cu128", l4t = "36.4.0", jetpack = "6.1", cuda = "12.8", cudnn = "9.8", python = "3.10",
         distro = "24.04", arch = "aarch64", cuda_arch = ["87"], base_image = "ubuntu:24.04")
platform(name = "jp5", l4t = "35.4.1", jetpack = "5.1.2", cuda = "11.4", cudnn = "8.6", python = "3.8",
         distro = "20.04", arch = "aarch64", cuda_arch = ["72", "87"], base_image = "l4t-jetpack:r35.4.1")
"""


@dataclass
class Result:
    """What one ``jcb`` invocation returned and printed."""

    code: int
    out: str
    err: str


def write_workspace(root: Path, files: dict[str, str]) -> Path:
    """Write a workspace: defaults for WORKSPACE.star and toolchains, then ``files``."""
    defaults = {"WORKSPACE.star": 'workspace(default_platform = "jp6")\n',
                "toolchains/BUILD.star": DEFAULT_TOOLCHAINS}
    for rel, text in {**defaults, **files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


@pytest.fixture
def workspace(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    return lambda files: write_workspace(tmp_path / "ws", files)


@pytest.fixture
def jcb(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Result]:
    """Run ``jcb`` in-process in a workspace; no test output may hold a Python traceback."""

    cache_dir = tmp_path_factory.mktemp("jcb-cache")

    def run(root: Path, *argv: str) -> Result:
        monkeypatch.chdir(root)
        monkeypatch.setenv("JCB_CACHE_DIR", str(cache_dir))
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err + captured.out
        return Result(code, captured.out, captured.err)

    return run
