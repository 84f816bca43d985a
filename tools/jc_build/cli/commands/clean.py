"""``jcb clean``: remove what jcb built (its images and cached results); ``--expunge``: all of
the cache directory, as ``bazel clean --expunge`` removes the output base."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..context import Context
from ..options import add_builder, add_cache_dir
from ..services import detect_engine, open_cache

HELP = "remove jcb's images and cached results (--expunge: the whole cache directory)"
DESCRIPTION = """\
Remove every layer image jcb's cached results name (with all their tags: a target's image
name points at one of them) and the results themselves; wheels and logs go with them. An image
a container uses stays, with a warning. The remote cache is not touched. --expunge removes the
whole local cache directory too: logs, lock files, the loading cache.

examples:
  jcb clean
  jcb clean --expunge
"""
_CACHE_MARKS = ("ac", "cas")  # what makes a directory a jcb cache (with its ``lock`` file)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--expunge", action="store_true", help="remove the whole cache directory as well")
    add_builder(parser)
    add_cache_dir(parser)


def run(ctx: Context) -> int:
    from ...execution.images import account, remove
    cache = open_cache(ctx)
    if ctx.args.expunge:
        _check_expungeable(cache.root)
    engine = detect_engine(ctx)
    removed: list[int] = []

    def remove_images(entries: dict[str, str]) -> None:
        images = account(engine, entries)
        removed.append(remove(engine, list(images.mine.values()), all_tags=True, on_kept=ctx.warn))

    entries, blobs = cache.clear(then=remove_images)
    ctx.print(f"removed {removed[0]} images, {entries} entries, {blobs} blobs from {cache.root}")
    if ctx.args.expunge:
        import shutil
        shutil.rmtree(cache.root)
        ctx.print(f"removed {cache.root}")
    return 0


def _check_expungeable(root: Path) -> None:
    """UsageError unless ``root`` is a jcb cache (a ``lock`` file and ``ac``/``cas``)."""
    from ...errors import UsageError
    if not (root / "lock").is_file() or not any((root / mark).is_dir() for mark in _CACHE_MARKS) \
            or (root / "WORKSPACE.star").exists() or root == Path.home() or root == Path(root.anchor):
        raise UsageError(f"{root} does not look like a jcb cache directory; not removing it")
