"""Typed, frozen views of targets' attributes, one class per rule, generated from its schema.

In the spirit of Pants' FieldSets: ``target.fields.build_deps`` is a tuple of ``Label``s, lists
are tuples, absent optional strings are None. The classes live in this module (so the load
cache can pickle them): ``ContainerLayerFields``, ``WheelFields``, ``AliasFields``,
``GitRepositoryFields``, ``HttpArchiveFields``.
"""

from __future__ import annotations

from dataclasses import make_dataclass
from typing import Any

from ..errors import Location
from ..labels import Label, parse_label
from ..model import RuleFields, Target
from .rules import RULES
from .schema import RuleSchema


def _class_name(kind: str) -> str:
    return "".join(part.title() for part in kind.split("_")) + "Fields"


def _fields_class(schema: RuleSchema) -> type[RuleFields]:
    names = [("name", str), *((key, Any) for key in schema.attrs)]
    cls = make_dataclass(_class_name(schema.kind), names, bases=(RuleFields,), frozen=True, slots=True)
    cls.__module__ = __name__
    cls.__doc__ = f"The typed attributes of a {schema.kind} target."
    return cls


FIELDS: dict[str, type[RuleFields]] = {kind: _fields_class(schema) for kind, schema in RULES.items()}
globals().update({cls.__name__: cls for cls in FIELDS.values()})


def _typed(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def typed_fields(kind: str, attrs: dict[str, Any], deps: dict[str, tuple[Label, ...]]) -> RuleFields:
    """The frozen view of validated ``attrs``; label attributes take their labels from ``deps``."""
    schema = RULES[kind]
    values = {key: _typed(attrs[key]) for key in ("name", *schema.attrs)}
    for key, labels in deps.items():
        values[key] = labels[0] if isinstance(attrs[key], str) else labels
    return FIELDS[kind](**values)


def make_target(kind: str, attrs: dict[str, Any], package: str, location: Location, build_file: str) -> Target:
    """A loaded target: label attributes resolved against ``package`` (LabelSyntaxError if malformed),
    kept per attribute in ``deps`` and as absolute label strings in ``attrs``."""
    deps: dict[str, tuple[Label, ...]] = {}
    for attr in RULES[kind].edges:
        value = attrs[attr]
        resolved = tuple(parse_label(item, current_package=package)
                         for item in ([value] if isinstance(value, str) else value))
        attrs[attr] = str(resolved[0]) if isinstance(value, str) else [str(item) for item in resolved]
        deps[attr] = resolved
    return Target(label=Label(package, attrs["name"]), kind=kind, attrs=attrs, location=location,
                  build_file=build_file, deps=deps, fields=typed_fields(kind, attrs, deps))
