"""Helpers for the sglang stack tests: the seed page as data, graphs of this repository's pkgs/."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path


from jc_build.analysis.graph import ConfiguredGraph
from jc_build.labels import Label, parse_label
from jc_build.loading.packages import PackageLoader
from jc_build.loading.workspace import load_workspace

REPO = Path(__file__).resolve().parents[2]
SEED = Path(__file__).resolve().parent / "data" / "sglang-README.md"
# Directories of pkgs/ owned by others (demos and examples), not part of the stack.
FOREIGN = ("demo", "examples")

@dataclass
class SeedContainer:
    """One CONTAINERS table of the seed page: `sglang:0.4.9` and its rows."""

    name: str
    rows: dict[str, str] = field(default_factory=dict)

    def links(self, row: str) -> list[tuple[str, str]]:
        """`[(name, packages path)]` of a row such as Dependencies, in the page's order."""
        return re.findall(r"\[`([^`]+)`\]\(/packages/([^)]+)\)", self.rows.get(row, ""))

    def chain(self) -> list[str]:
        """The image chain: the Dependencies row, first occurrence kept, then the container itself."""
        names = list(dict.fromkeys(name for name, _ in self.links("Dependencies")))
        return names + [self.name]


def seed_containers() -> dict[str, SeedContainer]:
    containers: dict[str, SeedContainer] = {}
    current: SeedContainer | None = None
    for line in SEED.read_text(encoding="utf-8").splitlines():
        head = re.match(r"^\| \*\*`([^`]+)`\*\* \|", line)
        if head:
            current = containers[head.group(1)] = SeedContainer(head.group(1))
            continue
        row = re.match(r"^\|\s*(?:&nbsp;)*([A-Za-z]+)\s*\|\s*(.*?)\s*\|\s*$", line)
        if current is not None and row:
            current.rows[row.group(1)] = row.group(2)
        elif not line.startswith("|"):
            current = None
    return containers


def seed_images() -> list[dict[str, str]]:
    """The CONTAINER IMAGES table: repository, tag, date, arch, size."""
    pattern = re.compile(r"^\|\s*&nbsp;&nbsp;\[`([^`:]+):([^`]+)`\]\([^)]*\)\s*\|\s*`([^`]+)`\s*\|"
                         r"\s*`([^`]+)`\s*\|\s*`([^`]+)`\s*\|")
    return [dict(zip(("repository", "tag", "date", "arch", "size"), m.groups()))
            for m in map(pattern.match, SEED.read_text(encoding="utf-8").splitlines()) if m]


def graph(platform: str | None = None, root: Path = REPO) -> ConfiguredGraph:
    ws = load_workspace(root)
    return ConfiguredGraph(PackageLoader(ws, ws.platform(platform)))


def label(text: str) -> Label:
    return parse_label(text)


def stack_targets(g: ConfiguredGraph):
    """Every target of pkgs/ except the demos and examples."""
    for package in g.loader.all_packages():
        if package.split("/")[0] in FOREIGN:
            continue
        yield from g.loader.load_package(package).values()


def reachable(g: ConfiguredGraph, roots: list[Label]) -> set[Label]:
    """Every label reachable from roots over all edges (deps, wheels, build_deps, srcs, aliases)."""
    seen: set[Label] = set()
    todo = list(roots)
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(g.edges(node))
    return seen


def chain_names(target: str, platform: str | None = None) -> list[str]:
    """jetson-containers names of a target's image chain."""
    g = graph(platform)
    return [g.target(lbl).jc_name for lbl in g.chain(label(target))]


def assert_same_chain(actual: list[str], expected: list[str]) -> None:
    """Same packages in the same order; versions compared where the seed gives one."""
    got = [name.split(":")[0] for name in actual]
    want = [name.split(":")[0] for name in expected]
    assert got == want, f"chain differs:\n got:  {' '.join(actual)}\n want: {' '.join(expected)}"
    for have, need in zip(actual, expected):
        if ":" in need:
            assert have == need, f"{have} != {need}"
