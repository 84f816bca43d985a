"""Base-image digests for making plans, from the engine: the image ID becomes part of the keys."""

from __future__ import annotations

from collections.abc import Callable

from ..engine import Engine, EngineError
from ..errors import BuildError
from .remote import RemoteImages


class EngineBaseImages:
    """``resolve(ref)`` -> the local image ID of ``ref`` ("" when unknown), for ``make_plan``.

    With ``pull``, an absent image is taken from the remote cache (``images``, where another
    builder shared it by digest), else pulled from its registry (BuildError when neither has it);
    without it (dry runs, explanations) nothing is downloaded and ``on_missing`` is told once per
    image. A present image is shared through the remote cache for builders whose daemons lack it.
    """

    def __init__(self, engine: Engine, platform_name: str, *, pull: bool = True,
                 on_missing: Callable[[str], None] = lambda ref: None, images: RemoteImages | None = None):
        self.engine = engine
        self.platform_name = platform_name
        self.pull = pull
        self.on_missing = on_missing
        self.images = images
        self._known: dict[str, str] = {}

    def __call__(self, ref: str) -> str:
        if ref not in self._known:
            self._known[ref] = self._resolve(ref)
        return self._known[ref]

    def _resolve(self, ref: str) -> str:
        image_id = self.engine.image_id(ref)
        if image_id is None and not self.pull:
            self.on_missing(ref)
            return ""
        if image_id is not None:
            if self.images is not None:
                self.images.share_base(self.engine, ref, image_id, self.platform_name)
            return image_id
        image_id = self.images.fetch_base(self.engine, ref, self.platform_name) if self.images is not None else None
        return image_id or self._pulled(ref)

    def _pulled(self, ref: str) -> str:
        try:
            pulled = self.engine.pull(ref)
        except EngineError as exc:
            raise BuildError(f"base image {ref} of platform '{self.platform_name}' is not present locally "
                             f"and cannot be pulled: {exc}") from None
        image_id = self.engine.image_id(ref) if pulled else None
        if image_id is None:
            raise BuildError(f"base image {ref} of platform '{self.platform_name}' is neither present locally "
                             "nor in the remote cache or its registry")
        return image_id
