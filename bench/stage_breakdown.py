"""Where a jcb build's time went, per stage: from its --event-log and BuildKit's own step timings.

    .venv/bin/python bench/stage_breakdown.py EVENTS.jsonl [--per-stage]

For every built stage the event record gives jcb's phases (``context``: staging package files and
input wheels; ``solve``: the `docker buildx build` call; ``store``: wheels and log into the CAS,
the action result; ``tests``, ``publish``), and the stage's log gives BuildKit's duration of each
vertex (``#N DONE 1.2s``). The solve is split into what BuildKit reports (set-up: definition,
.dockerignore, metadata, context transfer; the base image; compile steps; wheel installs; the
other steps; exporting the image or the wheels) and the rest: the CLI's start, the session and
the solve's scheduling, which BuildKit does not time. Vertices of one solve run one after another
here (single-chain Dockerfiles), so their durations add up; in a batched solve (several stages in
one build) the vertices of a stage are attributed to it by their stage name and overlap other
stages' vertices, so only the per-category sums are meaningful there. Each stage of a batch is
its own build with its own export vertex (since `057ae8a`); logs of the batches before it (one
`buildx bake`) share one export vertex whose DONE time is cumulative, and their export sums
overcount (BENCHMARKS.md sections 2d and 9).
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from pathlib import Path

_HEADER = re.compile(r"^#(\d+) \[([^\]]*)\] (.*)$")
_DONE = re.compile(r"^#(\d+) DONE (\d+(?:\.\d+)?)s$")
CATEGORIES = ("setup", "base", "compile", "install", "steps", "export")


def category(name: str, what: str) -> str:
    """The category of a vertex from its bracketed name and its text."""
    if "internal" in name.split():
        return "setup"
    if what.startswith("exporting") or name.split()[-1:] == ["exporting"]:
        return "export"
    if what.startswith("FROM "):
        return "base"
    if "pip wheel" in what or "pip3 wheel" in what:
        return "compile"
    if "/tmp/jcb-wheels" in what:
        return "install"
    return "steps"


def vertex_times(log: str) -> dict[str, float]:
    """Seconds per category of the vertices in one BuildKit plain log."""
    kinds: dict[str, str] = {}
    out: dict[str, float] = defaultdict(float)
    for line in log.splitlines():
        if m := _HEADER.match(line):
            kinds.setdefault(m[1], category(m[2], m[3]))
        elif line.startswith("#") and " exporting to " in line and (n := line.split()[0][1:]).isdigit():
            kinds[n] = "export"
        elif (m := _DONE.match(line)) and m[1] in kinds:
            out[kinds[m[1]]] += float(m[2])
    return out


def exporting_fix(log: str) -> str:
    """`#9 exporting to image` has no bracketed name in single-target logs; give it one."""
    return re.sub(r"^#(\d+) exporting to (image|client)$", r"#\1 [exporting] exporting to \2", log, flags=re.M)


def breakdown(events: list[dict]) -> dict[str, dict[str, float]]:
    """Per stage kind (layer, wheel): summed jcb phases, BuildKit categories and the unattributed rest."""
    sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for event in events:
        if event["outcome"] != "built":
            continue
        row = sums[event["kind"]]
        row["stages"] += 1
        row["duration"] += event["duration_s"]
        phases = event.get("phases", {})
        for name, seconds in phases.items():
            row[f"jcb:{name}"] += seconds
        log = Path(event.get("log", ""))
        times = vertex_times(exporting_fix(log.read_text(errors="replace"))) if log.is_file() else {}
        for name in CATEGORIES:
            row[f"buildkit:{name}"] += times.get(name, 0.0)
        row["solve outside BuildKit's steps"] += max(0.0, phases.get("solve", 0.0) - sum(times.values()))
        row["outside the solve"] += event["duration_s"] - phases.get("solve", 0.0)
    return sums


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("events", type=Path)
    args = parser.parse_args()
    events = [json.loads(line) for line in args.events.read_text().splitlines() if line.strip()]
    for kind, row in sorted(breakdown(events).items()):
        print(f"{kind}: {int(row.pop('stages'))} built, {row.pop('duration'):.1f}s summed over the stages")
        for name, seconds in row.items():
            print(f"  {name:34s} {seconds:7.1f}s")


if __name__ == "__main__":
    main()
