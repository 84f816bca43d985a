"""Build steps (``run()``, ``copy()``, ... in BUILD.star) -> plan operations, one function per kind.

A step is the dict its helper in ``loading/builtins.py`` returns (``{"op": "run", ...}``). To add
a step kind: a helper there, and a function here registered in ``STEP_KINDS`` that adds the
step's operation(s) (``plan/ops.py``) to the stage being built.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from ..loading.rules import context_path
from . import ops, shell
from .model import Node, Operation


class StepBuilder(Protocol):
    """The part of the planner's stage builder a step may use."""

    def exec(self, cmd: str, *, name: str, network: str = ..., secrets: Sequence[str] = ...,
             cache: tuple[str, ...] = ..., network_tool: bool = ..., guard: bool = ...,
             declared: bool = ...) -> Node: ...

    def add(self, operation: Operation, extra_inputs: Sequence[str] = ...) -> Node: ...

    def file_node(self, entry: str) -> Node: ...


# (stage builder, the step, its name "step:N", whether it compiles a wheel, the index guard)
StepKind = Callable[[StepBuilder, Mapping[str, Any], str, bool, bool], None]


def _run(b: StepBuilder, step: Mapping[str, Any], name: str, compile: bool, guard: bool) -> None:
    cmd = step["cmd"]
    cache = (["pip"] if shell.PIP_TOOLS.search(cmd) else []) + (
        ["apt-cache", "apt-lists"] if shell.APT_TOOLS.search(cmd) else []) + (["ccache"] if compile else [])
    b.exec(cmd, name=name, network=step.get("network") or "default", secrets=list(step.get("secrets") or []),
           cache=tuple(cache), network_tool=bool(shell.NETWORK_TOOLS.search(cmd)), guard=guard, declared=True)


def _apt_install(b: StepBuilder, step: Mapping[str, Any], name: str, compile: bool, guard: bool) -> None:
    b.exec(shell.apt_install(step["packages"]), name=name, cache=("apt-cache", "apt-lists"), network_tool=True,
           guard=guard)


def _pip_install(b: StepBuilder, step: Mapping[str, Any], name: str, compile: bool, guard: bool) -> None:
    b.exec(shell.pip_install(step["packages"], step.get("index_url") or "", step.get("extra_args") or []),
           name=name, cache=("pip",), network_tool=True, guard=guard)


def _env(b: StepBuilder, step: Mapping[str, Any], name: str, compile: bool, guard: bool) -> None:
    b.add(ops.Env(dict(step["vars"]), name))


def _workdir(b: StepBuilder, step: Mapping[str, Any], name: str, compile: bool, guard: bool) -> None:
    b.add(ops.Workdir(step["path"], name))


def _copy(b: StepBuilder, step: Mapping[str, Any], name: str, compile: bool, guard: bool) -> None:
    file_node = b.file_node(step["src"])
    b.add(ops.Copy(context_path(step["src"]), step["dst"], name), [file_node.digest])


STEP_KINDS: dict[str, StepKind] = {
    "run": _run, "apt_install": _apt_install, "pip_install": _pip_install,
    "env": _env, "workdir": _workdir, "copy": _copy,
}
