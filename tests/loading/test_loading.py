"""What BUILD files can express: selects, macros, loads, aliases, pins, constraints, patterns."""

from __future__ import annotations

import os

DEFS = {
    "pkgs/defs/m.star": '''\
def versioned(versions, deps = []):
    for v in versions:
        container_layer(name = v, deps = deps)
''',
    "toolchains/extra.star": 'EXTRA = ["//b"]\n',
    "pkgs/x/BUILD.star": '''\
load("//defs:m.star", "versioned")
versioned(["1.0", "2.0"])
alias(name = "x", actual = select({">=cu128": ":2.0", "default": ":1.0"}))
''',
    "pkgs/b/BUILD.star": 'container_layer(name = "b")\n',
}


def test_select_inside_expressions_and_platform_names(workspace, jcb) -> None:
    root = workspace({**DEFS, "pkgs/a/BUILD.star": '''\
load("@toolchains//:extra.star", "EXTRA")
container_layer(
    name = "a",
    deps = ["//x"] + select({"jp5": [], "default": EXTRA}) + select({"aarch64": [], "default": ["//nope"]}),
)
'''})
    assert jcb(root, "query", "deps(//a)", "--output=name", "--order=build").out == "x:1.0\nb\na\n"
    assert jcb(root, "query", "deps(//a)", "--output=name", "--platform=jp6-cu128").out.split() == [
        "a", "b", "x:2.0"]
    assert jcb(root, "query", "deps(//a)", "--output=name", "--platform=jp5").out.split() == ["a", "x:1.0"]


def test_explicit_version_pins_the_alias_in_one_image(workspace, jcb) -> None:
    root = workspace({**DEFS,
                      "pkgs/c/BUILD.star": 'container_layer(name = "c", deps = ["//x"])\n',
                      "pkgs/a/BUILD.star": 'container_layer(name = "a", deps = ["//x:2.0", "//c"])\n'})
    # Alone, c takes the default x:1.0; inside a's image, x:2.0 is pinned for c too.
    assert jcb(root, "query", "deps(//c)", "--output=name").out.split() == ["c", "x:1.0"]
    assert jcb(root, "query", "deps(//a)", "--output=name", "--order=build").out.split() == ["x:2.0", "c", "a"]


def test_wildcards_skip_incompatible_targets(workspace, jcb) -> None:
    root = workspace({
        "pkgs/a/BUILD.star": 'container_layer(name = "a", requires = ">=36")\n',
        "pkgs/b/BUILD.star": 'container_layer(name = "b", deps = ["//a"])\n',
        "pkgs/c/BUILD.star": 'container_layer(name = "c", requires = ["==35.*", "aarch64"])\n',
    })
    assert jcb(root, "query", "//...").out.split() == ["//a:a", "//b:b"]
    assert jcb(root, "query", "//...", "--platform=jp5").out.split() == ["//c:c"]


def test_shorthand_names(workspace, jcb) -> None:
    root = workspace({**DEFS, "pkgs/a/BUILD.star": 'container_layer(name = "a", aliases = ["the-a"])\n'})
    assert jcb(root, "query", "x:2.0").out == "//x:2.0\n"
    assert jcb(root, "query", "x").out == "//x:x\n"
    assert jcb(root, "query", "the-a").out == "//a:a\n"


def test_symlinks_out_of_the_workspace_are_refused(workspace, jcb, tmp_path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "BUILD.star").write_text('container_layer(name = "evil")\n')
    (outside / "secret.txt").write_text("x")
    root = workspace({"pkgs/a/BUILD.star": 'container_layer(name = "a", files = ["f.txt"])\n'})
    os.symlink(outside, root / "pkgs" / "evil")
    os.symlink(outside / "secret.txt", root / "pkgs" / "a" / "f.txt")
    result = jcb(root, "query", "//evil")
    assert result.code == 1
    assert result.err.strip() == ("jcb: error: <query>:1:1: package '//evil' resolves outside the workspace "
                                  "(symlink); refused")
    result = jcb(root, "query", "//a")
    assert result.code == 1
    assert result.err.strip() == ("jcb: error: pkgs/a/BUILD.star:1:1: file 'f.txt' resolves outside the workspace "
                                  "(symlink); refused")


def test_evaluated_target_as_starlark(workspace, jcb) -> None:
    root = workspace({"pkgs/a/BUILD.star": 'container_layer(name = "a", env = {"B": "2", "A": "1"})\n'})
    out = jcb(root, "query", "//a", "--output=build").out
    assert out.startswith("# pkgs/a/BUILD.star:1:1\ncontainer_layer(\n    name = \"a\",\n")
    assert 'env = {"B": "2", "A": "1"}' in out
