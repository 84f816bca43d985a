"""Finding an image of a target as jetson-containers' autotag does (``jcb autotag``, ``jcb run``):
jcb's up-to-date image, a declared published image that runs on the platform (local, then
pulled), jcb's name in the registry, or a build (asked on a terminal)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from .context import Context
from .services import detect_engine, execute, layer_label, make_executor, make_plans

if TYPE_CHECKING:
    from ..engine import Engine
    from ..labels import Label

BUILD_CHOICES = ("yes", "ask", "no")


def image_for(ctx: Context, text: str, *, registry: str = "", build: str = "yes", progress: str = "auto") -> str:
    """A local image of the layer ``text`` names: jcb's, a published one, pulled, or built
    (``build``: ``yes``, ``ask`` on a terminal, or ``no``)."""
    from ..analysis.published import published_images
    from ..loading.workspace import image_name
    label = layer_label(ctx, text)
    target = ctx.graph.target(label)
    engine = detect_engine(ctx)
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
    _build(ctx, engine, label, progress)
    return name


def _up_to_date(ctx: Context, engine: Engine, label: Label, name: str) -> bool:
    """jcb's image of ``label`` is present and every stage of it is cached."""
    from ..execution import default_jobs
    if not engine.image_exists(name):
        return False
    executor = make_executor(ctx, engine)
    (plan,) = make_plans(ctx, [label], executor, pull_base=False)
    return not executor.to_build([plan], default_jobs())


def _confirm(ctx: Context, label: Label, build: str) -> None:
    """BuildError unless building is allowed: ``yes``, or ``ask`` answered yes on a terminal."""
    from ..errors import BuildError
    missing = f"no up-to-date image of {label} for platform '{ctx.platform.name}' is present, published or pulled"
    if build == "no":
        raise BuildError(f"{missing}; build it with `jcb build {label} --platform={ctx.platform.name}`")
    if build == "ask":
        if not sys.stdin.isatty():
            raise BuildError(f"{missing}; give --yes to build it without asking")
        ctx.err.write(f"jcb: {missing}. Build it now? [y/N] ")
        ctx.err.flush()
        if sys.stdin.readline().strip().lower() not in ("y", "yes"):
            raise BuildError(f"not building {label}")


def _build(ctx: Context, engine: Engine, label: Label, progress: str) -> None:
    from ..execution import BuildOptions, default_jobs
    executor = make_executor(ctx, engine)
    plans = make_plans(ctx, [label], executor)
    execute(ctx, executor, plans, BuildOptions(jobs=default_jobs(), progress=progress), summary_to=ctx.err)


def _pulled(engine: Engine, ref: str, name: str | None = None) -> bool:
    """Pull ``ref`` (tagged ``name`` too, if given); False when the registry has no such image."""
    from ..engine import EngineError
    try:
        if not engine.pull(ref):
            return False
    except EngineError:
        return False
    image_id = engine.image_id(ref)
    if image_id and name:
        engine.tag(image_id, name)
    return bool(image_id)
