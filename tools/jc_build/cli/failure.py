"""The last line of the error path: OS errors named by path, and unexpected exceptions as bug reports.

Like Meson, an exception jcb did not expect is a bug in jcb: the user gets one line saying so,
where the full trace was written and how to report it; ``--debug`` (or ``$JCB_DEBUG``) prints
the trace instead. What only a failure needs (shutil, tempfile, datetime, traceback) is
imported when one happens: a successful command does not pay for it.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

REPORT_TO = "the jcb issue tracker (attach the trace file and the command line)"


def describe_os_error(exc: OSError) -> str:
    """``PATH: problem`` for an OSError on a path; the problem alone for one on a stream."""
    problem = exc.strerror or str(exc)
    if exc.filename is None:
        return f"cannot write output: {problem}" if exc.errno in (errno.ENOSPC, errno.EPIPE, errno.EIO) \
            else problem
    target = f" -> {exc.filename2}" if exc.filename2 else ""
    if exc.errno == errno.ENOSPC:
        problem += f" ({_space(exc)}; free some, or give jcb another --cache-dir)"
    return f"{exc.filename}{target}: {problem}"


def _space(exc: OSError) -> str:
    """What a copy that ran out of space needed and what the destination's filesystem has, in words."""
    source, dest = Path(os.fsdecode(exc.filename)), exc.filename2
    if dest is None:
        return _free(source)
    try:
        needed = f"copying {source.stat().st_size // 1024} KiB; "
    except OSError:
        needed = ""
    return needed + _free(Path(os.fsdecode(dest)))


def _free(path: Path) -> str:
    """How much space is left on ``path``'s filesystem, in words."""
    import shutil
    for candidate in (path, *path.parents):
        try:
            usage = shutil.disk_usage(candidate)
        except OSError:
            continue
        return f"{usage.free // 1024} KiB free of {usage.total // 1024} KiB on that filesystem"
    return "the free space is unknown"


def write_trace(exc: BaseException, cache_dir: Path | None) -> Path | None:
    """Write ``exc``'s trace under ``<cache>/logs`` (else the temp dir); the file, or None if neither works."""
    try:
        import datetime
        import tempfile
        import traceback
    except Exception:  # noqa: BLE001 - e.g. no file descriptor left to read them: no trace, still one line
        return None
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    text = (f"jcb crash report\ncommand: {' '.join(sys.argv)}\ncwd: {os.getcwd()}\n"
            f"python: {sys.version.split()[0]}\n\n" + "".join(traceback.format_exception(exc)))
    for directory in ([cache_dir / "logs"] if cache_dir else []) + [Path(tempfile.gettempdir())]:
        path = directory / f"jcb-crash-{stamp}-{os.getpid()}.txt"
        try:
            directory.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            return path
        except OSError:
            continue
    return None


def bug_message(exc: BaseException, trace: Path | None) -> str:
    """The one line an unexpected exception gets."""
    where = f"the full trace is in {trace}" if trace else "the trace could not be written anywhere"
    return (f"internal error (a bug in jcb, not in your input): {type(exc).__name__}: {exc}; "
            f"{where}; please report it to {REPORT_TO}; rerun with --debug to see the trace")


def silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
