"""Why a stage rebuilds: its inputs now against those of the result last used for its target.

Each built stage stores its typed ``inputs()`` in ``ActionResult.meta["inputs"]``; a small
index under ``<cache>/last/`` remembers, per (label, platform), the key last built or reused.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..cache import ActionResult, sha256_bytes
from ..plan import Input, Stage
from ..plan.inputs import diff_inputs

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
    """What a built stage stores in its ActionResult's meta for later explanations: its typed inputs."""
    return {INPUTS_META: json.dumps([list(i) for i in stage.inputs()], sort_keys=True)}


def _stored_inputs(text: str) -> list[Input]:
    """The inputs a result recorded; a record of another jcb (a name -> value dict) compares by value."""
    data = json.loads(text)
    if isinstance(data, dict):
        return [Input(str(k), str(v)) for k, v in data.items()]
    return [Input(*map(str, item)) for item in data]


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
    changes = diff_inputs(_stored_inputs(old.meta[INPUTS_META]), stage.inputs(), label_of)
    return changes or [f"key changed ({previous[:12]} -> {stage.key[:12]}) though no named input did"]
