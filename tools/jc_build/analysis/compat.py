"""Whether a target can be built for a platform: its ``requires`` and ``target_compatible_with``."""

from __future__ import annotations

from ..constraints import Constraint, first_unmet, parse_constraint
from ..model import Platform, Target


def target_constraints(target: Target) -> list[Constraint]:
    """All constraints of a target, ``requires`` first (validated at loading)."""
    fields = target.fields
    constraints = [parse_constraint(text) for text in getattr(fields, "requires", ())]
    for key, spec in getattr(fields, "target_compatible_with", {}).items():
        constraints.append(parse_constraint(f"{key}{spec}" if spec[:1] in "<>=!~" else f"{key}=={spec}"))
    return constraints


def incompatibility(target: Target, platform: Platform) -> str | None:
    """Why ``target`` cannot be built for ``platform``, or None when it can."""
    unmet = first_unmet(target_constraints(target), platform)
    return unmet.explain(platform) if unmet else None
