"""Queries too deep to parse recursively get a message; long flat ones are evaluated in a loop."""

from __future__ import annotations

from jc_build.query.parser import MAX_DEPTH

LAYER = {"pkgs/a/BUILD.star": 'container_layer(name = "a")\n'}
TOO_DEEP = (f"jcb: error: <query>:1:{MAX_DEPTH + 1}: the query nests parentheses, function calls and lets deeper "
            f"than {MAX_DEPTH} levels; write it flatter (e.g. a + b + c) or with let\n")


def test_a_thousand_unioned_terms(workspace, jcb) -> None:
    result = jcb(workspace(LAYER), "query", " + ".join(["//a"] * 1000) + " - //a + //a")
    assert (result.code, result.out, result.err) == (0, "//a:a\n", "")


def test_a_thousand_nested_parentheses(workspace, jcb) -> None:
    result = jcb(workspace(LAYER), "query", "(" * 1000 + "//a" + ")" * 1000)
    assert (result.code, result.err) == (2, TOO_DEEP)


def test_nested_calls(workspace, jcb) -> None:
    result = jcb(workspace(LAYER), "query", "deps(" * 1000 + "//a" + ")" * 1000)
    assert (result.code, result.err) == (2, TOO_DEEP.replace(f":1:{MAX_DEPTH + 1}:", f":1:{5 * MAX_DEPTH + 1}:"))


def test_nesting_up_to_the_limit_is_fine(workspace, jcb) -> None:
    depth = MAX_DEPTH - 1
    result = jcb(workspace(LAYER), "query", "(" * depth + "//a" + ")" * depth)
    assert (result.code, result.out) == (0, "//a:a\n"), result.err
