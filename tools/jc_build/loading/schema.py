"""Typed attribute schemas for rules: one schema validates calls and generates docs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..constraints import ConstraintSyntaxError, parse_constraint
from ..suggest import did_you_mean


class RuleCallError(Exception):
    """Raised inside a rule call; Starlark reports it at the call's file:line:col."""


def _is_str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _check_constraints(v: list[str]) -> None:
    for item in v:
        try:
            parse_constraint(item)
        except ConstraintSyntaxError as exc:
            raise RuleCallError(str(exc)) from None


@dataclass(frozen=True)
class AttrType:
    """A Starlark value type: how to recognise it and how to name it in errors and docs."""

    name: str
    accepts: Callable[[Any], bool]
    normalize: Callable[[Any], Any] = lambda v: v
    check: Callable[[Any], None] = lambda v: None


def _as_list(v: Any) -> list[str]:
    return [v] if isinstance(v, str) else list(v)


STRING = AttrType("string", lambda v: isinstance(v, str))
BOOL = AttrType("bool", lambda v: isinstance(v, bool))
INT = AttrType("int", lambda v: isinstance(v, int) and not isinstance(v, bool))
STRING_LIST = AttrType("list of strings", _is_str_list)
STRING_DICT = AttrType(
    "dict of string to string",
    lambda v: isinstance(v, dict) and all(isinstance(k, str) and isinstance(x, (str, int)) for k, x in v.items()),
    normalize=lambda v: {k: str(x) for k, x in v.items()})
# Label syntax is checked where labels are resolved against the calling package (loading/packages.py).
LABEL = AttrType("label string", lambda v: isinstance(v, str))
LABEL_LIST = AttrType("list of label strings", _is_str_list)
CONSTRAINTS = AttrType(
    "constraint string or list of constraint strings",
    lambda v: isinstance(v, str) or _is_str_list(v), normalize=_as_list, check=_check_constraints)
STEPS = AttrType(
    "list of build steps (run(), copy(), env(), workdir(), apt_install(), pip_install())",
    lambda v: isinstance(v, list) and all(isinstance(s, dict) and "op" in s for s in v))
DICT_LIST = AttrType("list of dicts", lambda v: isinstance(v, list) and all(isinstance(s, dict) for s in v))


@dataclass(frozen=True)
class Attr:
    """One attribute of a rule: its type, default and documentation."""

    type: AttrType
    doc: str
    default: Any = None
    mandatory: bool = False


@dataclass(frozen=True)
class RuleSchema:
    """A rule: its name, what it declares, and its attributes (``name`` is implicit)."""

    kind: str
    doc: str
    attrs: Mapping[str, Attr]
    example: str = ""
    label_attrs: tuple[str, ...] = field(default=())

    def validate(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Check a call's keyword arguments; return all attributes with defaults filled in."""
        name = kwargs.get("name")
        if not isinstance(name, str) or not name:
            raise RuleCallError(f"{self.kind}() needs a 'name' string attribute")
        for key in kwargs:
            if key != "name" and key not in self.attrs:
                raise RuleCallError(
                    f"{self.kind}() got an unknown attribute '{key}'{did_you_mean(key, self.attrs)}")
        values: dict[str, Any] = {"name": name}
        for key, attr in self.attrs.items():
            if key not in kwargs or kwargs[key] is None:
                if attr.mandatory:
                    raise RuleCallError(f"{self.kind}() of '{name}' is missing the mandatory attribute '{key}'")
                default = attr.default
                values[key] = default() if callable(default) else default
                continue
            value = kwargs[key]
            if not attr.type.accepts(value):
                raise RuleCallError(
                    f"attribute '{key}' of {self.kind}() '{name}' must be a {attr.type.name}, "
                    f"got {_type_name(value)}")
            value = attr.type.normalize(value)
            attr.type.check(value)
            values[key] = value
        return values


def _type_name(value: Any) -> str:
    return {str: "string", bool: "bool", int: "int", list: "list", dict: "dict",
            type(None): "None"}.get(type(value), type(value).__name__)
