"""Runs the probe (``probe.py``) once per platform in a subprocess and reads its answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import JcbError
from ..model import Platform

PROBE = Path(__file__).with_name("probe.py")
TIMEOUT_S = 900


@dataclass
class PlatformScan:
    """What jetson-containers defines for one platform: package records in definition order."""

    platform: Platform
    records: list[dict[str, Any]]
    errors: list[dict[str, str]] = field(default_factory=list)
    found: dict[str, str] = field(default_factory=dict)  # name -> what find_package() returns
    refused: list[dict[str, str]] = field(default_factory=list)
    stubbed: list[str] = field(default_factory=list)


def jc_environment(platform: Platform) -> dict[str, str]:
    """The variables jetson-containers reads its platform values from."""
    return {"L4T_VERSION": platform.l4t, "CUDA_VERSION": platform.cuda, "PYTHON_VERSION": platform.python,
            "LSB_RELEASE": platform.distro, "JETPACK_VERSION": platform.jetpack}


def scan_platform(root: Path, dirs: list[str], platform: Platform, python: str = "") -> PlatformScan:
    """The tree read as jetson-containers reads it on ``platform``; JcbError if the probe cannot run."""
    spec = json.dumps({"root": os.fspath(root), "dirs": dirs, "arch": platform.arch})
    env = {**os.environ, **jc_environment(platform), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("SYSTEM_ARCH", None)
    try:
        proc = subprocess.run([python or sys.executable, os.fspath(PROBE), spec], env=env, capture_output=True,
                              text=True, timeout=TIMEOUT_S, check=False, cwd=root)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise JcbError(f"{root}: reading the tree for platform '{platform.name}' failed: {exc}") from None
    try:
        answer = json.loads(proc.stdout)
    except json.JSONDecodeError:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise JcbError(f"{root}: reading the tree for platform '{platform.name}' failed: {tail}") from None
    if "fatal" in answer:
        raise JcbError(f"{root}: {answer['fatal']} (pass --python with an interpreter that has the tree's "
                       "requirements.txt installed)")
    return PlatformScan(platform, answer["records"], answer["errors"], answer["found"], answer["refused"],
                        answer["stubbed"])
