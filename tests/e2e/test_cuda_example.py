"""//examples/cuda on the stand-in platforms, end to end on the real engine (arm64 under qemu on x86):
the wheel's tag, its library's ELF machine and the SASS archs cuobjdump finds in it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ELF_MACHINES = {"aarch64": 0xB7, "x86_64": 0x3E}  # e_machine: EM_AARCH64, EM_X86_64

pytestmark = pytest.mark.engine


def jcb(cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JCB_CACHE_DIR": str(cache), "NO_COLOR": "1"}
    proc = subprocess.run([sys.executable, "-m", "jc_build.cli.main", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=1800)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


@pytest.mark.parametrize(("platform", "machine", "sm"), [("standin-arm64", "aarch64", "87"),
                                                         ("standin-x86", "x86_64", "90")])
def test_cuda_example_compiles_for_the_platform(docker_cli: str, tmp_path: Path, platform: str, machine: str,
                                                 sm: str) -> None:
    cache, out = tmp_path / "cache", tmp_path / "dist"
    built = jcb(cache, "build", "//examples/cuda", f"--platform={platform}", "--progress=plain")
    # the layer's own test ran cuobjdump in the image (and says whether a GPU ran the kernel)
    assert re.search(rf"test passed: test_cuda.py: SASS sm_{sm}; (no GPU visible|saxpy on)", built.stderr)
    image = re.search(r"image (\S+) \((sha256:[0-9a-f]+)\)", built.stdout).group(2)
    jcb(cache, "build", "//examples/cuda:wheel", f"--platform={platform}", f"--output={out}")
    (wheel,) = out.glob("*.whl")
    assert wheel.name == f"jcb_cuda-1.0.0-py3-none-linux_{machine}.whl"
    with zipfile.ZipFile(wheel) as whl:  # at the root or under jcb_cuda-1.0.0.data/purelib/
        (member,) = [n for n in whl.namelist() if n.endswith("jcb_cuda/libjcb_cuda.so")]
        lib = whl.read(member)
    assert lib[:4] == b"\x7fELF" and int.from_bytes(lib[18:20], "little") == ELF_MACHINES[machine]
    (tmp_path / "libjcb_cuda.so").write_bytes(lib)
    listing = subprocess.run([docker_cli, "run", "--rm", "--network=none", "-v", f"{tmp_path}:/w", image,
                              "/usr/local/cuda/bin/cuobjdump", "--list-elf", "/w/libjcb_cuda.so"],
                             capture_output=True, text=True, check=True, timeout=300).stdout
    assert set(re.findall(r"\.sm_(\d+)\.cubin", listing)) == {sm}, listing
