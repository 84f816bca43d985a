"""``jcb cache``: the local cache's size and use, garbage collection, signing keys, pending uploads."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..context import Context
from ..options import add_cache_dir, add_engine_and_caches
from ..services import detect_engine, make_executor, open_cache

HELP = "show the cache's size and use, shrink it, make signing keys, upload pending results"
DESCRIPTION = """\
The local cache holds stage results (action entries) and the blobs they reference (wheels, logs).

examples:
  jcb cache stats
  jcb cache stats --output=json
  jcb cache gc --max-size 10G          evict least recently used results down to 10 GiB
  jcb cache keygen builder-a           write builder-a.key (secret) and builder-a.key.pub
  jcb cache push --remote-cache registry.lan:5000/jetson    upload results built while it was down
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="cache_command", metavar="ACTION", required=True, parser_class=type(parser))
    stats = sub.add_parser("stats", help="entries, blobs and bytes in the cache; hits, bytes moved, time saved")
    stats.add_argument("--output", choices=("text", "json"), default="text", help="output format")
    add_cache_dir(stats)
    gc = sub.add_parser("gc", help="evict least recently used results until the cache fits")
    gc.add_argument("--max-size", required=True, metavar="SIZE", help="e.g. 500M, 10G (powers of 1024)")
    add_cache_dir(gc)
    keygen = sub.add_parser("keygen", help="make an ed25519 key for signing uploaded results")
    keygen.add_argument("name", metavar="NAME", help="the key's name, shown in signatures (e.g. builder-a)")
    keygen.add_argument("--out", type=Path, metavar="FILE", help="secret key file (default: NAME.key; "
                                                                 "the public key goes to FILE.pub)")
    push = sub.add_parser("push", help="upload the results the remote cache missed while it was down")
    add_engine_and_caches(push)


def _size(n: float) -> str:
    units = ("B", "KiB", "MiB", "GiB", "TiB")
    i = 0
    while n >= 1024 and i < len(units) - 1:
        n /= 1024
        i += 1
    return f"{n:.0f} B" if i == 0 else f"{n:.1f} {units[i]}"


def run(ctx: Context) -> int:
    command = ctx.args.cache_command
    return {"gc": _gc, "keygen": _keygen, "push": _push, "stats": _stats}[command](ctx)


def _gc(ctx: Context) -> int:
    from ...cache import parse_size
    from ...errors import UsageError
    try:
        limit = parse_size(ctx.args.max_size)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    report = open_cache(ctx).gc(limit)
    ctx.print(f"removed {report.removed_entries} entries, {report.removed_blobs} blobs, "
              f"{report.removed_temp_files} temp files; freed {_size(report.freed_bytes)}; "
              f"{_size(report.total_bytes)} left")
    return 0


def _keygen(ctx: Context) -> int:
    from ...cache.signing import KeyFileError, generate
    from ...errors import UsageError
    out = ctx.args.out or Path(f"{ctx.args.name}.key")
    if out.exists():
        raise UsageError(f"{out} exists; remove it or choose another --out")
    try:
        key = generate(ctx.args.name, out)
    except (KeyFileError, OSError) as exc:
        raise UsageError(f"{out}: {exc}") from None
    ctx.print(f"secret key: {out} (sign with --remote-cache-sign-key={out})\n"
              f"public key: {out}.pub (trust with --remote-cache-trust={out}.pub)\n{key.public_line.strip()}")
    return 0


def _push(ctx: Context) -> int:
    from ...errors import BuildError, UsageError
    executor = make_executor(ctx, detect_engine(ctx))
    remote, pending = executor.remote, executor.pending_uploads()
    if remote is None or pending is None:
        raise UsageError("jcb cache push needs a writable remote cache (--remote-cache, $JCB_REMOTE_CACHE)")
    uploaded, left = pending.upload(executor.engine, pending.keys())
    ctx.print(f"uploaded {uploaded} result(s) to {remote.location}; {left} still pending")
    if left:
        raise BuildError(f"{left} result(s) could not be uploaded; run `jcb cache push` again later")
    return 0


def _stats(ctx: Context) -> int:
    from ...execution.stats import totals
    cache = open_cache(ctx)
    stats = cache.stats()
    use = totals(cache.root)
    if ctx.args.output == "json":
        ctx.print(json.dumps({"location": str(stats.location), "entries": stats.entries, "blobs": stats.blobs,
                              "total_bytes": stats.total_bytes, "builds": use.builds,
                              "hits": {"local": use.local, "remote": use.remote}, "built": use.built,
                              "bytes_moved": {"down": use.bytes_down, "up": use.bytes_up},
                              "time_saved_s": round(use.saved_s, 1)}, indent=2))
    else:
        ctx.print(f"location: {stats.location}\nentries:  {stats.entries}\nblobs:    {stats.blobs}\n"
                  f"size:     {_size(stats.total_bytes)}\n"
                  f"builds:   {use.builds}: {use.local} local hits, {use.remote} remote hits, {use.built} built\n"
                  f"moved:    {_size(use.bytes_down)} down, {_size(use.bytes_up)} up (remote cache)\n"
                  f"saved:    {use.saved_s:.1f}s of recorded build time")
    return 0
