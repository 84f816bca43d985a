"""Content-addressed build cache: action results plus the blobs (wheels, logs) they reference.

``LocalCache`` is the on-disk cache; ``TieredCache`` puts it in front of a shared
``CacheBackend`` such as ``RegistryCache`` (an OCI registry).
"""

from ..lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__, {
    ".action_cache": ("ActionResult",),
    ".backend": ("CacheBackend", "MissingBlobError"),
    ".digest": ("Digest", "sha256_bytes", "sha256_file", "sha256_stream"),
    ".gc": ("CacheStats", "GcReport", "parse_size"),
    ".local": ("LocalCache", "default_cache_dir"),
    ".registry": ("RegistryCache",),
    ".tiered": ("TieredCache",),
})

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
