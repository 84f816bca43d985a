"""Results the remote cache missed while it was down: recorded, then uploaded at the end of the
build (if the registry answers again) or by ``jcb cache push``.

Each pending result is an empty file ``<cache>/remote-pending/<key>`` (safe between processes).
Uploading a result sends what the registry lacks: its layer image, its blobs, then its entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..cache import LocalCache, MissingBlobError
from ..engine import Engine
from .remote import REMOTE_IMAGE_META, RemoteImages

if TYPE_CHECKING:
    from ..cache.registry import RegistryCache


class PendingUploads:
    def __init__(self, local: LocalCache, registry: RegistryCache, images: RemoteImages):
        self.local = local
        self.registry = registry
        self.images = images
        self.dir = Path(local.root) / "remote-pending"

    def record(self, keys: Iterable[str]) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        for key in keys:
            (self.dir / key).touch()

    def keys(self) -> list[str]:
        return sorted(p.name for p in self.dir.glob("*")) if self.dir.is_dir() else []

    def upload(self, engine: Engine, keys: Iterable[str]) -> tuple[int, int]:
        """Upload each key's local result unless the registry has it; (uploaded, still pending)."""
        uploaded = left = 0
        for key in keys:
            outcome = self._upload_one(engine, key)
            if outcome is None:
                left += 1
                continue
            uploaded += outcome
            (self.dir / key).unlink(missing_ok=True)
        return uploaded, left

    def _upload_one(self, engine: Engine, key: str) -> int | None:
        """1 if uploaded, 0 if not needed (already there, or no longer in the local cache), None if it failed."""
        result = self.local.get_action(key)
        if result is None or self.registry.has_action(key):
            return 0 if self.registry.reachable else None
        if result.kind == "layer" and result.image_id:
            ref = result.meta.get(REMOTE_IMAGE_META, "")
            if not (ref and self.images.available(ref)):
                if not engine.image_exists(result.image_id):
                    return 0  # the image is gone here too: nothing to share
                ref = self.images.publish(engine, result.image_id, key) or ""
                if not ref:
                    return None
                result = replace(result, meta={**result.meta, REMOTE_IMAGE_META: ref})
                self.local.put_action(result)
        with self.local.session():
            for digest in sorted(result.digests(), key=str):
                if not self.registry.has_blob(digest):
                    blob = self.local.open_blob(digest)
                    if blob is None:
                        return 0
                    with blob:
                        self.registry.put_blob(blob)
        try:
            self.registry.put_action(result)
        except MissingBlobError:
            return None
        return 1 if self.registry.reachable else None
