"""Typed attribute schemas for rules: one schema validates calls and generates docs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
import re
from dataclasses import dataclass, replace
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


def _no_problem(attr: str, value: Any) -> str | None:
    return None


@dataclass(frozen=True)
class AttrType:
    """A Starlark value type: how to recognise it and how to name it in errors and docs.

    ``check`` runs while loading (syntax, raising RuleCallError); ``validate`` runs at analysis
    (``ConfiguredGraph.target``) and returns the problem with a value, so every command that
    analyses the target reports it at the target's file:line:col. ``label`` types name targets:
    their values become ``Target.deps`` and ``Label`` tuples in the typed view.
    """

    name: str
    accepts: Callable[[Any], bool]
    normalize: Callable[[Any], Any] = lambda v: v
    check: Callable[[Any], None] = lambda v: None
    validate: Callable[[str, Any], str | None] = _no_problem
    label: bool = False


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
LABEL = AttrType("label string", lambda v: isinstance(v, str), label=True)
LABEL_LIST = AttrType("list of label strings", _is_str_list, label=True)
CONSTRAINTS = AttrType(
    "constraint string or list of constraint strings",
    lambda v: isinstance(v, str) or _is_str_list(v), normalize=_as_list, check=_check_constraints)
STEPS = AttrType(
    "list of build steps (run(), copy(), env(), workdir(), apt_install(), pip_install())",
    lambda v: isinstance(v, list) and all(isinstance(s, dict) and "op" in s for s in v))
_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DIST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


def variables_problem(what: str, values: Mapping[str, str]) -> str | None:
    """Why ``values`` cannot be shell/Dockerfile variables (bad name, control character), or None."""
    for k, v in values.items():
        if not _VAR_NAME.fullmatch(k):
            return f"{what} name '{k}' is not a valid variable name"
        if any(ord(c) < 32 for c in v):
            return f"{what} value of '{k}' contains a control character (newline?)"
    return None


def _steps_problem(attr: str, steps: list[dict[str, Any]]) -> str | None:
    return next((p for s in steps if s["op"] == "env" and (p := variables_problem("env()", s["vars"]))), None)


ENV_DICT = replace(STRING_DICT, validate=variables_problem)
DIST = AttrType("string", lambda v: isinstance(v, str), validate=lambda attr, v: None if _DIST.match(v)
                else f"{attr} '{v}' is not a distribution name")
SHA256 = AttrType("string", lambda v: isinstance(v, str), validate=lambda attr, v: None if _SHA256.fullmatch(v)
                  else f"{attr} '{v}' is not 64 hex digits")
STEPS = replace(STEPS, validate=_steps_problem)
IMAGE_FIELDS = ("repository", "tag", "date", "arch", "size")


def _images_problem(attr: str, facts: tuple[dict[str, Any], ...]) -> str | None:
    for fact in facts:
        if set(fact) - set(IMAGE_FIELDS) or not fact.get("repository") or not fact.get("tag"):
            return (f"each entry of '{attr}' needs 'repository' and 'tag' and may have 'date', 'arch', 'size'; "
                    f"got {sorted(fact)}")
    return None


IMAGES = AttrType("list of dicts", lambda v: isinstance(v, list) and all(isinstance(s, dict) for s in v),
                  validate=_images_problem)


@dataclass(frozen=True)
class Attr:
    """One attribute of a rule: its type, default and documentation."""

    type: AttrType
    doc: str
    default: Any = None
    mandatory: bool = False
    kinds: tuple[str, ...] = ()  # label attributes: the rule kinds a named target may have (aliases followed)


@dataclass(frozen=True)
class RuleSchema:
    """A rule: its name, what it declares, and its attributes (``name`` is implicit)."""

    kind: str
    doc: str
    attrs: Mapping[str, Attr]
    example: str = ""
    edges: tuple[str, ...] = ()  # label attributes in graph traversal order
    check: Callable[[Any], str | None] = lambda fields: None  # rule-level problem of a typed view, or None

    def problems(self, fields: Any) -> list[str]:
        """What is wrong with a loaded target's values (typed view ``fields``), for analysis to report."""
        found = [p for key, attr in self.attrs.items()
                 if (value := getattr(fields, key)) is not None and (p := attr.type.validate(key, value))]
        rule = self.check(fields)
        return found + ([rule] if rule else [])

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
