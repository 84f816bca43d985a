"""Hermetic builds on the real daemon: a wheel compiled at network=none from a git_repository served
by a loopback git daemon and an http_archive served by a loopback HTTP server; wrong pins fail
naming the source; with both servers stopped, builds take the sources from the CAS."""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from e2e_helpers import Workspace, by_label
from source_servers import GitDaemon, HttpServer, git, make_repo, make_tarball, publish

from jc_build.cache.digest import Digest
from jc_build.sources.lock import Lock, LockedImage, LockedPip

pytestmark = pytest.mark.engine

GIT_UPSTREAM = "https://git.upstream.invalid/"
HTTP_UPSTREAM = "https://downloads.upstream.invalid/"
HELLO_C = '#include "greeting.h"\n' + (Path(__file__).parent / "fixtures" / "cext" / "pkgs" / "hello" /
                                       "hello.c").read_text().replace('"hello from C"', "GREETING")
SETUP_PY = ('from setuptools import Extension, setup\n\n'
            'setup(name="hello", version="0.2", ext_modules=[Extension("hello", ["hello.c"])])\n')
BUILD = """\
git_repository(name = "hello-src", remote = "{git}hello.git", commit = "{commit}", tag = "{tag}")
http_archive(name = "greeting", url = "{http}greeting-1.0.tar.gz", sha256 = "{sha256}",
             strip_prefix = "greeting-1.0")
wheel(
    name = "wheel",
    dist = "hello",
    version = "0.2",
    srcs = [":hello-src", ":greeting"],
    build_deps = ["//build/pydev"],
    env = {{"FLAVOUR": "{flavour}"}},
    steps = [run("cd /opt/src && cp /opt/srcs/greeting/greeting.h . && " +
                 "python3 -m pip wheel --no-deps --no-build-isolation -w /opt/wheels .")],
)
container_layer(name = "app", version = "0.2", deps = ["//build/pydev"], wheels = [":wheel"])
"""


@dataclass
class Upstream:
    """The loopback servers and what they serve."""

    git: GitDaemon
    http: HttpServer
    commit: str
    other_commit: str
    sha256: str

    def stop(self) -> None:
        self.git.stop()
        self.http.stop()


@pytest.fixture
def upstream(tmp_path: Path) -> Iterator[Upstream]:
    served, files = tmp_path / "git", tmp_path / "files"
    served.mkdir()
    work = tmp_path / "hello"
    commit = make_repo(work, {"setup.py": SETUP_PY, "hello.c": HELLO_C}, date=1_700_000_000)
    git(work, "tag", "-a", "v0.2", "-m", "v0.2", date=1_700_000_000)
    other = make_repo(work, {"NEWS": "later\n"}, date=1_700_000_500)
    publish(work, served, "hello.git")
    sha = make_tarball(files / "greeting-1.0.tar.gz", {"greeting-1.0/greeting.h": '#define GREETING "hello from a tarball"\n'})
    servers = Upstream(GitDaemon(served), HttpServer(files), commit, other, sha)
    yield servers
    servers.stop()


def _write(ws: Workspace, up: Upstream, *, commit: str = "", sha256: str = "", flavour: str = "a") -> None:
    ws.write("pkgs/src/BUILD.star", BUILD.format(git=GIT_UPSTREAM, http=HTTP_UPSTREAM, commit=commit or up.commit,
                                                 tag="v0.2", sha256=sha256 or up.sha256, flavour=flavour))
    text = (ws.root / "WORKSPACE.star").read_text()
    mirrors = f'mirrors = {{"{GIT_UPSTREAM}": "{up.git.url}", "{HTTP_UPSTREAM}": "{up.http.url}"}}'
    ws.write("WORKSPACE.star", text.replace("workspace(", f"workspace({mirrors}, ", 1) if "mirrors" not in text
             else text)


def test_wheel_from_fetched_sources_compiles_offline_then_builds_from_the_cas(cext: Workspace, upstream: Upstream,
                                                                              tmp_path: Path) -> None:
    _write(cext, upstream)
    plan = json.loads(cext.jcb("plan", "//src:app", "--output=json").stdout)
    wheel = next(s for s in plan["stages"] if s["label"] == "//src:wheel")
    assert wheel["network"] == "none" and [s["label"] for s in wheel["sources"]] == ["//src:hello-src", "//src:greeting"]
    assert "git " not in wheel["dockerfile"] and "curl" not in wheel["dockerfile"]

    proc, events = cext.build("//src:app")
    assert by_label(events)["//src:wheel"] == "built"
    assert proc.stderr.count("jcb: fetched //src:") == 2
    assert cext.docker_run(f"{cext.prefix}/src:0.2", "python3", "-c", "import hello; print(hello.greet())") \
        == "hello from a tarball\n"

    upstream.stop()
    _write(cext, upstream, flavour="b")  # a new key: the wheel compiles again, its sources from the CAS
    proc, events = cext.build("//src:app")
    assert by_label(events)["//src:wheel"] == "built" and "jcb: fetched" not in proc.stderr


