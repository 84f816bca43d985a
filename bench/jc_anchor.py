"""Anchor: time jetson-containers itself resolving sglang's chain and regenerating its docs page.

    .venv/bin/python bench/jc_anchor.py [--runs 5] [--jc-root DIR] [--jc-python PYTHON]

Needs a checkout of jetson-containers OUTSIDE this repository (default $JC_ROOT, else
/tmp/jetson-containers; the numbers in BENCHMARKS.md are from commit eaed3a25, 2025-07-07) and a
Python with its requirements.txt installed (default $JC_PYTHON, else /tmp/jc-venv/bin/python).
Nothing of jetson-containers is copied here: this script only runs it, in fresh processes.

Each timed process runs this file's `child` mode under jetson-containers' Python, which:

* configures it as a Jetson on L4T 36.4.0 / CUDA 12.6 / Python 3.10 / Ubuntu 24.04, the way it
  reads its environment: L4T_VERSION, CUDA_VERSION, PYTHON_VERSION and LSB_RELEASE variables,
  `platform.machine()` reporting aarch64, and `uname`/`lsb_release` on PATH reporting a tegra kernel
  (it asks `uname -a` whether it runs on a Jetson, and two package configs run `uname -r`);
* answers its network look-ups without a network: mode `refused` fails every HTTP request at once
  (connection refused) with the retry back-off sleeps skipped (its retries disabled); mode
  `canned` answers the nine URLs its package configs ask (GitHub tags, PyPI, Home Assistant's
  version file) at once with fixed replies, so every package config succeeds, as with a network
  of zero latency. `refused` is enough to resolve sglang; the docs page needs `canned`, because
  with failing look-ups some package configs raise, their packages go missing, and the docs
  generator's dependants scan stops on a KeyError;
* then runs `resolve_dependencies('sglang')` (what `jetson-containers build sglang` resolves before
  building) or `python -m jetson_containers.docs package 'sglang:*'` (writes
  packages/llm/sglang/README.md in the checkout, the page with sglang's three versions).
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

JC_COMMIT = "eaed3a25"
PLATFORM_ENV = {"L4T_VERSION": "36.4.0", "CUDA_VERSION": "12.6", "PYTHON_VERSION": "3.10", "LSB_RELEASE": "24.04"}

FAKE_UNAME = """#!/bin/sh
case "$1" in
  -r) echo 5.15.148-tegra ;;
  -m|-p|-i) echo aarch64 ;;
  ""|-s) echo Linux ;;
  *) echo 'Linux jetson 5.15.148-tegra #1 SMP PREEMPT aarch64 aarch64 aarch64 GNU/Linux' ;;
