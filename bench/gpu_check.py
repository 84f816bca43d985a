"""Run jcb-built CUDA wheels on a real GPU: //examples/cuda's kernel against a CPU reference, and
bitsandbytes' own kernels (8-bit blockwise and 4-bit quantize/dequantize, int8 matmul) against torch.

Build the wheels for the platform of the GPU machine (standin-x86: x86_64, sm_90) and copy them out:

    jcb build //examples/cuda:wheel --platform=standin-x86 --output=DIR
    jcb build //llm/bitsandbytes:wheel --platform=standin-x86 --output=DIR

then, on the GPU machine (no internet; its python3 holds torch):

    python3 bench/gpu_check.py DIR [--json OUT.json]

The wheels are installed with `pip install --no-deps --target` into a scratch directory, so nothing
on the machine changes. Prints one line per check and exits 1 if any fails. Not a test: CI has no GPU.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path


def install(wheels: list[Path], target: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--no-compile",
                    "--target", str(target), *map(str, wheels)], check=True)
    sys.path.insert(0, str(target))


def sass_archs(library: Path) -> list[str]:
    """The sm_NN of the cubins cuobjdump lists in ``library`` (empty without cuobjdump)."""
    tool = shutil.which("cuobjdump") or "/usr/local/cuda/bin/cuobjdump"
    if not Path(tool).exists():
        return []
    out = subprocess.run([tool, "--list-elf", str(library)], capture_output=True, text=True).stdout
    return sorted(set(re.findall(r"\.sm_(\d+)\.cubin", out)))


def check_example() -> dict:
    import jcb_cuda
    n = 1 << 20
    x = [float(i % 1000) * 0.5 for i in range(n)]
    y = [1.0 - float(i % 7) for i in range(n)]
    got = jcb_cuda.saxpy(3.0, x, y)
    ref = [3.0 * a + b for a, b in zip(x, y)]
    worst = max(abs(g - r) for g, r in zip(got, ref))
    return {"ok": worst == 0.0, "n": n, "max_abs_error": worst, "devices": jcb_cuda.device_count(),
            "sass": sass_archs(jcb_cuda.LIBRARY), "library": str(jcb_cuda.LIBRARY)}


def check_bitsandbytes() -> dict:
    import torch
    bnb = importlib.import_module("bitsandbytes")
    F = importlib.import_module("bitsandbytes.functional")
    torch.manual_seed(0)
    a = torch.randn(4096, 4096, device="cuda", dtype=torch.float16)
    q8, state8 = F.quantize_blockwise(a)
    err8 = (F.dequantize_blockwise(q8, state8) - a).abs().float()
    q4, state4 = F.quantize_4bit(a, quant_type="nf4")
    err4 = (F.dequantize_4bit(q4, state4) - a).abs().float()
    ai = torch.randint(-127, 128, (512, 1024), device="cuda", dtype=torch.int8)
    bi = torch.randint(-127, 128, (768, 1024), device="cuda", dtype=torch.int8)
    mm = F.int8_linear_matmul(ai, bi)  # A @ B.T in int32, with cuBLASLt
    ref = (ai.double() @ bi.double().T).to(torch.int64)
    mm_ok = bool(torch.equal(mm.to(torch.int64), ref))
    libs = sorted(Path(bnb.__file__).parent.glob("libbitsandbytes_cuda*.so"))
    native = importlib.import_module("bitsandbytes.cextension").lib
    loaded = getattr(getattr(native, "_lib", None), "_name", "")  # the CDLL bitsandbytes' ops call
    ours = bool(libs and loaded) and Path(loaded).resolve() == libs[0].resolve()
    ours = ours and getattr(native, "compiled_with_cuda", False)
    return {"ok": ours and mm_ok and err8.mean().item() < 0.02 and err4.mean().item() < 0.1,
            "native_library_loaded": loaded,
            "version": bnb.__version__, "file": bnb.__file__, "library": [p.name for p in libs],
            "sass": sass_archs(libs[0]) if libs else [],
            "blockwise8_mean_abs_error": err8.mean().item(), "blockwise8_max_abs_error": err8.max().item(),
            "nf4_mean_abs_error": err4.mean().item(), "int8_matmul_equal": mm_ok,
            "torch": torch.__version__, "gpu": torch.cuda.get_device_name(0)}


def run_check(name: str, fn: Callable[[], dict]) -> dict:
    try:
        result = fn()
    except Exception as exc:  # the report says what failed and goes on with the next check
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    print(f"{name}: {'PASS' if result['ok'] else 'FAIL'} {json.dumps(result, sort_keys=True)}", flush=True)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wheels", type=Path, help="directory holding the jcb_cuda and bitsandbytes wheels")
    parser.add_argument("--json", type=Path, help="also write the results there")
    args = parser.parse_args()
    wheels = sorted(args.wheels.glob("*.whl"))
    print(f"date {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}; host {platform.node()} "
          f"{platform.machine()}; python {platform.python_version()}; wheels {[w.name for w in wheels]}", flush=True)
    with tempfile.TemporaryDirectory(prefix="jcb-gpu-") as tmp:
        install(wheels, Path(tmp))
        results = {"example_saxpy": run_check("example_saxpy", check_example),
                   "bitsandbytes": run_check("bitsandbytes", check_bitsandbytes)}
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, sort_keys=True))
    return 0 if all(r["ok"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
