"""The fast path of json.loads gives what json.loads gives, for every input; it is installed only
while Starlark evaluates."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jc_build.loading import json_fast_path
from jc_build.loading.json_fast_path import exact_loads, installed

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=20)


def _outcome(loads: Any, text: Any, **kwargs: Any) -> tuple[str, Any]:
    try:
        return "value", loads(text, **kwargs)
    except Exception as exc:  # noqa: BLE001 - the error is what is compared
        return type(exc).__name__, str(exc)


@given(JSON, st.sampled_from(["", " ", "\n", "\t "]), st.sampled_from(["", " ", "\n", " x", ",1"]))
def test_same_value_or_error_as_json_loads(value: Any, before: str, after: str) -> None:
    for text in (before + json.dumps(value) + after, before + json.dumps(value, separators=(",", ":")) + after):
        assert _outcome(exact_loads, text) == _outcome(json.loads, text)


@pytest.mark.parametrize("text", ["", "   ", '"unterminated', '{"a": }', "\ufeff1", "[1,", "nul", '"\x01"',
                                  b"[1]", bytearray(b'{"a": 1}'), "NaN", "-Infinity", "1e400", "[1]]"])
def test_odd_inputs_as_json_loads(text: Any) -> None:
    assert _outcome(exact_loads, text) == _outcome(json.loads, text)


def test_options_go_to_json_loads() -> None:
    assert exact_loads("[1.5]", parse_float=str) == ["1.5"]


def test_installed_only_inside_the_block_and_nesting_keeps_it() -> None:
    original = json.loads
    with installed():
        assert json.loads is exact_loads
        with installed():
            assert json.loads is exact_loads
        assert json.loads is exact_loads
    assert json.loads is original is json_fast_path._LOADS


def test_an_evaluation_leaves_json_loads_as_it_was(workspace, jcb) -> None:
    root = workspace({"pkgs/a/BUILD.star": 'container_layer(name = "a", env = {"K": "v"}, deps = [])\n'})
    original = json.loads
    assert jcb(root, "query", "//a").out == "//a:a\n"
    assert json.loads is original
