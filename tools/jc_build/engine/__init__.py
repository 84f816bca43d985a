"""The BuildKit engine adapter: builds, images, registries and ``docker run`` for the executor.

``detect_engine()`` returns an ``Engine``: ``buildx`` (python-on-whales over the buildx
plugin) or ``docker-buildkit`` (``DOCKER_BUILDKIT=1 docker build``, for Docker 20.10 CLIs
without buildx). python_on_whales is imported only when an engine is used.
"""

from jc_build.engine.buildx import BuildxEngine
from jc_build.engine.classic import DockerBuildkitEngine
from jc_build.engine.detect import BUILDERS, detect_engine
from jc_build.engine.emulation import EmulationUnavailable, check_can_run
from jc_build.engine.errors import EngineError, EngineUnavailable, SolveFailed
from jc_build.engine.model import (BatchEngine, BatchRequest, BatchTarget, Engine, ImageInfo, SolveRequest,
                                   SolveResult)

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
