"""SIGINT or SIGTERM to jcb's PID alone cancels the running solve like Ctrl-C: exit 130, the stage
gets a 'cancelled' event line, and its work directory is gone. jcb starts with SIGINT ignored, as a
background job of a non-interactive shell does: it must still stop."""

from __future__ import annotations

import signal
import subprocess
import time
import uuid

import pytest
from e2e_helpers import JCB, Workspace, jcb_env

from jc_build.execution import read_events

pytestmark = pytest.mark.engine


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_to_the_pid_cancels_the_running_solve(cext: Workspace, signum: int) -> None:
    marker = f"jcb-started-{uuid.uuid4().hex}"
    cext.write("pkgs/slow/BUILD.star",
               f'container_layer(name = "slow", version = "1", steps = [run("echo {marker} && sleep 300")])\n')
    log, out = cext.root / "events.jsonl", cext.root / "out.txt"
    with open(out, "w") as stream:
        proc = subprocess.Popen([*JCB, "build", "//slow", "--progress=plain", f"--event-log={log}"], cwd=cext.root,
                                env=jcb_env(cext.cache), stdout=stream, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True,  # a signal to the group would be Ctrl-C; this is the PID
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
        for _ in range(600):  # the step runs once its marker is in the stage's partial log
            if any(marker in p.read_text(errors="replace") for p in (cext.cache / "logs").glob("*.partial")):
                break
            time.sleep(0.2)
        proc.send_signal(signum)
        proc.wait(timeout=120)  # the step sleeps 300 s: returning at all means it was cancelled
    text = out.read_text()
    assert proc.returncode == 130, text
    assert "jcb: interrupted" in text
    assert [(e.label, e.outcome) for e in read_events(log)] == [("//slow:slow", "cancelled")]
    assert not list((cext.cache / "tmp").glob("work-*"))
