"""Exit codes: README.md's table is the code's table, and jcb returns each as it says."""

from __future__ import annotations

import re
from pathlib import Path

from jc_build import errors
from jc_build.errors import EXIT_CODES, JcbError

REPO = Path(__file__).resolve().parents[2]


def _readme_table() -> dict[int, str]:
    text = (REPO / "README.md").read_text()
    table = text[text.index("| code | meaning |"):].split("\n\n", 1)[0]
    return {int(m[1]): m[2] for m in re.finditer(r"^\| (\d+) \| (.+) \|$", table, re.M)}


def _subclasses(cls: type) -> list[type]:
    return [cls, *(s for sub in cls.__subclasses__() for s in _subclasses(sub))]


def test_readme_table_is_the_codes_table() -> None:
    assert _readme_table() == EXIT_CODES


def test_every_error_class_exits_with_a_code_of_the_table() -> None:
    classes = {cls for cls in _subclasses(JcbError) if cls.__module__.startswith("jc_build")}
    assert errors.UsageError in classes and errors.BuildError in classes
    assert {cls.exit_code for cls in classes} <= set(EXIT_CODES) - {0}


def test_jcb_returns_what_the_table_says(jcb, workspace) -> None:
    root = workspace({"pkgs/a/BUILD.star": 'container_layer(name = "a")\n',
                      "pkgs/b/BUILD.star": 'container_layer(name = "b", deps = [":c"])\n'})
    assert jcb(root, "query", "//a:all").code == 0
    assert jcb(root, "query", "//a/...:all").out == "//a:a\n"  # Bazel's //pkg/...:all
    assert jcb(root, "query", "deps(//b)").code == 1  # a graph problem: //b:c does not exist
    for usage in (["query", "//a", "--outptu=json"], ["quer", "//a"], ["query", "deps(//a"], ["tag", "nope:1"],
                  ["query", "deps", "//nope"], ["query", "deps", "//a:nope"], ["query", "//a/"], ["tag", "//a/"],
                  ["query", "//a/...:x"]):
        result = jcb(root, *usage)
        assert result.code == 2, (usage, result.err)
