"""How a change of one named input of a stage's key reads in ``jcb explain``, by input kind.

The inputs themselves come from the plan operations (``ops.py``); this module only words the
difference between two builds' inputs. A new kind of input adds one describer here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .model import Input

LabelOf = Callable[[str], "str | None"]


def _short(value: str, limit: int = 80) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _base(before: Input, after: Input, label_of: LabelOf) -> str:
    if before.subject == after.subject == "stage":
        return f"base {label_of(after.detail) or after.detail[:12]} rebuilt"
    return f"base {_short(before.detail)} → {_short(after.detail)}"


_CHANGED: dict[str, Callable[[Input, Input, LabelOf], str]] = {
    "file": lambda b, a, _: f"file {a.subject} changed (sha256 {b.value[:8]} → {a.value[:8]})",
    "dockerfile": lambda b, a, _: f"dockerfile {a.subject} changed (sha256 {b.value[:8]} → {a.value[:8]})",
    "build_arg": lambda b, a, _: f"build arg {a.subject}: {b.value} → {a.value}",
    "env": lambda b, a, _: f"env {a.subject}: {b.value} → {a.value}",
    "platform": lambda b, a, _: f"platform {a.subject} {b.value} → {a.value}",
    "wheel": lambda b, a, _: f"wheel {a.subject} rebuilt",
    "format": lambda b, a, _: f"jcb's plan format {b.value} → {a.value}",
    "base": _base,
}


def describe_change(before: Input | None, after: Input | None, label_of: LabelOf) -> str:
    """One line for an input that was added, removed or changed between two builds."""
    if before is None or after is None:
        present = after if before is None else before
        assert present is not None
        verb = "added" if before is None else "removed"
        if present.kind == "file":
            return f"file {present.subject} {verb}"
        return f"{present.key} {verb}: {_short(present.value)}"
    describe = _CHANGED.get(after.kind)
    if describe is not None and before.kind == after.kind:
        return describe(before, after, label_of)
    return f"{after.key}: {_short(before.value, 60)} → {_short(after.value, 60)}"


def diff_inputs(old: Iterable[Input], new: Iterable[Input], label_of: LabelOf) -> list[str]:
    """One line per input that differs, sorted by input name, e.g. ``file src/lib.c changed (sha256 1234abcd → 5678ef01)``."""
    before, after = {i.key: i for i in old}, {i.key: i for i in new}
    return [describe_change(before.get(key), after.get(key), label_of)
            for key in sorted(before.keys() | after.keys())
            if (before.get(key) or Input(key, "\0")).value != (after.get(key) or Input(key, "\0")).value]