def test_fetch_then_build_without_the_servers(cext: Workspace, upstream: Upstream) -> None:
    _write(cext, upstream)
    fetched = cext.jcb("fetch", "//src:app")
    assert "jcb: 2 sources: 2 fetched, 0 already in the cache" in fetched.stdout
    upstream.stop()
    assert "jcb: 2 sources: 0 fetched, 2 already in the cache" in cext.jcb("fetch", "//src:app").stdout
    _, events = cext.build("//src:app")
    assert by_label(events)["//src:wheel"] == "built"


def test_wrong_sha256_and_a_commit_that_is_not_the_tag_fail_naming_the_source(cext: Workspace,
                                                                               upstream: Upstream) -> None:
    _write(cext, upstream, sha256="0" * 64)
    proc, _ = cext.build("//src:app", check=False)
    assert proc.returncode == 1
    assert (f"//src:greeting: http_archive {HTTP_UPSTREAM}greeting-1.0.tar.gz (sha256 {'0' * 64}): sha256 mismatch: "
            f"expected {'0' * 64}, got {upstream.sha256} (from {upstream.http.url}greeting-1.0.tar.gz)") in proc.stderr
    _write(cext, upstream, commit=upstream.other_commit)
    proc, _ = cext.build("//src:app", check=False)
    assert proc.returncode == 1
    assert (f"//src:hello-src: git_repository {GIT_UPSTREAM}hello.git (commit {upstream.other_commit}, tag v0.2): "
            f"tag 'v0.2' is commit {upstream.commit} (at {upstream.git.url}hello.git), not the declared commit "
            f"{upstream.other_commit}") in proc.stderr


REACH = """\
container_layer(name = "{name}", version = "1", deps = ["//build/pydev"], steps = [run(
    "bash -c 'exec 3<>/dev/tcp/127.0.0.1/{port} && echo open-$((40+2))' # {nonce}", network = {network})])
"""


def test_a_step_without_network_cannot_reach_the_loopback_server(cext: Workspace, upstream: Upstream) -> None:
    port = upstream.http.port
    # the prefix makes the steps unique, so BuildKit's own cache cannot answer them
    cext.write("pkgs/reach/BUILD.star", REACH.format(name="offline", port=port, network="False", nonce=cext.prefix) +
               REACH.format(name="host", port=port, network='"host"', nonce=cext.prefix))
    _, events = cext.build("//reach:host")  # the control: with the host's network the same step reaches it
    assert by_label(events)["//reach:host"] == "built"
    logs = [p.read_text() for p in (cext.cache / "logs").glob("*.log")]
    assert any(re.search(r"^#\d+ [\d.]+ open-42$", text, re.M) for text in logs)
    plan = json.loads(cext.jcb("plan", "//reach:offline", "--output=json").stdout)
    assert plan["stages"][-1]["network"] == "none"
    proc, events = cext.build("//reach:offline", check=False)
    assert proc.returncode == 1 and by_label(events)["//reach:offline"] == "failed"
    assert "Connection refused" in proc.stderr and "open-42" not in proc.stderr


def test_check_reports_the_wheel_reproducible_and_names_what_differs_in_a_layer(cext: Workspace,
                                                                               upstream: Upstream) -> None:
    _write(cext, upstream)
    proc = cext.jcb("build", "//src:wheel", "--check", "--progress=plain")
    assert "check: //src:wheel (wheel): reproducible" in proc.stdout.splitlines()
    assert "jcb: 1 of 1 stages reproducible" in proc.stdout
    proc = cext.jcb("build", "//src:app", "--check", "--progress=plain", check=False)
    (line,) = [line for line in proc.stdout.splitlines() if line.startswith("check: //src:app (layer): ")]
    verdict = line.removeprefix("check: //src:app (layer): ")
    # pip leaves files with install times in the layer: the verdict matches or names the file
    assert verdict == "reproducible" or (verdict.startswith("differs: ") and ": " in verdict[len("differs: "):])
    assert proc.returncode == (0 if verdict == "reproducible" else 1)


PROBE = 'container_layer(name = "probe", version = "1", steps = [run("echo {nonce} > /probe")])\n'


