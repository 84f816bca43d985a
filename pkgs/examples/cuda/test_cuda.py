"""Runs inside the built image: the kernel holds SASS for exactly the platform's archs, and it
computes saxpy right when a GPU is visible (it says so when none is)."""

import os
import re
import subprocess

import jcb_cuda

want = sorted(os.environ["JCB_CUDA_ARCHS"].split(";"))
listing = subprocess.run(["/usr/local/cuda/bin/cuobjdump", "--list-elf", str(jcb_cuda.LIBRARY)],
                         capture_output=True, text=True, check=True).stdout
found = sorted(set(re.findall(r"\.sm_(\d+)\.cubin", listing)))
assert found == want, f"SASS for sm_{found}, want sm_{want}:\n{listing}"
ptx = subprocess.run(["/usr/local/cuda/bin/cuobjdump", "--list-ptx", str(jcb_cuda.LIBRARY)],
                     capture_output=True, text=True).stdout
assert ".ptx" not in ptx, f"unexpected PTX (JIT code) in the library:\n{ptx}"

if jcb_cuda.device_count():
    x, y = [float(i) for i in range(1000)], [1.0] * 1000
    got = jcb_cuda.saxpy(2.0, x, y)
    assert got == [2.0 * a + b for a, b in zip(x, y)], got[:5]
    print(f"SASS sm_{','.join(found)}; saxpy on {jcb_cuda.device_count()} GPU(s) matches the CPU")
else:
    print(f"SASS sm_{','.join(found)}; no GPU visible: the kernel was not run")
