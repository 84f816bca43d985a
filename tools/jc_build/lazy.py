"""Package namespaces that import a name's module on first use (PEP 562).

A package's ``__init__`` re-exports its public names for ``from jc_build.execution import
Executor``; importing every submodule there made importing any one of them (``execution.progress``
for ``--help``'s choices) import the whole package, httpx included: a no-op build spent most of
its time importing modules it never used (BENCHMARKS.md section 8).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any


def lazy_exports(package: str, modules: dict[str, tuple[str, ...]]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, whose ``modules`` (relative names) define
    the listed names; a name is imported when first read, then kept in the package."""
    where = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | where.keys())
    return __getattr__, __dir__
