"""Flags as people expect: a misspelt option gets its command's closest option; `--` then
patterns with `-` subtract as in Bazel."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("argv", "hint"), [
    (["build", "//a", "--platfrom=demo"], "unrecognized argument: --platfrom=demo (did you mean '--platform'?)"),
    (["build", "//a", "--keep_going"], "unrecognized argument: --keep_going (did you mean '--keep-going'?)"),
    (["query", "//a", "--outptu", "json"], "unrecognized arguments: --outptu json (did you mean '--output'?)"),
    (["cache", "stats", "--ouput=json"], "unrecognized argument: --ouput=json (did you mean '--output'?)"),
])
def test_misspelt_option_suggests_within_its_command(jcb, workspace, argv: list[str], hint: str) -> None:
    root = workspace({"pkgs/a/BUILD.star": 'container_layer(name = "a")\n'})
    result = jcb(root, *argv)
    assert result.code == 2
    assert result.err.startswith(f"usage: jcb {argv[0]} ")  # the command's usage, not jcb's
    assert result.err.splitlines()[-1] == f"jcb: error: {hint}"


@pytest.mark.engine
def test_subtracting_patterns(jcb, workspace) -> None:
    files = {f"pkgs/{p}/BUILD.star": f'container_layer(name = "{p.rsplit("/", 1)[-1]}")\n'
             for p in ("x/one", "x/two", "y")}
    root = workspace(files)
    result = jcb(root, "build", "--dry-run", "--", "//...", "-//x/...", "//x/two")
    assert result.code == 0, result.err
    built = [line.split()[2] for line in result.out.splitlines() if line.startswith("would build")]
    assert built == ["//y:y", "//x/two:two"]
    none = jcb(root, "build", "--dry-run", "--", "//x/...", "-//...")
    assert none.code == 2 and "'//x/... -//...' leaves no target to build" in none.err
