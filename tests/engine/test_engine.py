"""The engine adapter against the real daemon started by scripts/setup.sh (both builders)."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from jc_build.engine import (
    EngineUnavailable,
    SolveFailed,
    SolveRequest,
    detect_engine,
)
from jc_build.engine.base import CliEngine
from jc_build.engine.buildx import BuildxEngine

pytestmark = [
    pytest.mark.engine,
    pytest.mark.skipif(
        os.environ.get("JCB_SETUP_SKIP_ENGINE") == "1", reason="JCB_SETUP_SKIP_ENGINE=1"
    ),
]

BASE = "jcb/busybox:latest"
REGISTRY = "127.0.0.1:5000"


@pytest.fixture(scope="module", params=["docker", "buildx"])
def engine(request: pytest.FixtureRequest) -> CliEngine:
    # The docker builder must always work; its success proves the daemon answers,
    # so a failure of the buildx builder can only mean the plugin is missing.
    docker = detect_engine("docker")
    assert isinstance(docker, CliEngine)
    if request.param == "docker":
        return docker
    try:
        buildx = detect_engine("buildx")
    except EngineUnavailable as e:
        pytest.skip(f"no buildx plugin: {e}")
    assert isinstance(buildx, CliEngine)
    return buildx


@pytest.fixture
def ctx(tmp_path: Path) -> Path:
    d = tmp_path / "ctx"
    d.mkdir()
    (d / "hello.txt").write_text("from the context\n")
    return d


@pytest.fixture
def scratch_refs(engine: CliEngine) -> Iterator[list[str]]:
    """Refs a test tags or pulls; untagged afterwards so reruns do not pile up images."""
    refs: list[str] = []
    yield refs
    if refs:
        subprocess.run([engine.cli, "rmi", *refs], capture_output=True)


def nonce() -> str:
    """A fresh build arg value, so BuildKit cannot answer a RUN step from its cache."""
    return uuid.uuid4().hex


def test_detect_names_the_builder(engine: CliEngine) -> None:
    assert engine.name in ("buildx", "docker-buildkit")
    assert "runc" in engine.runtimes()


def test_build_with_run_step_and_build_arg(engine: CliEngine, ctx: Path, tmp_path: Path) -> None:
    tag = f"jcb-test/build:{engine.name}"
    log_path = tmp_path / "logs" / "build.log"
    req = SolveRequest(
        context_dir=ctx,
        dockerfile=(
            f"FROM {BASE}\nARG GREETING\nARG NONCE\nCOPY hello.txt /hello.txt\n"
            'RUN echo "$GREETING $NONCE" > /greeting.txt\n'
        ),
        tags=(tag,),
        build_args={"GREETING": "hello", "NONCE": nonce()},
        log_path=log_path,
    )
    lines: list[str] = []
    result = engine.solve(req, on_log_line=lines.append)

    assert result.image_id and result.image_id.startswith("sha256:")
    assert engine.image_id(tag) == result.image_id
    assert engine.image_exists(tag)
    assert result.log_path == log_path
    assert [x for x in log_path.read_text().splitlines() if x.strip()] == lines
    assert any("RUN echo" in line for line in lines)
    check = 'grep -q "^hello " /greeting.txt && grep -q context /hello.txt'
    argv = ["sh", "-c", check]
    assert engine.run(tag, argv, runtime=None, network="none", volumes=[], interactive=False) == 0
    assert engine.run(tag, ["false"], runtime=None, network=None, volumes=[], interactive=False) == 1
    files = tmp_path / "files"
    files.mkdir()
    (files / "t.sh").write_text("cat /greeting.txt; echo from-a-copied-file; exit 3\n")
    code, output = engine.run_with_files(tag, ["sh", "/jcb-tests/t.sh"], files, "/jcb-tests")
    assert code == 3 and output.splitlines()[-1] == "from-a-copied-file" and output.startswith("hello ")


def test_log_lines_stream_live(engine: CliEngine, ctx: Path) -> None:
    seen: dict[str, float] = {}

    def on_line(line: str) -> None:
        for word in ("jcb-first", "jcb-second"):
            if word in line and "echo" not in line:
                seen.setdefault(word, time.monotonic())

    req = SolveRequest(
        context_dir=ctx,
        dockerfile=f"FROM {BASE}\nARG NONCE\nRUN echo jcb-first; sleep 3; echo jcb-second\n",
        build_args={"NONCE": nonce()},
    )
    engine.solve(req, on_log_line=on_line)
    assert seen["jcb-second"] - seen["jcb-first"] > 2


def test_output_dir_exports_files(engine: CliEngine, ctx: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    req = SolveRequest(
        context_dir=ctx,
        dockerfile=f"FROM {BASE} AS build\nRUN echo built > /artifact.txt\n"
        "FROM scratch\nCOPY --from=build /artifact.txt /dist/artifact.txt\n",
        output_dir=out,
    )
    result = engine.solve(req)
    assert result.image_id is None
    assert (out / "dist" / "artifact.txt").read_text() == "built\n"


def test_secret_reaches_run_but_not_image(engine: CliEngine, ctx: Path, tmp_path: Path) -> None:
    secret_value = f"s3cret-{nonce()}"
    secret = tmp_path / "secret.txt"
    secret.write_text(secret_value)
    tag = f"jcb-test/secret:{engine.name}"
    log_path = tmp_path / "secret.log"
    req = SolveRequest(
        context_dir=ctx,
        dockerfile=(
            f"FROM {BASE}\n"
            "RUN --mount=type=secret,id=x cat /run/secrets/x > /dev/null"
            " && grep -q s3cret- /run/secrets/x && echo secret-seen > /proof.txt\n"
        ),
        tags=(tag,),
        secrets={"x": secret},
        log_path=log_path,
    )
    engine.solve(req)

    history = subprocess.run(
        [engine.cli, "history", "--no-trunc", tag], capture_output=True, text=True, check=True
    ).stdout
    assert secret_value not in history
    assert secret_value not in log_path.read_text()
    check = "grep -q secret-seen /proof.txt && test ! -s /run/secrets/x"
    argv = ["sh", "-c", check]
    assert engine.run(tag, argv, runtime=None, network=None, volumes=[], interactive=False) == 0


def test_failing_run_raises_with_log_tail(engine: CliEngine, ctx: Path, tmp_path: Path) -> None:
    log_path = tmp_path / "fail.log"
    req = SolveRequest(
        context_dir=ctx,
        dockerfile=f"FROM {BASE}\nARG NONCE\nRUN echo jcb-about-to-fail && exit 3\n",
        build_args={"NONCE": nonce()},
        log_path=log_path,
    )
    with pytest.raises(SolveFailed) as info:
        engine.solve(req)
    err = info.value
    assert err.log_path == log_path and log_path.exists()
    assert 0 < len(err.log_tail) <= 30
    assert any("jcb-about-to-fail" in line for line in err.log_tail)
    assert "jcb-about-to-fail" in str(err)


def test_push_pull_tag_through_local_registry(
    engine: CliEngine, ctx: Path, scratch_refs: list[str]
) -> None:
    req = SolveRequest(
        context_dir=ctx,
        dockerfile=f"FROM {BASE}\nARG NONCE\nRUN echo $NONCE > /nonce\n",
        build_args={"NONCE": nonce()},
        inline_cache=True,
    )
    image_id = engine.solve(req).image_id
    assert image_id
    ref = f"{REGISTRY}/jcb-test/pushed:{engine.name}-{nonce()[:8]}"
    scratch_refs.append(ref)
    engine.tag(image_id, ref)
    engine.push(ref)
    subprocess.run([engine.cli, "rmi", ref], capture_output=True, check=True)
    assert engine.pull(ref)
    assert engine.image_id(ref) == image_id
    assert not engine.pull(f"{REGISTRY}/jcb-test/missing:{nonce()[:8]}")
    assert engine.image_id(f"{REGISTRY}/jcb-test/missing:nope") is None


def registry_get(path: str, accept: str = "") -> bytes:
    req = urllib.request.Request(f"http://{REGISTRY}/v2/{path}", headers={"Accept": accept})
    with urllib.request.urlopen(req, timeout=10) as resp:
        data: bytes = resp.read()
    return data


def test_inline_cache_is_pushed_and_cache_from_imports_it(
    engine: CliEngine, ctx: Path, tmp_path: Path, scratch_refs: list[str]
) -> None:
    value = nonce()
    repo, tag = "jcb-test/cache", f"{engine.name}-{value[:8]}"
    ref = f"{REGISTRY}/{repo}:{tag}"
    scratch_refs.append(ref)
    dockerfile = f"FROM {BASE}\nARG NONCE\nRUN echo $NONCE > /nonce\n"
    engine.solve(SolveRequest(ctx, dockerfile, tags=(ref,), build_args={"NONCE": value}, inline_cache=True))
    engine.push(ref)

    manifest = json.loads(
        registry_get(f"{repo}/manifests/{tag}", "application/vnd.docker.distribution.manifest.v2+json")
    )
    config = registry_get(f"{repo}/blobs/{manifest['config']['digest']}")
    assert b"moby.buildkit.cache.v0" in config

    log = tmp_path / "cached.log"
    engine.solve(SolveRequest(ctx, dockerfile, build_args={"NONCE": value}, cache_from=(ref,), log_path=log))
    assert f"importing cache manifest from {ref}" in log.read_text()


def test_auto_falls_back_to_docker_buildkit_without_buildx(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A JetPack 5 host: Debian's 20.10 CLI, no buildx plugin."""
    cli = tmp_path / "docker"
    cli.write_text('#!/bin/sh\n[ "$1" = buildx ] && exit 1\nexec /usr/bin/docker "$@"\n')
    cli.chmod(0o755)
    monkeypatch.setenv("JCB_DOCKER_CLI", str(cli))
    assert detect_engine().name == "docker-buildkit"
    with pytest.raises(EngineUnavailable, match="buildx plugin"):
        detect_engine("buildx")
    monkeypatch.setenv("JCB_BUILDER", "buildx")
    with pytest.raises(EngineUnavailable, match="buildx plugin"):
        detect_engine()


