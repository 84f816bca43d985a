"""The cache directory a user named: checked before anything is read from or written to it.

A cache directory is a trust boundary (docs/cache-trust.md): whoever can write it decides what
jcb believes it built. So a directory another user can write is refused unless allowed.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..errors import UsageError

SUBDIRS = ("", "ac", "cas", "loading", "workspace", "tmp", "logs", "locks")


def check_cache_dir(path: Path, source: str, allow_shared: bool = False) -> Path:
    """Create ``path`` if needed and return it; UsageError naming ``source`` (e.g. ``--cache-dir``)
    when it is not a writable directory, or when other users can write it and ``allow_shared`` is off."""
    where = f"{source} {path}" if source else f"cache directory {path}"
    if path.exists() and not path.is_dir():
        raise UsageError(f"{where}: not a directory")
    try:
        path.mkdir(mode=0o755, parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{where}: cannot create it ({exc.strerror})") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"{where}: not writable by this user")
    if not allow_shared:
        for sub in SUBDIRS:
            problem = _shared(path / sub, sub or "it")
            if problem:
                raise UsageError(f"{where}: {problem}; whoever can write a cache decides what jcb believes it "
                                 "built (see docs/cache-trust.md): fix its permissions (chmod go-w), or pass "
                                 "--allow-shared-cache / set JCB_ALLOW_SHARED_CACHE=1 if you trust every writer")
    return path


def _shared(path: Path, name: str) -> str | None:
    """Why another user could write ``path`` (called ``name``), or None."""
    try:
        st = path.stat()
    except OSError:
        return None
    if st.st_uid != os.getuid():
        return f"{name} is owned by another user (uid {st.st_uid})"
    if st.st_mode & stat.S_IWOTH:
        return f"{name} is writable by every user"
    if st.st_mode & stat.S_IWGRP and st.st_gid != os.getgid():
        return f"{name} is writable by group {st.st_gid}"
    return None
