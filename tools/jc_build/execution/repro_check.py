"""``jcb build --check``: rebuild the targets' own stages without BuildKit's cache and compare with
the cached results: a wheel by digest (after the same normalisation), a layer by image, naming the
first file that differs. (Name a dependency to check its stage.)"""

from __future__ import annotations

import json
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..cache import ActionResult, LocalCache, sha256_file
from ..engine import SolveFailed
from ..errors import JcbError
from ..plan import Plan, Stage
from .executor import Executor
from .outputs_diff import Listing, first_difference, tar_listing, zip_listing
from .progress import NullProgress
from .stage_runner import StageRun


@dataclass(frozen=True)
class StageCheck:
    """One stage's verdict: ``reproducible``, ``differs`` (``detail`` names the file) or ``failed``."""

    stage: Stage
    verdict: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.stage.label} ({self.stage.kind}): {self.verdict}" + (f": {self.detail}" if self.detail else "")


def check_plans(executor: Executor, plans: Sequence[Plan], runs: Mapping[str, StageRun]) -> list[StageCheck]:
    """Rebuild each plan's root stage (built before, results in ``runs``) and compare."""
    runner = executor.runner(plans, NullProgress(), run_tests=False)
    checks = []
    for stage in dict.fromkeys(plan.root_stage for plan in plans):
        cached = runs[stage.key].result
        assert cached is not None
        with tempfile.TemporaryDirectory(prefix="jcb-check-") as tmp:
            try:
                solved, _ = runner.rebuild(stage, runs, Path(tmp))
            except (SolveFailed, JcbError) as exc:
                checks.append(StageCheck(stage, "failed", str(exc).splitlines()[0]))
                continue
            if stage.kind == "wheel":
                checks.append(_compare_wheels(executor.local, stage, cached, Path(tmp) / "out"))
            else:
                checks.append(_compare_images(executor.engine.cli, stage, cached.image_id or "",  # type: ignore[attr-defined]
                                              solved.image_id or "", Path(tmp)))
    return checks


def _compare_wheels(cache: LocalCache, stage: Stage, cached: ActionResult, out_dir: Path) -> StageCheck:
    rebuilt = {p.name: p for p in out_dir.rglob("*.whl")}
    if sorted(rebuilt) != sorted(cached.outputs):
        return StageCheck(stage, "differs", f"wheels {sorted(rebuilt)} vs cached {sorted(cached.outputs)}")
    for name, digest in sorted(cached.outputs.items()):
        if sha256_file(rebuilt[name]) == digest:
            continue
        blob = cache.blob_path(digest)
        diff = first_difference(zip_listing(blob), zip_listing(rebuilt[name])) if blob else None
        return StageCheck(stage, "differs", f"{name}: {diff or 'zip metadata differs'}")
    return StageCheck(stage, "reproducible")


def _compare_images(cli: str, stage: Stage, cached: str, rebuilt: str, scratch: Path) -> StageCheck:
    if cached == rebuilt:
        return StageCheck(stage, "reproducible")
    try:
        diff = first_difference(_image_files(cli, cached, scratch / "a.tar"), _image_files(cli, rebuilt, scratch / "b.tar"))
    finally:
        subprocess.run([cli, "rmi", rebuilt], capture_output=True, check=False)
    return StageCheck(stage, "differs", str(diff) if diff else "image metadata only (same files)")


def _image_files(cli: str, image: str, dest: Path) -> Listing:
    """Every file of an image (its layers merged, later ones winning; whiteouts ignored)."""
    subprocess.run([cli, "image", "save", "-o", str(dest), image], capture_output=True, check=True)
    files: Listing = {}
    with tarfile.open(dest) as outer:
        manifest = json.load(outer.extractfile("manifest.json"))  # type: ignore[arg-type]
        for layer in manifest[0]["Layers"]:
            files.update(tar_listing(outer.extractfile(layer)))  # type: ignore[arg-type]
    return files
