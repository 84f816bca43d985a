"""Evaluate a parsed query against a QueryGraph into an ordered set of labels.

Sets are dicts (insertion-ordered, unique). Traversals use each root's ``graph.closure(root)``
because a node's configured edges may differ between roots (version pins); results are unioned.
A closure may hold more nodes than its root reaches, so only what a root reaches is used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..errors import JcbError, Location
from ..labels import Label, parse_label
from .ast import Call, Int, Let, Node, Regex, SetOp, Var, Word
from .protocol import QueryGraph
from .starlark import to_starlark

LabelSet = dict[Label, None]
Edges = dict[Label, list[Label]]
Env = dict[str, LabelSet]


def evaluate(graph: QueryGraph, node: Node) -> list[Label]:
    """The labels ``node`` denotes, in evaluation order."""
    return list(_Evaluator(graph).eval(node, {}))


def reach(edges: Edges, starts: Iterable[Label], depth: int | None = None) -> dict[Label, Label | None]:
    """Nodes reachable from ``starts`` breadth-first (within ``depth`` edges) -> their BFS parent."""
    seen: dict[Label, Label | None] = dict.fromkeys(starts)
    frontier = list(seen)
    level = 0
    while frontier and (depth is None or level < depth):
        level += 1
        following = []
        for node in frontier:
            for dep in edges.get(node, ()):
                if dep not in seen:
                    seen[dep] = node
                    following.append(dep)
        frontier = following
    return seen


def reverse(edges: Edges) -> Edges:
    """The same graph with every edge flipped."""
    flipped: Edges = {}
    for node, deps in edges.items():
        for dep in deps:
            flipped.setdefault(dep, []).append(node)
    return flipped


def _levels(depth: Int | None) -> int | None:
    return depth.value if depth else None


def attr_strings(value: Any) -> list[str]:
    """The strings attr() matches: list items and ``key=value`` dict items; unset or empty is ''."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [f"{k}={v if isinstance(v, str) else to_starlark(v)}" for k, v in value.items()] or [""]
    if isinstance(value, (list, tuple)):
        return [v if isinstance(v, str) else to_starlark(v) for v in value] or [""]
    return [""] if value is None else [to_starlark(value)]


class _Evaluator:
    def __init__(self, graph: QueryGraph):
        self.graph = graph

    def eval(self, node: Node, env: Env) -> LabelSet:
        if isinstance(node, Word):
            return self.resolve(node)
        if isinstance(node, Var):
            return env[node.name]
        if isinstance(node, Let):
            return self.eval(node.body, {**env, node.name: self.eval(node.value, env)})
        if isinstance(node, SetOp):
            left, right = self.eval(node.left, env), self.eval(node.right, env)
            if node.op == "union":
                return {**left, **right}
            if node.op == "except":
                return {label: None for label in left if label not in right}
            return {label: None for label in left if label in right}
        assert isinstance(node, Call), node
        return getattr(self, f"fn_{node.name}")(env, *node.args)

    def resolve(self, word: Word) -> LabelSet:
        """A target pattern, via the graph; its errors point at the word."""
        try:
            return dict.fromkeys(self.graph.resolve_pattern(word.text))
        except JcbError as exc:
            if exc.location is None:
                exc.location = Location("<query>", 1, word.col)
            raise

    @staticmethod
    def matching(labels: LabelSet, regex: Regex, text_of: Callable[[Label], list[str]]) -> LabelSet:
        return {label: None for label in labels if any(regex.pattern.search(t) for t in text_of(label))}

    # -- functions: fn_<name>(env, *args) as declared in parser.FUNCTIONS ----------------------
    def closures(self, roots: Iterable[Label]) -> list[tuple[Edges, list[Label]]]:
        """Roots grouped by the edges they are configured with (one group per distinct closure).

        Within one set of edges, a traversal from all of a group's roots at once gives the
        union of the per-root traversals, so the shared unpinned graph is walked once.
        """
        groups: dict[int, tuple[Edges, list[Label]]] = {}
        for root in roots:
            closure = self.graph.closure(root)
            groups.setdefault(id(closure), (closure, []))[1].append(root)
        return list(groups.values())

    def fn_deps(self, env: Env, roots: Node, depth: Int | None = None) -> LabelSet:
        result: LabelSet = {}
        for edges, group in self.closures(self.eval(roots, env)):
            result.update(dict.fromkeys(reach(edges, group, _levels(depth))))
        return result

    def fn_rdeps(self, env: Env, universe: Node, targets: Node, depth: Int | None = None) -> LabelSet:
        roots, wanted = self.eval(universe, env), self.eval(targets, env)
        result: LabelSet = {}
        for edges, group in self.closures(roots):
            members = reach(edges, group)
            within = reverse({node: edges[node] for node in members})
            result.update(dict.fromkeys(reach(within, [label for label in wanted if label in members],
                                              _levels(depth))))
        return result

    def fn_allpaths(self, env: Env, sources: Node, targets: Node) -> LabelSet:
        ends = self.eval(targets, env)
        result: LabelSet = {}
        for edges, group in self.closures(self.eval(sources, env)):
            members = reach(edges, group)
            to_ends = reach(reverse({node: edges[node] for node in members}),
                            [label for label in ends if label in members])
            result.update(dict.fromkeys(label for label in members if label in to_ends))
        return result

    def fn_somepath(self, env: Env, sources: Node, targets: Node) -> LabelSet:
        ends = self.eval(targets, env)
        for root in self.eval(sources, env):
            parents = reach(self.graph.closure(root), [root])
            end = next((label for label in parents if label in ends), None)
            if end is not None:
                path = [end]
                while (parent := parents[path[-1]]) is not None:
                    path.append(parent)
                return dict.fromkeys(reversed(path))
        return {}

    def fn_kind(self, env: Env, regex: Regex, targets: Node) -> LabelSet:
        return self.matching(self.eval(targets, env), regex, lambda label: [self.graph.target(label).kind])

    def fn_attr(self, env: Env, name: Word, regex: Regex, targets: Node) -> LabelSet:
        def values(label: Label) -> list[str]:
            attrs = {"name": label.name, **self.graph.target(label).attrs}
            return attr_strings(attrs[name.text]) if name.text in attrs else []
        return self.matching(self.eval(targets, env), regex, values)

    def fn_filter(self, env: Env, regex: Regex, targets: Node) -> LabelSet:
        return self.matching(self.eval(targets, env), regex, lambda label: [str(label)])

    def fn_labels(self, env: Env, name: Word, targets: Node) -> LabelSet:
        result: LabelSet = {}
        for label in self.eval(targets, env):
            value = self.graph.target(label).attrs.get(name.text)
            items = [value] if isinstance(value, str) else value or []
            result.update(dict.fromkeys(parse_label(item, current_package=label.package) for item in items))
        return result
