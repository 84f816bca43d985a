"""Build-context staging: a stage's package files (checked by digest) and its input wheels."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from ..cache import ActionResult, CacheBackend, sha256_file
from ..errors import BuildError
from ..plan import SECRET_CABUNDLE, WHEELS_CONTEXT_DIR, Stage, wheel_installer
from .options import SecretSource
from .wheels import fetch_wheels

DEFAULT_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def stage_context(stage: Stage, wheel_results: Mapping[str, ActionResult], cache: CacheBackend, dest: Path) -> None:
    """Fill ``dest`` with the stage's context files and, under ``wheels/``, its input wheels.

    A package file whose content no longer matches the digest the plan keyed is an error: the
    key would not describe what is built.
    """
    dest.mkdir(parents=True, exist_ok=True)
    for rel, file in stage.context_files.items():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(file.path, target)  # with its mode bits (scripts stay executable)
        if sha256_file(target).hex != file.digest:
            raise BuildError(f"{file.path} changed after jcb computed {stage.label}'s key; run the build again")
    if stage.wheel_inputs:
        wheels = dest / WHEELS_CONTEXT_DIR
        wheels.mkdir()
        for key in stage.wheel_inputs:
            fetch_wheels(wheel_results[key].outputs, cache, wheels)
        stage_installer(wheels)


def stage_installer(wheels: Path) -> None:
    """The files of the wheel install step (``plan/wheel_installer.py``) under ``wheels``."""
    for rel, path in wheel_installer.files().items():
        target = wheels / wheel_installer.DIR / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def secret_files(stage: Stage, given: Mapping[str, SecretSource], scratch: Path,
                 env: Mapping[str, str] = os.environ) -> dict[str, Path]:
    """The files behind the stage's secret ids: those ``given`` (``--secret``; an env value
    written under ``scratch``), and ``cabundle``: ``$JCB_CA_BUNDLE``, else the system CA bundle
    if it exists (BuildKit skips a mount whose secret is not given, so builds work without one).
    """
    files: dict[str, Path] = {}
    for sid in stage.secrets:
        if sid in given:
            scratch.mkdir(mode=0o700, parents=True, exist_ok=True)
            files[sid] = given[sid].write_to(scratch, env)
        elif sid != SECRET_CABUNDLE:
            raise BuildError(f"{stage.label} needs secret '{sid}'; give --secret id={sid},src=FILE (or env=VAR)")
        elif env.get("JCB_CA_BUNDLE"):
            bundle = Path(env["JCB_CA_BUNDLE"])
            if not bundle.is_file():
                raise BuildError(f"JCB_CA_BUNDLE={bundle} is not a file")
            files[sid] = bundle
        elif DEFAULT_CA_BUNDLE.is_file():
            files[sid] = DEFAULT_CA_BUNDLE
    return files
