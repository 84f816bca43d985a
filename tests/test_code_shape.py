"""The code's shape (scripts/check_code_shape.py): short functions, layered imports, no import cycles."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "check_code_shape.py"


def _checker():
    spec = importlib.util.spec_from_file_location("check_code_shape", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tools_have_short_functions_layered_imports_and_no_cycles() -> None:
    assert _checker().problems() == []


def test_the_checker_finds_cycles_and_long_functions() -> None:
    checker = _checker()
    assert checker.cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b", "a"]]
    import ast
    body = "def f():\n" + "    x = 1\n" * 50
    assert checker.long_functions(ast.parse(body), "x.py") == ["x.py:1: f() has 51 lines (max 50)"]
