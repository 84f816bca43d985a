"""Helpers of the docs tests: paths, and a parser of package README.md pages (jetson-containers' or jcb's)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "ws"
REPO = Path(__file__).parents[2]


@dataclass
class Result:
    """What one ``jcb`` run returned and printed."""

    code: int
    out: str
    err: str


Jcb = Callable[..., Result]

_MAIN = ("import sys; from jc_build.cli import main; main.COMMANDS['docs'] = 'docs'; "
         "sys.exit(main.main(sys.argv[1:]))")


def jcb_process(*argv: str, timeout: float, cache_dir: Path, hash_seed: str = "0") -> Result:
    """Run ``jcb ARGS`` in a fresh process; a run that outlives ``timeout`` seconds fails the test."""
    env = {k: v for k, v in os.environ.items() if k not in ("JCB_WORKSPACE", "JCB_PLATFORM")}
    env.update(PYTHONHASHSEED=hash_seed, JCB_CACHE_DIR=str(cache_dir))
    try:
        done = subprocess.run([sys.executable, "-c", _MAIN, *argv], env=env, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`jcb {' '.join(argv)}` did not finish in {timeout:.0f} s (does graph analysis loop?)")
    return Result(done.returncode, done.stdout, done.stderr)


_CONTAINER = re.compile(r"^\| \*\*`([^`]+)`\*\* \| \|$")
_ROW = re.compile(r"^\| (?:&nbsp;)+(\w+) \| (.*) \|$")
_IMAGE = re.compile(r"^\| &nbsp;&nbsp;\[`([^`]+)`\]\([^)]*\) \| `([^`]*)` \| `([^`]*)` \| `([^`]*)` \|$")


@dataclass
class Page:
    """The containers and images of a page, keyed as the page shows them."""

    title: str
    containers: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> row name -> cell
    images: list[tuple[str, str, str, str]] = field(default_factory=list)  # name, date, arch, size

    def links(self, container: str, row: str) -> list[str]:
        """The link texts of a row, e.g. the dependency names."""
        return re.findall(r"\[`([^`]+)`\]", self.containers[container].get(row, ""))


def parse_page(text: str) -> Page:
    lines = text.splitlines()
    page = Page(title=lines[0].removeprefix("# "))
    current: dict[str, str] | None = None
    for line in lines:
        if match := _CONTAINER.match(line):
            current = page.containers.setdefault(match[1], {})
        elif match := _IMAGE.match(line):
            page.images.append((match[1], match[2], match[3], match[4]))
        elif (match := _ROW.match(line)) and current is not None:
            current[match[1]] = match[2]
        elif not line.startswith("|"):
            current = None
    return page
