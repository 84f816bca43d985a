"""Several stages in one BuildKit session: ``docker buildx bake`` over a generated definition."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from jc_build.engine.base import BuildLog
from jc_build.engine.model import BatchRequest, BatchTarget, LogCallback

if TYPE_CHECKING:
    from python_on_whales import DockerClient


def bake_definition(req: BatchRequest, dockerfile: Path) -> dict[str, Any]:
    """The bake file (JSON form): one target per requested stage, all in the default group."""
    targets = {t.name: _target(req, t, dockerfile) for t in req.targets}
    return {"group": {"default": {"targets": list(targets)}}, "target": targets}


def _target(req: BatchRequest, target: BatchTarget, dockerfile: Path) -> dict[str, Any]:
    spec: dict[str, Any] = {"context": str(req.context_dir), "dockerfile": str(dockerfile), "target": target.name}
    if target.output_dir is not None:
        spec["output"] = [f"type=local,dest={target.output_dir}"]
    else:
        spec["tags"] = list(target.tags)
    if req.secrets:
        spec["secret"] = req.secret_specs()
    if req.platform:
        spec["platforms"] = [req.platform]
    if req.network:
        spec["network"] = req.network
    return spec


def bake(docker: DockerClient, req: BatchRequest, scratch: Path, on_log_line: LogCallback | None) -> dict[str, str]:
    """Build ``req``; the image ID of every image target (``SolveFailed`` with the log's tail)."""
    from python_on_whales.exceptions import DockerException

    dockerfile, definition, metadata = scratch / "Dockerfile", scratch / "bake.json", scratch / "metadata.json"
    dockerfile.write_text(req.dockerfile, encoding="utf-8")
    definition.write_text(json.dumps(bake_definition(req, dockerfile), indent=1), encoding="utf-8")
    with BuildLog(req.log_path, on_log_line) as log:
        try:
            logs = docker.buildx.bake(files=[definition], metadata_file=metadata, progress="plain", stream_logs=True)
            for chunk in cast(Iterator[str], logs):
                log.feed(chunk)
        except DockerException as e:
            raise log.failed(f"batch build failed (docker buildx bake exited {e.return_code})") from None
    return image_ids(metadata, [t.name for t in req.targets if t.output_dir is None])


def image_ids(metadata: Path, names: list[str]) -> dict[str, str]:
    """Image IDs by target from bake's ``--metadata-file`` (docker driver: the config digest)."""
    try:
        data = json.loads(metadata.read_text())
    except (OSError, ValueError):
        return {}
    ids = {}
    for name in names:
        entry = data.get(name) or {}
        digest = entry.get("containerimage.config.digest") or entry.get("containerimage.digest")
        if digest:
            ids[name] = str(digest)
    return ids
