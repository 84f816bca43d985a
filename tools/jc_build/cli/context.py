"""What every command needs, created lazily: workspace, platform, loader, graph, console."""

from __future__ import annotations

import argparse
import os
import sys
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from ..config import UserConfig
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
        """WORKSPACE.star and toolchains/, from the workspace cache when their files are unchanged
        (not with ``JCB_NO_LOAD_CACHE``, nor when the cache directory is refused)."""
        from ..errors import JcbError
        from ..loading.workspace import evaluate_workspace, find_root
        start = Path(self.args.workspace) if getattr(self.args, "workspace", None) else None
        root = find_root(start)
        if os.environ.get("JCB_NO_LOAD_CACHE"):
            return evaluate_workspace(root, self.timeout_s)[0]
        try:
            cache_dir = self.cache_dir
        except JcbError:  # the command that needs the cache reports why; the workspace does not
            return evaluate_workspace(root, self.timeout_s)[0]
        from ..loading.workspace_cache import cached_workspace
        return cached_workspace(cache_dir, root, lambda: evaluate_workspace(root, self.timeout_s), self.warn)

    @property
    def timeout_s(self) -> float:
        from ..loading.bounded import DEFAULT_TIMEOUT_S
        return getattr(self.args, "loading_timeout", DEFAULT_TIMEOUT_S)

    @cached_property
    def platform(self) -> Platform:
        """--platform, else $JCB_PLATFORM, else the config file's, else WORKSPACE.star's default."""
        return self.workspace.platform(getattr(self.args, "platform", None) or os.environ.get("JCB_PLATFORM")
                                       or self.config.platform)

    @cached_property
    def config(self) -> UserConfig:
        """The user's configuration file (docs/config.md), read once."""
        from ..config import load_config
        return load_config()

    @cached_property
    def cache_dir(self) -> Path:
        """The local cache directory, checked (a writable directory no other user can write)."""
        from ..cache.location import check_cache_dir
        from ..dirs import default_cache_dir
        given = getattr(self.args, "cache_dir", None)
        source = "--cache-dir" if given else ("JCB_CACHE_DIR" if os.environ.get("JCB_CACHE_DIR") else "")
        allow = getattr(self.args, "allow_shared_cache", False) or bool(os.environ.get("JCB_ALLOW_SHARED_CACHE"))
        return check_cache_dir(Path(given) if given else default_cache_dir(), source, allow)

    @cached_property
    def loader(self) -> PackageLoader:
        from ..loading.load_cache import LoadCache
        from ..loading.packages import PackageLoader
        cache = (LoadCache(None) if os.environ.get("JCB_NO_LOAD_CACHE")
                 else LoadCache.for_workspace(self.cache_dir, self.workspace.root, self.platform, self.warn))
        return PackageLoader(self.workspace, self.platform, cache, self.timeout_s)

    def report_problems(self) -> int:
        """Print the errors of the packages a wildcard passed over, each at its file:line:col;
        1 if there were any (the command did the rest), else 0."""
        problems = self.graph.problems if "graph" in self.__dict__ else {}
        for exc in problems.values():
            self.err.write(f"jcb: error: {exc}\n")
        if problems:
            self.err.write(f"jcb: {len(problems)} package{'s' if len(problems) > 1 else ''} or target"
                           f"{'s' if len(problems) > 1 else ''} could not be loaded or analysed; the rest was done\n")
        return 1 if problems else 0

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
