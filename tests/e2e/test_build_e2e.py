"""``jcb build`` / ``explain`` / ``cache`` on the real daemon with the cext fixture workspace.

The fixture: //build/pydev (apt-installs a C toolchain on jcb/debian:bookworm), //hello:wheel (a C
extension compiled on it), //app and //cli (layers on pydev installing the wheel, with tests) and
//motd (a layer on pydev that does not use the wheel).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request
import uuid

import pytest
from e2e_helpers import FIXTURE, JCB, Workspace, by_label, jcb_env

pytestmark = pytest.mark.engine

ROOTS = ("//app", "//cli", "//motd")
EVERY_STAGE = {"//build/pydev:pydev", "//hello:wheel", "//app:app", "//cli:cli", "//motd:motd"}
WHEEL = "hello-0.1-cp311-cp311-linux_x86_64.whl"


def test_rebuilds_exactly_what_a_change_reaches(cext: Workspace) -> None:
    _, events = cext.build(*ROOTS)
    assert set(by_label(events)) == EVERY_STAGE
    assert {by_label(events)[label] for label in EVERY_STAGE - {"//build/pydev:pydev"}} == {"built"}
    assert cext.docker_run(f"{cext.prefix}/app:1.0", "python3", "-c", "import hello; print(hello.greet())") \
        == "hello from C\n"

    proc, events = cext.build(*ROOTS)
    assert set(by_label(events).values()) == {"cached"} and len(events) == 5
    assert sum(e.solves for e in events) == 0
    assert "5 cached, 0 built; 0 solves" in proc.stdout

    hello = cext.root / "pkgs/hello/hello.c"
    hello.write_text(hello.read_text().replace('"hello from C"', '"hello from C, again"'))
    explained = cext.jcb("explain", "//app").stdout
    assert "//hello:wheel: file hello.c changed (sha256 " in explained
    assert "//app:app: wheel //hello:wheel rebuilt" in explained
    assert "motd" not in explained and "pydev" not in explained

    _, events = cext.build(*ROOTS)
    assert by_label(events) == {"//build/pydev:pydev": "cached", "//motd:motd": "cached",
                                "//hello:wheel": "built", "//app:app": "built", "//cli:cli": "built"}
    # the wheel, cli and app all run without network: one batch, one solve
    assert sum(e.solves for e in events) == 1
    assert len({e.solve for e in events if e.outcome == "built"}) == 1
    assert cext.docker_run(f"{cext.prefix}/cli:1.0", "cat", "/etc/greeting") == "hello from C, again\n"
    assert cext.jcb("explain", "//app").stdout.strip() == "//app:app: up to date; nothing would rebuild"

    proc, events = cext.build("//hello:wheel", "--output=dist")
    assert sum(e.solves for e in events) == 0
    assert (cext.root / "dist" / WHEEL).is_file()
    assert WHEEL in proc.stdout


def test_failing_step_reports_and_caches_nothing_for_it(cext: Workspace) -> None:
    cext.write("pkgs/broken/BUILD.star", 'container_layer(name = "broken", deps = ["//build/pydev"], '
                                         'steps = [run("echo about to fail && exit 3")])\n')
    proc, events = cext.build("//broken", "//motd", "--keep-going", check=False)
    assert proc.returncode == 1
    assert by_label(events) == {"//build/pydev:pydev": "built", "//broken:broken": "failed", "//motd:motd": "built"}
    err = proc.stderr
    assert "FAILED //broken:broken" in err
    report = err[err.index("FAILED //broken:broken"):]
    assert report.count("echo about to fail") == 1  # the failing command, once
    assert "failing command: [2/2] RUN echo about to fail && exit 3: exit code: 3" in report
    assert report.split("its last output:\n")[1].startswith("    about to fail\n")
    log = next(e.log for e in events if e.label == "//broken:broken")
    assert f"full log: {log}" in report and "exit code: 3" in open(log).read()
    # --progress=plain shows every BuildKit line of the stage, its label in front.
    assert re.search(r"^\[//broken:broken\] #\d+ \d+\.\d+ about to fail$", err, re.M), err
    assert "jcb: error: 1 stage failed: //broken:broken" in err

    dry = cext.jcb("build", "//broken", "//motd", "--dry-run").stdout
    assert "would build //broken:broken" in dry and "cache miss" in dry and "motd" not in dry

    raw = cext.jcb("build", "//broken", "//motd", "-k", "--progress=rawjson", check=False).stderr
    objects = [json.loads(line) for line in raw[:raw.index("FAILED //broken")].splitlines()]
    assert objects[0] == {"elapsed_s": objects[0]["elapsed_s"], "event": "start", "stages": 3}
    ends = {o["label"]: o["state"] for o in objects if o["event"] == "state" and o["ended"] and o["state"] in
            ("cached", "done", "failed")}
    assert ends == {"//build/pydev:pydev": "cached", "//motd:motd": "cached", "//broken:broken": "failed"}
    assert objects[-1]["ended"] == 3
    assert any(o["event"] == "log" and o["label"] == "//broken:broken" and "about to fail" in o["line"]
               for o in objects)


def test_failing_image_test_fails_the_build(cext: Workspace) -> None:
    cext.write("pkgs/app/check_hello.py", "import sys, hello\nprint('expected bye, got', hello.greet())\nsys.exit(1)\n")
    proc, events = cext.build("//app", check=False)
    assert proc.returncode == 1
    assert by_label(events)["//app:app"] == "failed"
    assert "test check_hello.py of //app:app failed (exit code 1)" in proc.stderr
    assert "expected bye, got hello from C" in proc.stderr

    proc, events = cext.build("//app", "--skip-tests")
    assert by_label(events)["//app:app"] == "built"


def test_two_builds_at_once_share_one_cache(cext: Workspace) -> None:
    logs = [cext.root / f"events-{i}.jsonl" for i in range(2)]
    procs = [subprocess.Popen([*JCB, "build", "//app", "//cli", f"--event-log={log}",
                               "--progress=plain"], cwd=cext.root, env=jcb_env(cext.cache),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for log in logs]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    from jc_build.execution import read_events

    runs = [by_label(read_events(log)) for log in logs]
    for label in EVERY_STAGE - {"//motd:motd"}:
        assert sorted(run[label] for run in runs) == ["built", "cached"], label  # built once, reused once

    _, events = cext.build("//app", "//cli")
    assert sum(e.solves for e in events) == 0
    stats = json.loads(cext.jcb("cache", "stats", "--output=json").stdout)
    assert stats["entries"] == 4  # pydev, the wheel, app, cli
    assert "removed 0 entries" in cext.jcb("cache", "gc", "--max-size", "10G").stdout


def test_sigkill_mid_stage_then_rerun(cext: Workspace) -> None:
    cext.write("pkgs/slow/BUILD.star", f'container_layer(name = "slow", deps = ["//build/pydev"], '
               f'build_args = {{"NONCE": "{uuid.uuid4().hex}"}}, '
               f'steps = [run("sleep 6 && echo slept > /slept")])\n')
    # one solve per stage: a batch records its stages when its solve ends, a killed one nothing
    proc = subprocess.Popen([*JCB, "build", "//slow", "--progress=plain", "--no-batch"], cwd=cext.root,
                            env=jcb_env(cext.cache), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith("[//slow:slow] building"):
            break
    # kill once pydev is recorded, while slow still sleeps
    deadline = time.monotonic() + 120
    while json.loads(cext.jcb("cache", "stats", "--output=json").stdout)["entries"] < 1:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.3)
    assert proc.poll() is None
    os.killpg(proc.pid, signal.SIGKILL)  # jcb and the docker CLI it runs
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    dry = cext.jcb("build", "//slow", "--dry-run").stdout
    assert "would build //slow:slow" in dry and "pydev" not in dry
    _, events = cext.build("//slow")
    assert by_label(events) == {"//build/pydev:pydev": "cached", "//slow:slow": "built"}
    assert cext.docker_run(f"{cext.prefix}/slow:latest", "cat", "/slept") == "slept\n"
    _, events = cext.build("//slow")
    assert sum(e.solves for e in events) == 0
    assert json.loads(cext.jcb("cache", "stats", "--output=json").stdout)["entries"] == 2


def test_push_and_the_live_view_in_a_file(cext: Workspace) -> None:
    repo = f"127.0.0.1:5000/{cext.prefix}/motd"
    proc = cext.jcb("build", "//motd", "--progress=tty", f"--push={repo}")
    assert f"pushed {repo}:1.0" in proc.stdout
    frame = proc.stderr.splitlines()  # the live view's final frame, written to a file
    assert re.fullmatch(r"\[2/2 stages\] \d+\.\ds", frame[0]), frame
    assert re.fullmatch(r"//build/pydev:pydev  done +\d+\.\ds", frame[1]), frame
    assert re.fullmatch(r"//motd:motd +done +\d+\.\ds", frame[2]), frame
    with urllib.request.urlopen(f"http://127.0.0.1:5000/v2/{cext.prefix}/motd/tags/list", timeout=10) as r:
        assert json.load(r)["tags"] == ["1.0"]


def test_no_daemon_is_one_clear_error(tmp_path_factory: pytest.TempPathFactory) -> None:
    root = tmp_path_factory.mktemp("nodaemon")
    shutil.copytree(FIXTURE, root / "ws")
    env = {**jcb_env(root / "cache"), "DOCKER_HOST": f"unix://{root}/no-such.sock"}
    proc = subprocess.run([*JCB, "build", "//motd"], cwd=root / "ws", env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.startswith("jcb: error: no Docker daemon answers") and proc.stderr.count("\n") == 1


def test_secrets_reach_the_step_and_nothing_else(cext: Workspace, tmp_path: Path) -> None:
    value = f"s3cret-{uuid.uuid4().hex}"
    digest = hashlib.sha256(value.encode()).hexdigest()  # the step checks the secret against its digest
    cext.write("pkgs/secret/BUILD.star", 'container_layer(name = "secret", steps = [run('
               '"test \\"$(sha256sum < /run/secrets/tok | cut -c1-64)\\" = ' + digest +
               ' && echo the step read its secret", secrets = ["tok"])])\n')
    missing, events = cext.build("//secret", check=False)
    assert missing.returncode == 1 and sum(e.solves for e in events) == 0
    assert "//secret:secret needs secret 'tok'; give --secret id=tok,src=FILE (or env=VAR)" in missing.stderr

    env_proc = subprocess.run([*JCB, "build", "//secret", "--secret", "id=tok,env=JCB_E2E_TOKEN", "--progress=plain",
                               f"--event-log={tmp_path / 'events.jsonl'}"], cwd=cext.root, capture_output=True,
                              text=True, env={**jcb_env(cext.cache), "JCB_E2E_TOKEN": value}, timeout=300)
    assert env_proc.returncode == 0, env_proc.stderr
    assert "the step read its secret" in env_proc.stderr
    image = env_proc.stdout.split("(")[-1].rstrip(")\n")
    saved = subprocess.run([cext.docker, "save", image], capture_output=True, timeout=120).stdout
    plan = cext.jcb("plan", "//secret", "--output=json").stdout
    logs = b"".join(p.read_bytes() for p in cext.cache.rglob("*") if p.is_file())
    for where, text in [("image", saved), ("plan", plan.encode()), ("cache and logs", logs),
                        ("output", (env_proc.stdout + env_proc.stderr).encode()),
                        ("event log", (tmp_path / "events.jsonl").read_bytes())]:
        assert value.encode() not in text, f"the secret is in the {where}"

    secret_file = tmp_path / "tok"
    secret_file.write_text(value)
    _, events = cext.build("//secret", f"--secret=id=tok,src={secret_file}", "--no-cache")
    assert by_label(events) == {"//secret:secret": "built"}  # --no-cache: built again
    bad = cext.jcb("build", "//secret", "--secret=id=tok", check=False)
    assert bad.returncode == 2 and "--secret takes id=NAME,src=PATH or id=NAME,env=VAR" in bad.stderr
