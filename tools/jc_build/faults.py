"""Fault injection for crash tests: ``JCB_KILL_AT=<phase>`` makes jcb SIGKILL itself at that phase.

Phases: ``solve`` (the engine's first log line of a stage), ``export`` (the engine returned, nothing
recorded yet), ``cas-write`` (a blob half written to its temp file), ``entry-write`` (an action entry
written to its temp file, not yet renamed). Unset, ``kill_point`` does nothing.
"""

from __future__ import annotations

import os
import signal

PHASES = ("solve", "export", "cas-write", "entry-write")


def kill_point(phase: str) -> None:
    """SIGKILL this process if ``JCB_KILL_AT`` names ``phase`` (as a crash there would)."""
    if os.environ.get("JCB_KILL_AT") == phase:
        os.kill(os.getpid(), signal.SIGKILL)
