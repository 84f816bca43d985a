"""A fast cache in front of a shared one: read-through, write-through."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import BinaryIO

from .action_cache import ActionResult
from .backend import CacheBackend, MissingBlobError
from .digest import Digest


class TieredCache(CacheBackend):
    """Reads ``local`` first, then ``remote``, copying remote hits (entry and blobs) into
    ``local``; writes go to both, ``local`` first."""

    def __init__(
        self,
        local: CacheBackend,
        remote: CacheBackend,
        *,
        on_warning: Callable[[str], None] = warnings.warn,
    ):
        self.local = local
        self.remote = remote
        self._warn = on_warning

    @contextmanager
    def session(self) -> Iterator[None]:
        with self.local.session(), self.remote.session():
            yield

    def get_action(self, key: str) -> ActionResult | None:
        result = self.local.get_action(key)
        if result is not None:
            return result
        result = self.remote.get_action(key)
        if result is None:
            return None
        with self.local.session():
            for digest in result.digests():
                if self.local.has_blob(digest):
                    continue
                f = self.remote.open_blob(digest)
                if f is None:
                    return None
                with f:
                    copied = self.local.put_blob(f)
                if copied != digest:
                    self._warn(f"cache: remote blob {digest} arrived as {copied}; ignoring remote entry {key}")
                    return None
            self.local.put_action(result)
        return result

    def find_action(self, key: str) -> tuple[ActionResult | None, str]:
        local = self.local.get_action(key)
        if local is not None:
            return local, "local"
        result = self.get_action(key)
        return result, "remote" if result is not None else "local"

    def get_local_action(self, key: str) -> ActionResult | None:
        return self.local.get_action(key)

    def put_action(self, result: ActionResult) -> None:
        self.local.put_action(result)
        self.remote.put_action(result)

    def has_blob(self, digest: Digest) -> bool:
        return self.local.has_blob(digest) or self.remote.has_blob(digest)

    def open_blob(self, digest: Digest) -> BinaryIO | None:
        f = self.local.open_blob(digest)
        return f if f is not None else self.remote.open_blob(digest)

    def put_blob(self, src: BinaryIO) -> Digest:
        with self.local.session():
            digest = self.local.put_blob(src)
            if not self.remote.has_blob(digest):
                f = self.local.open_blob(digest)
                if f is None:
                    raise MissingBlobError(f"blob {digest} vanished from the local cache before upload")
                with f:
                    self.remote.put_blob(f)
        return digest
