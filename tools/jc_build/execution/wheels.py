"""Wheels a wheel stage exports: tag checks against the platform, CAS storage and retrieval."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ..cache import CacheBackend, Digest
from ..errors import BuildError
from ..model import Platform
from .normalize import normalize_wheel

if TYPE_CHECKING:  # packaging.tags (with the platform module) is imported when a wheel is checked
    from packaging.tags import Tag


def compatible_python_tags(platform: Platform, expected: str | None = None) -> set[str]:
    """Interpreter tags a wheel for ``platform`` may carry (``cp311``, ``py3``, ``py311``...)."""
    major, minor = platform.python.split(".")[:2]
    tags = {platform.python_tag, f"py{major}", f"py{major}{minor}"}
    return tags | {expected} if expected else tags


def _platform_ok(tag: Tag, arch: str) -> bool:
    return tag.platform == "any" or tag.platform == f"linux_{arch}" or (
        tag.platform.startswith(("manylinux", "musllinux")) and tag.platform.endswith(f"_{arch}"))


def _python_ok(tag: Tag, pythons: set[str], platform: Platform) -> bool:
    """The interpreter tag fits, or it is a stable-ABI wheel for this or an older CPython 3."""
    if tag.interpreter in pythons:
        return True
    minor = int(platform.python.split(".")[1])
    older = tag.interpreter.startswith("cp3") and tag.interpreter[3:].isdigit() and int(tag.interpreter[3:]) <= minor
    return tag.abi == "abi3" and older


def check_wheel(filename: str, platform: Platform, expected_python: str | None = None) -> str | None:
    """Why ``filename`` cannot be installed on ``platform``, or None if one of its tags fits."""
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename
    try:
        _, _, _, tags = parse_wheel_filename(filename)
    except InvalidWheelFilename as exc:
        return f"not a valid wheel file name: {exc}"
    pythons = compatible_python_tags(platform, expected_python)
    fitting = [t for t in tags if _python_ok(t, pythons, platform)]
    if not fitting:
        found = ", ".join(sorted({t.interpreter for t in tags}))
        return f"python tag {found} does not match the platform's ({', '.join(sorted(pythons))})"
    if not any(_platform_ok(t, platform.arch) for t in fitting):
        found = ", ".join(sorted({t.platform for t in tags}))
        return f"platform tag {found} does not fit {platform.arch} (want linux_{platform.arch}, manylinux*, any)"
    return None


def store_wheels(output_dir: Path, cache: CacheBackend, platform: Platform,
                 expected_python: str | None = None, *, epoch: int | None = None) -> dict[str, Digest]:
    """Put every ``*.whl`` under ``output_dir`` into the CAS; BuildError if none or one does not fit.

    With the sources' ``epoch`` the wheels are first rewritten in their normal form (``normalize``).
    """
    found = sorted(output_dir.rglob("*.whl"))
    if not found:
        raise BuildError(f"the wheel stage exported no .whl file (looked under {output_dir})")
    outputs: dict[str, Digest] = {}
    for path in found:
        problem = check_wheel(path.name, platform, expected_python)
        if problem:
            raise BuildError(f"wheel {path.name} is not for platform '{platform.name}': {problem}")
        if epoch is not None:
            normalize_wheel(path, epoch)
        outputs[path.name] = cache.put_file(path)
    return outputs


def fetch_wheels(outputs: Mapping[str, Digest], cache: CacheBackend, dest: Path) -> list[Path]:
    """Copy wheels from the CAS into ``dest``; BuildError if a blob is missing."""
    dest.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, digest in sorted(outputs.items()):
        blob = cache.open_blob(digest)
        if blob is None:
            raise BuildError(f"wheel {name} ({digest}) is missing from the cache; rebuild it")
        with blob, open(dest / name, "wb") as out:
            shutil.copyfileobj(blob, out)
        written.append(dest / name)
    return written
