"""What every command needs, created lazily: workspace, platform, loader, graph, console."""

from __future__ import annotations

import argparse
import os
import sys
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from ..analysis.graph import ConfiguredGraph
    from ..labels import Label
    from ..loading.packages import PackageLoader
    from ..loading.workspace import Workspace
    from ..model import Platform


class Context:
    """Per-invocation state shared by commands."""

    def __init__(self, args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None):
        self.args = args
        self.out = out or sys.stdout
        self.err = err or sys.stderr

    @cached_property
    def workspace(self) -> Workspace:
        from ..loading.workspace import find_root, load_workspace
        start = Path(self.args.workspace) if getattr(self.args, "workspace", None) else None
        return load_workspace(find_root(start))

    @cached_property
    def platform(self) -> Platform:
        return self.workspace.platform(getattr(self.args, "platform", None) or os.environ.get("JCB_PLATFORM"))

    @cached_property
    def cache_dir(self) -> Path:
        from ..dirs import default_cache_dir
        given = getattr(self.args, "cache_dir", None)
        return Path(given) if given else default_cache_dir()

    @cached_property
    def loader(self) -> PackageLoader:
        from ..loading.load_cache import LoadCache
        from ..loading.packages import PackageLoader
        cache = (LoadCache(None) if os.environ.get("JCB_NO_LOAD_CACHE")
                 else LoadCache.for_workspace(self.cache_dir, self.workspace.root, self.platform))
        return PackageLoader(self.workspace, self.platform, cache)

    def close(self) -> None:
        """Keep what this invocation loaded for the next one."""
        if "loader" in self.__dict__:
            self.loader.cache.save()

    @cached_property
    def graph(self) -> ConfiguredGraph:
        from ..analysis.graph import ConfiguredGraph
        return ConfiguredGraph(self.loader)

    def resolve_one(self, text: str) -> Label:
        """The single target a command-line argument names (label, pattern of one, or shorthand)."""
        from ..errors import UsageError
        labels = self.graph.resolve_pattern(text)
        if len(labels) != 1:
            raise UsageError(f"'{text}' names {len(labels)} targets; this command takes exactly one")
        return labels[0]

    @property
    def color(self) -> bool:
        mode = getattr(self.args, "color", "auto")
        if mode == "auto":
            return self.out.isatty() and not os.environ.get("NO_COLOR")
        return mode == "yes"

    def print(self, text: str = "") -> None:
        self.out.write(text + ("\n" if not text.endswith("\n") else ""))

    def warn(self, text: str) -> None:
        self.err.write(f"jcb: warning: {text}\n")
