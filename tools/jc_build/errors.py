"""User-facing errors: each carries what a person needs to act, never a traceback.

Exit codes follow the CLI contract: 1 for analysis/build failures, 2 for usage errors.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """A position in a workspace file, printed as ``file:line:col``."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


# Every exit status jcb returns (README.md's table is checked against this by a test).
EXIT_CODES = {
    0: "success",
    1: "analysis or build failure: an error in a BUILD file (at file:line:col), a graph problem, a failed stage",
    2: "usage error: an unknown command or option, a bad label, pattern or query, a target that does not exist",
    130: "interrupted (Ctrl-C, or SIGINT/SIGTERM to jcb's PID: running solves are cancelled and each started stage gets a `cancelled` event)",
}
EXIT_INTERRUPTED = 130


class JcbError(Exception):
    """Base of every error jcb reports to the user."""

    exit_code = 1

    def __init__(self, message: str, location: Location | None = None):
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        if self.location is None:
            return self.message
        return f"{self.location}: {self.message}"


class StarlarkError(JcbError):
    """A problem in a ``.star`` file: syntax, evaluation, or a rule call."""


class AnalysisError(JcbError):
    """The target graph cannot be configured (missing dep, cycle, conflict, ...)."""


class NotFoundError(AnalysisError):
    """A label names no package or no target (a usage error when the user typed the label)."""


class QueryError(JcbError):
    """A malformed query expression; the location's file is ``<query>``."""

    exit_code = 2


class UsageError(JcbError):
    """Bad command-line usage."""

    exit_code = 2


class BuildError(JcbError):
    """A build stage failed."""


class ConfigError(JcbError):
    """The user's configuration file is unreadable or invalid."""

    exit_code = 2


class SourceError(JcbError):
    """A source could not be fetched or does not match what its target declares."""
