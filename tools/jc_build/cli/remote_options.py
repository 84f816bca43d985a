"""The remote cache options of build, autotag, run, explain and ``cache push``, and opening it."""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..cache import RegistryCache
    from .context import Context


def add_remote_cache(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--remote-cache", metavar="REGISTRY[/PATH]",
                       help="share results and layer images through this OCI registry "
                            "(default: $JCB_REMOTE_CACHE, else WORKSPACE.star's remote_cache)")
    group.add_argument("--no-remote-cache", action="store_true", help="use only the local cache")
    parser.add_argument("--remote-cache-readonly", action="store_true",
                        help="read from the remote cache but store nothing in it (e.g. untrusted CI jobs)")
    parser.add_argument("--remote-cache-required", action="store_true",
                        help="fail the build when the remote cache fails, instead of going on without it")
    parser.add_argument("--remote-cache-trust", metavar="KEYS",
                        help="use only remote results signed by these keys: comma-separated .pub files of "
                             "`jcb cache keygen` or NAME:BASE64 (default: $JCB_REMOTE_CACHE_TRUST)")
    parser.add_argument("--remote-cache-sign-key", metavar="FILE", type=Path,
                        help="sign the results this builder uploads with this secret key "
                             "(default: $JCB_REMOTE_CACHE_SIGN_KEY)")


def remote_location(ctx: Context) -> tuple[str, str]:
    """``(where it was given, location)`` of the remote cache; ``("", "")`` when it is off."""
    args = ctx.args
    sources = [("--remote-cache", args.remote_cache), ("JCB_REMOTE_CACHE", os.environ.get("JCB_REMOTE_CACHE")),
               ("the config file's remote_cache", ctx.config.remote_cache),
               ("WORKSPACE.star's remote_cache", ctx.workspace.remote_cache)]
    if args.no_remote_cache:
        return "", ""
    return next(((s, v) for s, v in sources if v), ("", ""))


def open_remote_cache(ctx: Context) -> RegistryCache | None:
    """The remote cache named by --remote-cache, $JCB_REMOTE_CACHE, the user config or WORKSPACE.star;
    None if off (and then httpx and cryptography are not imported)."""
    args = ctx.args
    source, location = remote_location(ctx)
    if not location:
        return None
    from ..cache.registry import DEFAULT_TIMEOUT_S, RegistryCache
    from ..cache.registry_http import parse_location
    from ..cache.signing import KeyFileError, load_signing_key, load_trusted
    from ..errors import UsageError
    try:
        parse_location(location)
    except ValueError as exc:
        shown = re.sub(r"^([a-z]+://)?[^/@]*@", r"\1***@", location)  # never the userinfo
        raise UsageError(f"{source} '{shown}': {exc}") from None
    trust = getattr(args, "remote_cache_trust", None) or os.environ.get("JCB_REMOTE_CACHE_TRUST")
    key_file = getattr(args, "remote_cache_sign_key", None) or os.environ.get("JCB_REMOTE_CACHE_SIGN_KEY")
    try:
        timeout_s = float(os.environ.get("JCB_REMOTE_CACHE_TIMEOUT") or DEFAULT_TIMEOUT_S)
        trusted = load_trusted(trust) if trust else None
        sign_key = load_signing_key(Path(key_file)) if key_file else None
    except KeyFileError as exc:
        raise UsageError(str(exc)) from None
    except ValueError:
        raise UsageError("JCB_REMOTE_CACHE_TIMEOUT must be a number of seconds") from None
    if trusted is not None and not trusted:
        raise UsageError("--remote-cache-trust names no key")
    return RegistryCache(location, read_only=args.remote_cache_readonly, on_warning=ctx.warn, timeout_s=timeout_s,
                         required=getattr(args, "remote_cache_required", False), sign_key=sign_key,
                         trusted=trusted)
