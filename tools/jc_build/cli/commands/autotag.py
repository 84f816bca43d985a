"""``jcb autotag``: the name of a usable image for a target: local, published, pulled, or built."""

from __future__ import annotations

import argparse

from ..context import Context
from ..images import image_for
from ..options import add_image_arguments

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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_image_arguments(parser)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-y", "--yes", action="store_true", help="build a missing image without asking")
    group.add_argument("--no-build", action="store_true", help="fail instead of building a missing image")


def run(ctx: Context) -> int:
    registry = ctx.args.registry or ctx.workspace.registry
    build = "yes" if ctx.args.yes else "no" if ctx.args.no_build else "ask"
    ctx.print(image_for(ctx, ctx.args.target, registry=registry, build=build, progress=ctx.args.progress))
    return 0