def test_no_daemon_is_reported_with_a_remedy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such.sock")
    with pytest.raises(EngineUnavailable, match="scripts/setup.sh"):
        detect_engine("docker")


def test_unknown_builder_is_refused() -> None:
    with pytest.raises(EngineUnavailable, match="unknown builder"):
        detect_engine("kaniko")


def test_a_remembered_choice_makes_no_probing_call(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    cli = tmp_path / "docker"
    cli.write_text(f'#!/bin/sh\necho "$1" >> {calls}\nexec /usr/bin/docker "$@"\n')
    cli.chmod(0o755)
    monkeypatch.setenv("JCB_DOCKER_CLI", str(cli))
    remember = tmp_path / "state" / "engine.json"
    first = detect_engine("auto", remember=remember)
    probes = calls.read_text().split()
    assert "info" in probes and remember.is_file()
    again = detect_engine("auto", remember=remember)
    assert (again.name, again.cli) == (first.name, first.cli) and calls.read_text().split() == probes
    assert detect_engine("docker", remember=remember).name == "docker-buildkit"  # another builder: probed
    assert len(calls.read_text().split()) > len(probes)

    remember.write_text('{"fingerprint": [], "engine": "os.system", "cli": "x"}')  # data, never code
    assert detect_engine("auto", remember=remember).name == first.name


def test_a_remembered_choice_still_reports_a_daemon_that_does_not_answer(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    remember = tmp_path / "engine.json"
    engine = detect_engine("auto", remember=remember)
    monkeypatch.setattr("jc_build.engine.detect._fingerprint", lambda builder, clis, host: ["same"])
    remember.write_text(json.dumps({"fingerprint": ["same"], "engine": engine.name, "cli": engine.cli}))
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such.sock")
    remembered = detect_engine("auto", remember=remember)  # no probe: the daemon is not asked
    with pytest.raises(EngineUnavailable, match="no Docker daemon answers.*scripts/setup.sh"):
        remembered.image_id("jcb/debian:bookworm")


def test_a_remembered_cli_that_is_not_found_now_is_not_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    remember = tmp_path / "engine.json"
    monkeypatch.setattr("jc_build.engine.detect._fingerprint", lambda builder, clis, host: ["same"])
    evil = tmp_path / "evil"
    remember.write_text(json.dumps({"fingerprint": ["same"], "engine": "buildx", "cli": str(evil)}))
    engine = detect_engine("auto", remember=remember)  # the file is data: its CLI must be one found on PATH
    assert engine.cli != str(evil) and json.loads(remember.read_text())["cli"] == engine.cli


def test_buildx_builds_run_the_plugin_directly(tmp_path: Path, ctx: Path) -> None:
    try:
        detected = detect_engine("buildx")
    except EngineUnavailable as e:
        pytest.skip(f"no buildx plugin: {e}")
    assert isinstance(detected, BuildxEngine) and detected.plugin and os.path.isfile(detected.plugin)
    calls = tmp_path / "calls"
    plugin = tmp_path / "docker-buildx"  # records how it was started, then is the real plugin
    plugin.write_text(f'#!/bin/sh\necho "$BUILDX_GIT_INFO $DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND $*" >> {calls}\n'
                      f'exec {detected.plugin} "$@"\n')
    plugin.chmod(0o755)
    engine = BuildxEngine(detected.cli, detected.host, str(plugin))
    tag = "jcb-test/plugin:direct"
    req = SolveRequest(context_dir=ctx, dockerfile=f"FROM {BASE}\nARG NONCE\nRUN echo $NONCE > /n\n",
                       tags=(tag,), build_args={"NONCE": nonce()}, network="none")
    result = engine.solve(req)
    assert result.image_id == engine.image_id(tag)
    started = calls.read_text().split()
    assert started[:4] == ["0", detected.cli, "buildx", "build"] and "--network" in started


def test_a_remembered_plugin_outside_the_plugin_directories_is_not_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    remember = tmp_path / "engine.json"
    monkeypatch.setattr("jc_build.engine.detect._fingerprint", lambda builder, clis, host: ["same"])
    engine = detect_engine("buildx", remember=remember)
    evil = tmp_path / "docker-buildx"
    evil.write_text("#!/bin/sh\nexit 0\n")
    evil.chmod(0o755)
    record = {"fingerprint": ["same"], "engine": "buildx", "cli": engine.cli, "plugin": str(evil)}
    remember.write_text(json.dumps(record))
    again = detect_engine("buildx", remember=remember)
    assert isinstance(again, BuildxEngine) and again.plugin is None  # the file is data: through the CLI then
