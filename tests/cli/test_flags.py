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


def test_every_command_that_opens_the_remote_cache_takes_its_options() -> None:
    """`jcb lock --pip` opened the remote cache without having its options: an internal error."""
    import importlib
    import inspect

    from jc_build.cli.main import COMMANDS, build_parser
    [sub] = [a for a in build_parser()._actions if a.dest == "command"]
    sources = {name: inspect.getsource(importlib.import_module(f"jc_build.cli.commands.{module}"))
               for name, module in COMMANDS.items()}
    openers = [name for name, text in sources.items() if "make_executor(" in text or "open_remote_cache(" in text]
    assert {"build", "lock", "explain"} <= set(openers)
    def dests(parser) -> set[str]:  # with those of nested actions (`jcb cache push`)
        nested = [p for a in parser._actions if a.choices and isinstance(a.choices, dict) for p in a.choices.values()]
        return {a.dest for a in parser._actions}.union(*map(dests, nested))
    for name in openers:
        assert {"remote_cache", "remote_cache_readonly", "no_remote_cache"} <= dests(sub.choices[name]), name
