"""``jcb cache``: size of the local cache and garbage collection."""

from __future__ import annotations

import argparse
import json

from typing import TYPE_CHECKING

from ..context import Context
from ..options import add_builder, add_cache_dir
from ..services import detect_engine, open_cache

if TYPE_CHECKING:
    from ...cache import CacheStats, LocalCache
    from ...execution.images import ImageAccount

HELP = "show the local cache's size (with jcb's images) or shrink it"
DESCRIPTION = """\
The local cache holds stage results (action entries), the blobs they reference (wheels, logs)
and, on the Docker daemon, the layer images they name. Sizes count all three: an image counts
the bytes it adds over the image it is built on. gc evicts the least recently used results with
their images until everything fits; an image that carries a target's name or another tag (a
tagged result) is never removed. `jcb clean` removes everything jcb built.

examples:
  jcb cache stats
  jcb cache stats --output=json
  jcb cache gc --max-size 10G          evict least recently used results down to 10 GiB
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="cache_command", metavar="ACTION", required=True, parser_class=type(parser))
    stats = sub.add_parser("stats", help="entries, blobs and bytes in the cache")
    stats.add_argument("--output", choices=("text", "json"), default="text", help="output format")
    add_cache_dir(stats)
    add_builder(stats)
    _allow_shared(stats)
    gc = sub.add_parser("gc", help="evict least recently used results until the cache fits")
    gc.add_argument("--max-size", required=True, metavar="SIZE", help="e.g. 500M, 10G (powers of 1024)")
    add_cache_dir(gc)
    add_builder(gc)
    _allow_shared(gc)


def _allow_shared(parser: argparse.ArgumentParser) -> None:
    """``jcb cache ACTION --allow-shared-cache`` as well as ``jcb cache --allow-shared-cache ACTION``."""
    parser.add_argument("--allow-shared-cache", action="store_true", default=argparse.SUPPRESS,
                        help="use a cache directory other users can write")


def _size(n: float) -> str:
    units = ("B", "KiB", "MiB", "GiB", "TiB")
    i = 0
    while n >= 1024 and i < len(units) - 1:
        n /= 1024
        i += 1
    return f"{n:.0f} B" if i == 0 else f"{n:.1f} {units[i]}"


def run(ctx: Context) -> int:
    from ...cache import parse_size
    from ...errors import UsageError
    cache = open_cache(ctx)
    images = _image_account(ctx, cache.images())
    if ctx.args.cache_command == "gc":
        try:
            limit = parse_size(ctx.args.max_size)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        return _gc(ctx, cache, images, limit)
    stats = cache.stats()
    image_bytes = images.total() if images is not None else None
    if ctx.args.output == "json":
        ctx.print(json.dumps(_stats_json(stats, images, image_bytes), indent=2))
    else:
        shown = "unknown (no Docker daemon)" if images is None else f"{len(images.mine)} ({_size(image_bytes or 0)})"
        rows = "".join(f"{name + ':':<10}{count.files} files, {_size(count.bytes)}\n"
                       for name, count in stats.state.items())
        ctx.print(f"location: {stats.location}\nentries:  {stats.entries}\nblobs:    {stats.blobs} "
                  f"({_size(stats.total_bytes)} with the entries)\nimages:   {shown}\n{rows}"
                  f"size:     {_size(stats.total_bytes + (image_bytes or 0))}\n"
                  f"on disk:  {_size(stats.disk_bytes)} (the cache directory)")
    return 0


def _stats_json(stats: CacheStats, images: ImageAccount | None, image_bytes: int | None) -> dict:
    state = {name: {"files": count.files, "bytes": count.bytes} for name, count in stats.state.items()}
    return {"location": str(stats.location), "entries": stats.entries, "blobs": stats.blobs,
            "total_bytes": stats.total_bytes + (image_bytes or 0), "disk_bytes": stats.disk_bytes,
            "images": len(images.mine) if images is not None else None, "image_bytes": image_bytes, **state}


def _image_account(ctx: Context, entries: dict[str, str]) -> ImageAccount | None:
    """jcb's images, or None (with a warning) when no daemon answers."""
    from ...engine import EngineUnavailable
    from ...execution.images import account
    try:
        return account(detect_engine(ctx), entries)
    except EngineUnavailable as exc:
        ctx.warn(f"jcb's images are not counted: {exc}")
        return None


def _gc(ctx: Context, cache: LocalCache, images: ImageAccount | None, limit: int) -> int:
    from ...execution.images import remove
    removed: list[int] = []

    def remove_doomed() -> None:
        if images is not None:
            doomed = [images.mine[i] for i in sorted(images.doomed)]
            removed.append(remove(detect_engine(ctx), doomed, on_kept=ctx.warn))

    before = images.total() if images is not None else 0
    report = cache.gc(limit, images, then=remove_doomed)
    freed = report.freed_bytes + (before - images.total() if images is not None else 0)
    left = report.total_bytes + (images.total() if images is not None else 0)
    ctx.print(f"removed {report.removed_entries} entries, {report.removed_blobs} blobs, "
              f"{report.removed_temp_files} other files (temp, logs, locks), {sum(removed)} images; freed {_size(freed)}; "
              f"{_size(left)} left")
    return 0
