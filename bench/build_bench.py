"""Build benchmark on the real daemon: a 35-stage graph shaped like sglang's chain, built by jcb and
the jetson-containers way in one run.

    .venv/bin/python bench/build_bench.py [--reps 3] [--noop-runs 5] [--touches 2] [--work 400]

Needs the Docker daemon and base images of scripts/setup.sh. The packages come from
bench/gen_build_workspace.py: 25 light layers in the seed chain's order, 10 of them installing a
wheel whose builder compiles a generated C extension with gcc -O2 (a few seconds of CPU each).

Each repetition (a fresh nonce in every package file, a fresh jcb --cache-dir and image names
under a prefix of its own, so nothing of an earlier build can be a cache hit) measures:

* jcb: `jcb build //llm/sglang` cold; the same again unchanged (no-op, --noop-runs times); and
  after changing the file of the layer at ffmpeg's place in the chain (--touches times). Stages
  built, solves and compile (wheel) stages re-run are read from jcb's --event-log.
* the jetson-containers way, on the same packages: one `DOCKER_BUILDKIT=0 docker build
  --network=host` per package in chain order, each `FROM ${BASE_IMAGE}` of the previous
  package's image, every wheel compiled inside its package's layer; cold, no-op (docker's layer
  cache hits every step) and after the same change. Packages and compiles re-run are read from
  docker's output ("Using cache").

The two ways alternate which goes first in successive repetitions. Wall times are of the whole
command (jcb's includes Python start-up and analysis). Images made by a repetition are removed at
its end: every image built on the benchmark's own base image (jcbbench/base:<hash>, which
nothing else uses; so do not run two of these benchmarks at once). BuildKit's build cache is
left alone (it is shared with other users of the daemon; the nonces keep it from hitting).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import tarfile
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from common import JCB, REPO, jcb_source, machine, profile_jcb
from stage_breakdown import breakdown
from gen_build_workspace import (
    PACKAGES,
    TOUCHED,
    WHEEL_CMD,
    ensure_base_image,
    generate_jc,
    generate_jcb,
    touch,
    write_package_files,
)

PREFIX = "jcbbench-run"  # the jetson-containers way's images are named under it
TARGET = "//llm/sglang:sglang"
# cProfile phases of a no-op build (see common.profile_jcb); the main thread only: the cache
# lookups run in a thread pool, so the main thread shows them as the wait in lookup_all.
NOOP_PHASES = [
    ("imports, all (after interpreter start)", "cum", "<frozen importlib._bootstrap>(_find_and_load)"),
    ("  import python_on_whales (with pydantic)", "cum", "python_on_whales/__init__.py(<module>)"),
    ("engine detection (docker CLI version/info calls)", "cum", "engine/detect.py(detect_engine)"),
    ("plans: loading, analysis, planning, base image id", "cum", "cli/services.py(make_plans)"),
    ("  base image id (docker image inspect, first docker call)", "cum", "execution/base_image.py(_resolve)"),
    ("cache lookups: action cache + image exists, every stage", "cum", "execution/scheduler.py(lookup_all)"),
    ("the scheduler's run, with the lookups", "cum", "execution/scheduler.py(run)"),
    ("main thread waiting on docker CLI subprocesses", "cum", "subprocess.py(run)"),
]


@dataclass
class Measure:
    """One build: wall time and what ran."""

    wall_s: float
    rerun: int  # stages (jcb) or packages (jetson-containers way) whose build ran
    compiles: int  # wheel compiles that ran
    solves: int | None = None  # jcb only
    total: int = 0  # stages or packages in the build
    compile_s: float = 0.0  # time in wheel stages (jcb; they overlap) or wheel packages' builds
    light_s: float = 0.0  # time in the other stages or packages


@dataclass
class Results:
    rows: dict[str, list[Measure]] = field(default_factory=dict)
    profile: str = ""
    identical: list[str] = field(default_factory=list)  # touched image vs a full rebuild, per repetition
    breakdowns: list[dict] = field(default_factory=list)  # stage_breakdown of the builds, per repetition
    limit: dict = field(default_factory=dict)  # measure_work()

    def add(self, name: str, measure: Measure) -> None:
        self.rows.setdefault(name, []).append(measure)
        extra = f", {measure.solves} solves" if measure.solves is not None else ""
        print(f"  {name:34s} {measure.wall_s:7.2f}s  re-run {measure.rerun}/{measure.total}, "
              f"compiles {measure.compiles}{extra}; time in wheel stages/packages {measure.compile_s:.1f}s, "
              f"in the others {measure.light_s:.1f}s", flush=True)


def docker_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def jcb_build(workspace: Path, cache: Path, events: Path, log: Path, *extra: str) -> Measure:
    env = {**docker_env(), "JCB_CACHE_DIR": str(cache), "NO_COLOR": "1"}
    start = time.perf_counter()
    with log.open("a") as out:
        proc = subprocess.run([*JCB, "build", TARGET, f"--event-log={events}", "--progress=plain", *extra],
                              cwd=workspace, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
    wall = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"jcb build failed (exit {proc.returncode}); see {log}")
    records = read_jsonl(events)
    built = [r for r in records if r["outcome"] == "built"]
    return Measure(wall, len(built), sum(r["kind"] == "wheel" for r in built),
                   sum(r.get("solves", 0) for r in records), len(records),
                   sum(r["duration_s"] for r in built if r["kind"] == "wheel"),
                   sum(r["duration_s"] for r in built if r["kind"] != "wheel"))


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def jc_image(prefix: str, name: str) -> str:
    # jetson-containers names a chain's stage images <final>-<package>
    return f"{prefix}/sglang:r36.4.0-cu126-{name}"


def jc_build(tree: Path, prefix: str, base: str, log: Path) -> Measure:
    """Build the chain the jetson-containers way: one legacy `docker build` per package."""
    env = {**docker_env(), "DOCKER_BUILDKIT": "0"}
    rerun = compiles = 0
    compile_s = light_s = 0.0
    below = base
    start = time.perf_counter()
    with log.open("a") as out:
        for package in PACKAGES:
            started = time.perf_counter()
            directory = tree / "packages" / package.path
            tag = jc_image(prefix, package.name)
            proc = subprocess.run(["docker", "build", "--network=host", "--tag", tag, "--file",
                                   str(directory / "Dockerfile"), "--build-arg", f"BASE_IMAGE={below}",
                                   str(directory)], env=env, capture_output=True, text=True, check=False)
            out.write(proc.stdout + proc.stderr)
            if proc.returncode:
                raise SystemExit(f"docker build of {package.name} failed; see {log}")
            steps = re.split(r"^Step \d+/\d+ : ", proc.stdout, flags=re.MULTILINE)[1:]
            ran = [s for s in steps if s.startswith(("COPY", "RUN")) and "Using cache" not in s]
            rerun += bool(ran)
            compiles += any("pip wheel" in s.split("\n")[0] for s in ran)
            if package.wheel:
                compile_s += time.perf_counter() - started
            else:
                light_s += time.perf_counter() - started
            below = tag
    return Measure(time.perf_counter() - start, rerun, compiles, None, len(PACKAGES), compile_s, light_s)


def remove_images_built_on(base: str) -> int:
    """Remove every image built on the benchmark's own base image (nothing else uses it): the
    images of jcb's stages (named jcb/<package>:<key>), of the jetson-containers way (named under
    PREFIX) and the unnamed ones a rebuild leaves behind. Returns how many were removed."""
    inspect = subprocess.run(["docker", "image", "inspect", base], capture_output=True, text=True, check=True)
    base_info = json.loads(inspect.stdout)[0]
    base_layers = base_info["RootFS"]["Layers"]
    ids = subprocess.run(["docker", "images", "--all", "--no-trunc", "-q"], capture_output=True, text=True,
                         check=True).stdout.split()
    ids = sorted(set(ids) - {base_info["Id"]})
    if not ids:
        return 0
    infos = json.loads(subprocess.run(["docker", "image", "inspect", *ids], capture_output=True, text=True, check=False).stdout
                       or "[]")
    mine = [info for info in infos
            if info["RootFS"]["Layers"][:len(base_layers)] == base_layers and info["Id"] != base_info["Id"]]
    refs = [tag for info in mine for tag in info.get("RepoTags") or []]
    if mine:
        subprocess.run(["docker", "rmi", "--force", *refs, *(info["Id"] for info in mine)], capture_output=True, check=False)
    return len(mine)


def image_files(image: str) -> dict[str, str]:
    """Every entry of the image's file system: path -> type, mode and content digest (or link)."""
    container = subprocess.run(["docker", "create", image, "true"], capture_output=True, text=True,
                               check=True).stdout.strip()
    try:
        proc = subprocess.Popen(["docker", "export", container], stdout=subprocess.PIPE)
        assert proc.stdout is not None
        entries = {}
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            for member in tar:
                if member.isfile():
                    data = tar.extractfile(member)
                    digest = hashlib.sha256(data.read() if data else b"").hexdigest()
                    entries[member.name] = f"file {member.mode:o} {digest}"
                else:
                    entries[member.name] = f"{member.type!r} {member.mode:o} {member.linkname}"
        proc.wait()
        return entries
    finally:
        subprocess.run(["docker", "rm", container], capture_output=True, check=False)


