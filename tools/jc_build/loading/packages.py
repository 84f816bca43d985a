"""Loading BUILD.star files into targets for one platform (select() resolved while loading)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..constraints import ConstraintSyntaxError, keyed_constraint
from ..errors import AnalysisError, Location, NotFoundError
from ..model import Platform, Target
from ..suggest import did_you_mean
from .bounded import DEFAULT_TIMEOUT_S
from .builtins import STEP_HELPERS, make_select
from ..labels import Label, LabelSyntaxError, parse_label
from .load_cache import LoadCache
from .fields import make_target
from .locate import DeclarationIndex, PendingLocation
from .rules import RULES
from .schema import RuleCallError
from .workspace import Workspace

if TYPE_CHECKING:
    from .starlark_env import StarlarkEnv

BUILD_FILE = "BUILD.star"


class PackageLoader:
    """Finds and evaluates packages under ``pkgs/``; each package is loaded once."""

    def __init__(self, workspace: Workspace, platform: Platform, cache: LoadCache | None = None,
                 timeout_s: float = DEFAULT_TIMEOUT_S):
        self.workspace = workspace
        self.timeout_s = timeout_s
        self.platform = platform
        self.pkgs_dir = workspace.root / "pkgs"
        self._packages: dict[str, Mapping[str, Target]] = {}
        self._current: tuple[str, Path, dict[str, Target]] | None = None
        self._checked_files: list[str] = []
        self._indexes: dict[Path, DeclarationIndex] = {}
        self.cache = cache or LoadCache(None)
        self._all_packages: list[str] | None = None
        self._walked: set[str] = set()
        self._real_root = os.path.realpath(workspace.root) + os.sep

    @cached_property
    def env(self) -> StarlarkEnv:
        """The evaluator, made when a BUILD file is first evaluated: a query the loading cache
        answers does not import starlark at all."""
        from .starlark_env import StarlarkEnv
        builtins: dict[str, Any] = {kind: self._rule_function(kind) for kind in RULES if kind != "platform"}
        builtins.update(STEP_HELPERS)
        builtins["select"] = make_select(self.platform, self.workspace.platforms)
        builtins["platform"] = _platform_rule_elsewhere
        builtins["PLATFORM"] = {**self.platform.describe(), "name": self.platform.name,
                                "cuda_arch": list(self.platform.cuda_arch), "cuda_tag": self.platform.cuda_tag,
                                "python_tag": self.platform.python_tag}
        return StarlarkEnv(self.workspace.root, builtins, self.timeout_s)

    # -- discovery ----------------------------------------------------------------
    def all_packages(self) -> list[str]:
        """Every package path under pkgs/ (directories holding BUILD.star), sorted."""
        if self._all_packages is None:
            found: list[str] = []
            root = str(self.pkgs_dir)
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames.sort()
                if BUILD_FILE in filenames:
                    found.append(os.path.relpath(dirpath, root).replace(os.sep, "/"))
            self._all_packages = sorted("" if p == "." else p for p in found)
            self._walked = set(self._all_packages)
        return self._all_packages

    def package_dir(self, package: str) -> Path:
        return self.pkgs_dir / package

    def file_path(self, package: str, entry: str) -> Path:
        """The file a ``files`` entry of ``package`` names: package-relative, or another package's
        file by label (``//ml/mamba/causalconv1d:set_cuda_archs.py``)."""
        if entry.startswith("//"):
            label = parse_label(entry)
            return self.pkgs_dir / label.package / label.name
        return self.pkgs_dir / package / entry

    # -- loading ------------------------------------------------------------------
    def load_package(self, package: str) -> Mapping[str, Target]:
        """The targets of ``package`` by name; AnalysisError when there is no such package."""
        if package in self._packages:
            return self._packages[package]
        build_file = self.pkgs_dir / package / BUILD_FILE
        if not build_file.is_file():
            raise NotFoundError(f"no package '//{package}': there is no pkgs/{package}/{BUILD_FILE}"
                                f"{did_you_mean(package, self.all_packages())}")
        # os.walk never descends into symlinks, so only packages it did not find need the check.
        walked = self._all_packages is not None and package in self._walked
        if not walked and not os.path.realpath(build_file.parent).startswith(self._real_root):
            raise AnalysisError(f"package '//{package}' resolves outside the workspace (symlink); refused")
        targets = self.cache.get(package, lambda: self._evaluate(package, build_file))
        if targets is None:
            return self._evaluate(package, build_file)
        self._packages[package] = targets
        return targets

    def _evaluate(self, package: str, build_file: Path) -> dict[str, Target]:
        """The targets ``build_file`` declares, evaluated now (and given to the loading cache)."""
        targets: dict[str, Target] = {}
        self._current = (package, build_file, targets)
        self._checked_files = []
        try:
            self.env.eval_file(build_file)
        finally:
            self._current = None
        files = [str(p) for p in self.env.loaded_files(build_file)] + self._checked_files
        self.cache.put(package, targets, files)
        self._packages[package] = targets
        return targets

    def target(self, label: Label) -> Target:
        """The target named by ``label``; AnalysisError with a suggestion when it does not exist."""
        targets = self.load_package(label.package)
        if label.name not in targets:
            raise NotFoundError(f"no target '{label.name}' in package '//{label.package}'"
                                f"{did_you_mean(label.name, targets)}; declared: {', '.join(targets) or 'none'}")
        return targets[label.name]

    # -- rule functions -----------------------------------------------------------
    def _rule_function(self, kind: str):
        schema = RULES[kind]

        def rule(*args: Any, **kwargs: Any) -> None:
            if args:
                raise RuleCallError(f"{kind}() takes keyword arguments only, e.g. {kind}(name = \"...\")")
            if self._current is None or self.env.current_file != self._current[1]:
                raise RuleCallError(f"{kind}() may only be called while a BUILD.star file is evaluated "
                                    "(not at the top level of a loaded .star file)")
            package, build_file, targets = self._current
            attrs = schema.validate(kwargs)
            name = attrs["name"]
            if name in targets:
                raise RuleCallError(f"target '{name}' is declared twice in //{package}")
            try:
                parse_label(f"//{package}:{name}")
            except LabelSyntaxError as exc:
                raise RuleCallError(str(exc)) from None
            self._check_files(package, attrs)
            _check_keyed_constraints(attrs)
            rel = f"pkgs/{package}/{BUILD_FILE}" if package else f"pkgs/{BUILD_FILE}"
            try:
                targets[name] = make_target(kind, attrs, package, self._locate(build_file, rel, name), rel)
            except LabelSyntaxError as exc:
                raise RuleCallError(str(exc)) from None

        rule.__name__ = kind
        return rule

    def _locate(self, build_file: Path, rel: str, name: str) -> Location:
        index = self._indexes.get(build_file)
        if index is None:
            index = self._indexes[build_file] = DeclarationIndex(rel, self.env.sources[build_file])
        return PendingLocation(index, name)

    def _check_files(self, package: str, attrs: dict[str, Any]) -> None:
        wanted = list(attrs.get("files") or []) + list(attrs.get("tests") or [])
        if attrs.get("dockerfile"):
            wanted.append(attrs["dockerfile"])
        for name in wanted:
            if name.startswith("//"):
                try:
                    parse_label(name)
                except LabelSyntaxError as exc:
                    raise RuleCallError(str(exc)) from None
            elif os.path.isabs(name) or ".." in Path(name).parts:
                raise RuleCallError(f"file '{name}' must be a path inside the package directory, or a label "
                                    "such as '//other/package:file.py'")
            path = self.file_path(package, name)
            self._checked_files.append(str(path))
            if not path.is_file():
                directory = path.parent
                present = [p.name for p in directory.iterdir() if p.is_file()] if directory.is_dir() else []
                where = directory.relative_to(self.workspace.root).as_posix()
                raise RuleCallError(f"no file '{path.name}' in {where}{did_you_mean(path.name, present)}")
            if not os.path.realpath(path).startswith(self._real_root):
                raise RuleCallError(f"file '{name}' resolves outside the workspace (symlink); refused")


def _check_keyed_constraints(attrs: dict[str, Any]) -> None:
    for key, spec in (attrs.get("target_compatible_with") or {}).items():
        try:
            keyed_constraint(key, spec)
        except ConstraintSyntaxError as exc:
            raise RuleCallError(str(exc)) from None


def _platform_rule_elsewhere(**_: Any) -> None:
    raise RuleCallError("platform() may only be declared in toolchains/BUILD.star")
