"""Each rule (loading/rules.py) yields a frozen, typed view of its targets (loading/fields.py).

Adding a rule adds a case here (``test_every_rule_has_a_case`` fails until it does).
"""

from __future__ import annotations

import pytest

from jc_build.errors import Location
from jc_build.labels import Label
from jc_build.loading import fields as fields_module
from jc_build.loading.fields import fields_class, make_target
from jc_build.loading.rules import RULES

# kind -> (the call's attributes, expected typed values, expected deps per attribute)
CASES = {
    "container_layer": ({"name": "a", "deps": ["//b", ":c"], "wheels": [":w"], "env": {"A": "1"}},
                        {"deps": (Label("b", "b"), Label("p", "c")), "env": {"A": "1"}, "builder": False,
                         "dockerfile": None, "srcs": (), "allow_floating": None},
                        {"deps": (Label("b", "b"), Label("p", "c")), "wheels": (Label("p", "w"),), "srcs": ()}),
    "wheel": ({"name": "w", "dist": "x", "srcs": [":src"], "build_deps": ["//b"]},
              {"dist": "x", "srcs": (Label("p", "src"),), "steps": (), "python_tag": None},
              {"build_deps": (Label("b", "b"),), "srcs": (Label("p", "src"),)}),
    "alias": ({"name": "x", "actual": ":a"}, {"actual": Label("p", "a")}, {"actual": (Label("p", "a"),)}),
    "git_repository": ({"name": "src", "remote": "https://x/y", "tag": "v1"},
                       {"remote": "https://x/y", "tag": "v1", "commit": None, "submodules": False}, {}),
    "http_archive": ({"name": "src", "url": "https://x/y.tgz", "sha256": "a" * 64},
                     {"sha256": "a" * 64, "strip_prefix": None}, {}),
    "platform": ({"name": "p", "l4t": "36.4.0", "jetpack": "6.1", "cuda": "12.6", "cudnn": "9.3", "python": "3.10",
                  "distro": "24.04", "arch": "aarch64", "cuda_arch": ["87"], "base_image": "ubuntu:24.04"},
                 {"cuda_arch": ("87",), "values": {}}, {}),
}


def test_every_rule_has_a_case() -> None:
    assert set(CASES) == set(RULES)
    assert all(fields_class(kind).__name__ in vars(fields_module) for kind in RULES)


@pytest.mark.parametrize("kind", list(CASES))
def test_rule_gives_a_frozen_typed_view(kind: str) -> None:
    call, values, deps = CASES[kind]
    target = make_target(kind, RULES[kind].validate(call), "p", Location("pkgs/p/BUILD.star", 1, 1),
                         "pkgs/p/BUILD.star")
    fields = target.fields
    assert type(fields).__name__ == "".join(w.title() for w in kind.split("_")) + "Fields"
    assert {key: getattr(fields, key) for key in values} == values
    assert target.deps == deps and tuple(target.deps) == RULES[kind].edges
    with pytest.raises(AttributeError):
        fields.name = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        fields.undeclared = 1  # type: ignore[attr-defined]
    assert RULES[kind].problems(fields) == []
