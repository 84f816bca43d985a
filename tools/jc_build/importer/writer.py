"""Writes the import incrementally: only what changed, never over a hand edit.

A manifest (``.jcb-import.json`` in the import's top) records the sha256 of every file the
import wrote; BUILD.star files also carry the digest of their body in their first line, so an
edit is seen even without the manifest. A file whose content no longer matches what was written
is kept (and reported) unless ``force`` is given; a file the import did not write is never
replaced.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .render import body_digest, split_header

MANIFEST = ".jcb-import.json"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class WriteResult:
    counts: Counter = field(default_factory=Counter)  # added, updated, unchanged, kept, removed
    kept: list[tuple[str, str]] = field(default_factory=list)  # (path, why)


class Writer:
    """Collects the files of one import, then applies them to ``top``."""

    def __init__(self, top: Path, force: bool = False):
        self.top = top
        self.force = force
        self.files: dict[str, bytes] = {}
        path = top / MANIFEST
        try:
            self.manifest: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))["files"]
        except (OSError, ValueError, KeyError, TypeError):
            self.manifest = {}

    def add(self, rel: str, data: bytes) -> None:
        self.files[rel] = data

    def _ours(self, rel: str, current: bytes) -> bool:
        """Whether ``current`` is exactly what an import wrote (so it may be replaced)."""
        if self.manifest.get(rel) == sha256_bytes(current):
            return True
        if rel.endswith("BUILD.star"):
            parsed = split_header(current.decode("utf-8", "replace"))
            return parsed is not None and parsed[0] == body_digest(parsed[1])
        return False

    def apply(self) -> WriteResult:
        result = WriteResult()
        written: dict[str, str] = {}
        for rel, data in sorted(self.files.items()):
            path = self.top / rel
            current = path.read_bytes() if path.is_file() else None
            if current == data:
                result.counts["unchanged"] += 1
            elif current is not None and not self.force and not self._ours(rel, current):
                why = "edited since the last import" if rel in self.manifest or split_header(
                    current.decode("utf-8", "replace")) else "not written by jcb import"
                result.kept.append((rel, why))
                result.counts["kept"] += 1
                if rel in self.manifest:
                    written[rel] = self.manifest[rel]
                continue
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                result.counts["added" if current is None else "updated"] += 1
            written[rel] = sha256_bytes(data)
        self._remove_stale(written, result)
        (self.top / MANIFEST).write_text(json.dumps({"files": written}, indent=1, sort_keys=True) + "\n",
                                         encoding="utf-8")
        return result

    def _remove_stale(self, written: dict[str, str], result: WriteResult) -> None:
        """Files an earlier import wrote that this one does not: removed unless edited."""
        for rel in sorted(set(self.manifest) - set(written)):
            path = self.top / rel
            if not path.is_file():
                continue
            if self.force or self._ours(rel, path.read_bytes()):
                path.unlink()
                result.counts["removed"] += 1
                _prune(path.parent, self.top)
            else:
                result.kept.append((rel, "edited, and no longer produced by the tree"))
                result.counts["kept"] += 1
                written[rel] = self.manifest[rel]


def _prune(directory: Path, top: Path) -> None:
    while directory != top and directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()
        directory = directory.parent


def package_files(source: Path, max_bytes: int = 4 << 20) -> list[Path]:
    """Files of one package directory, without those of package directories nested in it."""
    found: list[Path] = []
    for path, dirs, files in os.walk(source):
        here = Path(path)
        dirs[:] = sorted(d for d in dirs if not _is_package_dir(here / d) and not d.startswith("__"))
        for name in sorted(files):
            file = here / name
            if file.is_file() and not file.is_symlink() and file.stat().st_size <= max_bytes:
                found.append(file)
    return found


def _is_package_dir(path: Path) -> bool:
    return any((path / n).is_file() for n in ("Dockerfile", "config.py")) or any(
        p.suffix in (".json", ".yml", ".yaml") for p in path.glob("*") if p.is_file())