def remove_tags(prefix: str) -> None:
    """Untag images named under ``prefix`` (their content stays for the builds that follow)."""
    refs = subprocess.run(["docker", "images", "--format", "{{.Repository}}:{{.Tag}}"], capture_output=True,
                          text=True, check=False).stdout.split()
    mine = [ref for ref in refs if ref.startswith(prefix)]
    if mine:
        subprocess.run(["docker", "rmi", *mine], capture_output=True, check=False)


def measure_work(base: str, work: int, cores: int) -> dict[str, float]:
    """This machine's limit for the bench's work: each compile and one light step timed alone
    (`docker run` on the base image, nothing else of ours running), then the larger of the
    critical path (the longest compile, then every light layer of the chain after it; a lower
    bound, since a compile can only start after build-essential) and the CPU work divided by the
    cores."""
    with tempfile.TemporaryDirectory(prefix="jcbbench-work-") as tmp:
        compiles = {}
        for package in (p for p in PACKAGES if p.wheel):
            directory = Path(tmp) / package.name
            write_package_files(directory, package, uuid.uuid4().hex, work)
            compiles[package.name] = timed_run(base, directory, f"cp -r /src /tmp/s && {WHEEL_CMD.replace('/opt/src', '/tmp/s')}")
        light = statistics.median(timed_run(base, Path(tmp), "cat /etc/*.conf | sha256sum > /tmp/x") for _ in range(3))
    cpu = sum(compiles.values())
    critical = max(compiles.values()) + light * (len(PACKAGES) - 1)
    return {"compile_s": compiles, "light_step_s": light, "cpu_work_s": cpu, "cores": cores,
            "critical_path_s": critical, "limit_s": max(critical, cpu / cores)}


