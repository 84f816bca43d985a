"""A small in-memory QueryGraph: a Jetson-like slice of pkgs/ (cuda, cmake, pytorch, vllm, sglang)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from jc_build.errors import AnalysisError, Location
from jc_build.labels import Label, LabelSyntaxError, parse_label, parse_pattern
from jc_build.loading import fields
from jc_build.loading.rules import RULES
from jc_build.model import Target
from jc_build.suggest import did_you_mean


def make_target(pkg: str, line: int, kind: str, /, **kwargs: Any) -> Target:
    """A target as the loader makes it: validated attrs, edge attrs as absolute labels."""
    return fields.make_target(kind, RULES[kind].validate(kwargs), pkg,
                              Location(f"pkgs/{pkg}/BUILD.star", line, 1), f"pkgs/{pkg}/BUILD.star")


class FakeGraph:
    """QueryGraph over targets; ``overrides[root][node]`` replaces node's edges in root's closure."""

    def __init__(self, targets: list[Target],
                 overrides: dict[Label, dict[Label, list[Label]]] | None = None):
        self.targets = {t.label: t for t in targets}
        self.overrides = overrides or {}
        self.shared = {label: t.dep_labels for label, t in self.targets.items()}

    def resolve_pattern(self, text: str) -> list[Label]:
        if text == "//located:error":
            raise AnalysisError("broken BUILD file", Location("pkgs/located/BUILD.star", 4, 2))
        if not text.startswith(("//", "@")):
            names = {t.jc_name: t.label for t in self.targets.values() if t.kind == "container_layer"}
            if text not in names:
                raise AnalysisError(f"no package '{text}'{did_you_mean(text, names)}")
            return [names[text]]
        try:
            pattern = parse_pattern(text)
        except LabelSyntaxError as exc:
            raise AnalysisError(str(exc)) from None
        found = [label for label in self.targets if pattern.matches_package(label.package)
                 and pattern.name in (None, label.name)]
        if not found:
            raise AnalysisError(f"no target matches '{text}'")
        return found

    def target(self, label: Label) -> Target:
        return self.targets[label]

    def closure(self, root: Label) -> dict[Label, list[Label]]:
        """Like the real graph: one shared dict of every edge unless the root has its own pins."""
        if root not in self.overrides:
            return self.shared
        edges = {**self.shared, **self.overrides[root]}
        result: dict[Label, list[Label]] = {}
        stack = [root]
        while stack:
            node = stack.pop()
            if node not in result:
                result[node] = list(edges[node])
                stack.extend(reversed(edges[node]))
        return result

    def build_order(self, labels: Iterable[Label]) -> list[Label]:
        wanted = list(labels)
        order: dict[Label, None] = {}

        def visit(node: Label, edges: dict[Label, list[Label]]) -> None:
            if node not in order:
                for dep in edges[node]:
                    visit(dep, edges)
                order[node] = None
        for label in wanted:
            visit(label, self.closure(label))
        return [label for label in order if label in wanted]


def jetson_targets() -> list[Target]:
    return [
        make_target("cuda/cuda", 1, "container_layer", name="12.6", version="12.6"),
        make_target("cuda/cuda", 2, "alias", name="cuda", actual=":12.6"),
        make_target("build/cmake", 1, "container_layer", name="cmake"),
        make_target("pytorch", 1, "container_layer", name="2.8", version="2.8",
                    deps=["//cuda/cuda", "//build/cmake"], wheels=[":wheel"]),
        make_target("pytorch", 2, "wheel", name="wheel", dist="torch", version="2.8.0",
                    build_deps=["//cuda/cuda"], srcs=[":src"]),
        make_target("pytorch", 3, "git_repository", name="src", remote="https://github.com/pytorch/pytorch",
                    tag="v2.8.0"),
        make_target("pytorch", 4, "alias", name="pytorch", actual=":2.8"),
        make_target("llm/vllm", 1, "container_layer", name="0.9.2", version="0.9.2", deps=["//pytorch"]),
        make_target("llm/vllm", 2, "alias", name="vllm", actual=":0.9.2"),
        make_target("llm/sglang", 1, "container_layer", name="0.4.9", version="0.4.9",
                    deps=["//llm/vllm", "//pytorch"], wheels=[":wheel-0.4.9"], requires=">=36",
                    env={"SGLANG_VERSION": "0.4.9"}),
        make_target("llm/sglang", 2, "wheel", name="wheel-0.4.9", dist="sglang",
                    build_deps=["//pytorch"], srcs=[":src"]),
        make_target("llm/sglang", 3, "http_archive", name="src", url="https://example.org/sglang-0.4.9.tar.gz",
                    sha256="ab" * 32),
        make_target("llm/sglang", 4, "alias", name="sglang", actual=":0.4.9"),
        make_target("tools/pip_cache", 1, "container_layer", name="cu126", package="pip_cache", version="cu126",
                    builder=True),
        make_target("tools/pip_cache", 2, "container_layer", name="cu126-legacy", package="pip_cache",
                    version="cu126"),
    ]


def L(text: str) -> Label:
    """A label from its string form, for expected values."""
    return parse_label(text)
