"""Choose an engine: a docker CLI with buildx when there is one, else ``DOCKER_BUILDKIT=1``.

``builder`` (or ``$JCB_BUILDER``): ``auto`` (default), ``buildx`` or ``docker``.
``$JCB_DOCKER_CLI`` names the docker CLI to use; otherwise ``docker`` on PATH and
``/usr/bin/docker`` (Debian's 20.10 CLI) are tried in that order.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from jc_build.engine.base import CliEngine, host_flags
from jc_build.engine.buildx import BuildxEngine
from jc_build.engine.classic import DockerBuildkitEngine
from jc_build.engine.errors import HOW_TO_START, EngineUnavailable
from jc_build.engine.model import Engine

BUILDERS = ("auto", "buildx", "docker")
_ENGINES: dict[str, type[CliEngine]] = {"buildx": BuildxEngine, "docker-buildkit": DockerBuildkitEngine}
_PLUGIN_DIRS = ("~/.docker/cli-plugins", "/usr/local/lib/docker/cli-plugins", "/usr/local/libexec/docker/cli-plugins",
                "/usr/lib/docker/cli-plugins", "/usr/libexec/docker/cli-plugins")
_DOCKER_ENV = ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG", "PATH")


def detect_engine(builder: str | None = None, host: str = "", remember: Path | None = None) -> Engine:
    """An engine whose daemon answers; raises EngineUnavailable saying what to do otherwise.
    ``host``: the daemon (a docker host URL or context name, see ``host_flags``), else the default.

    With ``remember`` (a JSON file), the choice is kept there and reused while the CLIs, their
    buildx plugins, the host and the docker environment are unchanged: no probing calls then (a
    no-op build's first daemon call finds a daemon that does not answer; ``CliEngine`` says so).
    """
    builder = builder or os.environ.get("JCB_BUILDER") or "auto"
    if builder not in BUILDERS:
        raise EngineUnavailable(f"unknown builder {builder!r}: use one of {', '.join(BUILDERS)}")
    clis = _candidate_clis()
    if not clis:
        raise EngineUnavailable(f"no docker CLI found (tried {_tried()}). {HOW_TO_START}")
    fingerprint = _fingerprint(builder, clis, host)
    if remember is not None and (known := _remembered(remember, fingerprint, clis, host)) is not None:
        return known
    engine = _probe(builder, clis, host)
    if remember is not None:
        _remember(remember, fingerprint, engine)
    return engine


def _probe(builder: str, clis: list[str], host: str) -> CliEngine:
    engine: CliEngine | None = None
    if builder in ("auto", "buildx"):
        cli = next((c for c in clis if _has_buildx(c)), None)
        engine = BuildxEngine(cli, host, _buildx_plugin(cli, host)) if cli else None
        if engine is None and builder == "buildx":
            raise EngineUnavailable(
                f"no docker CLI with the buildx plugin among {', '.join(clis)}; "
                "`bash scripts/setup.sh` installs it, or use the `docker` builder"
            )
    if engine is None:
        engine = _classic_engine(clis, host)
    _check_daemon(engine.argv, host)
    return engine


def _fingerprint(builder: str, clis: list[str], host: str) -> list[object]:
    """What the choice depends on: the builder asked for, the CLIs, plugins, host and environment."""
    files = [*clis, *(str(Path(d).expanduser() / "docker-buildx") for d in _PLUGIN_DIRS)]
    stats = []
    for path in files:
        try:
            st = os.stat(path)
            stats.append([path, st.st_mtime_ns, st.st_size, st.st_ino])
        except OSError:
            stats.append([path, None])
    return [builder, host, stats, [os.environ.get(name) for name in _DOCKER_ENV]]


def _remembered(path: Path, fingerprint: list[object], clis: list[str], host: str) -> CliEngine | None:
    """The remembered engine, if its fingerprint matches and its CLI is one found now (data, not code)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["fingerprint"] == fingerprint and data["engine"] in _ENGINES and data["cli"] in clis:
            if data["engine"] == BuildxEngine.name:
                return BuildxEngine(str(data["cli"]), host, _known_plugin(data.get("plugin")))
            return _ENGINES[data["engine"]](str(data["cli"]), host)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def _known_plugin(path: object) -> str | None:
    """A remembered plugin path, if it is a buildx binary in one of the fingerprinted plugin
    directories (the file is data: it never names a program of its own choosing)."""
    known = {str(Path(d).expanduser() / "docker-buildx") for d in _PLUGIN_DIRS}
    return path if isinstance(path, str) and path in known and os.path.isfile(path) else None


def _remember(path: Path, fingerprint: list[object], engine: CliEngine) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        record = {"fingerprint": fingerprint, "engine": engine.name, "cli": engine.cli,
                  "plugin": engine.plugin if isinstance(engine, BuildxEngine) else None}
        tmp.write_text(json.dumps(record), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # only a shortcut for the next run


def _tried() -> str:
    return os.environ.get("JCB_DOCKER_CLI") or "docker on PATH, /usr/bin/docker"


def _candidate_clis() -> list[str]:
    explicit = os.environ.get("JCB_DOCKER_CLI")
    names = [explicit] if explicit else ["docker", "/usr/bin/docker"]
    found = [shutil.which(name) for name in names]
    return list(dict.fromkeys(os.path.realpath(c) for c in found if c))


def _classic_engine(clis: list[str], host: str) -> DockerBuildkitEngine:
    """A CLI that builds with BuildKit by itself (< 23), else one whose ``build`` is buildx."""
    for cli in clis:
        if _client_major(cli) < 23:
            return DockerBuildkitEngine(cli, host)
    for cli in clis:
        if _has_buildx(cli):
            return DockerBuildkitEngine(cli, host)
    raise EngineUnavailable(
        f"{', '.join(clis)}: Docker >= 23 CLIs need the buildx plugin for BuildKit builds; "
        "`bash scripts/setup.sh` installs it"
    )


def _has_buildx(cli: str) -> bool:
    return _run(cli, "buildx", "version").returncode == 0


def _buildx_plugin(cli: str, host: str) -> str | None:
    """The buildx plugin binary ``cli`` runs (as its ``docker info`` lists it), if it is one that
    ``_known_plugin`` accepts (the same rule as for a remembered one); None otherwise."""
    listing = "{{range .ClientInfo.Plugins}}{{if eq .Name \"buildx\"}}{{.Path}}{{end}}{{end}}"
    proc = _run(cli, *host_flags(host), "info", "--format", listing, timeout=30)
    return _known_plugin(proc.stdout.strip()) if proc.returncode == 0 else None


def _client_major(cli: str) -> int:
    # Prints the client version even when no daemon answers (exit code 1 then).
    out = _run(cli, "version", "--format", "{{.Client.Version}}").stdout.strip()
    try:
        return int(out.split(".")[0])
    except ValueError:
        return 0


def _check_daemon(argv: list[str], host: str) -> None:
    proc = _run(*argv, "info", "--format", "{{.ServerVersion}}", timeout=30)
    if proc.returncode != 0 or not proc.stdout.strip():
        reason = (proc.stderr.strip().splitlines() or ["no answer"])[-1]
        if host:
            raise EngineUnavailable(f"builder {host}: no Docker daemon answers ({reason})")
        raise EngineUnavailable(f"no Docker daemon answers ({argv[0]}: {reason}). {HOW_TO_START}")


def _run(cli: str, *args: str, timeout: float = 15) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            [cli, *args], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        return subprocess.CompletedProcess([cli, *args], 1, "", str(e))