def timed_run(image: str, directory: Path, command: str) -> float:
    start = time.perf_counter()
    subprocess.run(["docker", "run", "--rm", "--network=none", "-v", f"{directory}:/src:ro", image, "sh", "-c", command],
                   capture_output=True, check=True)
    return time.perf_counter() - start


def verify_image(image: str) -> bool:
    """The final image holds every layer's record and imports every compiled module."""
    modules = ", ".join(p.module for p in PACKAGES if p.wheel)
    proc = subprocess.run(["docker", "run", "--rm", image, "sh", "-c",
                           f"test -s /opt/bench/sglang.sum && python3 -c 'import {modules}'"],
                          capture_output=True, text=True, check=False)
    return proc.returncode == 0


def run_jcb(results: Results, root: Path, prefix: str, args: argparse.Namespace, log: Path) -> str:
    workspace, cache = root / "jcb", root / "cache"
    events = root / "events"
    events.mkdir()
    if args.compare_no_batch:  # the one-solve-per-stage executor, cold, on its own cache
        results.add("jcb --no-batch cold", jcb_build(workspace, root / "cache-no-batch", events / "nb.jsonl", log,
                                                     "--no-batch"))
        remove_tags(f"{prefix}/")
    results.add("jcb cold", jcb_build(workspace, cache, events / "cold.jsonl", log))
    for i in range(args.noop_runs):
        results.add("jcb no-op", jcb_build(workspace, cache, events / f"noop{i}.jsonl", log))
    if args.profile and not results.profile:
        results.profile = profile_jcb(["build", TARGET], NOOP_PHASES, workspace,
                                      {"JCB_CACHE_DIR": str(cache), "NO_COLOR": "1"}, "a no-op `jcb build`")
        print(results.profile, flush=True)
    for i in range(args.touches):
        touch(workspace, "pkgs", f"touch {i} {uuid.uuid4().hex}")
        results.add(f"jcb after touching {TOUCHED}", jcb_build(workspace, cache, events / f"touch{i}.jsonl", log))
    results.breakdowns.append({name: breakdown(read_jsonl(events / f"{name}.jsonl"))
                               for name in ("nb", "cold", "touch0") if (events / f"{name}.jsonl").exists()})
    final = f"{prefix}/sglang:0.4.9"
    if args.touches and args.check_identical:
        results.identical.append(same_as_full_rebuild(workspace, root, final, events, log))
    return final


