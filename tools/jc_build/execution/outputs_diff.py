"""Where two builds of one output differ: the first file inside a wheel (zip) or a layer (tar)."""

from __future__ import annotations

import hashlib
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..sources.archive import zip_entry_time


@dataclass(frozen=True)
class Difference:
    """One file that differs, and how (``content``, ``only in the cached build``, ``mode``, ``mtime``...)."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


# name -> (content sha256 or link target, mode, mtime) of every file of an archive
Listing = dict[str, tuple[str, int, int]]


def zip_listing(path: Path) -> Listing:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: (hashlib.sha256(zf.read(i)).hexdigest(), (i.external_attr >> 16) & 0o7777,
                             zip_entry_time(i))
                for i in zf.infolist() if not i.is_dir()}


def tar_listing(stream: BinaryIO) -> Listing:
    with tarfile.open(fileobj=stream, mode="r|*") as tar:
        return dict(_tar_entries(tar))


def _tar_entries(tar: tarfile.TarFile) -> Iterator[tuple[str, tuple[str, int, int]]]:
    for member in tar:
        if member.isdir():
            continue
        if member.isreg():
            f = tar.extractfile(member)
            digest = hashlib.sha256(f.read() if f else b"").hexdigest()
        else:
            digest = f"-> {member.linkname}"
        yield member.name.removeprefix("./"), (digest, member.mode & 0o7777, int(member.mtime))


def first_difference(cached: Listing, rebuilt: Listing, *, metadata: bool = True) -> Difference | None:
    """The first path (sorted) whose content, mode or (with ``metadata``) mtime differs, or None."""
    for name in sorted(cached.keys() | rebuilt.keys()):
        if name not in rebuilt:
            return Difference(name, "only in the cached build")
        if name not in cached:
            return Difference(name, "only in the rebuild")
        (digest_a, mode_a, time_a), (digest_b, mode_b, time_b) = cached[name], rebuilt[name]
        if digest_a != digest_b:
            return Difference(name, "content differs")
        if mode_a != mode_b:
            return Difference(name, f"mode differs ({mode_a:o} vs {mode_b:o})")
        if metadata and time_a != time_b:
            return Difference(name, f"mtime differs ({time_a} vs {time_b})")
    return None

