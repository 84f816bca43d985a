"""Several stages of one Dockerfile built together: one ``docker buildx build --target`` per stage,
all running at once against the daemon's BuildKit, whose solver runs a step that several builds
contain once and independent steps concurrently.

Not ``docker buildx bake``: buildx 0.13 drops a bake target's ``network`` (measured: a batch's RUN
steps then ran on the default bridge network, each paying its set-up, instead of the stages' own
mode); each build here takes ``--network``. The builds' plain logs are merged into one stream in
bake's form (``#N [<target> <stage> i/n] STEP``, every vertex numbered once across the builds),
which ``execution/batch_log.py`` splits per stage.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, cast

from jc_build.engine.base import BuildLog, metadata_image_id
from jc_build.engine.model import BatchRequest, BatchTarget

if TYPE_CHECKING:
    from python_on_whales import DockerClient

MAX_BUILDS = 8  # buildx clients at once (each holds a session); the first targets cover the rest


class MergedLog:
    """Lines of several builds' plain logs as one stream: a vertex's header names its target, and
    vertex numbers are made unique across the builds."""

    def __init__(self, log: BuildLog):
        self.log = log
        self._lock = threading.Lock()
        self._numbers: dict[tuple[str, str], int] = {}
        self._headers: dict[tuple[str, str], str] = {}

    def feed(self, target: str, chunk: str) -> None:
        with self._lock:
            for line in chunk.splitlines():
                self.log.feed(self.rewrite(target, line))

    def rewrite(self, target: str, line: str) -> str:
        """``#N rest`` of ``target``'s build as a line of the merged stream."""
        number, sep, rest = line.partition(" ")
        if not (number.startswith("#") and number[1:].isdigit() and sep) or number == "#0":
            return line  # not a vertex's line ("#0 building with ..." is buildx's own)
        key = (target, number)
        if key not in self._numbers:
            self._numbers[key] = len(self._numbers) + 1
            self._headers[key] = rest  # a vertex's first line is its name; the printer repeats it
        if rest == self._headers[key]:
            rest = f"[{target} {rest[1:]}" if rest.startswith("[") else f"[{target}] {rest}"
        return f"#{self._numbers[key]} {rest}"


def build_targets(docker: DockerClient, req: BatchRequest, scratch: Path, log: BuildLog) -> dict[str, str]:
    """Build every target of ``req`` (``SolveFailed`` with the log's tail if one failed); the image
    ID of every image target."""
    dockerfile = scratch / "Dockerfile"
    dockerfile.write_text(req.dockerfile, encoding="utf-8")
    merged = MergedLog(log)
    pool = ThreadPoolExecutor(max_workers=max(1, min(MAX_BUILDS, len(req.targets))))
    try:
        futures = [pool.submit(_build, docker, req, target, dockerfile, scratch / f"{target.name}.json", merged)
                   for target in req.targets]
        failed = [t.name for t, f in zip(req.targets, futures) if f.result() is not None]
    finally:  # interrupted: builds not yet started never start; running ones end with their CLIs (SIGINT)
        pool.shutdown(wait=True, cancel_futures=True)
    if failed:
        raise log.failed(f"batch build failed (docker buildx build of {', '.join(failed)} failed)")
    ids = {t.name: metadata_image_id(scratch / f"{t.name}.json") for t in req.targets if t.output_dir is None}
    return {name: i for name, i in ids.items() if i}


def _build(docker: DockerClient, req: BatchRequest, target: BatchTarget, dockerfile: Path, metadata: Path,
           merged: MergedLog) -> int | None:
    """One target's build, its log fed to ``merged``; the CLI's exit status if it failed."""
    from python_on_whales.exceptions import DockerException

    output = {"type": "local", "dest": str(target.output_dir)} if target.output_dir is not None else {}
    try:
        logs = docker.buildx.build(req.context_dir, file=dockerfile, target=target.name, tags=list(target.tags),
                                   output=output, secrets=req.secret_specs(),
                                   platforms=[req.platform] if req.platform else None, network=req.network,
                                   metadata_file=metadata, progress="plain", stream_logs=True)
        for chunk in cast(Iterator[str], logs):
            merged.feed(target.name, chunk)
    except DockerException as e:
        return e.return_code or 1
    return None
