"""jcb's layer images in the cache's accounting: bytes over their ancestors, LRU eviction with
their entries, tagged results and what they are built on never evicted (no daemon: ImageInfo)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from jc_build.cache import ActionResult, LocalCache
from jc_build.engine import ImageInfo
from jc_build.execution.images import ImageAccount, chain_bytes, remove

MB = 1 << 20
BASE = ImageInfo("sha256:base", 100 * MB, ("l0",), ("jcb/debian:bookworm",))


def image(name: str, layers: tuple[str, ...], size_mb: int, *tags: str) -> ImageInfo:
    return ImageInfo(f"sha256:{name}", size_mb * MB, layers, tags)


PYDEV = image("pydev", ("l0", "l1"), 400, "jcb/pydev:a65d2cd2c208")
MOTD_1 = image("motd1", ("l0", "l1", "m1"), 401)  # the name moved to a rebuild: dangling
MOTD_2 = image("motd2", ("l0", "l1", "m2"), 402, "motd:1.0")
ENV_ONLY = image("env", ("l0", "l1"), 400, "jcb/env:0123456789ab")  # no layer of its own


def test_bytes_are_what_each_image_adds_over_its_nearest_ancestor() -> None:
    assert chain_bytes([PYDEV], [BASE]) == 300 * MB
    assert chain_bytes([PYDEV, MOTD_1, MOTD_2], [BASE]) == 303 * MB
    assert chain_bytes([MOTD_1, MOTD_2], [BASE]) == 603 * MB  # without pydev both hold its layers
    assert chain_bytes([PYDEV, ENV_ONLY], [BASE]) == 300 * MB  # one stack of layers counts once
    assert chain_bytes([PYDEV], [BASE, image("user", ("l0", "l1"), 400, "me/x:1")]) == 0


def _aged(cache: LocalCache, record: Callable[..., ActionResult], ages: dict[str, tuple[float, ImageInfo]]) -> dict:
    keys = {}
    for name, (hours, img) in ages.items():
        result = record(name, {}, kind="layer", image_id=img.id)
        t = time.time() - hours * 3600
        path = cache.root / "ac" / result.key[:2] / f"{result.key}.json"
        os.utime(path, (t, t))
        keys[name] = result.key
    return keys


def test_gc_evicts_old_images_with_their_entries_and_keeps_tagged_results(
        cache: LocalCache, record: Callable[..., ActionResult]) -> None:
    keys = _aged(cache, record, {"pydev": (5, PYDEV), "motd1": (4, MOTD_1), "motd2": (3, MOTD_2),
                                 "other": (2, image("other", ("l0", "o1"), 150))})
    images = ImageAccount(cache.images(), {i.id: i for i in (PYDEV, MOTD_1, MOTD_2)} |
                          {"sha256:other": image("other", ("l0", "o1"), 150)}, [BASE])
    assert images.needed == {PYDEV.id, MOTD_2.id}  # motd:1.0 and the image it is built on
    assert images.total() == 353 * MB

    cache.gc(352 * MB + 10_000, images)  # room for all but the oldest evictable image
    assert images.doomed == {MOTD_1.id}
    assert set(cache.images()) == {keys["pydev"], keys["motd2"], keys["other"]}

    cache.gc(303 * MB + 10_000, images)  # room for pydev, motd2 and the entries
    assert images.doomed == {MOTD_1.id, "sha256:other"}
    assert set(cache.images()) == {keys["pydev"], keys["motd2"]}
    assert images.total() == 302 * MB  # pydev adds 300 to the base, motd2 2 to pydev

    cache.gc(0, images)  # nothing else may go
    assert set(cache.images()) == {keys["pydev"], keys["motd2"]}


class _Daemon:
    """Images by ID and tag; ``rmi`` of the last tag removes the image, as docker does."""

    def __init__(self, *images: ImageInfo, in_use: frozenset[str] = frozenset()):
        self.by_id = {i.id: i for i in images}
        self.in_use = in_use

    def images(self, refs: list[str] | None = None) -> list[ImageInfo]:
        return [i for i in self.by_id.values() if refs is None or i.id in refs]

    def remove_image(self, ref: str) -> bool:
        for img in list(self.by_id.values()):
            if ref in img.tags:
                self.by_id[img.id] = img = ImageInfo(img.id, img.size, img.layers, tuple(t for t in img.tags if t != ref))
                if not img.tags and img.id not in self.in_use:
                    del self.by_id[img.id]
                return True
            if ref == img.id and not img.tags and img.id not in self.in_use:
                del self.by_id[img.id]
                return True
        return False


def test_remove_untags_stage_names_and_keeps_images_in_use() -> None:
    busy = image("busy", ("l0", "b"), 1, "jcb/busy:0123456789ab")
    daemon = _Daemon(PYDEV, MOTD_1, busy, MOTD_2, in_use=frozenset({busy.id}))
    kept: list[str] = []
    assert remove(daemon, [PYDEV, MOTD_1, busy], on_kept=kept.append) == 2  # type: ignore[arg-type]
    assert set(daemon.by_id) == {busy.id, MOTD_2.id}
    assert kept == ["kept image busy (a container uses it)"]
    assert remove(daemon, [MOTD_2]) == 0 and MOTD_2.id in daemon.by_id  # type: ignore[arg-type]
    assert remove(daemon, [MOTD_2], all_tags=True) == 1 and MOTD_2.id not in daemon.by_id  # type: ignore[arg-type]
