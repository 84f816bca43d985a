"""Generate the build benchmark's packages twice: as a jcb workspace and as a tree built the
jetson-containers way (one Dockerfile per package, chained through a BASE_IMAGE build arg).

    python bench/gen_build_workspace.py OUT_DIR [--base-image IMAGE] [--work N] [--prefix P]

The graph is shaped like sglang's chain (the seed page's order and names, 25 of its 35 layers):
25 light layers, 10 of which install a wheel. A wheel's builder compiles a generated C extension
with gcc -O2 (a few seconds of real CPU work, scaled by --work); in jcb its build_deps are the
small toolchain layer `//build/build-essential` only, so the 35 stages are 25 layers + 10 wheel
builders. In the jetson-containers tree the same wheel is compiled inside its own layer of the
chain (pip wheel + pip install in the package's Dockerfile, as its build.sh does), from the same
files with the same commands.

Nothing needs the network: the platform's base image (BASE_DOCKERFILE: Debian bookworm with
python3, pip, setuptools, wheel and gcc) is made once by `ensure_base_image`, outside any timing.
Every package file carries a nonce, so no build of an earlier run can be a cache hit.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

# (package directory under pkgs/, name, version, installs a compiled wheel), in chain order.
CHAIN = [
    ("build/build-essential", "build-essential", "1.0", False),
    ("cuda/cuda", "cuda", "12.6", False),
    ("build/python", "python", "3.11", False),
    ("numeric/numpy", "numpy", "1.26", False),
    ("build/cmake", "cmake", "3.31", False),
    ("pytorch", "pytorch", "2.8", True),
    ("pytorch/torchvision", "torchvision", "0.23.0", True),
    ("llm/transformers", "transformers", "4.53.1", False),
    ("ml/triton", "triton", "3.4.0", True),
    ("attention/flash-infer", "flashinfer", "0.2.8", True),
    ("multimedia/ffmpeg", "ffmpeg", "apt", False),
    ("pytorch/torchaudio", "torchaudio", "2.8.0", True),
    ("ml/mamba/causalconv1d", "causalconv1d", "1.6.0", False),
    ("ml/mamba/mamba", "mamba", "2.2.5", True),
    ("llm/xgrammar", "xgrammar", "0.1.21", False),
    ("diffusion/diffusers", "diffusers", "0.35.0", False),
    ("attention/xformers", "xformers", "0.0.32", True),
    ("attention/flash-attention", "flash-attention", "2.8.0.post2", True),
    ("attention/flexprefill", "flexprefill", "0.1.0", False),
    ("llm/minference", "minference", "0.1.7", False),
    ("pytorch/torchsaver", "torch-memory-saver", "0.0.7", False),
    ("llm/vllm", "vllm", "0.9.3", True),
    ("llm/sglang/genai-bench", "genai-bench", "0.1.0", False),
    ("llm/sglang/sgl-kernel", "sgl-kernel", "0.2.3", True),
    ("llm/sglang", "sglang", "0.4.9", False),
]
TOUCHED = "ffmpeg"  # the layer the touch-rebuild changes
TOOLCHAIN = "build-essential"

BASE_DOCKERFILE = """\
FROM jcb/debian:bookworm
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
    python3 python3-pip python3-dev python3-setuptools python3-wheel gcc libc6-dev \\
 && rm -rf /var/lib/apt/lists/*
"""
BASE_REPO = "jcbbench/base"

PIP = "PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip"
WHEEL_CMD = f"{PIP} wheel --no-deps --no-build-isolation -w /opt/wheels /opt/src"
INSTALL_CMD = f"{PIP} install --no-deps --no-index /opt/wheels/*.whl"


@dataclass(frozen=True)
class Package:
    path: str
    name: str
    version: str
    wheel: bool

    @property
    def module(self) -> str:
        return "bench_" + self.name.replace("-", "_")

    @property
    def marker(self) -> str:
        return f"{self.name}.txt"

    def layer_cmd(self) -> str:
        """The light layer's own work: record itself and fingerprint everything below it."""
        check = f" && python3 -c 'import {self.module}'" if self.wheel else ""
        return f"cat /opt/bench/*.txt | sha256sum > /opt/bench/{self.name}.sum{check}"


PACKAGES = [Package(*row) for row in CHAIN]


def c_source(name: str, work: int) -> str:
    """A C extension whose -O2 compile is real CPU work: ``work`` functions with loops to optimise."""
    module = "bench_" + name.replace("-", "_")
    seed = int(hashlib.sha256(name.encode()).hexdigest()[:6], 16)
    out = ["#include <Python.h>", ""]
    for i in range(work):
        a, b = (seed + i * 7) % 97 + 1, (seed + i * 13) % 89 + 2
        out.append(f"""static double f{i}(double x, int n) {{
    double s = {a}.0, t = x;
    for (int k = 0; k < n; k++) {{
        s = s * 0.5 + t * {b} - (k ^ {a});
        if ((k & {b % 7 + 1}) == 0) t = t / (1.0 + s * s) + {i};
        else t = t * 0.25 + (double)(k % {b});
        for (int j = 0; j < (k & 3); j++) s += t * j - {a};
    }}
    return s + t;
}}""")
    calls = " + ".join(f"f{i}(x, n)" for i in range(work))
    out.append(f"""static PyObject *run(PyObject *self, PyObject *args) {{
    double x = 1.0; int n = 10;
    if (!PyArg_ParseTuple(args, "|di", &x, &n)) return NULL;
    return PyFloat_FromDouble({calls});
}}
static PyMethodDef methods[] = {{{{"run", run, METH_VARARGS, "run"}}, {{NULL, NULL, 0, NULL}}}};
static struct PyModuleDef mod = {{PyModuleDef_HEAD_INIT, "{module}", NULL, -1, methods}};
PyMODINIT_FUNC PyInit_{module}(void) {{ return PyModule_Create(&mod); }}
""")
    return "\n".join(out)


def setup_py(name: str) -> str:
    module = "bench_" + name.replace("-", "_")
    return (f"from setuptools import Extension, setup\n\n"
            f"setup(name={module!r}, version='1.0',\n"
            f"      ext_modules=[Extension({module!r}, ['work.c'], extra_compile_args=['-O2'])])\n")


def write_package_files(directory: Path, package: Package, nonce: str, work: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / package.marker).write_text(f"{package.name} {package.version} {nonce}\n")
    if package.wheel:
        (directory / "setup.py").write_text(setup_py(package.name))
        (directory / "work.c").write_text(f"/* {nonce} */\n" + c_source(package.name, work))


