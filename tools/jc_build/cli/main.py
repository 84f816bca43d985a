"""``jcb``: entry point, shared options and the single error path."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from ..errors import JcbError

# command name -> module under jc_build.cli.commands; imported only when used, to keep start-up fast.
COMMANDS = {
    "query": "query", "tag": "tag", "plan": "plan", "build": "build", "explain": "explain", "cache": "cache",
    "docs": "docs", "run": "run", "autotag": "autotag", "fetch": "fetch", "lock": "lock",
    "import": "import_",
}
DESCRIPTION = """\
jcb builds NVIDIA Jetson container images from Starlark BUILD.star files: every layer and
every CUDA wheel is a target with explicit L4T / CUDA / arch / Python constraints, built on
BuildKit with content-addressed caching.

examples:
  jcb query deps //llm/sglang                 everything sglang:0.4.9's image is built from
  jcb query 'rdeps(//..., //pytorch:2.8)'      what depends on pytorch 2.8
  jcb build //examples/hello                   build the demo image
  jcb tag sglang:0.4.9                         the image name jcb gives a target
"""


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors through jcb's error path (exit 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"jcb: error: {message}\n")
        raise SystemExit(2)


def common_options() -> argparse.ArgumentParser:
    """Options every command accepts."""
    common = _Parser(add_help=False)
    group = common.add_argument_group("common options")
    group.add_argument("--platform", metavar="NAME",
                       help="platform to configure for (a name from toolchains/BUILD.star, e.g. jp6-cu128; "
                            "default: WORKSPACE.star's default_platform, or $JCB_PLATFORM)")
    group.add_argument("-C", "--workspace", metavar="DIR",
                       help="workspace directory (default: the nearest parent with WORKSPACE.star)")
    group.add_argument("--color", choices=("auto", "yes", "no"), default="auto",
                       help="colour and tables: auto (on a terminal), yes, no")
    return common


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The parser; only the command named in ``argv`` gets its options (start-up stays fast)."""
    parser = _Parser(prog="jcb", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"jcb {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    common = common_options()
    chosen = next((arg for arg in argv if not arg.startswith("-")), None)
    for name, module in COMMANDS.items():
        command = importlib.import_module(f"{__package__}.commands.{module}")
        child = sub.add_parser(name, parents=[common], help=command.HELP, description=command.DESCRIPTION,
                               formatter_class=argparse.RawDescriptionHelpFormatter)
        if chosen in (name, None) or chosen not in COMMANDS:
            command.add_arguments(child)
        child.set_defaults(run=command.run)
    return parser


def _version() -> str:
    from .. import __version__
    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    from .context import Context
    argv = list(sys.argv[1:] if argv is None else argv)
    command: list[str] = []
    if "--" in argv:  # `jcb run TARGET [options] -- CMD...`: what follows is not jcb's
        argv, command = argv[:argv.index("--")], argv[argv.index("--") + 1:]
    parser = build_parser(argv)
    args, extra = parser.parse_known_args(argv)
    if command and not hasattr(args, "command_argv"):
        parser.error(f"'jcb {args.command}' takes no command after '--'")
    if hasattr(args, "command_argv"):
        args.command_argv = command
    words = getattr(args, "trailing_words", None)  # e.g. query words given after options
    if extra and (words is None or any(word.startswith("-") for word in extra)):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if extra:
        getattr(args, words).extend(extra)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    ctx = Context(args)
    try:
        return args.run(ctx) or 0
    except JcbError as exc:
        colour = args.color == "yes" or (args.color == "auto" and sys.stderr.isatty() and not os.environ.get("NO_COLOR"))
        prefix = "\x1b[1;31merror:\x1b[0m" if colour else "error:"
        sys.stderr.write(f"jcb: {prefix} {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("jcb: interrupted\n")
        return 130
    finally:
        ctx.close()


if __name__ == "__main__":
    sys.exit(main())
