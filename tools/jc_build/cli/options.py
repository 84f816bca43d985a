"""Command-line options shared by several commands: one definition each."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_cache_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cache-dir", metavar="DIR", type=Path,
                        help="the local cache (default: $JCB_CACHE_DIR, else $XDG_CACHE_HOME/jcb or ~/.cache/jcb)")


def add_builder(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--builder", choices=("auto", "buildx", "docker"),
                        help="buildx plugin, or DOCKER_BUILDKIT=1 docker build (default: $JCB_BUILDER or auto)")


def add_remote_cache(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--remote-cache", metavar="REGISTRY[/PATH]",
                       help="share results and layer images through this OCI registry "
                            "(default: $JCB_REMOTE_CACHE, else WORKSPACE.star's remote_cache)")
    group.add_argument("--no-remote-cache", action="store_true", help="use only the local cache")
    parser.add_argument("--remote-cache-readonly", action="store_true",
                        help="read from the remote cache but store nothing in it (e.g. untrusted CI jobs)")


def add_engine_and_caches(parser: argparse.ArgumentParser) -> None:
    """--builder, --cache-dir and the remote cache options: what a command that looks stages up takes."""
    add_builder(parser)
    add_cache_dir(parser)
    add_remote_cache(parser)


def add_progress(parser: argparse.ArgumentParser, help_text: str) -> None:
    """--progress, one of execution/progress.py's MODES (commands that take it import execution anyway)."""
    from ..execution.progress import MODES
    parser.add_argument("--progress", choices=MODES, default="auto", help=help_text)


def add_image_arguments(parser: argparse.ArgumentParser) -> None:
    """What a command that finds or builds one image takes (autotag, run)."""
    parser.add_argument("target", help="a container_layer label or jetson-containers name")
    parser.add_argument("--registry", metavar="HOST[/PATH]",
                        help="where to look for a published image (default: WORKSPACE.star's registry)")
    add_progress(parser, "how to show a build, on stderr")
    add_engine_and_caches(parser)
