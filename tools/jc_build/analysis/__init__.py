"""Analysis: the configured target graph for one platform, its checks and its image chains."""

from .chains import build_deps_of, builder_chain, chain_of, image_chain
from .graph import ConfiguredGraph, Edges

__all__ = ["ConfiguredGraph", "Edges", "build_deps_of", "builder_chain", "chain_of", "image_chain"]
