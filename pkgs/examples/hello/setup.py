"""The demo's C extension: built by `jcb build //examples/hello:wheel`."""

import os

from setuptools import Extension, setup

archs = os.environ.get("JCB_HELLO_CUDA_ARCHS", "")

setup(
    name="jcb_hello",
    version="1.0.0",
    ext_modules=[Extension("jcb_hello", ["hello.c"], define_macros=[("CUDA_ARCHS", f'"{archs}"')])],
)
