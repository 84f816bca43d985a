"""``jcb cache``: size of the local cache and garbage collection."""

from __future__ import annotations

import argparse
import json

from ..context import Context
from ..options import add_cache_dir
from ..services import open_cache

HELP = "show the local cache's size or shrink it"
DESCRIPTION = """\
The local cache holds stage results (action entries) and the blobs they reference (wheels, logs).

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
    gc = sub.add_parser("gc", help="evict least recently used results until the cache fits")
    gc.add_argument("--max-size", required=True, metavar="SIZE", help="e.g. 500M, 10G (powers of 1024)")
    add_cache_dir(gc)


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
    if ctx.args.cache_command == "gc":
        try:
            limit = parse_size(ctx.args.max_size)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        report = open_cache(ctx).gc(limit)
        ctx.print(f"removed {report.removed_entries} entries, {report.removed_blobs} blobs, "
                  f"{report.removed_temp_files} temp files; freed {_size(report.freed_bytes)}; "
                  f"{_size(report.total_bytes)} left")
        return 0
    stats = open_cache(ctx).stats()
    if ctx.args.output == "json":
        ctx.print(json.dumps({"location": str(stats.location), "entries": stats.entries, "blobs": stats.blobs,
                              "total_bytes": stats.total_bytes}, indent=2))
    else:
        ctx.print(f"location: {stats.location}\nentries:  {stats.entries}\nblobs:    {stats.blobs}\n"
                  f"size:     {_size(stats.total_bytes)}")
    return 0
