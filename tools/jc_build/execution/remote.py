"""Layer and base images of a remote cache, pushed as ``<image repo>:<tag>`` and pulled on a hit.

Layer images are tagged with their action key. A platform's base image is shared by digest: the
first builder that has it pushes it as ``base-<image id>`` and stores an entry (signed like any
other) mapping the base reference to that image ID, so a builder with an empty daemon gets the
same base, the same keys and so every stage.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from ..cache import ActionResult, sha256_bytes
from ..engine import Engine, EngineError

if TYPE_CHECKING:
    from ..cache.registry import RegistryCache  # imports httpx: only where a remote cache is used

REMOTE_IMAGE_META = "remote_image"  # ActionResult.meta: where the layer's image was pushed
BASE_KIND = "base"


class RemoteImages:
    """Pushes and pulls the images of ``registry``'s cache; after one failed push, no more.
    Counts the bytes of the images moved (their compressed size in the registry)."""

    def __init__(self, registry: RegistryCache):
        self.registry = registry
        self.bytes_pulled = 0
        self.bytes_pushed = 0
        self._push_failed = False
        self._unusable: set[str] = set()  # refs that did not pull or were not their image: misses from now on
        self._lock = threading.Lock()

    def publish(self, engine: Engine, image_id: str, tag: str) -> str | None:
        """Push ``image_id`` as ``<image repo>:<tag>``; its ref, or None if the cache takes no writes
        or the push failed (warned once)."""
        if self.registry.read_only or not self.registry.reachable or self._push_failed:
            return None
        ref = f"{self.registry.image_repo}:{tag}"
        try:
            engine.tag(image_id, ref)
            engine.push(ref)
        except EngineError as e:
            self._push_failed = True
            self.registry.warn(f"remote cache: not pushing images: {e}")
            return None
        self._count(pushed=self.registry.image_bytes(tag) or 0)
        return ref

    def available(self, ref: str) -> bool:
        """Whether ``ref`` is an image of this cache's image repository that the registry has."""
        repo, _, tag = ref.rpartition(":")
        return repo == self.registry.image_repo and ref not in self._unusable and self.registry.has_image(tag)

    def fetch(self, engine: Engine, ref: str, image_id: str) -> str:
        """Pull ``ref``; "" on success, else why not (the pulled image must be ``image_id``). A ref that
        fails is not ``available`` for the rest of the run."""
        why = self._pull(engine, ref, image_id)
        if why:
            with self._lock:
                self._unusable.add(ref)
            return why
        self._count(pulled=self.registry.image_bytes(ref.rpartition(":")[2]) or 0)
        return ""

    @staticmethod
    def _pull(engine: Engine, ref: str, image_id: str) -> str:
        try:
            if not engine.pull(ref):
                return f"{ref} is not in the registry"
        except EngineError as e:
            return str(e).splitlines()[0] if str(e) else repr(e)
        return "" if engine.image_exists(image_id) else f"{ref} is not image {image_id}"

    def _count(self, *, pulled: int = 0, pushed: int = 0) -> None:
        with self._lock:
            self.bytes_pulled += pulled
            self.bytes_pushed += pushed

    # -- base images ----------------------------------------------------------------
    def share_base(self, engine: Engine, ref: str, image_id: str, platform: str) -> None:
        """Put the base image and its entry in the registry unless an entry is there already."""
        key = base_key(ref, platform)
        if self.registry.read_only or self.registry.has_action(key) or not self.registry.reachable:
            return
        pushed = self.publish(engine, image_id, f"base-{image_id.removeprefix('sha256:')}")
        if pushed is None:
            return
        self.registry.put_action(ActionResult(key=key, kind=BASE_KIND, image_id=image_id, outputs={},
                                              log_digest=self.registry.put_bytes(ref.encode()), duration_s=0.0,
                                              meta={REMOTE_IMAGE_META: pushed}))

    def fetch_base(self, engine: Engine, ref: str, platform: str) -> str | None:
        """The base image's ID after pulling it from the cache and tagging it ``ref``; None if it is not there."""
        entry = self.registry.get_action(base_key(ref, platform))
        if entry is None or entry.kind != BASE_KIND or not entry.image_id:
            return None
        pulled = entry.meta.get(REMOTE_IMAGE_META, "")
        why = self.fetch(engine, pulled, entry.image_id) if self.available(pulled) else f"{pulled} is gone"
        if why:
            self.registry.warn(f"remote cache: cannot get base image {ref} from it: {why}")
            return None
        engine.tag(entry.image_id, ref)
        return entry.image_id


def base_key(ref: str, platform: str) -> str:
    """The entry key naming a platform's base image in the remote cache."""
    return sha256_bytes(f"jcb base image\0{platform}\0{ref}".encode()).hex
