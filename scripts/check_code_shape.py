#!/usr/bin/env python3
"""Check tools/jc_build's shape: no function over 50 lines, no import from a lower layer to a
higher one, no import cycle between modules. Prints one line per problem; exit 1 if any."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "tools" / "jc_build"
MAX_LINES = 50
# Layer of each subpackage (top-level modules are shared by every layer): a module may import
# only from its own layer or lower ones.
LAYERS = {"loading": 1, "analysis": 2, "query": 3, "docs": 3, "plan": 3, "cache": 3, "engine": 3,
          "execution": 4, "cli": 5}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def long_functions(tree: ast.AST, rel: str) -> list[str]:
    return [f"{rel}:{node.lineno}: {node.name}() has {node.end_lineno - node.lineno + 1} lines (max {MAX_LINES})"
            for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno is not None and node.end_lineno - node.lineno + 1 > MAX_LINES]


def imports(tree: ast.AST, name: str, is_package: bool) -> set[str]:
    """Modules of jc_build that ``name`` imports at run time (``if TYPE_CHECKING:`` blocks skipped)."""
    found: set[str] = set()
    base = name.split(".") if is_package else name.split(".")[:-1]
    skipped = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
               and "TYPE_CHECKING" in ast.unparse(node.test) for n in ast.walk(node)}
    for node in ast.walk(tree):
        if id(node) in skipped or not isinstance(node, ast.ImportFrom) or node.level == 0:
            continue
        target = ".".join(base[:len(base) - node.level + 1] + ([node.module] if node.module else []))
        found.add(target)
        found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS.get(parts[1], 0) if len(parts) > 2 or (len(parts) == 2 and parts[1] in LAYERS) else 0


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Import cycles between modules (each reported once, from its smallest member)."""
    found: list[list[str]] = []
    for start in sorted(graph):
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for dep in sorted(graph.get(node, ())):
                if dep == start:
                    found.append(path + [start])
                elif dep not in path and dep > start:
                    stack.append((dep, path + [dep]))
    return found


def problems() -> list[str]:
    out: list[str] = []
    graph: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent.parent).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        name = module_name(path)
        out += long_functions(tree, rel)
        graph[name] = imports(tree, name, path.name == "__init__.py")
    modules = set(graph)
    for name, deps in graph.items():
        graph[name] = {d for d in deps if d in modules and d != name and not name.startswith(d + ".")}
        for dep in graph[name]:
            if layer(dep) > layer(name):
                out.append(f"{name} (layer {layer(name)}) imports {dep} (layer {layer(dep)}), a higher layer")
    package_inits = {m for m in modules if any(o.startswith(m + ".") for o in modules)}
    module_graph = {n: {d for d in deps if d not in package_inits} for n, deps in graph.items()
                    if n not in package_inits}
    out += ["import cycle: " + " -> ".join(c) for c in cycles(module_graph)]
    return out


if __name__ == "__main__":
    found = problems()
    print("\n".join(found) or "ok")
    sys.exit(1 if found else 0)
