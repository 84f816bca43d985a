"""Built-in functions of BUILD.star files besides rules: select() and build-step helpers."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from ..constraints import ConstraintSyntaxError, parse_constraint
from ..model import Platform
from .schema import RuleCallError

DEFAULT_KEYS = ("default", "//conditions:default")


def make_select(platform: Platform, platform_names: Collection[str] = ()) -> Callable[..., Any]:
    """``select({key: value})`` resolved for ``platform``: first matching key wins, then ``default``.

    Keys are constraints (``'>=cu128'``, ``'l4t==35.*'``, ``'aarch64'``) or platform names
    (``'jp5'``, ``'@toolchains//:jp5'``).
    """

    def select(branches: dict, no_match_error: str = "") -> Any:
        if not isinstance(branches, dict) or not branches:
            raise RuleCallError("select() takes a non-empty dict of {condition: value}")
        for key, value in branches.items():
            if key in DEFAULT_KEYS:
                continue
            name = key.rsplit(":", 1)[-1] if key.startswith("@toolchains//") else key
            if name == platform.name:
                return value
            if name in platform_names:
                continue
            try:
                if parse_constraint(key).matches(platform):
                    return value
            except ConstraintSyntaxError as exc:
                raise RuleCallError(f"select(): bad condition: {exc}") from None
        for key in DEFAULT_KEYS:
            if key in branches:
                return branches[key]
        values = ", ".join(f"{k}={v}" for k, v in platform.describe().items() if k != "base_image")
        conditions = ", ".join(repr(k) for k in branches)
        hint = f" {no_match_error}" if no_match_error else ""
        raise RuleCallError(
            f"select(): no condition matches platform '{platform.name}' ({values}); conditions: {conditions}. "
            f"Add a 'default' branch or a condition for this platform.{hint}")

    return select


def _run(cmd: str | list, network: bool | str | None = None, secrets: list | None = None) -> dict[str, Any]:
    """A shell command (a string, or a list joined with ' && '), run without network unless it says
    ``network = True`` (or ``"host"``): builds are hermetic by default. Unset, the planner refuses a
    command that evidently downloads (``pip install``, ``curl``...): say which it is."""
    if isinstance(cmd, list):
        if not all(isinstance(c, str) for c in cmd):
            raise RuleCallError("run() takes a command string or a list of command strings")
        cmd = " && ".join(cmd)
    if not isinstance(cmd, str) or not cmd.strip():
        raise RuleCallError("run() needs a non-empty command string")
    modes = {None: "", False: "none", True: "default", "none": "none", "default": "default", "host": "host"}
    if isinstance(network, int) and not isinstance(network, bool) or network not in modes:
        raise RuleCallError(f"run(): network must be True, False, 'none', 'default' or 'host', got {network!r}")
    return {"op": "run", "cmd": cmd, "network": modes[network], "secrets": list(secrets or [])}


def _copy(src: str, dst: str) -> dict[str, Any]:
    """A package-local file (listed in ``files``) copied into the image."""
    if not isinstance(src, str) or not isinstance(dst, str):
        raise RuleCallError("copy() takes a source and a destination string")
    return {"op": "copy", "src": src, "dst": dst}


def _env(**variables: Any) -> dict[str, Any]:
    """Environment variables for the following steps and the image."""
    return {"op": "env", "vars": {k: str(v) for k, v in variables.items()}}


def _workdir(path: str) -> dict[str, Any]:
    """The working directory of the following steps and of the image."""
    return {"op": "workdir", "path": path}


def _str_list(func: str, values: Any) -> list[str]:
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values) or not values:
        raise RuleCallError(f"{func}() takes a non-empty list of package strings")
    return list(values)


def _apt_install(packages: Any) -> dict[str, Any]:
    """apt packages installed without recommends, lists cleaned."""
    return {"op": "apt_install", "packages": _str_list("apt_install", packages)}


def _pip_install(packages: Any, index_url: str = "", extra_args: list | None = None) -> dict[str, Any]:
    """pip requirements installed with the pip cache mounted."""
    return {"op": "pip_install", "packages": _str_list("pip_install", packages), "index_url": index_url,
            "extra_args": list(extra_args or [])}


STEP_HELPERS: dict[str, Callable[..., Any]] = {
    "run": _run, "copy": _copy, "env": _env, "workdir": _workdir,
    "apt_install": _apt_install, "pip_install": _pip_install,
}
