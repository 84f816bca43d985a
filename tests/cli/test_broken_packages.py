"""A broken package does not stop unrelated work: a command that does not need it is not
stopped; a wildcard reports every broken package at its file:line:col and does the rest."""

from __future__ import annotations

import pytest

BROKEN = {
    "pkgs/a/BUILD.star": 'container_layer(name = "a")\n',
    "pkgs/b/BUILD.star": 'container_layer(name = "b"\n',  # a syntax error
    "pkgs/c/d/BUILD.star": 'container_layer(name = "d", nope = 1)\n',  # an unknown attribute
    "pkgs/e/BUILD.star": 'container_layer(name = "e", deps = ["//b"])\n',  # needs the broken //b
}
B_ERROR = "jcb: error: pkgs/b/BUILD.star:"
D_ERROR = "jcb: error: pkgs/c/d/BUILD.star:1:1: container_layer() got an unknown attribute 'nope'"


def test_commands_that_do_not_need_a_broken_package(jcb, workspace) -> None:
    root = workspace(BROKEN)
    for argv, out in ((["query", "deps(//a)"], "//a:a\n"), (["query", "a"], "//a:a\n"), (["tag", "a"], None)):
        result = jcb(root, *argv)
        assert result.code == 0 and result.err == "", (argv, result.err)
        assert out is None or result.out == out


def test_a_wildcard_reports_every_broken_package_and_does_the_rest(jcb, workspace) -> None:
    root = workspace(BROKEN)
    result = jcb(root, "query", "//...")
    assert result.out == "//a:a\n" and result.code == 1
    errors = result.err.splitlines()  # //e is passed over too: it needs //b, whose error is said once
    assert len(errors) == 3 and errors[0].startswith(B_ERROR) and errors[1].startswith(D_ERROR), errors
    assert errors[2] == "jcb: 2 packages or targets could not be loaded or analysed; the rest was done"


def test_an_unknown_name_lists_the_packages_that_do_not_load(jcb, workspace) -> None:
    result = jcb(workspace(BROKEN), "query", "nosuch")
    assert result.code == 2
    assert "no package or target named 'nosuch' among the packages that load; 2 do not:" in result.err
    assert "  pkgs/b/BUILD.star:" in result.err and "  pkgs/c/d/BUILD.star:1:1:" in result.err


@pytest.mark.engine
def test_build_keep_going_reports_both_and_plans_the_rest(jcb, workspace) -> None:
    result = jcb(workspace(BROKEN), "build", "--dry-run", "--keep-going", "//...")
    assert result.code == 1
    assert "would build //a:a" in result.out
    assert B_ERROR in result.err and D_ERROR in result.err
