"""Shell snippets the plan generates: apt/pip installs, the index lookup, checks (sources are fetched
by jcb on the host, never in a step).

They are part of the exec nodes' keyed attrs, so changing any text here changes keys (bump
``PLAN_FORMAT_VERSION`` anyway, for clarity).
"""

from __future__ import annotations

import re
from shlex import quote

from . import wheel_installer

PREBUILT_MARKER = "/opt/.jcb-prebuilt"  # left by the index lookup when the wheel came from the index
WHEELS_DIR = "/opt/wheels"  # where a wheel stage leaves its .whl files
SRC_DIR = "/opt/src"  # the first source of a wheel; others go to /opt/srcs/<target name>
EXTRA_SRC_DIR = "/opt/srcs"
WHEELS_MOUNT = "/tmp/jcb-wheels"  # where a layer's staged input wheels are bind-mounted
PIP_ENV = "PIP_BREAK_SYSTEM_PACKAGES=1"  # the image is the environment jcb installs into (PEP 668)


def apt_install(packages: list[str]) -> str:
    """apt-get update + install without recommends (lists live in a cache mount, not the image)."""
    pkgs = " ".join(quote(p) for p in packages)
    return ("apt-get $JCB_APT_CA update && DEBIAN_FRONTEND=noninteractive apt-get $JCB_APT_CA install -y "
            f"--no-install-recommends {pkgs}")


def pip_install(packages: list[str], index_url: str = "", extra_args: list[str] | None = None) -> str:
    args = ["python3", "-m", "pip", "install"]
    if index_url:
        args += ["--index-url", index_url]
    args += list(extra_args or []) + list(packages)
    return f"{PIP_ENV} " + " ".join(quote(a) for a in args)


def wheel_install() -> str:
    """Install the staged input wheels, offline (``wheel_installer.py``: the script and its digest)."""
    script = f"{WHEELS_MOUNT}/{wheel_installer.DIR}/install_wheels.py"
    return f"JCB_WHEEL_INSTALLER={wheel_installer.digest()} python3 {script} {WHEELS_MOUNT}/*.whl"


def default_wheel_build(src: str = SRC_DIR) -> str:
    return f"{PIP_ENV} python3 -m pip wheel --no-deps --no-build-isolation -w {WHEELS_DIR} {quote(src)}"


def index_lookup(index_url: str, spec: str) -> str:
    """Try the index first; mark the stage prebuilt when it yields a wheel (unless JCB_FORCE_BUILD=1)."""
    u, s = quote(index_url), quote(spec)
    return (f"mkdir -p {WHEELS_DIR} && "
            f"if [ \"${{JCB_FORCE_BUILD:-0}}\" = 1 ]; then echo 'jcb: JCB_FORCE_BUILD=1: compiling'; "
            f"elif {PIP_ENV} python3 -m pip download --no-deps --only-binary=:all: --index-url {u} {s} "
            f"-d {WHEELS_DIR} && ls {WHEELS_DIR}/*.whl >/dev/null 2>&1; then touch {PREBUILT_MARKER}; "
            f"echo \"jcb: using $(ls {WHEELS_DIR}) from the index\"; "
            f"else rm -rf {WHEELS_DIR} && mkdir -p {WHEELS_DIR}; echo 'jcb: not on the index: compiling'; fi")


def wheel_check(label: str, dist: str) -> str:
    """Fail unless the stage left a ``dist`` wheel in /opt/wheels (the executor checks its tags)."""
    name = re.sub(r"[-_.]+", "[-_.]", dist)
    pattern = rf"^{name}-[^-]+-.+\.whl$"
    return (f"ls {WHEELS_DIR} | grep -qiE {quote(pattern)} || "
            f"{{ echo \"jcb: {label} left no {dist} wheel in {WHEELS_DIR}; found: "
            f"$(ls {WHEELS_DIR} 2>/dev/null | tr '\\n' ' ')\" >&2; exit 1; }}")


NETWORK_TOOLS = re.compile(r"(?<![\w.-])(pip3?|-m pip|uv|apt-get|apt|git|curl|wget|conda|mamba|npm)(?![\w-])")
PIP_TOOLS = re.compile(r"(?<![\w.-])(pip3?|-m pip)(?![\w-])")
APT_TOOLS = re.compile(r"(?<![\w.-])(apt-get|apt)(?![\w-])")
# Commands that evidently reach the network: a run() step using one must declare its network.
DOWNLOADS = re.compile(r"(?<![\w.-])(pip3? (install|download)|-m pip (install|download)|uv pip install|"
                       r"apt-get (update|install|dist-upgrade)|apt (update|install)|git (clone|fetch|submodule)|"
                       r"curl|wget|cargo install|npm (install|ci)|conda install|mamba install)(?![\w-])")
