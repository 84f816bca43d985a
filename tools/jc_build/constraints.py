"""Platform constraints in jetson-containers' ``requires`` syntax, and more.

Accepted forms (an optional specifier, then a value):

* ``'>=36'``, ``'==36.*'``, ``'<36'``, ``'r36.4.0'``: the L4T version;
* ``'>=cu126'``: the CUDA version (``cu126`` is 12.6, ``cu130`` is 13.0);
* ``'>=py310'``: the Python version;
* ``'24.04'``, ``'>=22.04'``: the Ubuntu release (compared with the distro, not L4T);
* ``'aarch64'``, ``'x86_64'`` (also ``arm64``/``amd64``), negated with ``'!'``;
* explicit keys: ``'l4t>=36'``, ``'cuda>=12.8'``, ``'cudnn>=9'``, ``'python>=3.10'``,
  ``'distro>=24.04'``, ``'jetpack>=6'``, ``'arch==aarch64'``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from .model import Platform

_ARCH_ALIASES = {"aarch64": "aarch64", "arm64": "aarch64", "x86_64": "x86_64", "amd64": "x86_64"}
_KEYS = {"l4t": "L4T", "cuda": "CUDA", "cudnn": "cuDNN", "python": "Python", "distro": "distro",
         "jetpack": "JetPack", "arch": "arch"}
_KEY_ALIASES = {"ubuntu": "distro", "jp": "jetpack", "py": "python"}
_OP_RE = re.compile(r"^(===|==|!=|~=|>=|<=|>|<)?\s*(.+)$")
_EXPLICIT_RE = re.compile(r"^([a-z_]+)\s*(===|==|!=|~=|>=|<=|>|<)\s*(.+)$")
_DISTRO_RE = re.compile(r"^(1[4-9]|2\d|3[01])\.(04|10)$")


class ConstraintSyntaxError(ValueError):
    """A constraint string that cannot be read; the message shows the accepted forms."""


def _dotted(digits: str) -> str:
    """``126`` -> ``12.6``, ``130`` -> ``13.0``, ``310`` -> ``3.10``."""
    if len(digits) <= 1:
        return digits
    if len(digits) == 3 and digits[0] in "89":  # cu114 is 11.4; py38 is 3.8
        return f"{digits[:2]}.{digits[2:]}"
    if len(digits) >= 3 and digits[0] == "1":
        return f"{digits[:2]}.{digits[2:]}"
    return f"{digits[0]}.{digits[1:]}"


def _platform_value(platform: Platform, key: str) -> str:
    return {"l4t": platform.l4t, "cuda": platform.cuda, "cudnn": platform.cudnn, "python": platform.python,
            "distro": platform.distro, "jetpack": platform.jetpack, "arch": platform.arch}[key]


@dataclass(frozen=True)
class Constraint:
    """One requirement on one platform value."""

    text: str
    key: str
    spec: str  # a PEP 440 specifier set, or "==value" / "!=value" for arch

    def matches(self, platform: Platform) -> bool:
        return _matches(self, platform)

    def explain(self, platform: Platform) -> str:
        """``requires L4T '>=36' but the platform has L4T 35.4.1``."""
        return (f"requires {_KEYS[self.key]} '{self.text}' but platform '{platform.name}' "
                f"has {_KEYS[self.key]} {_platform_value(platform, self.key)}")


@lru_cache(maxsize=4096)
def _matches(constraint: Constraint, platform: Platform) -> bool:
    value = _platform_value(platform, constraint.key)
    if constraint.key == "arch":
        want = constraint.spec[2:]
        return (value == want) if constraint.spec.startswith("==") else (value != want)
    try:
        return Version(value.lstrip("r")) in SpecifierSet(constraint.spec)
    except InvalidVersion:
        return False


def _spec(op: str | None, value: str, text: str) -> str:
    spec = f"{op or '=='}{value}"
    try:
        SpecifierSet(spec)
    except InvalidSpecifier as exc:
        raise ConstraintSyntaxError(f"cannot read constraint '{text}': {exc}") from None
    return spec


@lru_cache(maxsize=4096)
def parse_constraint(text: str) -> Constraint:
    """Parse one constraint string; raises ConstraintSyntaxError naming the accepted forms."""
    raw = text.strip()
    if not raw:
        raise ConstraintSyntaxError("empty constraint")
    negated = raw.startswith("!")
    if negated and raw[1:].strip() in _ARCH_ALIASES:
        return Constraint(text, "arch", "!=" + _ARCH_ALIASES[raw[1:].strip()])
    if raw in _ARCH_ALIASES:
        return Constraint(text, "arch", "==" + _ARCH_ALIASES[raw])
    explicit = _EXPLICIT_RE.match(raw)
    if explicit:
        key = _KEY_ALIASES.get(explicit.group(1), explicit.group(1))
        if key not in _KEYS:
            raise ConstraintSyntaxError(
                f"unknown platform value '{explicit.group(1)}' in constraint '{text}' "
                f"(known: {', '.join(sorted(_KEYS))})")
        op, value = explicit.group(2), explicit.group(3).strip()
        if key == "arch":
            if value not in _ARCH_ALIASES or op not in ("==", "!="):
                raise ConstraintSyntaxError(f"cannot read constraint '{text}': use arch==aarch64 or arch!=x86_64")
            return Constraint(text, "arch", op + _ARCH_ALIASES[value])
        return Constraint(text, key, _spec(op, value.lstrip("r"), text))
    match = _OP_RE.match(raw)
    op, value = match.group(1), match.group(2).strip()
    if value.startswith("cu") and value[2:].isdigit():
        return Constraint(text, "cuda", _spec(op, _dotted(value[2:]), text))
    if value.startswith("py") and value[2:].isdigit():
        return Constraint(text, "python", _spec(op, _dotted(value[2:]), text))
    if _DISTRO_RE.match(value):
        return Constraint(text, "distro", _spec(op, value, text))
    value = value[1:] if value.startswith("r") else value
    if not re.match(r"^\d+(\.(\d+|\*))*$", value):
        raise ConstraintSyntaxError(
            f"cannot read constraint '{text}': expected an L4T version ('>=36', '==36.*'), "
            "'cu126', 'py310', a distro ('24.04'), an arch ('aarch64') or 'key>=value'")
    return Constraint(text, "l4t", _spec(op, value, text))


def keyed_constraint(key: str, spec: str) -> Constraint:
    """One ``target_compatible_with`` entry (``{"cuda": ">=12.6"}``) as a constraint."""
    if key.strip() not in _KEYS and _KEY_ALIASES.get(key.strip()) not in _KEYS:
        raise ConstraintSyntaxError(f"target_compatible_with: unknown platform value '{key}' "
                                    f"(known: {', '.join(sorted(_KEYS))})")
    try:
        return parse_constraint(f"{key}{spec}" if spec[:1] in "<>=!~" else f"{key}=={spec}")
    except ConstraintSyntaxError as exc:
        raise ConstraintSyntaxError(f"target_compatible_with {{\"{key}\": \"{spec}\"}}: {exc}") from None


def first_unmet(constraints: list[Constraint], platform: Platform) -> Constraint | None:
    """The first constraint the platform does not meet, or None."""
    return next((c for c in constraints if not c.matches(platform)), None)
