"""The configured target graph: aliases, version pins, constraints, cycles and conflicts.

Edges are configured per root: when an image's chain holds a package at an explicit
version (``//attention/flash-infer:0.2.6.post1``), every reference to that package's
default alias inside the same closure resolves to that version (a *pin*). Two different
explicit versions of one package in one image are a conflict.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Mapping

from ..errors import AnalysisError, JcbError, NotFoundError, UsageError
from ..labels import Label, LabelSyntaxError, parse_pattern
from ..loading.packages import PackageLoader
from ..loading.rules import RULES
from ..model import Target
from ..suggest import did_you_mean
from .compat import incompatibility
from .shorthand import ShorthandIndex
from .traversal import postorder

Edges = dict[Label, list[Label]]
PackageKey = tuple[str, str]  # (package directory, jetson-containers package name)
_DIST_SEPARATORS = re.compile(r"[-_.]+")


def normalized_dist(name: str) -> str:
    """A distribution name as pip compares them: PEP 503's normal form, by the PEP's own one-line
    definition (packaging's ``canonicalize_name`` gives the same; importing it would pull
    packaging.tags into every analysis)."""
    return _DIST_SEPARATORS.sub("-", name).lower()


class ConfiguredGraph:
    """Targets of one workspace configured for one platform."""

    def __init__(self, loader: PackageLoader):
        self.loader = loader
        self.platform = loader.platform
        self._edges: Edges = {}
        self._complete: set[Label] = set()
        self._compatible: dict[Label, bool] = {}
        self._pin_candidates: dict[Label, bool] = {}
        self._closures: dict[Label, Edges] = {}
        self._shorthand: ShorthandIndex | None = None
        # Errors of the packages and targets a wildcard passed over (each message once), for the command to report.
        self.problems: dict[str, JcbError] = {}
        self._valid: dict[Label, Target] = {}  # checked targets: analysis asks for each many times
        self._kinds_checked: set[Label] = set()

    # -- targets ------------------------------------------------------------------
    def target(self, label: Label) -> Target:
        """The loaded target, its values checked (AnalysisError at its file:line:col, once per target)."""
        target = self._valid.get(label)
        if target is None:
            target = self.loader.target(label)
            problems = RULES[target.kind].problems(target.fields)
            if problems:
                raise AnalysisError(f"{label}: {problems[0]}", target.location)
            self._valid[label] = target
        return target

    def configured_deps(self, label: Label, attr: str, edges: Edges) -> list[Label]:
        """The labels attribute ``attr`` of ``label`` names, as configured in ``edges`` (pins applied).

        A node's configured edges are its attributes' labels in the rule's edge order, so the
        attribute's slice is found from the loaded per-attribute deps.
        """
        deps = self.target(label).deps
        start = 0
        for name, labels in deps.items():
            if name == attr:
                return list(edges[label][start:start + len(labels)])
            start += len(labels)
        raise KeyError(f"{label} has no label attribute '{attr}'")

    def _check_kinds(self, label: Label) -> None:
        """AnalysisError when a label attribute names a target of a kind the rule does not accept."""
        target = self.target(label)
        attrs = RULES[target.kind].attrs
        for attr, labels in target.deps.items():
            kinds = attrs[attr].kinds
            for dep in labels if kinds else ():
                kind = self.target(self.resolve_alias(dep)).kind
                if kind not in kinds:
                    raise AnalysisError(f"{label} lists {dep} in {attr}, but it is a {kind}, not a "
                                        f"{' or '.join(kinds)}", target.location)
        if target.kind == "container_layer":
            self._check_one_wheel_per_dist(target)

    def _check_one_wheel_per_dist(self, target: Target) -> None:
        """AnalysisError when two of a layer's wheels are the same distribution (pip would keep one)."""
        seen: dict[str, Label] = {}
        for dep in target.deps["wheels"]:
            dist = normalized_dist(self.target(self.resolve_alias(dep)).fields.dist)
            if dist in seen:
                raise AnalysisError(f"{target.label} installs two wheels of '{dist}' ({seen[dist]} and {dep}); "
                                    "keep one in wheels", target.location)
            seen[dist] = dep

    def resolve_alias(self, label: Label) -> Label:
        """Follow aliases to the target they stand for."""
        seen = [label]
        while (target := self.target(label)).kind == "alias":
            label = target.deps["actual"][0]
            if label in seen:
                raise AnalysisError(f"alias cycle: {' -> '.join(map(str, seen + [label]))}", target.location)
            seen.append(label)
        return label

    def package_key(self, label: Label) -> PackageKey | None:
        """The versioned package a container layer belongs to (None for other kinds)."""
        target = self.target(label)
        return (label.package, target.package_name) if target.kind == "container_layer" else None

    # -- patterns -----------------------------------------------------------------
    def resolve_pattern(self, text: str) -> list[Label]:
        """Labels for a pattern, a label or a jetson-containers name; wildcards skip incompatible targets."""
        if not text.startswith(("//", ":", "@")):
            return [self.shorthand().lookup(text)]
        try:
            pattern = parse_pattern(text)
        except LabelSyntaxError as exc:
            raise UsageError(str(exc)) from None
        if pattern.name is not None:
            label = Label(pattern.package, pattern.name)
            self._named(label)
            self.check_compatible(label)
            return [label]
        packages = [p for p in self.loader.all_packages() if pattern.matches_package(p)]
        if not packages:
            raise UsageError(f"no packages match '{text}'"
                             f"{did_you_mean(pattern.package, self.loader.all_packages())}")
        labels = [Label(p, name) for p in packages for name in self._loaded_or_noted(p)]
        return [label for label in labels if self._compatible_or_noted(label)]

    def _loaded_or_noted(self, package: str) -> list[str]:
        """The target names of ``package``; none, and the error kept in ``problems``, if it is broken."""
        try:
            return list(self.loader.load_package(package))
        except JcbError as exc:
            self.problems.setdefault(str(exc), exc)
            return []

    def _compatible_or_noted(self, label: Label) -> bool:
        """``is_compatible``, with an error in what ``label`` needs kept in ``problems`` (then False)."""
        try:
            return self.is_compatible(label)
        except JcbError as exc:
            self.problems.setdefault(str(exc), exc)
            return False

    def _named(self, label: Label) -> Target:
        """The target a label on the command line names; one that does not exist is a usage error
        (a label in a BUILD file that names nothing stays an analysis error)."""
        try:
            self.loader.target(label)  # a broken BUILD file or a refused symlink stays what it is
        except NotFoundError as exc:
            raise UsageError(exc.message) from None
        return self.target(label)

    def shorthand(self) -> ShorthandIndex:
        if self._shorthand is None:
            self._shorthand = ShorthandIndex.build(self.loader)
        return self._shorthand

    # -- compatibility ------------------------------------------------------------
    def check_compatible(self, root: Label) -> None:
        """AnalysisError naming the constraint and the platform's value if ``root`` or a dep cannot build."""
        closure = self.closure(root)
        # Breadth first: the target asked for, then its nearest deps, name the constraint that matters.
        for label in self._breadth_first(closure, root):
            reason = incompatibility(self.target(label), self.platform)
            if reason:
                via = "" if label == root else f" (needed by {root} through {self._path_text(closure, root, label)})"
                raise AnalysisError(f"{label} is not compatible with platform '{self.platform.name}': "
                                    f"{reason}{via}", self.target(label).location)

    def is_compatible(self, label: Label) -> bool:
        """Whether ``label`` and everything it needs can build for the platform (memoized)."""
        for node in postorder([label], self.edges, self._compatible, self._cycle):
            self._compatible[node] = incompatibility(self.target(node), self.platform) is None and all(
                self._compatible[dep] for dep in self.edges(node))
        return self._compatible[label]

    # -- edges --------------------------------------------------------------------
    def edges(self, label: Label) -> list[Label]:
        """Direct deps of ``label`` in declared order, each checked to exist."""
        if label not in self._edges:
            target = self.target(label)
            for dep in target.dep_labels:
                try:
                    self.loader.target(dep)  # exists; its values are checked when it is analysed
                except AnalysisError as exc:
                    raise AnalysisError(f"{label} depends on '{dep}', but {exc.message}",
                                        target.location) from None
            self._edges[label] = list(target.dep_labels)
        return self._edges[label]

    def _cycle(self, cycle: list[Label]) -> None:
        raise AnalysisError("dependency cycle: " + " -> ".join(map(str, cycle)), self.target(cycle[0]).location)

    def _walk(self, root: Label, pins: Mapping[PackageKey, Label]) -> Edges:
        """Every node reachable from root with its pinned edges; raises on a cycle."""
        result: Edges = {}

        def pinned_edges(label: Label) -> list[Label]:
            if label not in result:
                result[label] = [self._pinned(dep, pins) for dep in self.edges(label)]
            return result[label]

        for _ in postorder([root], pinned_edges, on_cycle=self._cycle):
            pass
        return result

    def _pinned(self, dep: Label, pins: Mapping[PackageKey, Label]) -> Label:
        if self.target(dep).kind != "alias":
            return dep
        resolved = self.resolve_alias(dep)
        key = self.package_key(resolved)
        return pins.get(key, dep) if key else dep

    def closure(self, root: Label) -> Edges:
        """Edges covering every node reachable from ``root``, with its version pins applied.

        Without pins this is the shared graph (it may hold more nodes than ``root`` reaches).
        """
        for node in postorder([root], self.edges, self._complete, self._cycle):
            if node not in self._kinds_checked:
                self._check_kinds(node)
                self._kinds_checked.add(node)
        if not self._may_pin(root):
            return self._edges
        if root not in self._closures:
            pins: dict[PackageKey, Label] = {}
            while True:
                edges = self._walk(root, pins)
                # Pins only grow: once applied, a pinned reference no longer goes through the alias.
                new_pins = {**pins, **self._find_pins(root, edges)}
                if new_pins == pins:
                    break
                pins = new_pins
            self._closures[root] = edges
        return self._closures[root]

    def _may_pin(self, root: Label) -> bool:
        """Whether root's closure names a versioned package explicitly (so pins or conflicts may arise)."""
        for node in postorder([root], self.edges, self._pin_candidates, self._cycle):
            target = self.target(node)
            explicit = target.kind == "container_layer" and any(
                self.target(dep).kind == "container_layer" and self._is_versioned(dep)
                for dep in target.deps.get("deps", ()))
            self._pin_candidates[node] = explicit or any(self._pin_candidates[d] for d in self.edges(node))
        return self._pin_candidates[root]

    def _is_versioned(self, label: Label) -> bool:
        """Whether a layer's package declares more than one layer (versions) in its directory."""
        name = self.target(label).package_name
        siblings = self.loader.load_package(label.package).values()
        return sum(1 for t in siblings if t.kind == "container_layer" and t.package_name == name) > 1

    def _chain_edges(self, label: Label, edges: Edges) -> list[Label]:
        """Edges that stay inside one image: a layer's ``deps`` and aliases (not wheels or sources)."""
        target = self.target(label)
        if target.kind == "alias":
            return edges[label]
        if target.kind != "container_layer":
            return []
        return self.configured_deps(label, "deps", edges)

    def _find_pins(self, root: Label, edges: Edges) -> dict[PackageKey, Label]:
        """Explicit versions that win over aliases; AnalysisError when two explicit versions meet.

        Explicit versions count inside the image chain; alias references count anywhere in the
        closure, so a wheel's builder follows the image's pin too.
        """
        explicit: dict[PackageKey, dict[Label, Label]] = {}
        for node in self.chain(root, edges, include_aliases=True):
            if self.target(node).kind == "alias":
                continue
            for dep in self._chain_edges(node, edges):
                if self.target(dep).kind != "alias" and (key := self.package_key(dep)) is not None:
                    explicit.setdefault(key, {}).setdefault(dep, node)
        via_alias: dict[PackageKey, set[Label]] = {}
        for deps in edges.values():
            for dep in deps:
                if self.target(dep).kind == "alias":
                    target = self.resolve_alias(dep)
                    if (key := self.package_key(target)) is not None:
                        via_alias.setdefault(key, set()).add(target)
        pins: dict[PackageKey, Label] = {}
        for key, versions in explicit.items():
            if len(versions) > 1:
                a, b = sorted(versions)[:2]
                raise AnalysisError(
                    f"{root} would put two versions of '{key[1]}' in one image: {a} "
                    f"(via {self._path_text(edges, root, a)}) and {b} (via {self._path_text(edges, root, b)}); "
                    f"depend on one version, or on //{key[0]} (the default) so the explicit one is used",
                    self.target(root).location)
            version = next(iter(versions))
            if via_alias.get(key, set()) - {version}:
                pins[key] = version
        return pins

    def chain(self, root: Label, edges: Edges | None = None, include_aliases: bool = False) -> list[Label]:
        """The image-chain order of ``root``: each layer's deps before it, declared order, first kept."""
        edges = edges if edges is not None else self.closure(root)
        return [label for label in postorder([root], lambda n: self._chain_edges(n, edges))
                if include_aliases or self.target(label).kind != "alias"]

    def build_order(self, labels: Iterable[Label]) -> list[Label]:
        """``labels`` in build order: the image chain of each top of the set (a member no other member
        depends on), as jetson-containers builds it, restricted to ``labels``.

        A wheel's chain is its builder's layers, then the wheel. What only builder stages or wheels
        use (sources, wheels, layers of a builder that are not in the image) is left out, so the
        listing ends with the target and is the image's layer order.
        """
        wanted = list(dict.fromkeys(labels))
        reached: set[Label] = set()
        for _ in postorder([dep for label in wanted for dep in self.edges(label)], self.edges, reached):
            pass
        keep = set(wanted)
        order: dict[Label, None] = {}
        for top in (label for label in wanted if label not in reached):
            order.update(dict.fromkeys(label for label in self._image_of(top) if label in keep))
        return list(order)

    def _image_of(self, root: Label) -> list[Label]:
        """The chain that builds ``root``, aliases included: a layer's image, a wheel's builder and it."""
        edges = self.closure(root)
        if self.target(root).kind != "wheel":
            return self.chain(root, edges, include_aliases=True)
        order: dict[Label, None] = {}
        for dep in self.configured_deps(root, "build_deps", edges):
            order.update(dict.fromkeys(self.chain(dep, edges, include_aliases=True)))
        return [*order, root]

    @staticmethod
    def _breadth_first(edges: Edges, root: Label) -> list[Label]:
        """Nodes reachable from root, nearest first."""
        order = {root: None}
        queue = deque([root])
        while queue:
            for dep in edges.get(queue.popleft(), []):
                if dep not in order:
                    order[dep] = None
                    queue.append(dep)
        return list(order)

    def _path_text(self, edges: Edges, root: Label, goal: Label) -> str:
        """``//a -> //b -> //c``: one dependency path from root to goal (breadth first)."""
        parents: dict[Label, Label | None] = {root: None}
        queue = deque([root])
        while queue and goal not in parents:
            node = queue.popleft()
            for dep in edges.get(node, []):
                if dep not in parents:
                    parents[dep] = node
                    queue.append(dep)
        path: list[Label] = []
        node: Label | None = goal
        while node is not None:
            path.append(node)
            node = parents.get(node)
        return " -> ".join(map(str, reversed(path)))
