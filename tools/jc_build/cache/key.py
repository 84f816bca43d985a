"""The secret that keys action-cache checksums, kept outside the cache directory.

An entry's checksum is an HMAC under this key, so an edit of an entry (a swapped image id with a
recomputed plain checksum) is detected unless the editor can also read this file. See
docs/cache-trust.md.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

KEY_BYTES = 32


def key_file(env: Mapping[str, str] = os.environ) -> Path:
    """``$JCB_CACHE_KEY_FILE``, else ``$XDG_CONFIG_HOME/jcb/cache-key``, else ``~/.config/jcb/cache-key``."""
    if env.get("JCB_CACHE_KEY_FILE"):
        return Path(env["JCB_CACHE_KEY_FILE"]).expanduser()
    xdg = env.get("XDG_CONFIG_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path(env.get("HOME") or Path.home()) / ".config"
    return base / "jcb" / "cache-key"


def user_key(path: Path) -> bytes | None:
    """The key in ``path``, created (mode 0600) on first use; None when it can be neither read nor made."""
    try:
        data = path.read_bytes()
        if len(data) >= KEY_BYTES:
            return data
    except OSError:
        pass
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _reread(path)
    except OSError:
        return None
    with os.fdopen(fd, "wb") as out:
        out.write(secrets.token_bytes(KEY_BYTES))
    return _reread(path)


def _reread(path: Path) -> bytes | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return data if len(data) >= KEY_BYTES else None
