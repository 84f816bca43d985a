"""Content-addressed build cache: action results plus the blobs (wheels, logs) they reference.

``LocalCache`` is the on-disk cache; ``TieredCache`` puts it in front of a shared
``CacheBackend`` such as ``RegistryCache`` (an OCI registry).
"""

from .action_cache import ActionResult
from .backend import CacheBackend, MissingBlobError
from .digest import Digest, sha256_bytes, sha256_file, sha256_stream
from .gc import CacheStats, GcReport, parse_size
from .local import LocalCache, default_cache_dir
from .registry import RegistryCache
from .tiered import TieredCache

__all__ = [
    "ActionResult",
    "CacheBackend",
    "CacheStats",
    "Digest",
    "GcReport",
    "LocalCache",
    "MissingBlobError",
    "RegistryCache",
    "TieredCache",
    "default_cache_dir",
    "parse_size",
    "sha256_bytes",
    "sha256_file",
    "sha256_stream",
]
