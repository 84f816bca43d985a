"""Chains of an imported jetson-containers tree, jcb against jetson-containers' own resolver.

``python tests/importer/compare.py JC_ROOT JC_PYTHON [PLATFORM...]`` imports the tree into a
scratch workspace, runs ``jc_chains.py`` with JC_PYTHON (a venv with the tree's requirements)
for each platform, and prints per platform: packages, equal chains, and the differences by class.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tools"))

from jc_build.analysis.graph import ConfiguredGraph  # noqa: E402
from jc_build.errors import JcbError  # noqa: E402
from jc_build.importer.scan import jc_environment  # noqa: E402
from jc_build.loading.load_cache import LoadCache  # noqa: E402
from jc_build.loading.packages import PackageLoader  # noqa: E402
from jc_build.loading.workspace import load_workspace  # noqa: E402
from jc_build.query import format_result, run_query  # noqa: E402

PLATFORMS = ("jp6-cu126", "jp6-cu128", "jp5")


@dataclass
class Comparison:
    platform: str
    packages: int = 0
    equal: int = 0
    classes: Counter = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    def differ(self, cls: str, example: str) -> None:
        self.classes[cls] += 1
        self.examples.setdefault(cls, example)


def jc_chains(root: Path, python: str, platform: Any) -> dict[str, Any]:
    """The resolver's chains; read from ``$JCB_JC_CHAINS_DIR/<platform>.json`` when that exists (it is slow)."""
    saved = Path(os.environ.get("JCB_JC_CHAINS_DIR", "/nonexistent")) / f"{platform.name}.json"
    if saved.is_file():
        return json.loads(saved.read_text())
    env = {**os.environ, **jc_environment(platform)}
    proc = subprocess.run([python, str(HERE / "jc_chains.py"), str(root), platform.arch], env=env,
                          capture_output=True, text=True, check=True, timeout=3600)
    return json.loads(proc.stdout)


def jcb_names(graph: ConfiguredGraph) -> dict[str, list[Any]]:
    """jetson-containers name -> the imported layers that carry it."""
    names: dict[str, list[Any]] = {}
    for package in graph.loader.all_packages():
        for target in graph.loader.load_package(package).values():
            if target.kind == "container_layer":
                names.setdefault(target.jc_name, []).append(target)
    return names


def reason_class(text: str) -> str:
    for key in ("ambiguous name", "twice in one chain", "drops out of its own chain", "defined again",
                "defined 2 times", "cannot resolve", "defines no", "requires", "would put two versions",
                "outside its directory", "its Dockerfile"):
        if key in text:
            return key
    return "other: " + text[:60]


def compare_platform(ws_root: Path, platform: str, chains: dict[str, Any]) -> Comparison:
    ws = load_workspace(ws_root)
    graph = ConfiguredGraph(PackageLoader(ws, ws.platform(platform), LoadCache(None)))
    names = jcb_names(graph)
    result = Comparison(platform)
    for name, want in chains.items():
        result.packages += 1
        targets = names.get(name, [])
        if not targets:
            result.differ("not imported", name)
            continue
        label = targets[-1].label
        try:
            graph.check_compatible(label)
            got = format_result(graph, run_query(graph, f"deps({label})"), "name", "build").split()
        except JcbError as exc:
            if isinstance(want, dict):
                result.differ("both refuse", f"{name}: {want['error'][:80]}")
            else:
                result.differ(f"jcb refuses: {reason_class(exc.message)}", f"{name}: {exc.message[:160]}")
            continue
        if isinstance(want, dict):
            result.differ("jetson-containers fails, jcb builds", f"{name}: {want['error'][:120]}")
        elif got == want:
            result.equal += 1
        elif sorted(got) == sorted(want):
            result.differ("same layers, other order", f"{name}: jc {want} jcb {got}")
        else:
            result.differ("other layers", f"{name}: jc {want} jcb {got}")
    return result


def run(root: Path, python: str, platforms: tuple[str, ...] = PLATFORMS) -> tuple[list[Comparison], float]:
    """Import the tree into a scratch workspace and compare every package's chain on each platform."""
    scratch = Path(tempfile.mkdtemp(prefix="jcb-compare-"))
    (scratch / "pkgs").mkdir()
    (scratch / "toolchains").mkdir()
    (scratch / "toolchains" / "BUILD.star").write_text((REPO / "toolchains" / "BUILD.star").read_text())
    (scratch / "WORKSPACE.star").write_text('workspace(default_platform = "jp6-cu126")\n')
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "jc_build.cli.main", "import", str(root), "--platforms",
                    ",".join(platforms), "--python", python], cwd=scratch, check=True, capture_output=True,
                   env={**os.environ, "PYTHONPATH": str(REPO / "tools")}, timeout=1800)
    seconds = time.perf_counter() - started
    ws = load_workspace(scratch)
    return [compare_platform(scratch, p, jc_chains(root, python, ws.platform(p))) for p in platforms], seconds


def main(argv: list[str]) -> int:
    root, python, *platforms = argv[1:]
    results, seconds = run(Path(root), python, tuple(platforms) or PLATFORMS)
    print(f"import wall time: {seconds:.1f} s")
    for r in results:
        print(f"\n{r.platform}: {r.packages} packages, {r.equal} chains equal")
        for cls, n in r.classes.most_common():
            print(f"  {n:4d}  {cls}   e.g. {r.examples[cls]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
