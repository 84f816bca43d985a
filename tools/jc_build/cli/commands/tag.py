"""``jcb tag``: the image name a target gets, in WORKSPACE.star's scheme."""

from __future__ import annotations

import argparse

from ..context import Context

HELP = "print the image name of a container target"
DESCRIPTION = """\
Print the image name jcb tags a container layer with, following WORKSPACE.star's image_name
scheme (default '{package}:{version}-r{l4t}-{cuda_tag}-{distro}').

examples:
  jcb tag //llm/sglang:0.4.9            -> sglang:0.4.9-r36.4.0-cu126-24.04
  jcb tag sglang --platform=jp6-cu128
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", help="a label or jetson-containers name, e.g. //llm/sglang:0.4.9 or sglang")


def run(ctx: Context) -> int:
    from ...errors import UsageError
    from ...loading.workspace import image_name
    label = ctx.graph.resolve_alias(ctx.resolve_one(ctx.args.target))
    target = ctx.graph.target(label)
    if target.kind != "container_layer":
        raise UsageError(f"{label} is a {target.kind}, not a container_layer; only layers become images")
    ctx.print(image_name(ctx.workspace, target.package_name, target.version, ctx.platform))
    return 0