def generate_jcb(out: Path, base_image: str, prefix: str, nonce: str, work: int) -> None:
    """The jcb workspace: a platform on ``base_image``, a chain of container_layers, wheel targets."""
    (out / "toolchains").mkdir(parents=True, exist_ok=True)
    (out / "WORKSPACE.star").write_text(
        f'workspace(name = "buildbench", default_platform = "bench", image_name = "{prefix}/{{package}}:{{version}}")\n')
    (out / "toolchains" / "BUILD.star").write_text(f"""platform(
    name = "bench",
    l4t = "36.4.0",
    jetpack = "6.1",
    cuda = "12.6",
    cudnn = "9.3",
    python = "3.11",
    distro = "12",
    arch = "x86_64",
    cuda_arch = ["87"],
    base_image = "{base_image}",
)
""")
    below = None
    for package in PACKAGES:
        directory = out / "pkgs" / package.path
        write_package_files(directory, package, nonce, work)
        text = ""
        files = [package.marker]
        if package.wheel:
            text += f"""wheel(
    name = "wheel",
    dist = "{package.module}",
    version = "1.0",
    build_deps = ["//build/{TOOLCHAIN}"],
    files = ["setup.py", "work.c"],
    steps = [
        copy("setup.py", "/opt/src/setup.py"),
        copy("work.c", "/opt/src/work.c"),
        run("{WHEEL_CMD}"),
    ],
)

"""
        deps = f'["//{below.path}:{below.name}"]' if below else "[]"
        wheels = '[":wheel"]' if package.wheel else "[]"
        text += f"""container_layer(
    name = "{package.name}",
    version = "{package.version}",
    deps = {deps},
    wheels = {wheels},
    files = {json.dumps(files)},
    steps = [
        copy("{package.marker}", "/opt/bench/{package.marker}"),
        run("{package.layer_cmd()}"),
    ],
)
"""
        (directory / "BUILD.star").write_text(text)
        below = package


def generate_jc(out: Path, nonce: str, work: int) -> None:
    """The jetson-containers-style tree: packages/<path>/Dockerfile, FROM ${BASE_IMAGE}."""
    for package in PACKAGES:
        directory = out / "packages" / package.path
        write_package_files(directory, package, nonce, work)
        lines = ["ARG BASE_IMAGE", "FROM ${BASE_IMAGE}"]
        if package.wheel:  # the compile happens inside the chain, in this package's layer
            lines += ["COPY setup.py work.c /opt/src/", f"RUN {WHEEL_CMD} && {INSTALL_CMD} && rm -rf /opt/wheels"]
        lines += [f"COPY {package.marker} /opt/bench/{package.marker}", f"RUN {package.layer_cmd()}"]
        (directory / "Dockerfile").write_text("\n".join(lines) + "\n")
        # docker build sends the whole package directory; keep nested packages out of it
        nested = sorted({p.path[len(package.path) + 1:].split("/")[0] for p in PACKAGES
                         if p.path.startswith(package.path + "/")})
        (directory / ".dockerignore").write_text("".join(f"{n}\n" for n in nested))


def touch(root: Path, tree: str, text: str) -> None:
    """Change the touched package's file (tree: "pkgs" for jcb, "packages" for the other way)."""
    package = next(p for p in PACKAGES if p.name == TOUCHED)
    path = root / tree / package.path / package.marker
    path.write_text(path.read_text() + text + "\n")


def ensure_base_image(docker: str = "docker") -> str:
    """Build (once; outside any timing) the platform base image; its tag is its Dockerfile's hash."""
    tag = f"{BASE_REPO}:{hashlib.sha256(BASE_DOCKERFILE.encode()).hexdigest()[:12]}"
    if subprocess.run([docker, "image", "inspect", tag], capture_output=True, check=False).returncode == 0:
        return tag
    subprocess.run([docker, "build", "--network=host", "-t", tag, "-"], input=BASE_DOCKERFILE.encode(),
                   check=True, env={**os.environ, "DOCKER_BUILDKIT": "0"})
    return tag


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--base-image", default=None, help="default: build/reuse the benchmark's base image")
    parser.add_argument("--work", type=int, default=400, help="functions in each wheel's C file")
    parser.add_argument("--prefix", default="jcbbench-manual")
    args = parser.parse_args()
    base = args.base_image or ensure_base_image()
    nonce = uuid.uuid4().hex
    generate_jcb(args.out / "jcb", base, args.prefix, nonce, args.work)
    generate_jc(args.out / "jc", nonce, args.work)
    print(f"{args.out / 'jcb'} (jcb workspace on {base}), {args.out / 'jc'} (one Dockerfile per package)")


if __name__ == "__main__":
    main()
