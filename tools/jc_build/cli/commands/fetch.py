"""``jcb fetch``: fetch every source a build of the targets needs into the cache, for offline builds."""

from __future__ import annotations

import argparse

from ..context import Context
from ..options import add_cache_dir
from ..services import open_cache, resolve_targets, source_stager, stage_sources

HELP = "fetch the sources (git_repository, http_archive) the targets' builds need into the cache"
DESCRIPTION = """\
Fetch, verify (commit, tag, sha256) and store in the cache every source the targets' stages use,
their dependencies' too, through the mirrors of ~/.config/jcb/config.yaml and WORKSPACE.star. A
source already in the cache is not fetched again (no network), so a build after `jcb fetch`
needs no network for its sources. Each source is checked against jcb.lock.

examples:
  jcb fetch //llm/sglang:0.4.9
  JCB_CONFIG=/tmp/jcb-mirrors/config.yaml jcb fetch //attention/...
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("targets", nargs="+", metavar="TARGET", help="labels, patterns or jetson-containers names")
    add_cache_dir(parser)


def run(ctx: Context) -> int:
    sources = stage_sources(ctx, resolve_targets(ctx, ctx.args.targets))
    stager = source_stager(ctx, open_cache(ctx))
    hits = 0
    for src in sources:
        fetched = stager.fetch(src)
        hits += fetched.cache_hit
        ctx.print(f"{src.label}: {fetched.tree}" + (" (cached)" if fetched.cache_hit else f" from {fetched.url}"))
    ctx.print(f"jcb: {len(sources)} source{'s' * (len(sources) != 1)}: {len(sources) - hits} fetched, "
              f"{hits} already in the cache")
    return 0
