"""What both engines share: a docker CLI, image/registry/run operations, build logs."""

from __future__ import annotations

import abc
import collections
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from jc_build.engine.engine_socket import inspect_images, socket_path
from jc_build.engine.errors import HOW_TO_START, EngineError, EngineUnavailable, SolveFailed
from jc_build.engine.model import ImageInfo, LogCallback, SolveRequest, SolveResult

if TYPE_CHECKING:
    from python_on_whales import DockerClient

TAIL_LINES = 30
# Daemon messages of a pull whose image simply is not there.
_DAEMON_DOWN = "Cannot connect to the Docker daemon"
_MISSING_MARKERS = ("not found", "manifest unknown", "does not exist", "pull access denied")


class BuildLog:
    """Receives build output line by line: full log file, live callback, last lines."""

    def __init__(self, path: Path | None, on_line: LogCallback | None):
        self.path = path
        self._on_line = on_line
        self.tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
        self._file: IO[str] | None = None

    def __enter__(self) -> BuildLog:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("w", encoding="utf-8")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.close()

    def feed(self, chunk: str) -> None:
        """Take one or more lines of output (trailing newlines optional)."""
        for line in chunk.splitlines():
            if self._file is not None:
                self._file.write(line + "\n")
                self._file.flush()
            if not line.strip():
                continue  # kept in the file; useless in a tail or a status line
            self.tail.append(line)
            if self._on_line is not None:
                self._on_line(line)

    def failed(self, message: str) -> SolveFailed:
        return SolveFailed(message, list(self.tail), self.path)


def metadata_image_id(metadata: Path) -> str | None:
    """The image ID from buildx's ``--metadata-file`` (docker driver: the config digest)."""
    try:
        data = json.loads(metadata.read_text())
    except (OSError, ValueError):
        return None
    digest = data.get("containerimage.config.digest") or data.get("containerimage.digest")
    return str(digest) if digest else None


@contextmanager
def staged_dockerfile(req: SolveRequest) -> Iterator[Path]:
    """A scratch directory outside the context holding ``Dockerfile`` from ``req``."""
    with tempfile.TemporaryDirectory(prefix="jcb-solve-", dir=req.scratch_dir) as tmp:
        scratch = Path(tmp)
        (scratch / "Dockerfile").write_text(req.dockerfile, encoding="utf-8")
        yield scratch


