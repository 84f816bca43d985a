"""``jcb``: entry point, shared options and the single error path."""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import EXIT_INTERRUPTED, JcbError
from ..loading.bounded import DEFAULT_TIMEOUT_S
from .context import Context
from .failure import bug_message, describe_os_error, silence_stdout, write_trace

# command name -> module under jc_build.cli.commands; imported only when used, to keep start-up fast.
COMMANDS = {
    "query": "query", "tag": "tag", "plan": "plan", "build": "build", "explain": "explain", "cache": "cache",
    "docs": "docs", "run": "run", "autotag": "autotag", "fetch": "fetch", "lock": "lock",
    "import": "import_", "clean": "clean", "info": "info",
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
    group.add_argument("--allow-shared-cache", action="store_true",
                       help="use a cache directory other users can write (they decide what jcb reuses; "
                            "default: refuse it, or $JCB_ALLOW_SHARED_CACHE)")
    group.add_argument("--loading-timeout", type=_seconds, default=DEFAULT_TIMEOUT_S, metavar="SECONDS",
                       help="stop evaluating a .star file (with its loads) after this long (default: %(default)g)")
    group.add_argument("--debug", action="store_true",
                       help="on an internal error, print the Python trace (default: write it to a file)")
    return common


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got '{text}'")
    return value


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The parser; when ``argv`` names a command, only that command's module is imported and only
    its subparser made (start-up stays fast); otherwise every command, for the help listing."""
    parser = _Parser(prog="jcb", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"jcb {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    common = common_options()
    chosen = argv[0] if argv and argv[0] in COMMANDS else None  # `jcb -h build`: the whole listing
    for name, module in [(chosen, COMMANDS[chosen])] if chosen else COMMANDS.items():
        command = importlib.import_module(f"{__package__}.commands.{module}")
        child = sub.add_parser(name, parents=[common], help=command.HELP, description=command.DESCRIPTION,
                               formatter_class=argparse.RawDescriptionHelpFormatter)
        command.add_arguments(child)
        child.set_defaults(run=command.run)
    return parser


def _unrecognized(parser: argparse.ArgumentParser, args: argparse.Namespace, extra: list[str]) -> None:
    """A usage error for words the command does not take, with its usage and, for a misspelt
    option, the option it has that is closest (``--platfrom`` -> ``--platform``)."""
    from ..suggest import did_you_mean
    child = parser
    while sub := next((a for a in child._actions if isinstance(a, argparse._SubParsersAction)), None):
        name = getattr(args, sub.dest, None)  # the (sub)command chosen, e.g. `cache` then `stats`
        if name not in sub.choices:
            break
        child = sub.choices[name]
    options = [o for action in child._actions for o in action.option_strings if o.startswith("--")]
    wrong = next((word for word in extra if word.startswith("-")), extra[0])
    hint = did_you_mean(wrong.split("=", 1)[0].replace("_", "-"), options) if wrong.startswith("-") else ""
    child.error(f"unrecognized argument{'s' if len(extra) > 1 else ''}: {' '.join(extra)}{hint}")


def _split_forwarded(parser: argparse.ArgumentParser, argv: list[str]) -> tuple[list[str], Any]:
    """For a command that forwards what it does not know (``jcb run`` to ``docker run``): the
    words left to argparse and what the command's ``split_argv`` set aside; else ``argv, None``."""
    index = next((i for i, arg in enumerate(argv) if not arg.startswith("-")), None)
    if index is None or argv[index] not in COMMANDS:
        return argv, None
    command = importlib.import_module(f"{__package__}.commands.{COMMANDS[argv[index]]}")
    split = getattr(command, "split_argv", None)
    if split is None:
        return argv, None
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    options = {option: action.nargs != 0 for action in sub.choices[argv[index]]._actions
               for option in action.option_strings}
    words, forwarded = split(argv[index + 1:], options)
    return [*argv[:index + 1], *words], forwarded


def _version() -> str:
    from .. import __version__
    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    """Run one jcb command; every failure ends as one line on stderr and an exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    gc.freeze()  # what is alive now (modules, classes, the parser) lives until exit: no collection need scan it
    argv, forwarded = _split_forwarded(parser, argv)
    args, extra = parser.parse_known_args(argv)
    if forwarded is not None:
        args.forwarded = forwarded
    words = getattr(args, "trailing_words", None)  # e.g. query words given after options
    if extra and (words is None or any(word.startswith("-") for word in extra)):
        _unrecognized(parser, args, extra)
    if extra:
        getattr(args, words).extend(extra)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    ctx = Context(args)
    previous = _terminate_like_interrupt()
    try:
        code = args.run(ctx) or 0
        sys.stdout.flush()  # a full or closed stdout is reported here, not at interpreter exit
        return max(code, ctx.report_problems())
    except JcbError as exc:
        return _error(args, str(exc), exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("jcb: interrupted\n")
        return EXIT_INTERRUPTED
    except OSError as exc:
        silence_stdout()
        return _error(args, describe_os_error(exc), 1)
    except Exception as exc:  # noqa: BLE001 - the bug report path
        if args.debug or os.environ.get("JCB_DEBUG"):
            raise
        return _error(args, bug_message(exc, write_trace(exc, _cache_dir(ctx))), 1)
    finally:
        _close(ctx)
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _terminate_like_interrupt() -> dict[int, Any]:
    """SIGINT and SIGTERM end jcb as Ctrl-C does (running solves cancelled, every started stage
    recorded); the previous handlers, to restore ({} when not on the main thread).

    SIGINT too: a process started with SIGINT ignored (a background job of a non-interactive
    shell, some CI runners) inherits SIG_IGN, which Python keeps, so jcb would not stop; the
    docker CLI likewise un-ignores it."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {signum: signal.signal(signum, signal.default_int_handler) for signum in (signal.SIGINT, signal.SIGTERM)}


def _error(args: argparse.Namespace, message: str, code: int) -> int:
    colour = args.color == "yes" or (args.color == "auto" and sys.stderr.isatty() and not os.environ.get("NO_COLOR"))
    prefix = "\x1b[1;31merror:\x1b[0m" if colour else "error:"
    sys.stderr.write(f"jcb: {prefix} {message}\n")
    return code


def _cache_dir(ctx: Context) -> Path | None:
    try:
        return ctx.cache_dir
    except Exception:  # noqa: BLE001 - only a place for the trace; /tmp will do
        return None


def _close(ctx: Context) -> None:
    try:
        ctx.close()
    except OSError:
        pass  # saving the loading cache only saves time next run

if __name__ == "__main__":
    sys.exit(main())
