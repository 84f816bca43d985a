"""Every package's chain by jetson-containers' own resolver: run with the checkout's venv.

``python jc_chains.py JC_ROOT ARCH > chains.json`` (platform values from L4T_VERSION, CUDA_VERSION,
PYTHON_VERSION, LSB_RELEASE in the environment). Prints {package: [names] or {"error": text}}.
The CPU is faked to ARCH (a Jetson kernel on aarch64), network look-ups are refused with the
importer's own refusal (so a config that looks up a latest version gets the same fallback on both
sides), and a config script that raises defines nothing, as at import.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

PROBE_DIR = Path(__file__).resolve().parents[2] / "tools" / "jc_build" / "importer"


def main() -> int:
    root, arch = sys.argv[1], sys.argv[2]
    sys.path.insert(0, root)
    sys.path.insert(0, str(PROBE_DIR))
    import probe  # the importer's host and network, so both sides see the same config outcomes
    probe.fake_host(arch)
    probe.refuse_network()
    out = sys.stdout
    with contextlib.redirect_stdout(io.StringIO()):
        import jetson_containers.packages as jcp
        probe.refuse_requests()
        configure = jcp.config_package

        def config_package(package):  # offline, a config that looks something up raises: it defines nothing
            try:
                return configure(package)
            except Exception:
                return []
        jcp.config_package = config_package
        packages = jcp.scan_packages()
    chains = {}
    for name in list(packages):
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                raw = jcp.resolve_dependencies(name)
            chains[name] = [jcp.find_package(entry)["name"] for entry in raw]
        except Exception as exc:  # what jetson-containers would fail with when asked for it
            chains[name] = {"error": f"{type(exc).__name__}: {exc}"}
    json.dump(chains, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
