"""``jcb plan``: the content-addressed stages that build a target, without building anything."""

from __future__ import annotations

import argparse

from ..context import Context

HELP = "show the build plan of a target: stages, action keys, Dockerfiles"
DESCRIPTION = """\
Show the stages jcb would run on BuildKit to build a target, in execution order. A layer stage
builds on the stage of the layer below it in the image chain (the first on the platform's base
image); a wheel stage compiles in a builder made of only its build_deps and exports *.whl
files that the layers listing it install offline. Each stage's action key is a digest over its
base, the platform, steps, build args, env, file contents and input wheels: an unchanged key
means a cached result can be reused. Nothing is built and Docker is not called.

output formats:
  text         stages in order: kind, label, short key, base, builder chain of wheels (default)
  json         the full plan: stages, their inputs, and every node with its digest and inputs
  dot          the stage graph for Graphviz (jcb plan X --output=dot | dot -Tsvg > plan.svg)
  dockerfile   every stage's Dockerfile after a comment header

examples:
  jcb plan //llm/sglang:0.4.9
  jcb plan sglang --platform=jp6-cu128 --output=dockerfile
  jcb plan //attention/flash-attention:wheel --output=json
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", help="a container_layer or wheel: label or jetson-containers name")
    parser.add_argument("--output", choices=("text", "json", "dot", "dockerfile"), default="text",
                        help="output format (default: text)")
    parser.add_argument("--hermetic", action="store_true",
                        help="the plan `jcb build --hermetic` runs: wheels compiled, no index lookup")
    parser.add_argument("--base-digest", action="append", default=[], metavar="REF=DIGEST",
                        help="the digest of a base image, made part of the keys (repeatable), "
                             "e.g. ubuntu:24.04=sha256:...")


def _base_digests(values: list[str]) -> dict[str, str]:
    from ...errors import UsageError
    digests: dict[str, str] = {}
    for value in values:
        ref, sep, digest = value.rpartition("=")
        if not sep or not ref or not digest:
            raise UsageError(f"--base-digest wants REF=DIGEST, got '{value}'")
        digests[ref] = digest
    return digests


def run(ctx: Context) -> int:
    from ...plan import make_plan
    from ...plan.output import render
    from ..services import locked_commits, read_lock
    digests = _base_digests(ctx.args.base_digest)
    label = ctx.graph.resolve_alias(ctx.resolve_one(ctx.args.target))
    plan = make_plan(ctx.graph, ctx.workspace, label, base_digests=digests,
                     locked_commits=locked_commits(read_lock(ctx)), hermetic=ctx.args.hermetic)
    ctx.out.write(render(plan, ctx.args.output))
    return 0
