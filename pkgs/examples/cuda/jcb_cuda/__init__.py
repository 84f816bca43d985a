"""A small CUDA kernel (saxpy: y = a*x + y) compiled by jcb for the platform's cuda_arch.

The kernel lives in ``libjcb_cuda.so`` (CUDA runtime linked statically), loaded with ctypes, so the
wheel is tagged ``py3-none-<platform>`` and installs on any CPython 3 of that arch.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from pathlib import Path

LIBRARY = Path(__file__).with_name("libjcb_cuda.so")
_lib = ctypes.CDLL(str(LIBRARY))
_lib.jcb_cuda_saxpy.argtypes = [ctypes.c_int, ctypes.c_float, ctypes.POINTER(ctypes.c_float),
                                ctypes.POINTER(ctypes.c_float)]
_lib.jcb_cuda_error_string.restype = ctypes.c_char_p


def device_count() -> int:
    """CUDA devices visible to this process (0 without a GPU or driver)."""
    return int(_lib.jcb_cuda_device_count())


def saxpy(a: float, x: Sequence[float], y: Sequence[float]) -> list[float]:
    """``a*x + y`` computed on the GPU; RuntimeError with CUDA's message when it cannot run."""
    if len(x) != len(y):
        raise ValueError("x and y differ in length")
    n = len(x)
    cx, cy = (ctypes.c_float * n)(*x), (ctypes.c_float * n)(*y)
    err = _lib.jcb_cuda_saxpy(n, ctypes.c_float(a), cx, cy)
    if err:
        raise RuntimeError(f"CUDA error {err}: {_lib.jcb_cuda_error_string(err).decode()}")
    return list(cy)