esac
"""
FAKE_LSB_RELEASE = "#!/bin/sh\necho 22.04\n"

# Replies for the URLs jetson-containers' package configs fetch while scanning (mode `canned`).
CANNED = {
    "https://api.github.com/repos/closeio/ciso8601/tags": [{"name": "v2.3.2"}],
    "https://api.github.com/repos/home-assistant-libs/psutil-home-assistant/tags": [{"name": "0.0.1"}],
    "https://api.github.com/repos/rhasspy/wyoming-faster-whisper/tags": [{"name": "v2.5.0"}],
    "https://api.github.com/repos/rhasspy/wyoming-piper/tags": [{"name": "v1.6.2"}],
    "https://api.github.com/repos/rhasspy/wyoming-openwakeword/tags": [{"name": "v1.10.0"}],
    "https://api.github.com/repos/rhasspy/wyoming-satellite/tags": [{"name": "v1.4.1"}],
    "https://api.github.com/repos/OHF-voice/piper1-gpl/tags": [{"name": "v1.3.0"}],
    "https://version.home-assistant.io/stable.json": {"homeassistant": {"default": "2025.7.1"}},
    "https://pypi.org/pypi/transformers/json": {"releases": {"4.53.1": []}},
}


def default_root() -> Path:
    return Path(os.environ.get("JC_ROOT", "/tmp/jetson-containers"))


def default_python() -> str:
    return os.environ.get("JC_PYTHON", "/tmp/jc-venv/bin/python")


# --------------------------------------------------------------------------------------------
# child: runs under jetson-containers' Python
# --------------------------------------------------------------------------------------------

def _patch_network(mode: str) -> None:
    import requests
    import requests.adapters

    def send(self, request, *args, **kwargs):
        if mode == "canned" and request.url in CANNED:
            response = requests.Response()
            response.status_code = 200
            response._content = json.dumps(CANNED[request.url]).encode()
            response.headers["Content-Type"] = "application/json"
            response.url = request.url
            response.request = request
            response.encoding = "utf-8"
            return response
        raise requests.exceptions.ConnectionError(f"no network in this benchmark: {request.url}", request=request)

    requests.adapters.HTTPAdapter.send = send


def child(mode: str, network: str, root: Path, package: str) -> None:
    import platform
    import runpy
    import time

    time.sleep = lambda seconds: None  # retries without their back-off
    platform.machine = lambda: "aarch64"
    _patch_network(network)
    sys.path.insert(0, str(root))
    if mode == "resolve":
        import jetson_containers
        print(" ".join(jetson_containers.resolve_dependencies(package)))
    elif mode == "docs":
        sys.argv = ["jetson_containers.docs", "package", package]
        runpy.run_module("jetson_containers.docs", run_name="__main__", alter_sys=True)
    else:
        raise SystemExit(f"unknown mode {mode}")


# --------------------------------------------------------------------------------------------
# parent: runs under jcb's Python
# --------------------------------------------------------------------------------------------

class Anchor:
    """Everything needed to run jetson-containers from fresh processes; see the module doc."""

    def __init__(self, root: Path | None = None, python: str | None = None) -> None:
        self.root = (root or default_root()).resolve()
        self.python = python or default_python()
        self._tmp = tempfile.TemporaryDirectory(prefix="jc-anchor-")
        tmp = Path(self._tmp.name)
        bindir = tmp / "bin"
        bindir.mkdir()
        for name, text in (("uname", FAKE_UNAME), ("lsb_release", FAKE_LSB_RELEASE)):
            (bindir / name).write_text(text)
            (bindir / name).chmod(stat.S_IRWXU)
        (tmp / "home").mkdir()
        (tmp / "cwd").mkdir()
        self.cwd = tmp / "cwd"
        self.env = {**PLATFORM_ENV, "PATH": f"{bindir}:{os.environ.get('PATH', '')}", "HOME": str(tmp / "home")}

    def problem(self) -> str | None:
        """Why the anchor cannot run here, or None."""
        if not (self.root / "jetson_containers" / "packages.py").is_file():
            return f"no jetson-containers checkout at {self.root} (set JC_ROOT)"
        if not Path(self.python).exists():
            return f"no Python for jetson-containers at {self.python} (set JC_PYTHON)"
        probe = subprocess.run([self.python, "-c", "import yaml, packaging, requests, wget, tabulate, termcolor"],
                               capture_output=True, text=True, check=False)
        if probe.returncode:
            return f"{self.python} lacks jetson-containers' requirements: {probe.stderr.strip().splitlines()[-1]}"
        return None

    def commit(self) -> str:
        from common import commit_of
        return commit_of(self.root, ".jc_commit", 8)

    def argv(self, mode: str, network: str, package: str) -> list[str]:
        return [self.python, str(Path(__file__).resolve()), "child", mode, network, str(self.root), package]

    def run_once(self, mode: str, network: str, package: str) -> subprocess.CompletedProcess:
        environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        environment.update(self.env)
        return subprocess.run(self.argv(mode, network, package), cwd=self.cwd, env=environment,
                              capture_output=True, text=True, check=False)

    def cases(self) -> list[tuple[str, list[str]]]:
        """(row name, argv) of each timed anchor."""
        return [
            ("jetson-containers: resolve sglang, network refused, no retries", self.argv("resolve", "refused", "sglang")),
            ("jetson-containers: resolve sglang, canned network replies", self.argv("resolve", "canned", "sglang")),
            ("jetson-containers: docs package 'sglang:*', canned network replies",
             self.argv("docs", "canned", "sglang:*")),
        ]

    def chain(self, network: str = "refused") -> list[str]:
        """sglang's chain as jetson-containers resolves it (its log lines go to stdout too)."""
        run = self.run_once("resolve", network, "sglang")
        lines = run.stdout.strip().splitlines()
        if run.returncode or not lines:
            raise RuntimeError(f"jetson-containers failed to resolve sglang:\n{run.stderr[-2000:]}")
        return lines[-1].split()

    def check(self, seed_page: Path | None = None) -> list[str]:
        """Run each case once and say what it produced (chain length, page equal to the seed page)."""
        notes = []
        for network in ("refused", "canned"):
            chain = self.chain(network)
            notes.append(f"resolve ({network}): chain of {len(chain)}: {' '.join(chain)}")
        run = self.run_once("docs", "refused", "sglang:*")
        last = (run.stderr.strip().splitlines() or ["(no output)"])[-1]
        notes.append(f"docs (refused): exit {run.returncode}: {last}")
        run = self.run_once("docs", "canned", "sglang:*")
        page = self.root / "packages" / "llm" / "sglang" / "README.md"
        same = seed_page is not None and seed_page.is_file() and page.read_text() == seed_page.read_text()
        notes.append(f"docs (canned): exit {run.returncode}, page identical to the committed seed page: {same}")
        return notes


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        child(sys.argv[2], sys.argv[3], Path(sys.argv[4]), sys.argv[5])
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import REPO, Table, time_command

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--jc-root", type=Path, default=None)
    parser.add_argument("--jc-python", default=None)
    args = parser.parse_args()
    anchor = Anchor(args.jc_root, args.jc_python)
    problem = anchor.problem()
    if problem:
        raise SystemExit(f"jetson-containers anchor unavailable: {problem}")
    print(f"# jetson-containers {anchor.commit()} at {anchor.root}, {anchor.python}", flush=True)
    for note in anchor.check(REPO / "tests" / "docs" / "data" / "sglang-README.md"):
        print(f"#   {note}", flush=True)
    table = Table("jetson-containers anchors", REPO / "bench" / "out" / "jc_anchor.json")
    for name, argv in anchor.cases():
        table.add(name, time_command(argv, args.runs, cwd=anchor.cwd, env=anchor.env))


if __name__ == "__main__":
    main()
