"""The files that install a layer's input wheels in the image (``image_scripts/install_wheels.py``
and the pypa/installer package it uses), staged beside the wheels; their digest is part of the
install step's command, so a change to either changes the layers' keys."""

from __future__ import annotations

import hashlib
import importlib.util
from functools import cache
from pathlib import Path

from ..errors import JcbError

DIR = ".jcb-install"  # under the wheels directory; ``*.whl`` never matches it
SCRIPT = Path(__file__).parent / "image_scripts" / "install_wheels.py"


@cache
def files() -> dict[str, Path]:
    """Path under ``DIR`` -> file: the script and installer's modules (not its Windows launchers)."""
    spec = importlib.util.find_spec("installer")
    if spec is None or spec.origin is None:
        raise JcbError("the Python package 'installer' (a dependency of jcb) is missing: run scripts/setup.sh")
    package = Path(spec.origin).parent
    out = {"install_wheels.py": SCRIPT}
    out.update({f"installer/{p.relative_to(package)}": p for p in sorted(package.rglob("*.py"))})
    return out


@cache
def digest() -> str:
    """Of every staged file's path and content (12 hex digits)."""
    h = hashlib.sha256()
    for rel, path in files().items():
        h.update(rel.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:12]
