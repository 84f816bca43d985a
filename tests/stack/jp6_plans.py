"""The jp6-cu126 action keys of the targets the stand-in platforms share with the Jetson stack.

Stand-in support (toolchains/BUILD.star `standin-*`) must leave the Jetson plans as they were:
tests/stack/data/jp6-cu126-keys.json holds every stage's key, recorded before it was added.
Regenerate it only for a change meant to alter the jp6 plans:
    .venv/bin/python tests/stack/jp6_plans.py > tests/stack/data/jp6-cu126-keys.json
"""

from __future__ import annotations

import io
import json
import sys
from contextlib import redirect_stdout
from pathlib import Path

from jc_build.cli.main import main

REPO = Path(__file__).resolve().parents[2]
KEYS = Path(__file__).resolve().parent / "data" / "jp6-cu126-keys.json"
TARGETS = ("//cuda/cuda", "//build/python", "//build/cmake/cmake_pip", "//llm/bitsandbytes",
           "//llm/bitsandbytes:wheel", "//llm/sglang:0.4.9")


def stage_keys(target: str, root: Path = REPO) -> dict[str, str]:
    """``{stage label: action key}`` of ``jcb plan TARGET --platform=jp6-cu126``."""
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["plan", target, "--platform=jp6-cu126", "--output=json", "-C", str(root)])
    assert code == 0, f"jcb plan {target} failed"
    return {s["label"]: s["key"] for s in json.loads(out.getvalue())["stages"]}


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO
    json.dump({t: stage_keys(t, root) for t in TARGETS}, sys.stdout, indent=1, sort_keys=True)
    print()
