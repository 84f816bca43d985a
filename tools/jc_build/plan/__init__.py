"""The build plan: a target's configured graph as content-addressed stages for the executor.

``make_plan(graph, workspace, root)`` returns a ``Plan``: ``Stage`` objects in execution order,
each with an action key (the digest of its last ``Node``, a Merkle DAG over its base, the
platform, steps, build args, env, file contents and input wheels), the Dockerfile rendered
from the same nodes, and what the executor must stage (context files, input wheels, secrets).
No Docker call happens here.
"""

from ..lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__, {
    "..loading.rules": ("WHEELS_CONTEXT_DIR",),
    ".model": ("PLAN_FORMAT_VERSION", "SECRET_CABUNDLE", "ContextFile", "ImageTest", "Input", "Node", "Operation", "Plan", "Stage"),
    ".planner": ("make_plan",),
})

__all__ = [
    "PLAN_FORMAT_VERSION",
    "SECRET_CABUNDLE",
    "WHEELS_CONTEXT_DIR",
    "ContextFile",
    "ImageTest",
    "Input",
    "Node",
    "Operation",
    "Plan",
    "Stage",
    "make_plan",
]
