"""Evaluation with bounds: a thread with a large stack (deep expressions cannot overflow the
process's stack) and a wall-clock budget checked by the interpreter (a runaway loop stops)."""

from __future__ import annotations

import queue
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


class _StackWorker:
    """One daemon thread with ``STACK_BYTES`` of stack that runs the evaluations one at a time.

    Made once per process: a new thread per file cost about 0.8 ms each (a 1,000-package cold
    query started 1,000 of them; BENCHMARKS.md section 8)."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        previous = threading.stack_size(STACK_BYTES)
        try:
            self.thread = threading.Thread(target=self._serve, name="jcb-starlark", daemon=True)
            self.thread.start()
        finally:
            threading.stack_size(previous)

    def _serve(self) -> None:
        while True:
            self._jobs.get()()

    def submit(self, job: Callable[[], None]) -> None:
        self._jobs.put(job)


_worker: _StackWorker | None = None
_worker_lock = threading.Lock()


def _stack_worker() -> _StackWorker:
    global _worker
    with _worker_lock:
        if _worker is None:
            _worker = _StackWorker()
        return _worker


def run_with_stack(fn: Callable[[], T], budget: Budget) -> T:
    """``fn()`` on the thread with ``STACK_BYTES`` of stack; its exception is re-raised here.

    Ctrl-C in the waiting thread cancels the evaluation at its next budget check. Called on that
    thread itself (an evaluation that starts another), ``fn`` runs there directly.
    """
    worker = _stack_worker()
    if threading.current_thread() is worker.thread:
        return fn()
    outcome: list = []
    done = threading.Event()

    def job() -> None:
        try:
            outcome.append((True, fn()))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            outcome.append((False, exc))
        finally:
            done.set()

    worker.submit(job)
    try:
        done.wait()
    except KeyboardInterrupt:
        budget.cancelled = True
        raise
    ok, value = outcome[0]
    if not ok:
        raise value
    return value
