"""``jcb autotag``: the name of a usable image for a target: local, pulled, or built now."""

from __future__ import annotations

import argparse

from ..context import Context
from ..options import add_image_arguments
from ..services import image_for

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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_image_arguments(parser)
    parser.add_argument("--no-build", action="store_true", help="fail instead of building a missing image")


def run(ctx: Context) -> int:
    registry = ctx.args.registry or ctx.workspace.registry
    ctx.print(image_for(ctx, ctx.args.target, registry=registry, build=not ctx.args.no_build,
                        progress=ctx.args.progress))
    return 0
