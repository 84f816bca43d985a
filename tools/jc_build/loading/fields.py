"""Typed, frozen views of targets' attributes, one class per rule, generated from its schema.

In the spirit of Pants' FieldSets: ``target.fields.build_deps`` is a tuple of ``Label``s, lists
are tuples, absent optional strings are None. The classes (``ContainerLayerFields``,
``WheelFields``, ``AliasFields``, ``GitRepositoryFields``, ``HttpArchiveFields``,
``PlatformFields``) are named tuples, made the first time a target of their rule is seen, and then
live in this module. (Named tuples rather than frozen dataclasses: a rule has some twenty
attributes, and a dataclass compiles an ``__init__``, ``__eq__``, ``__hash__``, ``__repr__`` and
setters for them when its class is made, and sets each attribute by a call in every instance:
about 4 % of a cold ``jcb query deps //llm/sglang``, BENCHMARKS.md section 7.)
"""

from __future__ import annotations

from collections import namedtuple
from functools import cache, cached_property
from typing import Any

from ..errors import Location
from ..labels import Label, parse_label
from ..model import RuleFields, Target
from .rules import RULES


def _class_name(kind: str) -> str:
    return "".join(part.title() for part in kind.split("_")) + "Fields"


@cache
def fields_class(kind: str) -> type[RuleFields]:
    """The frozen view class of rule ``kind`` (KeyError for an unknown rule)."""
    name = _class_name(kind)
    values = namedtuple(name, ("name", *RULES[kind].attrs), module=__name__)
    cls = type(name, (values, RuleFields), {"__slots__": (), "__module__": __name__,
                                            "__doc__": f"The typed attributes of a {kind} target."})
    globals()[name] = cls
    return cls


def typed_fields(kind: str, attrs: dict[str, Any], deps: dict[str, tuple[Label, ...]]) -> RuleFields:
    """The frozen view of validated ``attrs``; label attributes take their labels from ``deps``."""
    cls = fields_class(kind)
    values = {key: tuple(value) if isinstance(value := attrs[key], list) else value for key in cls._fields}
    for key, labels in deps.items():
        values[key] = labels[0] if isinstance(attrs[key], str) else labels
    return cls(**values)


class LoadedTarget(Target):
    """A target the loader made: its typed view is made the first time it is read (a query reads a
    quarter of the targets it loads; the view of each other one would be work thrown away)."""

    @cached_property
    def fields(self) -> RuleFields:  # type: ignore[override]
        return typed_fields(self.kind, self.attrs, self.deps)


def make_target(kind: str, attrs: dict[str, Any], package: str, location: Location,
                build_file: str) -> LoadedTarget:
    """A loaded target: label attributes resolved against ``package`` (LabelSyntaxError if malformed),
    kept per attribute in ``deps`` and as absolute label strings in ``attrs``."""
    deps: dict[str, tuple[Label, ...]] = {}
    for attr in RULES[kind].edges:
        value = attrs[attr]
        resolved = tuple(parse_label(item, current_package=package)
                         for item in ([value] if isinstance(value, str) else value))
        attrs[attr] = str(resolved[0]) if isinstance(value, str) else [str(item) for item in resolved]
        deps[attr] = resolved
    return LoadedTarget(label=Label(package, attrs["name"]), kind=kind, attrs=attrs, location=location,
                        build_file=build_file, deps=deps)
