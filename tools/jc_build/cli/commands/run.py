"""``jcb run``: build a target's image if needed and ``docker run`` it with Jetson defaults."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..context import Context
from ..options import add_image_arguments

if TYPE_CHECKING:
    from ..docker_run import RunLine

HELP = "build if needed, then docker run a target's image with Jetson defaults"
DESCRIPTION = """\
usage: jcb run TARGET [JCB OPTIONS] [DOCKER RUN OPTIONS] [--] [COMMAND [ARG...]]

Run TARGET's image (built first if it is not cached) as `docker run` would, with the defaults
Jetson containers expect: --rm, -it when a terminal is attached (-i otherwise), the nvidia
runtime when the daemon has it, --network host, --shm-size=8g, a data directory at /data
(default: <workspace>/data, created if missing) and, on a Jetson, the camera, sound, USB, I2C
and serial devices present. Every other option (-e, -v, --name, -p, --gpus, ...) goes to
`docker run` as given, and one given there replaces jcb's default (e.g. --network bridge).
The command starts at the first word that is not an option, or after `--`. The full docker
command is printed on stderr before it runs.

examples:
  jcb run //examples/hello --platform=demo -- python3 -c 'import jcb_hello; print(jcb_hello.greet())'
  jcb run //examples/hello --platform=demo -e GREETING=hi --name hello-1 -- bash
  jcb run sglang -- python3 -m sglang.launch_server --model-path /data/models/qwen
  jcb run //llm/vllm -v /mnt/models:/models --shm-size=16g
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_image_arguments(parser)
    parser.add_argument("--data", type=Path, metavar="DIR", help="host directory mounted at /data")


def split_argv(words: Sequence[str], jcb_options: Mapping[str, bool]) -> tuple[list[str], RunLine]:
    """jcb's words for argparse; the docker options and the command set aside."""
    from ..docker_run import split_run_argv
    line = split_run_argv(words, jcb_options)
    return line.jcb, line


def run(ctx: Context) -> int:
    import subprocess

    from ..docker_run import Host, detected_devices, docker_run_argv, is_jetson, shown, terminal_attached
    from ..images import image_for
    from ..services import detect_engine
    args = ctx.args
    line: RunLine = args.forwarded
    data = (args.data or ctx.workspace.root / "data").resolve()
    data.mkdir(parents=True, exist_ok=True)
    image = image_for(ctx, args.target, registry=args.registry or ctx.workspace.registry, progress=args.progress)
    engine = detect_engine(ctx)
    host = Host(frozenset(engine.runtimes()), terminal_attached(),
                tuple(detected_devices()) if is_jetson() else ())
    argv = docker_run_argv(engine.cli, image, line, host, data)
    ctx.err.write(f"jcb: {shown(argv)}\n")
    ctx.err.flush()
    return subprocess.call(argv)
