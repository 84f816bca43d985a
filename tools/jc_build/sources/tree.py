"""A directory as one deterministic tar: the form a fetched source takes in the CAS.

Entries are sorted by path; owners are 0/0 without names; every mtime is the source's epoch;
modes are 0755 for directories and executables, 0644 for other files; symlinks are kept as links.
So the same content packs to the same bytes (and digest) on every machine. (tarfile is imported
when a tree is packed or unpacked: a build whose sources are staged already never loads it.)
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    import tarfile


def pack(root: Path, out: BinaryIO, epoch: int) -> None:
    """Write ``root``'s content (not ``root`` itself) to ``out`` as a normalised tar."""
    import tarfile
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in _walk(root):
            info = _entry(root, path, epoch)
            if info.isreg():
                with open(path, "rb") as f:
                    tar.addfile(info, f)
            else:
                tar.addfile(info)


def unpack(src: BinaryIO, dest: Path) -> None:
    """Extract a packed tree into ``dest`` (created), refusing anything that would leave it."""
    import tarfile
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=src, mode="r:") as tar:
        tar.extractall(dest, filter="tar")


def _walk(root: Path) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath)
        found.extend(base / name for name in dirnames + filenames)
        dirnames[:] = [d for d in dirnames if not (base / d).is_symlink()]
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def _entry(root: Path, path: Path, epoch: int) -> tarfile.TarInfo:
    import tarfile
    st = path.lstat()
    info = tarfile.TarInfo(path.relative_to(root).as_posix())
    info.mtime, info.uid, info.gid, info.uname, info.gname = epoch, 0, 0, "", ""
    if stat.S_ISLNK(st.st_mode):
        info.type, info.linkname, info.mode = tarfile.SYMTYPE, os.readlink(path), 0o777
    elif stat.S_ISDIR(st.st_mode):
        info.type, info.mode = tarfile.DIRTYPE, 0o755
    elif stat.S_ISREG(st.st_mode):
        info.size, info.mode = st.st_size, 0o755 if st.st_mode & 0o111 else 0o644
    else:
        raise ValueError(f"{info.name}: not a file, directory or symlink")
    return info
