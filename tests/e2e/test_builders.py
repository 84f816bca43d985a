"""Builders with empty daemons share through the remote cache, for real: a second dockerd (builder
B: own data root, exec root, socket and bridge) and registries of the tests' own on loopback."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from e2e_helpers import Workspace, by_label
from e2e_lab_helpers import (
    Daemon,
    Registry,
    docker_config,
    restart_registry,
    start_daemon,
    start_registry,
    stop,
    stop_daemon,
    untag,
)

from jc_build.execution import read_events

pytestmark = pytest.mark.engine

ROOTS = ("//app", "//cli", "//motd")
BASE = "jcb/debian:bookworm"
CERTS_D = Path("/etc/docker/certs.d")


@pytest.fixture
def daemon_b(tmp_path: Path, docker_cli: str) -> Iterator[Daemon]:
    daemon = start_daemon(tmp_path / "daemon-b")
    yield daemon
    stop_daemon(daemon)
    shutil.rmtree(tmp_path / "daemon-b", ignore_errors=True)


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    reg = start_registry(tmp_path / "registry")
    yield reg
    stop(reg.proc.pid)
    untag(reg.host)


def _image_ids(docker: list[str], prefix: str) -> dict[str, str]:
    out = subprocess.run([*docker, "images", "--no-trunc", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"],
                         capture_output=True, text=True, check=True).stdout
    return dict(line.split() for line in out.splitlines() if line.startswith((f"{prefix}/", BASE)))


def _on(ws: Workspace, daemon: Daemon, cache: str, **env: str) -> Workspace:
    return replace(ws, cache=ws.root.parent / cache, env={"DOCKER_HOST": daemon.host, **env})


def test_builder_with_an_empty_daemon_builds_nothing(cext: Workspace, daemon_b: Daemon, registry: Registry) -> None:
    remote = f"--remote-cache={registry.host}/lab"
    proc, events = cext.build(*ROOTS, remote)
    assert "failed" not in by_label(events).values(), proc.stderr
    assert daemon_b.docker("images", "-q").stdout == ""  # B: an empty daemon ...
    b = _on(cext, daemon_b, "cache-b")  # ... and an empty cache

    proc, events = b.build(*ROOTS, remote)
    assert set(by_label(events).values()) == {"pulled"}, proc.stdout + proc.stderr
    assert sum(e.solves for e in events) == 0 and "0 built; 0 solves" in proc.stdout
    assert "warning" not in proc.stderr, proc.stderr
    a_ids = _image_ids(["docker"], cext.prefix)
    b_ids = _image_ids(["docker", "-H", daemon_b.host], cext.prefix)
    assert b_ids[BASE] == a_ids[BASE]  # the base image came from the cache, by digest
    for name in (f"{cext.prefix}/app:1.0", f"{cext.prefix}/cli:1.0", f"{cext.prefix}/motd:1.0"):
        assert b_ids[name] == a_ids[name]
    assert b.docker_run(f"{cext.prefix}/app:1.0", "python3", "-c", "import hello; print(hello.greet())") \
        == "hello from C\n"
    stats = json.loads(b.jcb("cache", "stats", "--output=json").stdout)
    assert stats["hits"]["remote"] == 5 and stats["built"] == 0 and stats["bytes_moved"]["down"] > 0
    assert stats["time_saved_s"] > 0


def test_htpasswd_and_tls_from_a_private_ca(cext: Workspace, daemon_b: Daemon, tmp_path: Path) -> None:
    user, password = "builder", f"pw-{uuid.uuid4().hex[:12]}"
    reg = start_registry(tmp_path / "secure", user=user, password=password, tls=True)
    certs = CERTS_D / reg.host  # where dockerd and jcb look for the registry's CA
    try:
        certs.mkdir(parents=True)
        assert reg.ca is not None
        shutil.copy(reg.ca, certs / "ca.crt")
        config = docker_config(tmp_path / "docker-config", reg.host, user, password)
        remote = f"--remote-cache=https://{reg.host}/lab"
        a = replace(cext, env={"DOCKER_CONFIG": str(config)})
        proc, events = a.build(*ROOTS, remote)
        assert "failed" not in by_label(events).values() and "warning" not in proc.stderr, proc.stderr
        assert password not in proc.stdout + proc.stderr

        b = _on(cext, daemon_b, "cache-b", DOCKER_CONFIG=str(config))
        proc, events = b.build(*ROOTS, remote)
        assert set(by_label(events).values()) == {"pulled"}, proc.stdout + proc.stderr
        assert "warning" not in proc.stderr and password not in proc.stdout + proc.stderr

        anonymous = _on(cext, daemon_b, "cache-b", DOCKER_CONFIG=str(tmp_path / "no-login"))
        proc, events = anonymous.build("//motd", remote)
        assert proc.stderr.count("not authorized") == 1, proc.stderr  # one warning, then local only
        assert by_label(events)["//motd:motd"] == "cached"
    finally:
        stop(reg.proc.pid)
        untag(reg.host)
        shutil.rmtree(certs, ignore_errors=True)


def test_registry_down_mid_build_then_cache_push(cext: Workspace, registry: Registry) -> None:
    remote = f"--remote-cache={registry.host}/lab"
    log = cext.root / "events.jsonl"
    proc = subprocess.Popen([*_jcb(), "build", *ROOTS, remote, f"--event-log={log}", "--progress=plain"],
                            cwd=cext.root, env=_env(cext), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while not (log.exists() and log.read_text().strip()) and proc.poll() is None:
        time.sleep(0.2)
    stop(registry.proc.pid)  # the first stage is done; the others are still to come
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    assert "not in it yet; `jcb cache push` uploads them" in err, err
    assert err.count("is down") == 1, err

    restart_registry(registry)
    pushed = cext.jcb("cache", "push", remote)
    assert pushed.stdout.startswith("uploaded ") and "0 still pending" in pushed.stdout, pushed.stdout
    fresh = replace(cext, cache=cext.root.parent / "cache-fresh")
    proc2, events = fresh.build(*ROOTS, remote)
    assert set(by_label(events).values()) == {"pulled"}, proc2.stdout + proc2.stderr
    assert "warning" not in proc2.stderr, proc2.stderr


def test_tampered_layer_blob_is_a_miss_and_builds_here(cext: Workspace, daemon_b: Daemon,
                                                       registry: Registry) -> None:
    remote = f"--remote-cache={registry.host}/lab"
    cext.build("//motd", remote)
    _tamper_top_layer(registry, "lab/jcb-cache-images", _top_image_tag(registry))
    b = _on(cext, daemon_b, "cache-b")
    proc, events = b.build("//motd", remote)
    assert by_label(events)["//motd:motd"] == "built", proc.stdout + proc.stderr
    assert "cached image of //motd:motd is unusable" in proc.stderr
    # The next builder (empty cache again, image gone): B's rebuild replaced the entry and image,
    # so it pulls that one; had the rebuilt layer been the very same blob, it would build again.
    daemon_b.docker("rmi", f"{cext.prefix}/motd:1.0")
    proc, events = _on(cext, daemon_b, "cache-b2").build("//motd", remote)
    outcome = by_label(events)["//motd:motd"]
    assert outcome == "pulled" or (outcome == "built" and "is unusable" in proc.stderr), proc.stderr


def test_tampered_wheel_blob_is_a_miss_and_builds_here(cext: Workspace, registry: Registry) -> None:
    remote = f"--remote-cache={registry.host}/lab"
    proc, events = cext.build("//hello:wheel", remote)
    entry = _manifest(registry, "lab/jcb-cache", f"ac-{events[-1].key}")
    wheel = next(layer for layer in entry["layers"] if layer["annotations"]["org.opencontainers.image.title"]
                 .endswith(".whl"))
    _tamper_blob(registry, wheel["digest"])
    for cache in ("cache-b", "cache-b2"):
        other = replace(cext, cache=cext.root.parent / cache)
        proc, events = other.build("//hello:wheel", remote)
        assert by_label(events)["//hello:wheel"] == "built", proc.stderr
        assert f"blob {wheel['digest']} arrived as" in proc.stderr


def _default_host() -> str:
    return subprocess.run(["docker", "context", "inspect", "default", "--format", "{{.Endpoints.docker.Host}}"],
                          capture_output=True, text=True, check=True).stdout.strip()


def _built_once(events: list) -> dict[str, str]:
    """label -> the builder that built it; fails unless every stage that was built was built once."""
    built = [e for e in events if e.outcome == "built"]
    assert len({e.key for e in built}) == len(built), [(e.label, e.builder) for e in built]
    return {e.label: e.builder for e in built}


def test_builders_spread_one_graph_over_two_daemons(cext: Workspace, daemon_b: Daemon, registry: Registry,
                                                    tmp_path: Path) -> None:
    config = tmp_path / "docker-config"  # builder B as a docker context, A as a unix socket
    context = f"jcb-lab-{uuid.uuid4().hex[:6]}"
    subprocess.run(["docker", "--config", str(config), "context", "create", context, "--docker",
                    f"host={daemon_b.host}"], capture_output=True, check=True)
    a = replace(cext, env={"DOCKER_CONFIG": str(config)})
    proc, events = a.build(*ROOTS, f"--remote-cache={registry.host}/lab", f"--builders={_default_host()},{context}",
                           "--jobs=1")
    assert "failed" not in by_label(events).values(), proc.stderr
    where = _built_once(events)
    assert set(where.values()) == {_default_host(), context}, where  # both daemons built stages
    assert "//app:app" in where and "//cli:cli" in where  # their image tests ran wherever they were built
    for root in ("app", "cli", "motd"):  # the roots' images end on the first builder
        assert subprocess.run(["docker", "image", "inspect", f"{cext.prefix}/{root}:1.0"],
                              capture_output=True).returncode == 0
    assert cext.docker_run(f"{cext.prefix}/app:1.0", "python3", "-c", "import hello; print(hello.greet())") \
        == "hello from C\n"


def test_killing_a_builder_mid_build_reschedules_its_stages(cext: Workspace, daemon_b: Daemon,
                                                           registry: Registry) -> None:
    nonce = uuid.uuid4().hex[:8]
    for n in (1, 2):
        cext.write(f"pkgs/slow{n}/BUILD.star", f'''container_layer(name = "slow{n}", version = "1.0",
    deps = ["//build/pydev"], steps = [run("sleep 25 && echo slow{n} {nonce} > /slow{n}")])\n''')
    log = cext.root / "events.jsonl"
    argv = [*_jcb(), "build", "//slow1", "//slow2", f"--remote-cache={registry.host}/lab", "--jobs=1",
            f"--builders={_default_host()},{daemon_b.host}", f"--event-log={log}", "--progress=plain"]
    proc = subprocess.Popen(argv, cwd=cext.root, env=_env(cext), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if "] building: " in line and "slow" in line and line.rstrip().endswith(f"on {daemon_b.host}"):
            time.sleep(3)  # into its solve
            stop_daemon(daemon_b)
            break
    out, err = proc.communicate(timeout=600)
    err = "".join(seen) + err
    assert proc.returncode == 0, err
    assert f"builder {daemon_b.host} stopped answering" in err, err
    where = _built_once(read_events(log))
    assert where["//slow1:slow1"] == where["//slow2:slow2"] == _default_host(), where  # B's slow one moved to A
    assert out.startswith("jcb: ")


# -- helpers ------------------------------------------------------------------------
def _jcb() -> list[str]:
    from e2e_helpers import JCB
    return JCB


def _env(ws: Workspace) -> dict[str, str]:
    from e2e_helpers import jcb_env
    return {**jcb_env(ws.cache), **ws.env}


def _manifest(registry: Registry, repo: str, tag: str) -> dict:
    req = urllib.request.Request(f"http://{registry.host}/v2/{repo}/manifests/{tag}", headers={
        "Accept": "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)


def _top_image_tag(registry: Registry) -> str:
    """The layer image with the most layers: the top of the one chain that was built."""
    with urllib.request.urlopen(f"http://{registry.host}/v2/lab/jcb-cache-images/tags/list", timeout=10) as resp:
        tags = [t for t in json.load(resp)["tags"] if not t.startswith("base-")]
    return max(tags, key=lambda t: len(_manifest(registry, "lab/jcb-cache-images", t)["layers"]))


def _tamper_top_layer(registry: Registry, repo: str, tag: str) -> None:
    _tamper_blob(registry, _manifest(registry, repo, tag)["layers"][-1]["digest"])


def _tamper_blob(registry: Registry, digest: str) -> None:
    hexd = digest.removeprefix("sha256:")
    data = registry.config.parent / "registry-data" / "docker/registry/v2/blobs/sha256" / hexd[:2] / hexd / "data"
    raw = bytearray(data.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    data.write_bytes(bytes(raw))