def same_as_full_rebuild(workspace: Path, root: Path, image: str, events: Path, log: Path) -> str:
    """Rebuild the touched workspace from nothing (fresh cache, one solve per stage, so no step of
    the incremental build's solves is reused) and compare both final images file by file."""
    touched = image_files(image)
    jcb_build(workspace, root / "cache-full", events / "full.jsonl", log, "--no-batch")
    full = image_files(image)
    if touched == full:
        return f"identical ({len(full)} entries)"
    differ = sorted(p for p in set(touched) | set(full) if touched.get(p) != full.get(p))
    return f"DIFFERENT in {len(differ)} entries, e.g. {differ[:5]}"


def run_jc(results: Results, root: Path, prefix: str, base: str, args: argparse.Namespace, log: Path) -> str:
    tree = root / "jc"
    results.add("jetson-containers way cold", jc_build(tree, prefix, base, log))
    for _ in range(args.noop_runs):
        results.add("jetson-containers way no-op", jc_build(tree, prefix, base, log))
    for i in range(args.touches):
        touch(tree, "packages", f"touch {i} {uuid.uuid4().hex}")
        results.add(f"jetson-containers way after touching {TOUCHED}", jc_build(tree, prefix, base, log))
    return jc_image(prefix, PACKAGES[-1].name)


def summarise(results: Results) -> list[str]:
    lines = [(f"{'build':42s} {'median':>8s} {'min':>8s} {'max':>8s} {'n':>3s}  re-run (median)  compiles  solves"
              "  in wheel/other stages (median s)")]
    medians = {}
    for name, measures in results.rows.items():
        walls = [m.wall_s for m in measures]
        medians[name] = statistics.median(walls)
        rerun = statistics.median(m.rerun for m in measures)
        compiles = statistics.median(m.compiles for m in measures)
        solves = ("-" if measures[0].solves is None
                  else f"{min(m.solves for m in measures)}..{max(m.solves for m in measures)}")
        split = (f"{statistics.median(m.compile_s for m in measures):.1f} / "
                 f"{statistics.median(m.light_s for m in measures):.1f}")
        lines.append(f"{name:42s} {medians[name]:8.2f} {min(walls):8.2f} {max(walls):8.2f} {len(walls):3d}  "
                     f"{rerun:g}/{measures[0].total:<13d} {compiles:<9g} {solves:<7s} {split}")
    for case in ("cold", "no-op", f"after touching {TOUCHED}"):
        ours, theirs = medians.get(f"jcb {case}"), medians.get(f"jetson-containers way {case}")
        if ours and theirs:
            lines.append(f"ratio jetson-containers way / jcb, {case}: {theirs / ours:.1f}x")
    lines += targets(results, medians)
    return lines


