"""Extracting a downloaded archive (tar of any compression, or zip), optionally one directory of it.

A zip entry made on Unix keeps its executable bits (zipfile's extractall drops every mode; unzip and
pip keep them): a wheel's programs, such as nvcc in NVIDIA's CUDA wheels, stay executable.
tarfile and zipfile are imported by the first extraction (a build with nothing to fetch needs neither).
"""

from __future__ import annotations

import calendar
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import zipfile


class ArchiveError(Exception):
    """The archive cannot be read or lacks the directory asked for."""


def extract(archive: Path, dest: Path, strip_prefix: str) -> int:
    """Extract ``archive`` so that ``dest`` holds its ``strip_prefix`` directory's content.

    Returns the newest member mtime (the source's epoch). Members that would land outside the
    destination are refused (tarfile's ``tar`` filter; zipfile sanitises names itself).
    """
    scratch = dest.with_name(dest.name + ".x")
    scratch.mkdir(parents=True)
    try:
        epoch = _extract_all(archive, scratch)
        top = scratch / strip_prefix.rstrip("/") if strip_prefix else scratch
        if not top.is_dir() or top.is_symlink():
            entries = ", ".join(sorted(p.name for p in scratch.iterdir())[:5]) or "nothing"
            raise ArchiveError(f"strip_prefix '{strip_prefix}' is not a directory of the archive "
                               f"(its top level holds: {entries})")
        top.rename(dest)
        return epoch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _extract_all(archive: Path, dest: Path) -> int:
    import tarfile
    import zipfile
    if zipfile.is_zipfile(archive):
        return _extract_zip(archive, dest)
    try:
        with tarfile.open(archive, mode="r:*") as tar:
            members = tar.getmembers()
            tar.extractall(dest, filter="tar")
            return max((int(m.mtime) for m in members), default=0)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ArchiveError(f"not a readable tar or zip archive: {exc}") from None


def _extract_zip(archive: Path, dest: Path) -> int:
    import zipfile
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            path = Path(zf.extract(info, dest))  # the sanitised path zipfile wrote
            if not info.is_dir() and (info.external_attr >> 16) & 0o111:
                path.chmod(path.stat().st_mode | 0o111)
        return max((zip_entry_time(i) for i in zf.infolist()), default=0)


def zip_entry_time(info: zipfile.ZipInfo) -> int:
    """A zip entry's timestamp as seconds since the epoch (zip times carry no zone: read as UTC)."""
    return calendar.timegm((*info.date_time, 0, 0, 0))
