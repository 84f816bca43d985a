"""``jcb info``: what a build here would use: workspace, platform, cache, engine, remote cache."""

from __future__ import annotations

import argparse
import json
import os

from ..context import Context
from ..options import add_engine_and_caches
from ..services import detect_engine, open_remote_cache

HELP = "print the workspace, platform, cache directory, engine and remote cache in use"
DESCRIPTION = """\
Print what a build with the same options would use, and where each setting came from.

examples:
  jcb info
  jcb info --platform=demo --output=json
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--output", choices=("text", "json"), default="text", help="output format")
    add_engine_and_caches(parser)


def run(ctx: Context) -> int:
    facts = {"version": _version(), "workspace": str(ctx.workspace.root),
             "config_file": str(ctx.config.path) if ctx.config.path else None, **_platform(ctx),
             "cache_dir": str(ctx.cache_dir), **_engine(ctx), **_remote(ctx),
             "registry": ctx.workspace.registry or None}
    if ctx.args.output == "json":
        ctx.print(json.dumps(facts, indent=2))
        return 0
    width = max(map(len, facts))
    for name, value in facts.items():
        ctx.print(f"{name.replace('_', ' ') + ':':<{width + 2}}{'none' if value is None else value}")
    return 0


def _version() -> str:
    from ... import __version__
    return __version__


def _platform(ctx: Context) -> dict[str, str]:
    p = ctx.platform
    source = "--platform" if ctx.args.platform else "$JCB_PLATFORM" if os.environ.get("JCB_PLATFORM") \
        else "the config file" if ctx.config.platform else "WORKSPACE.star"
    return {"platform": f"{p.name} (from {source})",
            "platform_stack": f"L4T {p.l4t}, JetPack {p.jetpack}, CUDA {p.cuda}, cuDNN {p.cudnn}, Python "
                              f"{p.python}, Ubuntu {p.distro}, {p.arch} sm_{','.join(p.cuda_arch)}",
            "base_image": p.base_image}


def _engine(ctx: Context) -> dict[str, str]:
    from ...engine import EngineUnavailable
    source = "--builder" if ctx.args.builder else "$JCB_BUILDER" if os.environ.get("JCB_BUILDER") else "detected"
    try:
        engine = detect_engine(ctx)
    except EngineUnavailable as exc:
        return {"engine": f"unavailable: {exc}"}
    runtimes = ", ".join(sorted(engine.runtimes()))
    return {"engine": f"{engine.name} via {engine.cli} ({source})", "runtimes": runtimes}


def _remote(ctx: Context) -> dict[str, str | None]:
    remote = open_remote_cache(ctx)
    if remote is None:
        return {"remote_cache": None}
    source = ("--remote-cache" if ctx.args.remote_cache else
              "$JCB_REMOTE_CACHE" if os.environ.get("JCB_REMOTE_CACHE") else
              "the config file" if ctx.config.remote_cache else "WORKSPACE.star")
    mode = "read-only" if remote.read_only else "read and write"
    return {"remote_cache": f"{remote.location} ({mode}, from {source})"}
