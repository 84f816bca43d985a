"""The layer images jcb made, as part of the cache: their bytes on disk, least-recently-used
eviction with their cache entries, and their removal (``jcb cache gc``, ``jcb clean``).

jcb's images are chains: each stage's image is built FROM the image of the stage below, or the
platform's base image. The bytes an image adds are its size minus the size of its nearest
ancestor on the daemon (the image whose layers are the longest proper prefix of its own), so the
bytes of a set of jcb images are the sum of what each adds over its nearest ancestor in the set
or among the images jcb did not make. An image is kept with its cache entry, whatever its age,
when it carries a name jcb does not give stage images (a target's image name, a pushed or
user's tag) or such an image is built on it: a tagged result needs it. gc runs under the
cache's exclusive lock, so no build is running.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from ..engine import Engine, ImageInfo

STAGE_TAG = re.compile(r"^jcb/[^:]+:[0-9a-f]{12}$")  # plan/planner.py's stage image names


def is_stage_tag(tag: str) -> bool:
    return bool(STAGE_TAG.match(tag))


@dataclass
class ImageAccount:
    """jcb's images (those of cache entries) against the daemon's; gc's ``External``."""

    entries: dict[str, str]  # action key -> image ID, for entries whose image exists
    mine: dict[str, ImageInfo]  # image ID -> info, jcb's images
    others: list[ImageInfo]  # every other image on the daemon (possible ancestors)
    doomed: set[str] = field(default_factory=set)  # IDs to remove when gc ends
    needed: set[str] = field(init=False)  # tagged results and the images they are built on

    def __post_init__(self) -> None:
        tagged = [img for img in self.mine.values() if any(not is_stage_tag(tag) for tag in img.tags)]
        self.needed = {img.id for img in self.mine.values()
                       if any(t.layers[:len(img.layers)] == img.layers for t in tagged)}

    def kept(self) -> set[str]:
        return set(self.mine) - self.doomed

    def total(self) -> int:
        """Bytes the kept images add over their nearest ancestors (kept or not jcb's)."""
        return chain_bytes([self.mine[i] for i in self.kept()], self.others)

    def keeps(self, key: str) -> bool:
        """The entry stays when a tagged result needs its image."""
        return self.entries.get(key) in self.needed

    def evict(self, key: str) -> None:
        """The entry ``key`` goes: its image too, unless another entry still names it."""
        image_id = self.entries.pop(key, None)
        if image_id and image_id not in self.entries.values() and image_id not in self.needed:
            self.doomed.add(image_id)


def chain_bytes(images: Iterable[ImageInfo], others: Iterable[ImageInfo]) -> int:
    """The bytes ``images`` hold beyond their nearest ancestors among ``images`` and ``others``;
    a stack of layers that several images share (an ``ENV``-only stage) counts once."""
    other_stacks = {img.layers: img.size for img in others}
    my_stacks = {img.layers: img.size for img in images}
    sizes = {**other_stacks, **my_stacks}
    total = 0
    for layers, size in my_stacks.items():
        if layers in other_stacks:
            continue
        parent = next((sizes[layers[:n]] for n in range(len(layers) - 1, 0, -1) if layers[:n] in sizes), 0)
        total += max(0, size - parent)
    return total


def account(engine: Engine, entries: Mapping[str, str]) -> ImageAccount:
    """The account of the images named by ``entries`` (action key -> image ID): two daemon calls."""
    every = engine.images()
    present = {img.id: img for img in every}
    mine = {i: present[i] for i in set(entries.values()) if i in present}
    others = [img for img in every if img.id not in mine]
    return ImageAccount({k: i for k, i in entries.items() if i in mine}, mine, others)


def remove(engine: Engine, images: Iterable[ImageInfo], *, all_tags: bool = False,
           on_kept: Callable[[str], None] | None = None) -> int:
    """Untag the stage names (every name with ``all_tags``) of ``images`` and remove them; an
    image that keeps a name or that a container uses stays. The number removed."""
    removed = 0
    for img in images:
        for tag in img.tags:
            if all_tags or is_stage_tag(tag):
                engine.remove_image(tag)
        left = [i for i in engine.images([img.id]) if i.id == img.id]
        if not left:
            removed += 1
        elif not left[0].tags and engine.remove_image(img.id):
            removed += 1
        elif on_kept is not None:
            names = ", ".join(left[0].tags) or "a container uses it"
            on_kept(f"kept image {img.id[7:19]} ({names})")
    return removed
