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
