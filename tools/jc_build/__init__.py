"""jcb: a Bazel-style hermetic build system for NVIDIA Jetson container images.

Layers: ``loading`` (Starlark -> targets) -> ``analysis`` (configured graph)
-> ``plan`` (content-addressed stages) -> ``execution``/``cache``; ``cli`` on top.
"""

__version__ = "0.1.0"
