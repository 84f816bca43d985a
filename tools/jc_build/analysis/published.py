"""Published images a layer declares (its ``images`` facts) that run on a platform, by
jetson-containers' rule: an image's L4T release must match the platform's, up to the patch
release for L4T 36 and later (an ``r36.4.0`` image runs on every r36.4), within the major
release for L4T 35 (JetPack 5); a CUDA named in the tag (``cu126``) must be the platform's."""

from __future__ import annotations

import re

from ..model import Platform, Target

_L4T = re.compile(r"(?:^|-)r(\d+(?:\.\d+)*)(?=$|[-.][a-z])")
_CUDA = re.compile(r"(?:^|-)(cu\d{3})(?=$|-)")


def l4t_runs_on(image_l4t: str, platform_l4t: str) -> bool:
    """Whether an image built for L4T ``image_l4t`` (``36.4``, ``36.4.0``) runs on ``platform_l4t``."""
    have, want = image_l4t.split("."), platform_l4t.split(".")
    if not have[0].isdigit() or not want[0].isdigit():
        return False
    if int(want[0]) >= 36:
        return have[:2] == want[:2] or (len(have) == 1 and have[0] == want[0])
    if int(want[0]) == 35:
        return have[0] == want[0]
    return have == want[:len(have)] and len(have) == len(want)


def runs_on(tag: str, platform: Platform) -> bool:
    """Whether an image tagged ``tag`` (``0.4.7-r36.4-cu128-24.04``, ``r36.4.0``) runs on ``platform``."""
    l4t, cuda = _L4T.search(tag), _CUDA.search(tag)
    return bool(l4t) and l4t_runs_on(l4t[1], platform.l4t) and (cuda is None or cuda[1] == platform.cuda_tag)


def published_images(target: Target, platform: Platform) -> list[str]:
    """``repository:tag`` of each declared published image of ``target`` that runs on ``platform``."""
    images = target.attrs.get("images") or []
    return [f"{image['repository']}:{image['tag']}" for image in images
            if image.get("repository") and image.get("tag") and runs_on(str(image["tag"]), platform)]