class CliEngine(abc.ABC):
    """Image, registry and container operations through one docker CLI binary."""

    name: str

    def __init__(self, cli: str, host: str = ""):
        self.cli = cli
        self.host = host
        self.argv = [cli, *host_flags(host)]  # the CLI and the daemon it talks to

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} cli={self.cli} host={self.host or 'default'}>"

    def answers(self, timeout_s: float = 20) -> bool:
        """Whether the daemon answers now (a builder that died mid-build does not)."""
        try:
            proc = subprocess.run([*self.argv, "version", "--format", "{{.Server.Version}}"], capture_output=True,
                                  text=True, timeout=timeout_s, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired):
            return False
        return proc.returncode == 0 and bool(proc.stdout.strip())

    @abc.abstractmethod
    def solve(self, req: SolveRequest, on_log_line: LogCallback | None = None) -> SolveResult:
        """Build ``req``, streaming each log line to ``on_log_line``."""

    @cached_property
    def _docker(self) -> DockerClient:
        from python_on_whales import DockerClient

        return DockerClient(client_call=self.argv)

    @cached_property
    def _socket(self) -> str | None:
        return socket_path(self.host)

    def _inspect(self, refs: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """ID -> tags of the images among ``refs`` that exist: asked over the daemon's socket where
        jcb knows it (``engine_socket``), else in one ``docker image inspect`` call (the CLI, not
        python_on_whales: a no-op build must not pay for importing it)."""
        if not refs:
            return {}
        if self._socket is not None and (found := inspect_images(self._socket, refs)) is not None:
            return found
        proc = subprocess.run([*self.argv, "image", "inspect", "--format", "{{.Id}}{{range .RepoTags}} {{.}}{{end}}",
                               *refs], capture_output=True, text=True)
        if proc.returncode != 0 and _DAEMON_DOWN in proc.stderr:
            where = f"builder {self.host}" if self.host else self.cli
            raise EngineUnavailable(f"no Docker daemon answers ({where}: {_last_line(proc.stderr)}). "
                                    f"{'' if self.host else HOW_TO_START}".rstrip())
        return {words[0]: tuple(words[1:]) for line in proc.stdout.splitlines() if (words := line.split())}

    def _inspect_ids(self, refs: Sequence[str]) -> list[str]:
        return list(self._inspect(refs))

    def images(self, refs: Sequence[str] | None = None) -> list[ImageInfo]:
        """Details of the images among ``refs`` that exist (every image for None), in one
        ``docker image inspect`` call."""
        if refs is None:
            listed = subprocess.run([*self.argv, "image", "ls", "-q", "--no-trunc"], capture_output=True, text=True)
            refs = list(dict.fromkeys(listed.stdout.split()))
        if not refs:
            return []
        proc = subprocess.run([*self.argv, "image", "inspect", "--format", _IMAGE_FORMAT, *refs],
                              capture_output=True, text=True)
        return [_image_info(json.loads(line)) for line in proc.stdout.splitlines() if line.strip()]

    def remove_image(self, ref: str) -> bool:
        """``docker rmi REF`` (no force: an image a container uses stays); whether it went."""
        return subprocess.run([*self.argv, "rmi", ref], capture_output=True, text=True).returncode == 0

    def image_exists(self, ref: str) -> bool:
        return bool(self._inspect_ids([ref]))

    def existing_images(self, image_ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """The images among ``image_ids`` that exist, with their tags."""
        found = self._inspect(list(dict.fromkeys(image_ids)))
        return {image_id: found[image_id] for image_id in image_ids if image_id in found}

    def image_id(self, ref: str) -> str | None:
        ids = self._inspect_ids([ref])
        return ids[0] if ids else None

    def tag(self, image_id: str, ref: str) -> None:
        # The CLI directly: tagging cached layers is on the no-op path (see _inspect_ids).
        proc = subprocess.run([*self.argv, "tag", image_id, ref], capture_output=True, text=True)
        if proc.returncode != 0:
            raise EngineError(f"cannot tag {image_id} as {ref}: {_last_line(proc.stderr)}")

    def push(self, ref: str) -> None:
        self._call(lambda: self._docker.image.push(ref, quiet=True), f"push {ref}")

    def pull(self, ref: str) -> bool:
        from python_on_whales.exceptions import DockerException

        try:
            self._docker.image.pull(ref, quiet=True)
        except DockerException as e:
            if any(m in (e.stderr or "").lower() for m in _MISSING_MARKERS):
                return False
            raise EngineError(f"cannot pull {ref}: {_last_line(e.stderr)}") from None
        return True

    def run(
        self,
        image: str,
        argv: list[str],
        *,
        runtime: str | None,
        network: str | None,
        volumes: list[tuple[str, str]],
        interactive: bool,
        remove: bool = True,
    ) -> int:
        """``docker run`` with this process's stdio (so output shows live); its exit code."""
        cmd = [*self.argv, "run"]
        if remove:
            cmd.append("--rm")
        if interactive:
            cmd += ["-it"] if sys.stdin.isatty() else ["-i"]
        if runtime:
            cmd += ["--runtime", runtime]
        if network:
            cmd += ["--network", network]
        for host, container in volumes:
            cmd += ["-v", f"{host}:{container}"]
        return subprocess.call([*cmd, image, *argv], stdin=None if interactive else subprocess.DEVNULL)

    def runtimes(self) -> set[str]:
        return set(self._docker.system.info().runtimes or {})

    def run_with_files(self, image: str, argv: list[str], files: Path, dest: str,
                       network: str = "none") -> tuple[int, str]:
        """Run ``argv`` in a fresh container of ``image`` after copying the contents of the directory
        ``files`` to ``dest`` in it; its exit code and output. The files go over the daemon's API
        (``docker cp``), never a bind mount, so a daemon on another machine runs it just the same."""
        created = subprocess.run([*self.argv, "create", "--network", network, image, *argv],
                                 capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if created.returncode != 0:
            raise EngineError(f"cannot create a container of {image}: {_last_line(created.stderr)}")
        container = created.stdout.strip()
        try:
            copied = subprocess.run([*self.argv, "cp", f"{files}/.", f"{container}:{dest}"],
                                    capture_output=True, text=True)
            if copied.returncode != 0:
                raise EngineError(f"cannot copy {files} into a container of {image}: {_last_line(copied.stderr)}")
            ran = subprocess.run([*self.argv, "start", "--attach", container], capture_output=True, text=True,
                                 errors="replace", stdin=subprocess.DEVNULL)
            return ran.returncode, ran.stdout + ran.stderr
        finally:
            subprocess.run([*self.argv, "rm", "--force", container], capture_output=True)

    def _call(self, fn: Callable[[], object], what: str) -> None:
        from python_on_whales.exceptions import DockerException

        try:
            fn()
        except DockerException as e:
            raise EngineError(f"cannot {what}: {_last_line(e.stderr)}") from None


_IMAGE_FORMAT = '{"id":{{json .Id}},"size":{{json .Size}},"layers":{{json .RootFS.Layers}},"tags":{{json .RepoTags}}}'


def _image_info(data: dict[str, Any]) -> ImageInfo:
    return ImageInfo(data["id"], int(data["size"] or 0), tuple(data["layers"] or ()), tuple(data["tags"] or ()))


def host_flags(host: str) -> list[str]:
    """The docker CLI's global flags for a builder: ``--host`` for a URL (``unix://``, ``tcp://``,
    ``ssh://``), ``--context`` for a docker context's name; none for the default daemon."""
    if not host:
        return []
    return ["--host", host] if "://" in host else ["--context", host]


def _last_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[-1] if lines else "unknown error"
