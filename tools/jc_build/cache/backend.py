"""The interface every cache tier implements: the local disk (``LocalCache``) and an OCI registry (``RegistryCache``)."""

from __future__ import annotations

import io
import os
from contextlib import AbstractContextManager, nullcontext
from typing import BinaryIO, Protocol

from .action_cache import ActionResult
from .digest import Digest


class MissingBlobError(LookupError):
    """``put_action`` was given a result whose blobs are not (or no longer) stored."""


class CacheBackend(Protocol):
    """Action entries plus the content-addressed blobs they reference.

    Contract: ``get_action`` returns a result only if every blob it references is
    present; ``open_blob`` only yields content matching its digest; corruption
    degrades to a miss, never a wrong result. Writers put blobs first, then the
    entry, inside one ``session()`` so garbage collection cannot fall in between.
    Implementations subclass this to inherit ``session``/``put_file``/``put_bytes``.
    """

    def session(self) -> AbstractContextManager[None]:
        """Keep garbage collection away while the block runs (a no-op unless overridden)."""
        return nullcontext()

    def get_action(self, key: str) -> ActionResult | None: ...

    def find_action(self, key: str) -> tuple[ActionResult | None, str]:
        """The entry for ``key`` and the tier that answered: ``"local"`` here; a tiered cache
        says ``"remote"`` for an entry it had to fetch from its shared tier."""
        return self.get_action(key), "local"

    def get_local_action(self, key: str) -> ActionResult | None:
        """The entry for ``key`` if this machine's tier holds it (no network call)."""
        return self.get_action(key)

    def put_action(self, result: ActionResult) -> None:
        """Record ``result``; raise MissingBlobError if a referenced blob is absent."""
        ...

    def has_blob(self, digest: Digest) -> bool: ...

    def open_blob(self, digest: Digest) -> BinaryIO | None:
        """A binary stream of the verified blob (caller closes it), or None on a miss."""
        ...

    def put_blob(self, src: BinaryIO) -> Digest:
        """Store everything left in ``src``; return its digest."""
        ...

    def put_file(self, path: str | os.PathLike[str]) -> Digest:
        with open(path, "rb") as f:
            return self.put_blob(f)

    def put_bytes(self, data: bytes) -> Digest:
        return self.put_blob(io.BytesIO(data))
