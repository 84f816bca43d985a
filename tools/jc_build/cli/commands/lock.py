"""``jcb lock``: write jcb.lock, what the targets' sources and base image resolve to, verified."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ..context import Context
from ..options import add_engine_and_caches
from ..services import (detect_engine, make_executor, make_plans, open_cache, read_lock, resolve_targets, source_stager,
                        stage_sources)

if TYPE_CHECKING:
    from ...execution.source_staging import SourceStager
    from ...labels import Label
    from ...sources.lock import LockedImage, LockedPip, LockedSource
    from ...plan.model import StageSource

HELP = "resolve and verify the targets' sources and base image into jcb.lock"
DESCRIPTION = """\
Fetch and verify every source the targets' builds use (their dependencies' too), resolving a
tag-only pin to its commit, and record in jcb.lock each source's commit / sha256 and the digest of
the tree it fetched to, and the platform's base image ID. An existing entry is verified, never
replaced, unless --update is given; a mismatch is an error naming the source. A source that cannot
be fetched here is recorded as unverified, with the reason, and no digest.

With --pip, every layer of the targets' plans that has a pip step and is built (its image in the
local cache) is also recorded: each distribution the layer added or changed, with its version (its
requirements' dependencies included), read with `pip list` from its image and the image below it.
Layers not built are skipped with a warning.

examples:
  jcb lock //llm/sglang:0.4.9
  jcb build //examples/hello --platform=demo && jcb lock --pip //examples/hello --platform=demo
  jcb lock --update //attention/flash-attention:2.8.0.post2
  JCB_CONFIG=/tmp/jcb-mirrors/config.yaml jcb lock //llm/sglang:0.4.9 --platform=jp6-cu126
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("targets", nargs="*", metavar="TARGET", default=["//..."],
                        help="labels, patterns or jetson-containers names (default: //...)")
    parser.add_argument("--update", action="store_true", help="replace the entries of these targets' sources")
    parser.add_argument("--pip", action="store_true",
                        help="also record what each built layer's pip steps installed (read from its image)")
    add_engine_and_caches(parser)


def run(ctx: Context) -> int:
    from ...sources.lock import LOCK_FILE, Lock
    old = read_lock(ctx)
    labels = resolve_targets(ctx, ctx.args.targets)
    stager = source_stager(ctx, open_cache(ctx), lock=Lock() if ctx.args.update else old)
    entries = {}
    for src in stage_sources(ctx, labels):
        entries[src.label] = _locked(ctx, stager, src)
    images = _base_images(ctx)
    pip = _pip(ctx, labels) if ctx.args.pip else {}
    if not ctx.args.update:
        for ref, image in images.items():
            old.check_image(ref, str(image.digest), ctx.platform.name)
        for name, installed in pip.items():
            old.check_pip(name, installed)
    new = old.updated(Lock(sources=entries, images=images, pip=pip))
    new.write(ctx.workspace.root / LOCK_FILE)
    unverified = [name for name, e in entries.items() if e.tree is None]
    ctx.print(f"jcb: {LOCK_FILE}: {len(entries)} sources ({len(unverified)} unverified), {len(images)} base image(s)"
              + (f", {len(pip)} layer(s)' pip installs" if ctx.args.pip else ""))
    return 0


def _pip(ctx: Context, labels: list[Label]) -> dict[str, LockedPip]:
    """What the built layers of ``labels``' plans installed with pip (layers not built are skipped)."""
    from ..pip_lock import PipRecorder
    engine = detect_engine(ctx)
    plans = make_plans(ctx, labels, make_executor(ctx, engine), pull_base=False)
    return PipRecorder(engine, open_cache(ctx), on_skip=ctx.warn).record(plans)


def _locked(ctx: Context, stager: SourceStager, src: StageSource) -> LockedSource:
    """The lock entry of one source: verified with its tree digest, or unverified with the reason."""
    from ...errors import SourceError
    from ...sources.lock import LockedSource
    try:
        pinned = stager.pinned(src)
        fetched = stager.fetch(src)
    except SourceError as exc:  # a LockError (a mismatch with the lock) is not one: it stops the command
        reason = str(exc).removeprefix(f"{src.label}: ")
        ctx.warn(f"{src.label}: unverified: {reason}")
        return LockedSource(src.declared, unverified=reason)
    ctx.print(f"{src.label}: {pinned.pin} -> tree {fetched.tree}")
    return LockedSource(pinned, fetched.tree)


def _base_images(ctx: Context) -> dict[str, LockedImage]:
    """The platform's base image digest, when the engine has the image (never invented)."""
    from ...cache.digest import Digest
    from ...engine import EngineError, detect_engine
    from ...sources.lock import LockedImage
    ref = ctx.platform.base_image
    try:
        image_id = detect_engine(ctx.args.builder).image_id(ref)
    except EngineError as exc:
        ctx.warn(f"base image {ref}: not locked: {exc}")
        return {}
    if not image_id:
        ctx.warn(f"base image {ref}: not locked: not present locally")
        return {}
    return {ref: LockedImage(Digest.parse(image_id))}
