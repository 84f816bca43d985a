"""``jcb autotag``: the name of a usable image for a target: local, pulled, or built now."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ..context import Context
from .build import add_builder, add_cache_dir, add_remote_cache

if TYPE_CHECKING:
    from ...engine import Engine
    from ...plan import Plan

HELP = "print a compatible image for a target (local, from the registry, or built)"
DESCRIPTION = """\
Print the name of an image of TARGET for the platform, so that it can be used as
`docker run $(jcb autotag sglang)`. In order: the image jcb built, if its stages are all
cached and the image is present; the same name pulled from the registry (--registry, or
WORKSPACE.star's registry); else the image is built now (progress on stderr).

examples:
  jcb autotag sglang
  jcb autotag //examples/hello --platform=demo
  docker run --rm -it $(jcb autotag //examples/hello --platform=demo) python3 -c 'import jcb_hello; print(jcb_hello.greet())'
"""


def add_image_arguments(parser: argparse.ArgumentParser) -> None:
    """What a command that finds or builds one image takes (autotag, run)."""
    parser.add_argument("target", help="a container_layer label or jetson-containers name")
    parser.add_argument("--registry", metavar="HOST[/PATH]",
                        help="where to look for a published image (default: WORKSPACE.star's registry)")
    parser.add_argument("--progress", choices=("auto", "plain", "rich"), default="auto",
                        help="how to show a build, on stderr")
    add_builder(parser)
    add_cache_dir(parser)
    add_remote_cache(parser)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_image_arguments(parser)
    parser.add_argument("--no-build", action="store_true", help="fail instead of building a missing image")


def image_for(ctx: Context, text: str, *, registry: str = "", build: bool = True,
              progress: str = "auto") -> str:
    """A local image of the layer ``text`` names, pulled or built if needed."""
    from ...engine import detect_engine
    from ...errors import BuildError
    from ...execution import BuildOptions, Executor, default_jobs
    from .build import execute, layer_label, make_plans, open_cache, open_remote_cache
    label = layer_label(ctx, text)
    engine = detect_engine(ctx.args.builder)
    cache = open_cache(ctx)
    executor = Executor(engine, cache, ctx.platform, open_remote_cache(ctx))
    (plan,) = make_plans(ctx, [label], engine, images=executor.images)
    name = plan.root_stage.image_name or ""
    if not executor.to_build([plan], default_jobs()) and engine.image_exists(name):
        return name
    if registry and _pulled(engine, plan, f"{registry.rstrip('/')}/{name}"):
        return name
    if not build:
        raise BuildError(f"no image of {label} for platform '{ctx.platform.name}' is present or pulled "
                         f"({name}); build it with `jcb build {label} --platform={ctx.platform.name}`")
    execute(ctx, executor, [plan], BuildOptions(jobs=default_jobs(), progress=progress), summary_to=ctx.err)
    return name


def _pulled(engine: Engine, plan: Plan, ref: str) -> bool:
    """Pull ``ref`` and tag it with the plan's image name; False when the registry has no such image."""
    if not engine.pull(ref):
        return False
    image_id = engine.image_id(ref)
    if image_id:
        engine.tag(image_id, plan.root_stage.image_name or "")
    return bool(image_id)


def run(ctx: Context) -> int:
    registry = ctx.args.registry or ctx.workspace.registry
    ctx.print(image_for(ctx, ctx.args.target, registry=registry, build=not ctx.args.no_build,
                        progress=ctx.args.progress))
    return 0
