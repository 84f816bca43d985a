"""Runs inside the built image: the compiled extension imports and answers."""

import os

import jcb_hello

assert jcb_hello.greet("test") == "hello, test, from a compiled jcb wheel", jcb_hello.greet("test")
assert jcb_hello.cuda_archs() == os.environ["JCB_HELLO_CUDA_ARCHS"], jcb_hello.cuda_archs()
print(jcb_hello.greet(), "| CUDA archs:", jcb_hello.cuda_archs())
