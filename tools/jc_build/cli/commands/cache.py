"""``jcb cache``: the local cache's size and use, garbage collection, signing keys, pending uploads."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from typing import TYPE_CHECKING

from ..context import Context
from ..options import add_builder, add_cache_dir, add_engine_and_caches
from ..services import detect_engine, make_executor, open_cache

if TYPE_CHECKING:
    from ...cache import CacheStats, LocalCache
    from ...execution.images import ImageAccount
    from ...execution.stats import CacheUse

HELP = "show the cache's size and use, shrink it, make signing keys, upload pending results"
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
  jcb cache keygen builder-a           write builder-a.key (secret) and builder-a.key.pub
  jcb cache push --remote-cache registry.lan:5000/jetson    upload results built while it was down
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="cache_command", metavar="ACTION", required=True, parser_class=type(parser))
    stats = sub.add_parser("stats", help="entries, blobs and bytes in the cache; hits, bytes moved, time saved")
    stats.add_argument("--output", choices=("text", "json"), default="text", help="output format")
    add_cache_dir(stats)
    add_builder(stats)
    _allow_shared(stats)
    gc = sub.add_parser("gc", help="evict least recently used results until the cache fits")
    gc.add_argument("--max-size", required=True, metavar="SIZE", help="e.g. 500M, 10G (powers of 1024)")
    add_cache_dir(gc)
    add_builder(gc)
    _allow_shared(gc)
    keygen = sub.add_parser("keygen", help="make an ed25519 key for signing uploaded results")
    keygen.add_argument("name", metavar="NAME", help="the key's name, shown in signatures (e.g. builder-a)")
    keygen.add_argument("--out", type=Path, metavar="FILE", help="secret key file (default: NAME.key; "
                                                                 "the public key goes to FILE.pub)")
    push = sub.add_parser("push", help="upload the results the remote cache missed while it was down")
    add_engine_and_caches(push)
    _allow_shared(push)


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
    command = ctx.args.cache_command
    return {"gc": _gc, "keygen": _keygen, "push": _push, "stats": _stats}[command](ctx)


def _gc(ctx: Context) -> int:
    from ...cache import parse_size
    from ...errors import UsageError
    try:
        limit = parse_size(ctx.args.max_size)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    cache = open_cache(ctx)
    images = _image_account(ctx, cache.images())
    removed: list[int] = []

    def remove_doomed() -> None:
        from ...execution.images import remove
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


def _image_account(ctx: Context, entries: dict[str, str]) -> ImageAccount | None:
    """jcb's images, or None (with a warning) when no daemon answers."""
    from ...engine import EngineUnavailable
    from ...execution.images import account
    try:
        return account(detect_engine(ctx), entries)
    except EngineUnavailable as exc:
        ctx.warn(f"jcb's images are not counted: {exc}")
        return None


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
    images = _image_account(ctx, cache.images())
    image_bytes = images.total() if images is not None else None
    if ctx.args.output == "json":
        ctx.print(json.dumps(_stats_json(stats, images, image_bytes, use), indent=2))
        return 0
    shown = "unknown (no Docker daemon)" if images is None else f"{len(images.mine)} ({_size(image_bytes or 0)})"
    rows = "".join(f"{name + ':':<10}{count.files} files, {_size(count.bytes)}\n"
                   for name, count in stats.state.items())
    ctx.print(f"location: {stats.location}\nentries:  {stats.entries}\nblobs:    {stats.blobs} "
              f"({_size(stats.total_bytes)} with the entries)\nimages:   {shown}\n{rows}"
              f"size:     {_size(stats.total_bytes + (image_bytes or 0))}\n"
              f"on disk:  {_size(stats.disk_bytes)} (the cache directory)\n"
              f"builds:   {use.builds}: {use.local} local hits, {use.remote} remote hits, {use.built} built\n"
              f"moved:    {_size(use.bytes_down)} down, {_size(use.bytes_up)} up (remote cache)\n"
              f"saved:    {use.saved_s:.1f}s of recorded build time")
    return 0


def _stats_json(stats: CacheStats, images: ImageAccount | None, image_bytes: int | None, use: CacheUse) -> dict:
    state = {name: {"files": count.files, "bytes": count.bytes} for name, count in stats.state.items()}
    return {"location": str(stats.location), "entries": stats.entries, "blobs": stats.blobs,
            "total_bytes": stats.total_bytes + (image_bytes or 0), "disk_bytes": stats.disk_bytes,
            "images": len(images.mine) if images is not None else None, "image_bytes": image_bytes, **state,
            "builds": use.builds, "hits": {"local": use.local, "remote": use.remote}, "built": use.built,
            "bytes_moved": {"down": use.bytes_down, "up": use.bytes_up}, "time_saved_s": round(use.saved_s, 1)}
