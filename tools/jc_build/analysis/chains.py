"""Image chains: the ordered layers an image (or a wheel's builder) is made of.

The order is jetson-containers' (``ConfiguredGraph.chain``): deps before dependants, declared
order, first occurrence kept. The plan layer turns each chain into stages, bottom first.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import AnalysisError, Location
from ..labels import Label
from .graph import ConfiguredGraph, Edges


def chain_of(graph: ConfiguredGraph, labels: Iterable[Label], edges: Edges | None = None) -> list[Label]:
    """The chain of several labels: ``graph.chain`` of each in turn, first occurrence kept.

    This is the chain of a virtual layer whose ``deps`` are ``labels``: deps before dependants,
    declared order, first kept. ``edges`` is a configured closure holding every label (e.g. the
    requested root's, so its version pins apply); without it each label uses its own closure.
    """
    order: list[Label] = []
    seen: set[Label] = set()
    for label in labels:
        for node in graph.chain(label, edges if edges is not None else graph.closure(label)):
            if node not in seen:
                seen.add(node)
                order.append(node)
    return order


def build_deps_of(graph: ConfiguredGraph, wheel: Label, edges: Edges | None = None) -> list[Label]:
    """A wheel's ``build_deps`` as configured in ``edges`` (pins applied), declared order."""
    target = graph.target(wheel)
    if target.kind != "wheel":
        raise AnalysisError(f"{wheel} is a {target.kind}, not a wheel", target.location)
    return graph.configured_deps(wheel, "build_deps", edges if edges is not None else graph.closure(wheel))


def builder_chain(graph: ConfiguredGraph, wheel: Label, edges: Edges | None = None) -> list[Label]:
    """The layers of a wheel's isolated builder: the chain of its ``build_deps`` only.

    Checks that every member is a ``container_layer`` and that no package appears at two
    versions (AnalysisError naming both).
    """
    edges = edges if edges is not None else graph.closure(wheel)
    chain = chain_of(graph, build_deps_of(graph, wheel, edges), edges)
    check_layer_chain(graph, chain, f"the builder of {wheel}", graph.target(wheel).location)
    return chain


def image_chain(graph: ConfiguredGraph, root: Label, edges: Edges | None = None) -> list[Label]:
    """The layers of ``root``'s image, bottom first; AnalysisError if a package is there at two versions."""
    edges = edges if edges is not None else graph.closure(root)
    chain = graph.chain(root, edges)
    check_layer_chain(graph, chain, f"the image of {root}", graph.target(root).location)
    return chain


def check_layer_chain(graph: ConfiguredGraph, chain: list[Label], what: str, location: Location) -> None:
    """AnalysisError unless ``chain`` holds one version per package (kinds are checked by the graph)."""
    versions: dict[tuple[str, str], Label] = {}
    for label in chain:
        key = graph.package_key(label)
        assert key is not None, f"{label} in a chain is not a container_layer"
        if key in versions and versions[key] != label:
            raise AnalysisError(f"{what} would hold two versions of '{key[1]}': {versions[key]} and {label}; "
                                "depend on one version (or on the package's default alias)", location)
        versions.setdefault(key, label)