def targets(results: Results, medians: dict[str, float]) -> list[str]:
    """The issue's targets, each met or not, from this run's medians and counts."""
    lines = []

    def ratio(case: str) -> float:
        ours, theirs = medians.get(f"jcb {case}"), medians.get(f"jetson-containers way {case}")
        return theirs / ours if ours and theirs else 0.0

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    if "jcb cold" in medians:
        line = f"target cold >= 1.5x: {ratio('cold'):.2f}x: {verdict(ratio('cold') >= 1.5)}"
        if results.limit:
            share = medians["jcb cold"] / results.limit["limit_s"]
            line += (f"; within 1.2x of the machine limit {results.limit['limit_s']:.1f}s: {share:.2f}x: "
                     f"{verdict(share <= 1.2)}")
        lines.append(line)
    touched = results.rows.get(f"jcb after touching {TOUCHED}", [])
    if touched:
        compiles = sorted({m.compiles for m in touched})
        ok = ratio(f"after touching {TOUCHED}") >= 8 and compiles == [0] and all(
            i.startswith("identical") for i in results.identical)
        lines.append(f"target touch >= 8x, 0 compiles, identical image: {ratio(f'after touching {TOUCHED}'):.2f}x, "
                     f"compiles {compiles}, images {results.identical or 'not compared'}: {verdict(ok)}")
    noop = results.rows.get("jcb no-op", [])
    if noop:
        solves = sorted({m.solves for m in noop})
        lines.append(f"target no-op >= 8x with 0 solves: {ratio('no-op'):.2f}x, median {medians['jcb no-op']:.3f}s, "
                     f"solves {solves}: {verdict(ratio('no-op') >= 8 and solves == [0])}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=3, help="cold builds of each way (fresh everything)")
    parser.add_argument("--noop-runs", type=int, default=5, help="no-op builds per repetition")
    parser.add_argument("--touches", type=int, default=2, help="touch-rebuilds per repetition")
    parser.add_argument("--work", type=int, default=400, help="functions in each wheel's C file")
    parser.add_argument("--profile", action="store_true", help="profile one jcb no-op build (cProfile)")
    parser.add_argument("--keep", action="store_true", help="keep the workspaces (under /tmp) and images")
    parser.add_argument("--compare-no-batch", action="store_true",
                        help="also build cold with --no-batch (one solve per stage) in each repetition")
    parser.add_argument("--no-limit", dest="limit", action="store_false",
                        help="do not measure the machine limit (each compile alone) first")
    parser.add_argument("--limit-from", type=Path, metavar="JSON",
                        help="take the machine limit from an earlier run's bench/out/build.json (same --work)")
    parser.add_argument("--no-check-identical", dest="check_identical", action="store_false",
                        help="do not compare the touched image with a full rebuild's")
    args = parser.parse_args()

    base = ensure_base_image()  # outside the timing; reused across runs
    run_id = uuid.uuid4().hex[:8]
    removed = remove_images_built_on(base)  # leftovers of this script's earlier, interrupted runs
    results = Results()
    versions = subprocess.run(["docker", "version", "--format", "{{.Client.Version}} client, {{.Server.Version}} daemon"],
                              capture_output=True, text=True, check=False).stdout.strip()
    notes = [f"machine: {machine()}", jcb_source(), f"docker: {versions}",
             (f"base image {base}; {len(PACKAGES)} packages, {sum(p.wheel for p in PACKAGES)} compiled wheels, "
              f"--work {args.work}; run {run_id}; {removed} leftover images removed")]
    print("\n".join(notes), flush=True)
    if args.limit_from:
        results.limit = json.loads(args.limit_from.read_text())["limit"]
        notes.append(f"machine limit for this work (measured in an earlier run): {json.dumps(results.limit)}")
        print(notes[-1], flush=True)
    elif args.limit:
        results.limit = measure_work(base, args.work, os.cpu_count() or 1)
        notes.append(f"machine limit for this work: {json.dumps(results.limit)}")
        print(notes[-1], flush=True)
    for rep in range(args.reps):
        prefix = f"{PREFIX}-{run_id}-{rep}"
        root = Path(tempfile.mkdtemp(prefix=f"{prefix}-"))
        nonce = uuid.uuid4().hex
        generate_jcb(root / "jcb", base, prefix, nonce, args.work)
        generate_jc(root / "jc", nonce, args.work)
        log = root / "build.log"
        print(f"repetition {rep + 1}/{args.reps} in {root} (log {log})", flush=True)
        notes.append(f"repetition {rep + 1}: load average at its start {os.getloadavg()[0]:.1f}")
        try:
            order = ["jcb", "jc"] if rep % 2 == 0 else ["jc", "jcb"]
            finals = [run_jcb(results, root, prefix, args, log) if way == "jcb"
                      else run_jc(results, root, f"{prefix}-jc", base, args, log) for way in order]
            verified = {image: verify_image(image) for image in finals}
            notes.append(f"repetition {rep + 1}: final images import all compiled modules: {verified}; "
                         f"load average at its end {os.getloadavg()[0]:.1f}")
            print(notes[-1], flush=True)
        finally:
            if not args.keep:
                print(f"removed {remove_images_built_on(base)} images built on {base}", flush=True)
                shutil.rmtree(root, ignore_errors=True)
    lines = summarise(results)
    print("\n".join(lines))
    if results.profile:
        print(results.profile)
    out = REPO / "bench" / "out" / "build.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"notes": notes, "summary": lines, "profile": results.profile,
                               "limit": results.limit, "identical": results.identical,
                               "breakdowns": results.breakdowns,
                               "rows": {k: [asdict(m) for m in v] for k, v in results.rows.items()}}, indent=2))


if __name__ == "__main__":
    main()
