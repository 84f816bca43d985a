"""Run a command on a pseudo-terminal (Python's ``pty``), answering one prompt."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from pathlib import Path

READ_LIMIT_S = 120  # a limit on waiting, not an assertion of speed


def on_a_terminal(argv: list[str], cwd: Path, env: dict[str, str], prompt: bytes, typed: bytes) -> tuple[int, str]:
    """Run ``argv`` with a pseudo-terminal as stdin, stdout and stderr; type ``typed`` once the
    output after its first ``jcb: `` line shows ``prompt``. The exit code and all it printed."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=env, close_fds=True)
    os.close(slave)
    seen, sent, deadline = b"", False, time.monotonic() + READ_LIMIT_S
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 1.0)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        if not sent and prompt in seen.split(b"jcb: ", 1)[-1]:
            os.write(master, typed)
            sent = True
        if proc.poll() is not None and not ready:
            break
    os.close(master)
    return proc.wait(timeout=30), seen.decode(errors="replace")
