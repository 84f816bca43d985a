"""Where jcb keeps its state (import-light: the query path uses it)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def default_cache_dir(env: Mapping[str, str] = os.environ) -> Path:
    """``$JCB_CACHE_DIR``, else ``$XDG_CACHE_HOME/jcb``, else ``~/.cache/jcb``."""
    if env.get("JCB_CACHE_DIR"):
        return Path(env["JCB_CACHE_DIR"]).expanduser()
    xdg = env.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):  # the XDG spec says to ignore relative paths
        return Path(xdg) / "jcb"
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    return home / ".cache" / "jcb"
