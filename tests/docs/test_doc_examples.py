"""Every shell example in README.md and docs/ runs as written, except those marked ``on a
Jetson`` (they need a Jetson or an arm64 builder), those marked ``not run by the tests`` (with
the reason) and ``scripts/test.sh`` (this suite itself).

Each runs with ``bash -c`` in a scratch directory (``.venv``, ``scripts`` and ``pyproject.toml``
linked to the repository's, ``$JCB_WORKSPACE`` the repository), so files the examples write
(``path.svg``, ``pytorch.html``) land there; ``$JCB_CACHE_DIR`` is a fresh cache.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
ON_A_JETSON = "on a Jetson"
NOT_RUN = "not run by the tests"  # e.g. `jcb clean`: it would remove images other builders on a shared daemon use
SHELL_FENCES = ("bash", "sh", "shell", "console")
EXAMPLE_TIMEOUT_S = 600

pytestmark = pytest.mark.engine


def shell_examples(path: Path) -> list[tuple[int, str]]:
    """(line number, command) of each non-empty line in the file's shell-fenced blocks."""
    examples, fence = [], None
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if line.startswith("```"):
            fence = None if fence is not None else line[3:].strip()
        elif fence in SHELL_FENCES and line.strip() and not line.lstrip().startswith("#"):
            examples.append((number, line.strip()))
    return examples


EXAMPLES = [(f"{path.relative_to(REPO)}:{number}", command) for path in DOCS for number, command in shell_examples(path)]
RUNNABLE = [(where, command) for where, command in EXAMPLES
            if ON_A_JETSON not in command and NOT_RUN not in command and "scripts/test.sh" not in command]


def test_examples_are_found_and_each_is_runnable_or_marked() -> None:
    assert len(RUNNABLE) >= 15, RUNNABLE
    for where, command in EXAMPLES:
        comment = command.split(" # ", 1)[1] if " # " in command else ""
        heavy = re.search(r"jcb (build|run) //(llm|attention|pytorch|\.\.\.)|autotag sglang", command)
        assert not heavy or "--dry-run" in command or ON_A_JETSON in comment or NOT_RUN in comment, (
            f"{where}: a build of the Jetson stack must say '{ON_A_JETSON}': {command}")


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("examples")
    for name in (".venv", "scripts", "pyproject.toml"):
        (root / name).symlink_to(REPO / name)
    env = {**os.environ, "JCB_WORKSPACE": str(REPO), "JCB_CACHE_DIR": str(root / "cache"), "NO_COLOR": "1",
           "PATH": f"{REPO / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("JCB_PLATFORM", None)
    return root, env


@pytest.mark.parametrize(("where", "command"), RUNNABLE, ids=[where for where, _ in RUNNABLE])
def test_example_runs_as_written(where: str, command: str, scratch: tuple[Path, dict[str, str]]) -> None:
    root, env = scratch
    proc = subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=root, env=env, capture_output=True,
                          text=True, timeout=EXAMPLE_TIMEOUT_S)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, f"{where}: `{command}` exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    assert proc.stdout.strip() or list(root.glob("*.svg")) or list(root.glob("*.html")), f"{where}: no output"
