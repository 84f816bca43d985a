"""The BuildKit engine adapter: builds, images, registries and ``docker run`` for the executor.

``detect_engine()`` returns an ``Engine``: ``buildx`` (python-on-whales over the buildx
plugin) or ``docker-buildkit`` (``DOCKER_BUILDKIT=1 docker build``, for Docker 20.10 CLIs
without buildx). python_on_whales is imported only when an engine is used.
"""

from ..lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__, {
    ".buildx": ("BuildxEngine",),
    ".classic": ("DockerBuildkitEngine",),
    ".detect": ("BUILDERS", "detect_engine"),
    ".emulation": ("EmulationUnavailable", "check_can_run"),
    ".errors": ("EngineError", "EngineUnavailable", "SolveFailed"),
    ".model": ("BatchEngine", "BatchRequest", "BatchTarget", "Engine", "ImageInfo", "SolveRequest", "SolveResult"),
})

__all__ = [
    "BatchEngine",
    "BatchRequest",
    "BatchTarget",
    "BUILDERS",
    "BuildxEngine",
    "DockerBuildkitEngine",
    "EmulationUnavailable",
    "Engine",
    "EngineError",
    "EngineUnavailable",
    "ImageInfo",
    "SolveFailed",
    "SolveRequest",
    "SolveResult",
    "check_can_run",
    "detect_engine",
]
