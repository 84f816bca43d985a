"""The user's configuration file, for defaults as a ``.bazelrc`` holds them: ``$JCB_CONFIG``,
else ``$XDG_CONFIG_HOME/jcb/config.yaml``, else ``~/.config/jcb/config.yaml``. A missing file
is an empty configuration. YAML, read with pyyaml's safe loader and checked here: an unknown
key or a wrong type is one usage error naming the file. Command-line options and environment
variables win over it; it wins over WORKSPACE.star.

Keys: ``platform`` (string), ``jobs`` (positive integer), ``remote_cache`` (string). (The same
names and types as herm's config module, which can take this one's place.)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..suggest import did_you_mean


@dataclass(frozen=True)
class UserConfig:
    """Typed values of the file; None: not set there."""

    path: Path | None = None  # the file read, or None when there is none
    platform: str | None = None
    jobs: int | None = None
    remote_cache: str | None = None


_TYPES = {"platform": str, "jobs": int, "remote_cache": str}


def config_path(environ: dict[str, str] | os._Environ[str] = os.environ) -> Path:
    if environ.get("JCB_CONFIG"):
        return Path(environ["JCB_CONFIG"])
    base = Path(environ["XDG_CONFIG_HOME"]) if environ.get("XDG_CONFIG_HOME") else Path.home() / ".config"
    return base / "jcb" / "config.yaml"


def load_user_config(path: Path | None = None) -> UserConfig:
    """The configuration in ``path`` (default: ``config_path()``); UsageError when it is malformed."""
    import yaml
    path = path or config_path()
    if not path.is_file():
        return UserConfig()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise UsageError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: expected a mapping of settings ({', '.join(_TYPES)})")
    return UserConfig(path, **{key: _checked(path, key, value) for key, value in data.items()})


def _checked(path: Path, key: Any, value: Any) -> Any:
    if key not in _TYPES:
        raise UsageError(f"{path}: unknown setting '{key}'{did_you_mean(str(key), _TYPES)}; "
                         f"known: {', '.join(_TYPES)}")
    kind = _TYPES[key]
    if not isinstance(value, kind) or isinstance(value, bool) or (kind is int and value < 1) or value == "":
        wanted = "a positive integer" if kind is int else "a non-empty string"
        raise UsageError(f"{path}: '{key}' must be {wanted}, got {value!r}")
    return value
