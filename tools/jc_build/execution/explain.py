"""Why a stage rebuilds: its inputs now against those of the result last used for its target.

Each built stage stores its ``inputs_summary()`` in ``ActionResult.meta["inputs"]``; a small
index under ``<cache>/last/`` remembers, per (label, platform), the key last built or reused.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from ..cache import ActionResult, sha256_bytes
from ..plan import Stage

INPUTS_META = "inputs"


class LastUsed:
    """``<dir>/<sha256(platform, label)>.json`` -> the key last built or reused for that target."""

    def __init__(self, directory: Path):
        self.dir = directory

    def _path(self, label: str, platform: str) -> Path:
        name = sha256_bytes(f"{platform}\0{label}".encode()).hex
        return self.dir / f"{name}.json"

    def get(self, label: str, platform: str) -> str | None:
        try:
            data = json.loads(self._path(label, platform).read_text(encoding="utf-8"))
            return str(data["key"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def record(self, stage: Stage) -> None:
        """Remember ``stage.key`` for its target (atomic replace; no write when unchanged)."""
        label, platform = str(stage.label), stage.platform
        if self.get(label, platform) == stage.key:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"label": label, "platform": platform, "key": stage.key})
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".tmp-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, self._path(label, platform))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def inputs_meta(stage: Stage) -> dict[str, str]:
    """What a built stage stores in its ActionResult's meta for later explanations."""
    return {INPUTS_META: json.dumps(stage.inputs_summary(), sort_keys=True)}


def explain_stage(stage: Stage, reason: str, last: LastUsed,
                  get_action: Callable[[str], ActionResult | None],
                  label_of: Callable[[str], str | None]) -> list[str]:
    """Lines saying why ``stage`` rebuilds; ``reason`` is the lookup's (cache miss, image gone).

    ``label_of`` names the stage with a given key (for "base //a:below rebuilt").
    """
    previous = last.get(str(stage.label), stage.platform)
    if previous is None:
        return [f"{reason}: never built for platform '{stage.platform}' with this cache"]
    if previous == stage.key:
        return [f"{reason}: its inputs are unchanged since it was last built"]
    old = get_action(previous)
    if old is None or INPUTS_META not in old.meta:
        return [f"inputs changed since key {previous[:12]}, whose record is no longer in the cache"]
    changes = diff_inputs(json.loads(old.meta[INPUTS_META]), stage.inputs_summary(), label_of)
    return changes or [f"key changed ({previous[:12]} -> {stage.key[:12]}) though no named input did"]


def diff_inputs(old: Mapping[str, str], new: Mapping[str, str], label_of: Callable[[str], str | None]) -> list[str]:
    """One line per input that differs, e.g. ``file src/lib.c changed (sha256 1234abcd → 5678ef01)``."""
    lines: list[str] = []
    for name in sorted(old.keys() | new.keys()):
        before, after = old.get(name), new.get(name)
        if before != after:
            lines.append(_describe(name, before, after, label_of))
    return lines


def _short(value: str, limit: int = 80) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _describe(name: str, before: str | None, after: str | None, label_of: Callable[[str], str | None]) -> str:
    kind, _, rest = name.partition(":")
    if before is None or after is None:
        value = _short(after if before is None else before)  # type: ignore[arg-type]
        what = f"file {rest}" if kind == "file" else name
        return f"{what} {'added' if before is None else 'removed'}" + ("" if kind == "file" else f": {value}")
    if kind in ("file", "dockerfile"):
        return f"{kind} {rest} changed (sha256 {before[:8]} → {after[:8]})"
    if kind == "build_arg":
        return f"build arg {rest}: {before} → {after}"
    if kind == "env":
        return f"env {rest}: {before} → {after}"
    if kind == "platform":
        return f"platform {rest} {before} → {after}"
    if name == "base":
        return _describe_base(before, after, label_of)
    if kind == "wheel" and rest.startswith("//"):
        return f"wheel {rest} rebuilt"
    if name == "format":
        return f"jcb's plan format {before} → {after}"
    return f"{name}: {_short(before, 60)} → {_short(after, 60)}"


def _describe_base(before: str, after: str, label_of: Callable[[str], str | None]) -> str:
    if before.startswith("stage:") and after.startswith("stage:"):
        below = label_of(after[len("stage:"):])
        return f"base {below or after[6:18]} rebuilt"
    return f"base {_short(before.partition(':')[2] or before)} → {_short(after.partition(':')[2] or after)}"
