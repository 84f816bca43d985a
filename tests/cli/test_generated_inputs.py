"""Generated hostile inputs: labels, query strings and BUILD.star snippets.

Whatever comes in, jcb answers with an exit code of 0, 1 or 2 and, on failure, one error line:
never a traceback, never an internal error. Evaluation is bounded by --loading-timeout. A fixed
seed and example count keep the run reproducible and short.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from jc_build.cli.main import main

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
LABEL_CHARS = "abz019/:@.-_+*~ \\\t\x00é"
QUERY_CHARS = "abdeilnoprstuxy(),+-^$=:/.*'\" 0123456789\\"
FRAGMENTS = ['container_layer(', 'wheel(', 'alias(', 'select({', '})', 'name = "a"', 'name = "b c"', 'deps = ',
             'requires = ', 'target_compatible_with = {"cuda": "~~12"}', 'actual = ":a"', 'dist = "d"', ',', ')',
             '(', '[', ']', '{', '}', '"//a"', '"//../x"', '"@toolchains//:jp6"', '1', 'None', 'True', ':', '=',
             'def f():\n    return f()\n', 'f()', '\n', ' ', 'load(":x.star", "y")', 'run("")', 'x' * 300,
             '"\\xff"', '[' * 50, ']' * 50, 'lambda: 1', 'for i in range(10): pass\n', '#', '"""', "'"]


WORKSPACE = {
    "WORKSPACE.star": 'workspace(default_platform = "jp6")\n',
    "toolchains/BUILD.star": 'platform(name = "jp6", l4t = "36.4.0", jetpack = "6.1", cuda = "12.6", cudnn = "9.3", '
                             'python = "3.10", distro = "24.04", arch = "aarch64", cuda_arch = ["87"], '
                             'base_image = "ubuntu:24.04")\n',
    "pkgs/a/BUILD.star": 'container_layer(name = "a")\n',
}


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    ws = tmp_path_factory.mktemp("gen")
    for rel, text in WORKSPACE.items():
        (ws / rel).parent.mkdir(parents=True, exist_ok=True)
        (ws / rel).write_text(text)
    saved = {k: os.environ.get(k) for k in ("JCB_CACHE_DIR", "JCB_NO_LOAD_CACHE")}
    os.environ.update(JCB_CACHE_DIR=str(tmp_path_factory.mktemp("gen-cache")), JCB_NO_LOAD_CACHE="1")
    yield ws
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _run(root: Path, *argv: str) -> None:
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        try:
            code = main([argv[0], "-C", str(root), "--loading-timeout=5", *argv[1:]])
        except SystemExit as exc:  # argparse
            code = int(exc.code or 0)
    text = err.getvalue()
    errors = [line for line in text.splitlines() if line.startswith("jcb: error:")]
    assert code in (0, 1, 2), text
    assert "Traceback" not in text and "internal error" not in text, text
    if code:
        assert len(errors) == 1 and text.rstrip("\n").splitlines()[-1] == errors[0], text


@SETTINGS
@seed(8)
@given(st.text(LABEL_CHARS, min_size=1, max_size=400).filter(lambda s: not s.startswith("-")))
def test_labels(root: Path, label: str) -> None:
    _run(root, "tag", label)


@SETTINGS
@seed(8)
@given(st.text(QUERY_CHARS, min_size=1, max_size=200).filter(lambda s: not s.startswith("-")))
def test_query_strings(root: Path, query: str) -> None:
    _run(root, "query", query)


@SETTINGS
@seed(8)
@given(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=30), st.booleans())
def test_build_star_snippets(root: Path, fragments: list[str], as_latin1: bool) -> None:
    text = "".join(fragments)
    (root / "pkgs/a/BUILD.star").write_bytes(text.encode("latin-1" if as_latin1 else "utf-8", errors="replace"))
    _run(root, "tag", "//a")
