"""Evaluation with bounds: a thread with a large stack (deep expressions cannot overflow the
process's stack) and a wall-clock budget checked by the interpreter (a runaway loop stops)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

STACK_BYTES = 1 << 30  # virtual; pages are committed only as deep recursion touches them
DEFAULT_TIMEOUT_S = 300.0
T = TypeVar("T")


class LoadingTimeout(Exception):
    """The evaluation ran past its budget."""


class Budget:
    """A deadline that ``check`` enforces (it is starlark's ``check_cancelled`` callback)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.cancelled = False

    def check(self) -> bool:
        if self.cancelled:
            raise KeyboardInterrupt
        if time.monotonic() > self.deadline:
            raise LoadingTimeout
        return False


def run_with_stack(fn: Callable[[], T], budget: Budget) -> T:
    """``fn()`` on a thread with ``STACK_BYTES`` of stack; its exception is re-raised here.

    Ctrl-C in the waiting thread cancels the evaluation at its next budget check.
    """
    outcome: list = []

    def target() -> None:
        try:
            outcome.append((True, fn()))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            outcome.append((False, exc))

    previous = threading.stack_size(STACK_BYTES)
    try:
        worker = threading.Thread(target=target, name="jcb-starlark", daemon=True)
        worker.start()
    finally:
        threading.stack_size(previous)
    try:
        worker.join()
    except KeyboardInterrupt:
        budget.cancelled = True
        raise
    ok, value = outcome[0]
    if not ok:
        raise value
    return value
