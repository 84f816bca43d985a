"""Builder B against builder A, cold, through a remote cache: the 35-stage sglang-shaped graph of
bench/gen_build_workspace.py (10 compiled wheels).

    .venv/bin/python bench/builders_bench.py [--reps 1] [--work 400]

Each repetition starts a registry of its own on loopback and a second dockerd (builder B: own data
root, exec root, socket and bridge; tests/e2e/e2e_lab_helpers.py) with an empty daemon. Builder A (the shared
daemon, a fresh --cache-dir, fresh nonces so nothing is a hit) builds //llm/sglang cold with
--remote-cache; then B, with an empty daemon and an empty cache, builds the same target. Reported:
wall time of each, B's speed-up, stages built and wheel stages compiled (from --event-log), whether
every image ID B ends with equals A's, and the bytes B moved (jcb cache stats). Goal: B >= 10x
faster, 0 compiles, identical digests.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from common import JCB, REPO, jcb_source, machine
from gen_build_workspace import ensure_base_image, generate_jcb

sys.path.insert(0, str(REPO / "tests" / "e2e"))
from e2e_lab_helpers import start_daemon, start_registry, stop, stop_daemon, untag

TARGET = "//llm/sglang:sglang"


def build(ws: Path, cache: Path, remote: str, env: dict[str, str], log: Path) -> tuple[float, list[dict]]:
    events = ws / f"events-{uuid.uuid4().hex[:6]}.jsonl"
    started = time.perf_counter()
    with log.open("a") as out:
        subprocess.run([*JCB, "build", TARGET, f"--remote-cache={remote}", f"--event-log={events}",
                        "--progress=plain"], cwd=ws, env={**os.environ, **env, "JCB_CACHE_DIR": str(cache)},
                       stdout=out, stderr=out, check=True)
    wall = time.perf_counter() - started
    return wall, [json.loads(line) for line in events.read_text().splitlines() if line.strip()]


def image_ids(docker: list[str], prefix: str) -> dict[str, str]:
    out = subprocess.run([*docker, "images", "--no-trunc", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"],
                         capture_output=True, text=True, check=True).stdout
    return dict(line.split() for line in out.splitlines() if line.startswith(f"{prefix}/"))


def cache_stats(ws: Path, cache: Path) -> dict:
    return json.loads(subprocess.run([*JCB, "cache", "stats", "--output=json"], cwd=ws,
                                     env={**os.environ, "JCB_CACHE_DIR": str(cache)},
                                     capture_output=True, text=True, check=True).stdout)


def repetition(work: int, root: Path) -> dict[str, object]:
    base = ensure_base_image()
    prefix = f"jcbbench-b-{uuid.uuid4().hex[:8]}"
    generate_jcb(root / "ws", base, prefix, uuid.uuid4().hex, work)
    registry = start_registry(root / "registry")
    daemon = start_daemon(root / "daemon-b")
    log = root / "build.log"
    try:
        remote = f"{registry.host}/bench"
        a_s, a_events = build(root / "ws", root / "cache-a", remote, {}, log)
        b_s, b_events = build(root / "ws", root / "cache-b", remote, {"DOCKER_HOST": daemon.host}, log)
        a_stats, b_stats = (cache_stats(root / "ws", root / c) for c in ("cache-a", "cache-b"))
        a_ids = image_ids(["docker"], prefix)
        b_ids = image_ids(["docker", "-H", daemon.host], prefix)
        return {
            "a_cold_s": round(a_s, 2), "b_cold_s": round(b_s, 2), "speedup": round(a_s / b_s, 1),
            "a_built": sum(e["outcome"] == "built" for e in a_events),
            "b_built": sum(e["outcome"] == "built" for e in b_events),
            "b_compiles": sum(e["outcome"] == "built" and e["kind"] == "wheel" for e in b_events),
            "b_outcomes": sorted({e["outcome"] for e in b_events}),
            "identical_image_ids": bool(b_ids) and all(a_ids.get(k) == v for k, v in b_ids.items()),
            "images_compared": len(b_ids),
            "a_bytes_up": a_stats["bytes_moved"]["up"], "b_bytes_down": b_stats["bytes_moved"]["down"],
            "b_time_saved_s": b_stats["time_saved_s"],
        }
    finally:
        stop_daemon(daemon)
        stop(registry.proc.pid)
        untag(prefix)
        untag(registry.host)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--work", type=int, default=400, help="functions in each wheel's C file")
    args = parser.parse_args()
    rows = []
    for rep in range(args.reps):
        root = Path(tempfile.mkdtemp(prefix="jcbbench-builders-"))
        try:
            rows.append(repetition(args.work, root))
            print(json.dumps(rows[-1]), flush=True)
        finally:
            shutil.rmtree(root, ignore_errors=True)
    out = REPO / "bench" / "out" / "builders.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": machine(), "jcb": jcb_source(), "work": args.work, "rows": rows}, indent=2))
    print(f"# builders on {machine()}; {jcb_source()}")


if __name__ == "__main__":
    main()
