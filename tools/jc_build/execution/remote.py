"""Layer images of a remote cache: pushed as ``<image repo>:<action key>``, pulled on a remote hit."""

from __future__ import annotations

from ..cache import RegistryCache
from ..engine import Engine, EngineError

REMOTE_IMAGE_META = "remote_image"  # ActionResult.meta: where the layer's image was pushed


class RemoteImages:
    """Pushes and pulls the layer images of ``registry``'s cache; after one failed push, no more."""

    def __init__(self, registry: RegistryCache):
        self.registry = registry
        self._push_failed = False

    def publish(self, engine: Engine, image_id: str, key: str) -> str | None:
        """Push ``image_id`` as ``<image repo>:<key>``; its ref, or None if the cache takes no writes
        or the push failed (warned once)."""
        if self.registry.read_only or not self.registry.reachable or self._push_failed:
            return None
        ref = f"{self.registry.image_repo}:{key}"
        try:
            engine.tag(image_id, ref)
            engine.push(ref)
        except EngineError as e:
            self._push_failed = True
            self.registry.warn(f"remote cache: not pushing layer images: {e}")
            return None
        return ref

    def available(self, ref: str) -> bool:
        """Whether ``ref`` is an image of this cache's image repository that the registry has."""
        repo, _, tag = ref.rpartition(":")
        return repo == self.registry.image_repo and self.registry.has_image(tag)

    def fetch(self, engine: Engine, ref: str, image_id: str) -> str:
        """Pull ``ref``; "" on success, else why not (the pulled image must be ``image_id``)."""
        try:
            if not engine.pull(ref):
                return f"{ref} is not in the registry"
        except EngineError as e:
            return str(e)
        if not engine.image_exists(image_id):
            return f"{ref} is not image {image_id}"
        return ""
