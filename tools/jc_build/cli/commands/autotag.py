"""``jcb autotag``: the name of a usable image for a target: local, pulled, or built now."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ..context import Context
from .build import add_builder, add_cache_dir, add_progress, add_remote_cache

if TYPE_CHECKING:
    from ...engine import Engine
    from ...loading.labels import Label

HELP = "print a compatible image for a target (local, from a registry, or built)"
DESCRIPTION = """\
Print the name of an image of TARGET that runs on the platform, so that it can be used as
`docker run $(jcb autotag sglang)`. In order, as jetson-containers' autotag looks:
  1. the image jcb builds, if it is present and up to date with the BUILD files;
  2. a published image the target declares (`images` in BUILD.star) present locally;
  3. jcb's image name in the registry (--registry, or WORKSPACE.star's registry), pulled;
  4. a declared published image, pulled;
  5. else the image is built, after asking on a terminal (--yes: without asking; --no-build:
     fail instead). --no-build never needs the platform's base image.
A published image runs on the platform when its L4T release matches up to the patch release
(an r36.4.0 image runs on r36.4.3) and a CUDA its tag names is the platform's.

examples:
  jcb autotag sglang
  jcb autotag //examples/hello --platform=demo
  docker run --rm -it $(jcb autotag //examples/hello --platform=demo) python3 -c 'import jcb_hello; print(jcb_hello.greet())'
"""


def add_image_arguments(parser: argparse.ArgumentParser) -> None:
    """What a command that finds or builds one image takes (autotag, run)."""
    parser.add_argument("target", help="a container_layer label or jetson-containers name")
    parser.add_argument("--registry", metavar="HOST[/PATH]",
                        help="where to look for jcb's image by name (default: WORKSPACE.star's registry)")
    add_progress(parser)
    add_builder(parser)
    add_cache_dir(parser)
    add_remote_cache(parser)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_image_arguments(parser)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-y", "--yes", action="store_true", help="build a missing image without asking")
    group.add_argument("--no-build", action="store_true", help="fail instead of building a missing image")


def image_for(ctx: Context, text: str, *, registry: str = "", build: str = "yes", progress: str = "auto") -> str:
    """A local image of the layer ``text`` names: jcb's, a published one, pulled, or built
    (``build``: ``yes``, ``ask`` on a terminal, or ``no``)."""
    from ...analysis.published import published_images
    from ...engine import detect_engine
    from ...loading.workspace import image_name
    from .build import layer_label
    label = layer_label(ctx, text)
    target = ctx.graph.target(label)
    engine = detect_engine(ctx.args.builder)
    name = image_name(ctx.workspace, target.package_name, target.version, ctx.platform)
    if build == "no" and not engine.image_exists(ctx.platform.base_image):
        if engine.image_exists(name):  # no base image: keys cannot be computed, so no freshness check
            ctx.warn(f"{name} is present; without the base image {ctx.platform.base_image} jcb cannot tell "
                     "whether it is up to date")
            return name
    elif _up_to_date(ctx, engine, label, name):
        return name
    published = published_images(target, ctx.platform)
    present = {tag for img in engine.images(published) for tag in img.tags} if published else set()
    local = next((ref for ref in published if ref in present), None)
    if local:
        return local
    if registry and _pulled(engine, f"{registry.rstrip('/')}/{name}", name):
        return name
    pulled = next((ref for ref in published if _pulled(engine, ref)), None)
    if pulled:
        return pulled
    _confirm(ctx, label, build)
    _build(ctx, label, progress)
    return name


def _up_to_date(ctx: Context, engine: Engine, label: Label, name: str) -> bool:
    """jcb's image of ``label`` is present and every stage of it is cached."""
    from ...execution import Executor, default_jobs
    from .build import make_plans, open_cache, open_remote_cache
    if not engine.image_exists(name):
        return False
    (plan,) = make_plans(ctx, [label], engine, pull_base=False)
    executor = Executor(engine, open_cache(ctx), ctx.platform, open_remote_cache(ctx))
    return not executor.to_build([plan], default_jobs())


def _confirm(ctx: Context, label: Label, build: str) -> None:
    """BuildError unless building is allowed: ``yes``, or ``ask`` answered yes on a terminal."""
    from ...errors import BuildError
    where = f"{label} for platform '{ctx.platform.name}'"
    if build == "no":
        raise BuildError(f"no up-to-date image of {where} is present, published or pulled; build it with "
                         f"`jcb build {label} --platform={ctx.platform.name}`")
    if build == "ask":
        if not sys.stdin.isatty():
            raise BuildError(f"no up-to-date image of {where} is present, published or pulled; "
                             "give --yes to build it without asking")
        ctx.err.write(f"jcb: no up-to-date image of {where} is present, published or pulled. Build it now? [y/N] ")
        ctx.err.flush()
        if sys.stdin.readline().strip().lower() not in ("y", "yes"):
            raise BuildError(f"not building {label}")


def _build(ctx: Context, label: Label, progress: str) -> None:
    from ...engine import detect_engine
    from ...execution import BuildOptions, Executor, default_jobs
    from .build import execute, make_plans, open_cache, open_remote_cache
    engine = detect_engine(ctx.args.builder)
    plans = make_plans(ctx, [label], engine)
    executor = Executor(engine, open_cache(ctx), ctx.platform, open_remote_cache(ctx))
    execute(ctx, executor, plans, BuildOptions(jobs=default_jobs(), progress=progress), summary_to=ctx.err)


def _pulled(engine: Engine, ref: str, name: str | None = None) -> bool:
    """Pull ``ref`` (tagged ``name`` too, if given); False when the registry has no such image."""
    from ...engine import EngineError
    try:
        if not engine.pull(ref):
            return False
    except EngineError:
        return False
    image_id = engine.image_id(ref)
    if image_id and name:
        engine.tag(image_id, name)
    return bool(image_id)


def run(ctx: Context) -> int:
    registry = ctx.args.registry or ctx.workspace.registry
    build = "yes" if ctx.args.yes else "no" if ctx.args.no_build else "ask"
    ctx.print(image_for(ctx, ctx.args.target, registry=registry, build=build, progress=ctx.args.progress))
    return 0
