"""Base-image digests for making plans, from the engine: the image ID becomes part of the keys."""

from __future__ import annotations

from collections.abc import Callable

from ..engine import Engine, EngineError
from ..errors import BuildError


class EngineBaseImages:
    """``resolve(ref)`` -> the local image ID of ``ref`` ("" when unknown), for ``make_plan``.

    With ``pull``, an absent image is pulled first (BuildError when it cannot be); without it
    (dry runs, explanations) nothing is downloaded and ``on_missing`` is told once per image.
    """

    def __init__(self, engine: Engine, platform_name: str, *, pull: bool = True,
                 on_missing: Callable[[str], None] = lambda ref: None):
        self.engine = engine
        self.platform_name = platform_name
        self.pull = pull
        self.on_missing = on_missing
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
        if image_id is None:
            try:
                pulled = self.engine.pull(ref)
            except EngineError as exc:
                raise BuildError(f"base image {ref} of platform '{self.platform_name}' is not present locally "
                                 f"and cannot be pulled: {exc}") from None
            image_id = self.engine.image_id(ref) if pulled else None
            if image_id is None:
                raise BuildError(f"base image {ref} of platform '{self.platform_name}' is neither present locally "
                                 "nor in its registry")
        return image_id