def test_the_base_image_is_pinned_by_its_id_in_the_lock(cext: Workspace) -> None:
    """A local base image whose ID is not jcb.lock's stops the build before any stage, naming both IDs;
    `jcb lock` verifies the pin the same way, `jcb lock --update` records the engine's ID."""
    cext.write("pkgs/probe/BUILD.star", PROBE.format(nonce=cext.prefix))
    ref = "jcb/debian:bookworm"
    image_id = subprocess.run([cext.docker, "image", "inspect", ref, "--format", "{{.Id}}"], capture_output=True,
                              text=True, check=True).stdout.strip()
    wrong = Digest("0" * 64)
    Lock(images={ref: LockedImage(wrong)}).write(cext.root / "jcb.lock")
    mismatch = (f"base image {ref} of platform 'bookworm': jcb.lock pins image {wrong}, but the engine's {ref} "
                f"is {image_id}; restore the locked image, or run 'jcb lock --update' to accept this one")
    proc, events = cext.build("//probe:probe", check=False)
    assert proc.returncode == 1 and events == [] and mismatch in proc.stderr
    proc = cext.jcb("lock", "//probe:probe", check=False)
    assert proc.returncode == 1 and mismatch in proc.stderr
    cext.jcb("lock", "--update", "//probe:probe")
    assert Lock.read(cext.root / "jcb.lock").images == {ref: LockedImage(Digest.parse(image_id))}
    _, events = cext.build("//probe:probe")
    assert by_label(events)["//probe:probe"] == "built"


PIP_LAYER = """\
container_layer(name = "deps", version = "1", deps = ["//build/pydev"], steps = [run(
    "echo {nonce} && PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --index-url {index} jcbdep-a==1.0",
    network = "host")])
"""


def _pure_wheel(index: Path, name: str, version: str, requires: list[str]) -> None:
    """A py3-none-any wheel of distribution ``name`` in ``index``/<name>/ (a PEP 503 directory)."""
    module = name.replace("-", "_")
    dist_info = f"{module}-{version}.dist-info"
    files = {f"{module}/__init__.py": "",
             f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" +
             "".join(f"Requires-Dist: {r}\n" for r in requires),
             f"{dist_info}/WHEEL": "Wheel-Version: 1.0\nGenerator: jcb-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    files[f"{dist_info}/RECORD"] = "".join(f"{path},,\n" for path in [*files, f"{dist_info}/RECORD"])
    (index / name).mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(index / name / f"{module}-{version}-py3-none-any.whl", "w") as whl:
        for path, text in files.items():
            whl.writestr(path, text)


def test_lock_pip_records_what_a_built_layer_installed_with_its_dependencies(cext: Workspace,
                                                                           tmp_path: Path) -> None:
    """`jcb lock --pip` reads a built layer's pip installs from its image: the pinned requirement and
    the dependency pip resolved for it (the newest jcbdep-b); a second run verifies, a changed entry fails."""
    index = tmp_path / "index" / "simple"
    _pure_wheel(index, "jcbdep-a", "1.0", ["jcbdep-b"])
    for version in ("1.0", "2.0"):
        _pure_wheel(index, "jcbdep-b", version, [])
    server = HttpServer(index.parent)
    try:
        url = f"{server.url}simple"
        cext.write("pkgs/pins/BUILD.star", PIP_LAYER.format(index=url, nonce=cext.prefix))
        proc = cext.jcb("lock", "--pip", "//pins:deps")  # nothing built yet: nothing recorded
        assert "//pins:deps: not recorded: its image is not built" in proc.stderr
        assert Lock.read(cext.root / "jcb.lock").pip == {}
        _, events = cext.build("//pins:deps")
    finally:
        server.stop()
    key = next(e.key for e in events if e.label == "//pins:deps")
    proc = cext.jcb("lock", "--pip", "//pins:deps")
    assert "1 layer(s)' pip installs" in proc.stdout
    lock = Lock.read(cext.root / "jcb.lock")
    assert lock.pip == {"//pins:deps bookworm": LockedPip((url,), (("jcbdep-a", "1.0"), ("jcbdep-b", "2.0")), key)}
    assert '"jcbdep-b": "2.0"' in (cext.root / "jcb.lock").read_text()
    cext.jcb("lock", "--pip", "//pins:deps")  # the same build again: verified, unchanged
    assert Lock.read(cext.root / "jcb.lock") == lock
    changed = LockedPip((url,), (("jcbdep-a", "1.0"), ("jcbdep-b", "1.0")), key)
    Lock(sources=lock.sources, images=lock.images, pip={"//pins:deps bookworm": changed}).write(cext.root / "jcb.lock")
    proc = cext.jcb("lock", "--pip", "//pins:deps", check=False)
    assert proc.returncode == 1
    assert ("//pins:deps bookworm: the layer's pip steps installed other versions than jcb.lock records "
            "(jcbdep-b==1.0, jcbdep-b==2.0); run 'jcb lock --pip --update' to accept them") in proc.stderr
