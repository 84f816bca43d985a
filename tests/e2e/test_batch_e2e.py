"""Batched solves on the real daemon: one solve for the stages that can share it, every stage with
its own key, outcome and log; a rebuild after a change low in the chain gives the image a full
rebuild gives, file for file."""

from __future__ import annotations

import hashlib
import subprocess
import tarfile

import pytest
from e2e_helpers import Workspace, by_label

pytestmark = pytest.mark.engine

# pydev <- mid (a file) <- top (installs the wheel, then reads the file below it)
CHAIN = {
    "pkgs/mid/BUILD.star": 'container_layer(name = "mid", version = "1.0", deps = ["//build/pydev"], '
                           'files = ["mid.txt"], steps = [copy("mid.txt", "/etc/mid.txt")])\n',
    "pkgs/mid/mid.txt": "one\n",
    "pkgs/top/BUILD.star": 'container_layer(name = "top", version = "1.0", deps = ["//mid"], '
                           'wheels = ["//hello:wheel"], '
                           'steps = [run("python3 -c \'import hello\' && sha256sum /etc/mid.txt > /etc/top.sum"), '
                           # no network interface but lo: the batch runs its RUNs in the stage's mode (none)
                           'run("! grep -v lo: /proc/net/dev | grep -q :")])\n',
}


def image_files(docker: str, image: str) -> dict[str, str]:
    """Path -> type, mode and content digest of every entry of the image's file system."""
    container = subprocess.run([docker, "create", image, "true"], capture_output=True, text=True,
                               check=True).stdout.strip()
    try:
        proc = subprocess.Popen([docker, "export", container], stdout=subprocess.PIPE)
        assert proc.stdout is not None
        entries = {}
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            for member in tar:
                data = tar.extractfile(member) if member.isfile() else None
                digest = hashlib.sha256(data.read()).hexdigest() if data else member.linkname
                entries[member.name] = f"{member.type!r} {member.mode:o} {digest}"
        assert proc.wait() == 0
        return entries
    finally:
        subprocess.run([docker, "rm", container], capture_output=True, check=False)


def test_one_solve_for_the_chain_each_stage_with_its_own_log(cext: Workspace) -> None:
    for rel, text in CHAIN.items():
        cext.write(rel, text)
    proc, events = cext.build("//top", "//motd")
    assert set(by_label(events).values()) == {"built"} and len(events) == 5
    # pydev's apt step needs the network, the compile and top's RUN run without: BuildKit 0.8 takes one
    # network mode per solve, so pydev with the copy-only layers (mid, motd) is one batch, hello and top another
    solve = {e.label: e.solve for e in events}
    assert sum(e.solves for e in events) == 2 and len(set(solve.values())) == 2
    assert solve["//build/pydev:pydev"] == solve["//mid:mid"] == solve["//motd:motd"] != solve["//hello:wheel"]
    assert solve["//hello:wheel"] == solve["//top:top"]
    assert "5 built; 2 solves" in proc.stdout
    logs = {e.label: open(e.log).read() for e in events}
    assert "pip wheel" in logs["//hello:wheel"] and "pip wheel" not in logs["//top:top"]
    assert "/etc/mid.txt" in logs["//mid:mid"] and "jcb-wheels" in logs["//top:top"]
    assert "motd.txt" in logs["//motd:motd"] and "motd.txt" not in logs["//top:top"]
    assert len({e.key for e in events}) == 5

    # a change low in the chain: mid and top re-run in one solve; no compile
    cext.write("pkgs/mid/mid.txt", "two\n")
    _, events = cext.build("//top", "//motd")
    assert by_label(events) == {"//build/pydev:pydev": "cached", "//hello:wheel": "cached", "//mid:mid": "built",
                                "//top:top": "built", "//motd:motd": "cached"}
    assert sum(e.solves for e in events) == 2  # mid's batch and top's, as above; no compile
    incremental = image_files(cext.docker, f"{cext.prefix}/top:1.0")

    # the same sources from nothing, one solve per stage (so no step of the batches is reused)
    cext.cache = cext.root / "fresh-cache"
    _, events = cext.build("//top", "--no-batch")
    assert {e.outcome for e in events} == {"built"} and sum(e.solves for e in events) == 4
    full = image_files(cext.docker, f"{cext.prefix}/top:1.0")
    assert incremental == full
    assert cext.docker_run(f"{cext.prefix}/top:1.0", "python3", "-c", "import hello; print(hello.greet())") \
        == "hello from C\n"


def test_dry_run_estimates_from_recorded_durations(cext: Workspace) -> None:
    cext.build("//app")
    cext.write("pkgs/hello/hello.c", (cext.root / "pkgs/hello/hello.c").read_text() + "\n/* changed */\n")
    out = cext.jcb("build", "//app", "--dry-run").stdout
    assert "expected wall time" in out and "2 from an earlier key of the target" in out
    assert "critical path: //hello:wheel (" in out and "-> //app:app (" in out
    proc, _ = cext.build("//app")
    assert "of the estimate); critical path: //hello:wheel" in proc.stdout
