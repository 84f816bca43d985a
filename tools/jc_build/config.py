"""The user's configuration file: site and personal defaults that do not belong in the workspace.

``$JCB_CONFIG``, else ``$XDG_CONFIG_HOME/jcb/config.yaml``, else ``~/.config/jcb/config.yaml``;
a missing file is an empty configuration. The file is YAML (read with pyyaml's safe loader) and
validated here, at the boundary: an unknown key, a wrong type or a YAML syntax error is one line
naming the file (and the line when YAML knows it). After ``load_config`` every value is typed.

Each key is a ``ConfigField``; ``FIELDS`` is also what ``docs/config.md`` is checked against.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .suggest import did_you_mean


@dataclass(frozen=True)
class UserConfig:
    """Typed values of the configuration file; ``None`` means "not set here"."""

    path: Path | None = None  # the file read, or None when there was none
    platform: str | None = None
    jobs: int | None = None
    remote_cache: str | None = None
    mirrors: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (URL prefix, replacements) in file order


@dataclass(frozen=True)
class ConfigField:
    """One top-level key of the file: its name, the type it must have and its documentation."""

    name: str
    type_name: str
    doc: str
    convert: Callable[[str, Any], Any]


def _string(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"'{key}' must be a non-empty string, got {_show(value)}")
    return value


def _positive_int(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"'{key}' must be a positive integer, got {_show(value)}")
    return value


def parse_mirrors(key: str, value: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Validate a mapping of URL prefix to a replacement prefix or a list of them."""
    if not isinstance(value, dict):
        raise ValueError(f"'{key}' must map URL prefixes to a replacement prefix or a list of them, got {_show(value)}")
    return tuple((_string(f"{key}: key", prefix), _replacements(f"{key}: {prefix}", repl))
                 for prefix, repl in value.items())


def _replacements(key: str, value: Any) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise ValueError(f"'{key}' must be a URL prefix or a non-empty list of them, got {_show(value)}")
    return tuple(_string(key, item) for item in items)


def _show(value: Any) -> str:
    return f"{type(value).__name__} {value!r}" if value is not None else "nothing"


FIELDS: tuple[ConfigField, ...] = (
    ConfigField("platform", "string",
                "Default platform when `--platform` and `$JCB_PLATFORM` are not given "
                "(overrides WORKSPACE.star's `default_platform`).", _string),
    ConfigField("jobs", "integer", "Default for `--jobs`: stages built at once.", _positive_int),
    ConfigField("remote_cache", "string",
                "Default remote cache (`host:port/repo`) when neither `--remote-cache` nor "
                "`$JCB_REMOTE_CACHE` is given (overrides WORKSPACE.star's `remote_cache`).", _string),
    ConfigField("mirrors", "mapping",
                "URL-prefix rewrites for fetching sources, as Bazel's downloader config: "
                "`{\"https://github.com/\": \"git://mirror.lab/github/\"}`; a value may be a list, tried in "
                "order. Applied before WORKSPACE.star's `mirrors`; verification is unchanged.", parse_mirrors),
)
_BY_NAME = {f.name: f for f in FIELDS}


def config_path(env: Mapping[str, str] = os.environ) -> Path:
    """Where the configuration file is looked for."""
    if env.get("JCB_CONFIG"):
        return Path(env["JCB_CONFIG"]).expanduser()
    xdg = env.get("XDG_CONFIG_HOME", "")
    if os.path.isabs(xdg):
        return Path(xdg) / "jcb" / "config.yaml"
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    return home / ".config" / "jcb" / "config.yaml"


def load_config(env: Mapping[str, str] = os.environ) -> UserConfig:
    """Read and validate the configuration file; a missing default file is an empty config.

    ``$JCB_CONFIG`` naming a missing file is an error (it was asked for explicitly).
    """
    path = config_path(env)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if env.get("JCB_CONFIG"):
            raise ConfigError(f"{path}: no such file (named by $JCB_CONFIG)") from None
        return UserConfig()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    return parse_config(text, path)


def parse_config(text: str, path: Path) -> UserConfig:
    """Validate the YAML text of a configuration file read from ``path``."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}: invalid YAML: {problem}") from None
    if data is None:
        return UserConfig(path=path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the file must be a mapping of settings, got {_show(data)}")
    values: dict[str, Any] = {}
    for key, value in data.items():
        spec = _BY_NAME.get(key) if isinstance(key, str) else None
        if spec is None:
            raise ConfigError(f"{path}: unknown setting '{key}'{did_you_mean(str(key), _BY_NAME)}; "
                              f"known: {', '.join(_BY_NAME)}")
        try:
            values[key] = spec.convert(key, value)
        except ValueError as exc:
            raise ConfigError(f"{path}: {exc}") from None
    return UserConfig(path=path, **values)
