"""Loopback servers for source tests: a ``git daemon`` and an HTTP file server, each a process
listening on 127.0.0.1 at a free port and stopped by its PID; makers for a repo and a tarball; a fetcher that records its events."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import socket
import subprocess
import sys
import tarfile
import time
from pathlib import Path

from jc_build.cache import LocalCache
from jc_build.sources.fetcher import FetchEvent, SourceFetcher
from jc_build.sources.mirrors import MirrorMap

_GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_AUTHOR_NAME": "jcb test",
            "GIT_AUTHOR_EMAIL": "test@jcb.invalid", "GIT_COMMITTER_NAME": "jcb test",
            "GIT_COMMITTER_EMAIL": "test@jcb.invalid"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LoopbackServer:
    """A server process on 127.0.0.1:<port>; ``stop()`` signals exactly the PID it started."""

    def __init__(self, argv_for_port: list[str], port: int):
        self.port = port
        self.proc = subprocess.Popen(argv_for_port, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     env={**os.environ, **_GIT_ENV})
        deadline = time.monotonic() + 20
        while not _accepts(port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{argv_for_port[0]} did not listen on 127.0.0.1:{port}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def _accepts(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


class GitDaemon(LoopbackServer):
    """``git daemon`` exporting every repository under ``base`` as ``git://127.0.0.1:<port>/<name>``."""

    def __init__(self, base: Path):
        port = free_port()
        super().__init__(["git", "daemon", "--reuseaddr", "--listen=127.0.0.1", f"--port={port}",
                          f"--base-path={base}", "--export-all", "--informative-errors", str(base)], port)
        self.url = f"git://127.0.0.1:{port}/"


class HttpServer(LoopbackServer):
    """Python's ``http.server`` serving ``root`` as ``http://127.0.0.1:<port>/``."""

    def __init__(self, root: Path):
        port = free_port()
        super().__init__([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "--directory", str(root),
                          str(port)], port)
        self.url = f"http://127.0.0.1:{port}/"


def git(cwd: Path, *args: str, date: int = 1_700_000_000) -> str:
    """Run git in ``cwd`` with a fixed identity and dates; return stdout."""
    env = {**os.environ, **_GIT_ENV, "GIT_AUTHOR_DATE": f"@{date} +0000", "GIT_COMMITTER_DATE": f"@{date} +0000"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def make_repo(work: Path, files: dict[str, str], *, date: int = 1_700_000_000) -> str:
    """Create (or add a commit to) the repository at ``work`` with ``files``; return the commit."""
    if not (work / ".git").exists():
        work.mkdir(parents=True, exist_ok=True)
        git(work, "init", "--quiet", "--initial-branch=main")
    for rel, text in files.items():
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        (work / rel).write_text(text)
    git(work, "add", "--all")
    git(work, "commit", "--quiet", "-m", f"commit at {date}", date=date)
    return git(work, "rev-parse", "HEAD").strip()


def publish(work: Path, base: Path, name: str) -> Path:
    """Mirror ``work`` as the bare repository ``base/name`` (what the daemon serves); return its path."""
    bare = base / name
    if bare.exists():
        git(work, "push", "--quiet", "--mirror", str(bare))
    else:
        git(base, "clone", "--quiet", "--mirror", str(work), name)
    return bare


def make_tarball(path: Path, files: dict[str, str], *, mtime: int = 1_700_000_000) -> str:
    """Write a .tar.gz holding ``files`` (paths inside the archive); return its sha256 hex."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        for name, text in sorted(files.items()):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), mtime, 0o755 if name.endswith(".sh") else 0o644
            tar.addfile(info, io.BytesIO(data))
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Recorder:
    """A fetcher on a fresh cache that records its events."""

    def __init__(self, root: Path, mirrors: MirrorMap):
        self.events: list[FetchEvent] = []
        self.cache = LocalCache(root / "cache")
        self.fetcher = SourceFetcher(self.cache, mirrors, root / "fetch", self.events.append)

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]
