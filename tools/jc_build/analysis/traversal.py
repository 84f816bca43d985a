"""Iterative depth-first traversal (deep graphs must not hit Python's recursion limit)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, MutableSet
from typing import TypeVar

N = TypeVar("N")


def postorder(roots: list[N], edges: Callable[[N], list[N]], done: Collection[N] | None = None,
              on_cycle: Callable[[list[N]], None] | None = None) -> Iterator[N]:
    """Yield nodes reachable from ``roots``, each after all of its deps, in declared order.

    Nodes in ``done`` are skipped (a set is extended with what is yielded, so several calls can
    share one). ``on_cycle`` receives the cycle path ``[a, b, ..., a]`` when one is found.
    """
    seen: Collection[N] = done if done is not None else set()
    extend = seen.add if isinstance(seen, MutableSet) else None
    on_path: set[N] = set()
    path: list[N] = []
    for root in roots:
        if root in seen:
            continue
        stack: list[tuple[N, Iterator[N]]] = [(root, iter(edges(root)))]
        path.append(root)
        on_path.add(root)
        while stack:
            node, children = stack[-1]
            for child in children:
                if child in on_path:
                    if on_cycle:
                        on_cycle(path[path.index(child):] + [child])
                    continue
                if child in seen:
                    continue
                stack.append((child, iter(edges(child))))
                path.append(child)
                on_path.add(child)
                break
            else:
                stack.pop()
                path.pop()
                on_path.discard(node)
                if extend is not None:
                    extend(node)
                yield node
    return
