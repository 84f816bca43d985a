"""``jcb run``: build a target's image if needed and run it with Jetson defaults."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..context import Context
from ..options import add_image_arguments
from ..services import detect_engine, image_for

HELP = "build if needed, then run a container of a target"
DESCRIPTION = """\
Run TARGET's image (built first if it is not cached) with the defaults Jetson containers
expect: the nvidia runtime when the daemon has it, the host network, and a data directory
mounted at /data (default: <workspace>/data, created if missing). Arguments after `--` are
the command (`jcb run TARGET -- CMD ARGS`); without them the image's default command runs,
interactively on a terminal.

examples:
  jcb run //examples/hello --platform=demo -- python3 -c 'import jcb_hello; print(jcb_hello.greet())'
  jcb run sglang -- python3 -m sglang.launch_server --model-path /data/models/qwen
  jcb run //llm/vllm -v /mnt/models:/models
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_image_arguments(parser)
    parser.set_defaults(command_argv=[])  # filled from what follows `--`
    parser.add_argument("-v", "--volume", action="append", default=[], metavar="HOST:CONTAINER",
                        help="mount a host directory (repeatable)")
    parser.add_argument("--data", type=Path, metavar="DIR", help="host directory mounted at /data")


def run(ctx: Context) -> int:
    from ...errors import UsageError
    args = ctx.args
    argv = args.command_argv
    volumes = []
    for spec in args.volume:
        host, sep, container = spec.partition(":")
        if not sep or not host or not container:
            raise UsageError(f"--volume takes HOST:CONTAINER, got '{spec}'")
        volumes.append((os.path.abspath(host), container))
    data = (args.data or ctx.workspace.root / "data").resolve()
    data.mkdir(parents=True, exist_ok=True)
    image = image_for(ctx, args.target, registry=args.registry or ctx.workspace.registry, progress=args.progress)
    engine = detect_engine(ctx)
    runtime = "nvidia" if "nvidia" in engine.runtimes() else None
    ctx.err.write(f"jcb: running {image}{' with the nvidia runtime' if runtime else ''}\n")
    return engine.run(image, argv, runtime=runtime, network="host", volumes=[(str(data), "/data"), *volumes],
                      interactive=not argv)
