"""Command-line options shared by several commands: one definition each."""

from __future__ import annotations

import argparse
from pathlib import Path

from .remote_options import add_remote_cache


def add_cache_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cache-dir", metavar="DIR", type=Path,
                        help="the local cache (default: $JCB_CACHE_DIR, else $XDG_CACHE_HOME/jcb or ~/.cache/jcb)")


def add_builder(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--builder", choices=("auto", "buildx", "docker"),
                        help="buildx plugin, or DOCKER_BUILDKIT=1 docker build (default: $JCB_BUILDER or auto)")


def add_builders(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--builders", metavar="HOSTS",
                        help="spread builds over these docker daemons, comma-separated: unix:///path, "
                             "tcp://host:port, ssh://user@host or docker context names; results go through "
                             "the remote cache, images end on the first (default: $JCB_BUILDERS, else "
                             "WORKSPACE.star's builders)")


def add_engine_and_caches(parser: argparse.ArgumentParser) -> None:
    """--builder, --cache-dir and the remote cache options: what a command that looks stages up takes."""
    add_builder(parser)
    add_cache_dir(parser)
    add_remote_cache(parser)


PROGRESS_HELP = ("how to show the build on stderr: tty (a live view), plain (every BuildKit line with its "
                 "stage's label), quiet, rawjson (one JSON object per event); auto (default) is tty on a "
                 "terminal, plain otherwise")


def add_progress(parser: argparse.ArgumentParser, help_text: str = PROGRESS_HELP) -> None:
    """--progress, one of execution/progress.py's MODES (commands that take it import execution anyway)."""
    from ..execution.progress import ALIASES, MODES
    parser.add_argument("--progress", choices=(*MODES, *ALIASES), default="auto", metavar="MODE", help=help_text)


def add_image_arguments(parser: argparse.ArgumentParser) -> None:
    """What a command that finds or builds one image takes (autotag, run)."""
    parser.add_argument("target", help="a container_layer label or jetson-containers name")
    parser.add_argument("--registry", metavar="HOST[/PATH]",
                        help="where to look for jcb's image by name (default: WORKSPACE.star's registry)")
    add_progress(parser)
    add_engine_and_caches(parser)


def check_paths(args: argparse.Namespace) -> None:
    """UsageError for an --event-log or --output path that cannot be what it must be."""
    from ..errors import UsageError
    log, output = getattr(args, "event_log", None), getattr(args, "output", None)
    if log is not None and log.is_dir():
        raise UsageError(f"--event-log {log}: is a directory; give a file name")
    if log is not None and not log.parent.is_dir():
        raise UsageError(f"--event-log {log}: no directory {log.parent}")
    if output is not None and output.exists() and not output.is_dir():
        raise UsageError(f"--output {output}: exists and is not a directory; give a directory for the wheels")
