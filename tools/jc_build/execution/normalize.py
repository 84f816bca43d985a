"""Wheels rewritten so the same files give the same bytes: the part of reproducibility a zip controls.

A wheel built twice from the same sources usually differs only in its zip metadata: the order of
entries (filesystem order), timestamps (build time) and permission bits (umask). ``normalize_wheel``
fixes those: entries sorted with the ``.dist-info`` directory last and ``RECORD`` at the very end (as
the wheel spec recommends), every timestamp set to the source's epoch, modes 0644/0755, RECORD's lines
sorted, one compression level. File contents are untouched, so RECORD's hashes stay valid.
"""

from __future__ import annotations

import os
import time
import zipfile
from pathlib import Path

ZIP_EPOCH_MIN = 315532800  # 1980-01-01T00:00:00Z, the earliest time a zip entry can hold


def normalize_wheel(path: Path, epoch: int) -> None:
    """Rewrite the wheel at ``path`` in place (atomically) in the normal form."""
    stamp = time.gmtime(max(epoch, ZIP_EPOCH_MIN))[:6]
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for info in sorted(src.infolist(), key=_order):
            if info.is_dir():
                continue  # wheels list files only; installers create directories
            data = src.read(info)
            if _is_record(info.filename):
                data = _sorted_record(data)
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.create_system = 3  # unix, so external_attr holds the mode
            entry.external_attr = (0o100755 if (info.external_attr >> 16) & 0o111 else 0o100644) << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(entry, data, compresslevel=9)
    os.replace(tmp, path)


def _is_record(name: str) -> bool:
    top, _, rest = name.partition("/")
    return top.endswith(".dist-info") and rest == "RECORD"


def _order(info: zipfile.ZipInfo) -> tuple[int, str]:
    top = info.filename.partition("/")[0]
    rank = 2 if _is_record(info.filename) else 1 if top.endswith(".dist-info") else 0
    return rank, info.filename


def _sorted_record(data: bytes) -> bytes:
    lines = [line for line in data.decode("utf-8").splitlines() if line]
    own = [line for line in lines if _is_record(line.split(",", 1)[0])]
    rest = sorted(line for line in lines if line not in own)
    return ("\n".join(rest + own) + "\n").encode("utf-8")
