"""What layers' pip steps installed, read from their built images, for jcb.lock (``jcb lock --pip``).

The versions pip resolves for a layer's requirements (their transitive dependencies too) depend on
the index at build time and on what the layers below already hold, so no plan can know them: they
are read from the build. For each layer stage with a pip step whose image is in the local cache,
``python3 -m pip list --format=json`` runs (network none, a throwaway container) in that image and
in the image it was built on; what the layer added or changed is its entry.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name

from ..plan.shell import PIP_TOOLS

if TYPE_CHECKING:
    from ..cache import LocalCache
    from ..engine import Engine
    from ..plan import Plan
    from ..plan.model import Stage
    from ..sources.lock import LockedPip

DEFAULT_INDEX = "https://pypi.org/simple"  # pip's own default, when neither a step nor the image names one
_INDEX_URL = re.compile(r"(?:--index-url|-i)[ =]'?([^\s']+)")
_LIST = ("if python3 -m pip --version >/dev/null 2>&1; then python3 -m pip list --format=json "
         "> /jcb-out/pip.json 2>/jcb-out/err; else echo '[]' > /jcb-out/pip.json; fi; "
         "printf '%s' \"${PIP_INDEX_URL:-}\" > /jcb-out/index")


def pip_steps(stage: Stage) -> list[str]:
    """The commands of ``stage``'s RUN steps that run pip (its wheel install included)."""
    return [str(n.attrs["cmd"]) for n in stage.nodes if n.op in ("exec", "wheel.install")
            and PIP_TOOLS.search(str(n.attrs["cmd"]))]


def changed(below: Mapping[str, str], above: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """``(name, version)`` of what ``above`` holds at another version than ``below``, sorted by name."""
    return tuple(sorted((name, version) for name, version in above.items() if below.get(name) != version))


class PipRecorder:
    """Reads pip's installed set from images (each image once) through ``engine``."""

    def __init__(self, engine: Engine, cache: LocalCache, on_skip: Callable[[str], None] = lambda text: None):
        self.engine = engine
        self.cache = cache
        self.on_skip = on_skip
        self._lists: dict[str, tuple[dict[str, str], str]] = {}

    def record(self, plans: list[Plan]) -> dict[str, LockedPip]:
        """``{"<layer label> <platform>": LockedPip}`` for every built layer stage with a pip step."""
        from ..sources.lock import LockedPip
        entries: dict[str, LockedPip] = {}
        for plan in plans:
            images = {s.key: self._image_of(s.key) for s in plan.stages if s.kind == "layer"}
            for stage in plan.stages:
                commands = pip_steps(stage) if stage.kind == "layer" else []
                if not commands:
                    continue
                image, base = images[stage.key], self._base_image(stage, images)
                if not image or not base:
                    self.on_skip(f"{stage.label}: not recorded: {'its' if not image else 'its base'} image "
                                 "is not built (run `jcb build` first)")
                    continue
                (below, _), (above, index) = self._list(base), self._list(image)
                indexes = sorted({m for c in commands for m in _INDEX_URL.findall(c)} |
                                 ({index or DEFAULT_INDEX} if any(not _INDEX_URL.search(c) and "--no-index" not in c
                                                                   for c in commands) else set()))
                entries[f"{stage.label} {plan.platform.name}"] = LockedPip(
                    tuple(indexes), changed(below, above), stage.key)
        return entries

    def _image_of(self, key: str) -> str:
        result = self.cache.get_action(key)
        image = result.image_id if result else None
        return image if image and self.engine.existing_images([image]) else ""

    def _base_image(self, stage: Stage, images: Mapping[str, str]) -> str:
        kind, ref = stage.base
        return images.get(ref, "") if kind == "stage" else (self.engine.image_id(ref) or "")

    def _list(self, image: str) -> tuple[dict[str, str], str]:
        """pip's installed ``{name: version}`` in ``image`` (empty without pip) and its PIP_INDEX_URL."""
        if image not in self._lists:
            with _out_dir() as out:
                code = self.engine.run(image, ["sh", "-c", _LIST], runtime=None, network="none",
                                       volumes=[(str(out), "/jcb-out")], interactive=False)
                if code != 0:
                    from ..errors import BuildError
                    err = (out / "err").read_text(errors="replace").strip() if (out / "err").exists() else ""
                    raise BuildError(f"pip list failed in image {image} (exit code {code}): {err}")
                listed = json.loads((out / "pip.json").read_text())
                self._lists[image] = ({canonicalize_name(p["name"]): p["version"] for p in listed},
                                      (out / "index").read_text().strip())
        return self._lists[image]


@contextmanager
def _out_dir() -> Iterator[Path]:
    """A temporary directory any user of an image can write (mounted at /jcb-out)."""
    with tempfile.TemporaryDirectory(prefix="jcb-pip-") as tmp:
        path = Path(tmp)
        path.chmod(0o777)
        yield path
