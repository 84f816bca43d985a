"""Evaluation of .star files with starlark-pyo3: load() resolution, caching, error locations."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import starlark as sl

from ..errors import Location, StarlarkError
from ..labels import LabelSyntaxError, parse_label
from . import json_fast_path
from .bounded import DEFAULT_TIMEOUT_S, Budget, LoadingTimeout, run_with_stack
from .source import check_nesting, decode

_GLOBALS = sl.Globals.extended_by([sl.LibraryExtension.StructType, sl.LibraryExtension.Json,
                                   sl.LibraryExtension.Print, sl.LibraryExtension.Map,
                                   sl.LibraryExtension.Filter, sl.LibraryExtension.Partial])
_ERROR_RE = re.compile(r"error: (?:(\w+): )?(.*?)\n\s*--> ([^\n]+?):(\d+):(\d+)", re.S)
_FRAME_RE = re.compile(r"\* ([^\n]+?):(\d+), in ")
# Our own exceptions raised inside built-ins; their class name is noise to a user.
_QUIET_EXCEPTIONS = {"RuleCallError", "LoadError"}


class LoadError(Exception):
    """A load() that cannot be satisfied (missing file, cycle, bad label)."""


def translate_error(exc: sl.StarlarkError) -> StarlarkError:
    """Turn starlark-pyo3's rendered diagnostic into ``file:line:col: message``."""
    text = str(exc)
    match = _ERROR_RE.search(text)
    if not match:
        return StarlarkError(text.strip().removeprefix("error: "))
    kind, message, file, line, col = match.groups()
    message = " ".join(message.split()) if "\n" in message else message
    if message.count('", "') > 5:  # parse errors list every token the grammar allows: keep the point
        message = message.split(", expected one of")[0]
    if kind and kind not in _QUIET_EXCEPTIONS:
        message = f"{kind}: {message}"
    frames = [f"{f}:{n}" for f, n in _FRAME_RE.findall(text)]
    callers = [f for f in frames[:-1] if not f.startswith(f"{file}:{line}")]
    if callers:
        message += "".join(f"\n  called from {frame}" for frame in reversed(callers))
    return StarlarkError(message, Location(file, int(line), int(col)))


class StarlarkEnv:
    """Evaluates the .star files of one workspace; loaded modules are cached.

    ``builtins`` are the names every evaluated file sees (rules, select(), step helpers).
    """

    def __init__(self, root: Path, builtins: Mapping[str, Any], timeout_s: float = DEFAULT_TIMEOUT_S):
        self.root = root
        self.timeout_s = timeout_s
        self.sources: dict[Path, str] = {}
        self._budget: Budget | None = None
        self._builtins = builtins
        self._modules: dict[Path, sl.FrozenModule] = {}
        self._stack: list[Path] = []
        self._nested_error: StarlarkError | None = None
        self._resolved: dict[tuple[str, Path | None], Path] = {}
        self._loads: dict[Path, set[Path]] = {}

    @property
    def current_file(self) -> Path | None:
        """The file being evaluated now (the innermost one while a load() runs)."""
        return self._stack[-1] if self._stack else None

    def loaded_files(self, path: Path) -> set[Path]:
        """``path`` and every .star file it loads, transitively."""
        found = {path}
        todo = [path]
        while todo:
            for dep in self._loads.get(todo.pop(), ()):
                if dep not in found:
                    found.add(dep)
                    todo.append(dep)
        return found

    def relpath(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def eval_file(self, path: Path, extra: Mapping[str, Any] | None = None) -> sl.Module:
        """Evaluate ``path`` (absolute, inside the workspace) and return its module.

        The outermost file runs on a large stack within ``timeout_s``; its loads share that budget.
        """
        if self._budget is not None:
            return self._eval(path, extra, self._budget)
        budget = self._budget = Budget(self.timeout_s)
        try:
            with json_fast_path.installed():
                return run_with_stack(lambda: self._eval(path, extra, budget), budget)
        except LoadingTimeout:
            raise StarlarkError(f"evaluating {self.relpath(path)} took longer than {self.timeout_s:g} s "
                                "(--loading-timeout); stopped it: look for a loop that never ends") from None
        finally:
            self._budget = None

    def _eval(self, path: Path, extra: Mapping[str, Any] | None, budget: Budget) -> sl.Module:
        rel = self.relpath(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise StarlarkError(f"cannot read {rel}: {exc.strerror}") from None
        source = self.sources[path] = decode(raw, rel)
        check_nesting(source, rel)
        module = sl.Module()
        for name, value in {**self._builtins, **(extra or {})}.items():
            if callable(value):
                module.add_callable(name, value)
            else:
                module[name] = value
        self._stack.append(path)
        try:
            ast = sl.parse(rel, source, _DIALECT)
            sl.eval_with(sl.EvalOptions(check_cancelled=budget.check), module, ast, _GLOBALS,
                         sl.FileLoader(self._load))
        except sl.StarlarkError as exc:
            nested, self._nested_error = self._nested_error, None
            budget.check()  # a timeout inside a load() arrives wrapped; this raises it again
            raise (nested or translate_error(exc)) from None
        finally:
            self._stack.pop()
        return module

    def _resolve(self, module_id: str) -> Path:
        current = self._stack[-1]
        try:
            if module_id.startswith((":", "@", "//")):
                package = current.parent.relative_to(self.root / "pkgs").as_posix() \
                    if module_id.startswith(":") else None
                label = parse_label(module_id, current_package=package)
            else:
                raise LoadError(f"cannot load '{module_id}': use a label such as '//defs:python.star', "
                                "':defs.star' or '@toolchains//:platforms.star'")
        except (LabelSyntaxError, ValueError) as exc:
            raise LoadError(str(exc)) from None
        base = {"": self.root / "pkgs", "toolchains": self.root / "toolchains", "workspace": self.root}[label.root]
        path = base / label.package / label.name
        if not label.name.endswith(".star"):
            raise LoadError(f"cannot load '{module_id}': only .star files can be loaded")
        resolved = path.resolve()
        if not resolved.is_relative_to(self.root.resolve()):
            raise LoadError(f"cannot load '{module_id}': it resolves outside the workspace")
        if not path.is_file():
            raise LoadError(f"cannot load '{module_id}': no file {path.relative_to(self.root).as_posix()}")
        return path

    def _load(self, module_id: str) -> sl.FrozenModule:
        key = (module_id, self._stack[-1].parent if module_id.startswith(":") else None)
        path = self._resolved.get(key)
        if path is None:
            path = self._resolved[key] = self._resolve(module_id)
        self._loads.setdefault(self._stack[-1], set()).add(path)
        if path in self._stack:
            cycle = " -> ".join(self.relpath(p) for p in self._stack[self._stack.index(path):] + [path])
            raise LoadError(f"load cycle: {cycle}")
        if path not in self._modules:
            try:
                self._modules[path] = self.eval_file(path).freeze()
            except StarlarkError as exc:
                self._nested_error = self._nested_error or exc
                raise LoadError(str(exc)) from None
        return self._modules[path]


_DIALECT = sl.Dialect.extended()
_DIALECT.enable_f_strings = True
