"""SHA-256 digests: the one place jcb hashes bytes and files."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from typing import BinaryIO

CHUNK = 1 << 20
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Digest:
    """A sha256 content digest; ``str()`` gives ``sha256:<64 hex>``."""

    hex: str

    def __post_init__(self) -> None:
        if not isinstance(self.hex, str) or not _HEX64.fullmatch(self.hex):
            raise ValueError(f"not a sha256 hex digest: {self.hex!r}")

    @classmethod
    def parse(cls, text: str) -> Digest:
        """Parse ``sha256:<64 lowercase hex>``; raise ValueError otherwise."""
        if not isinstance(text, str) or not text.startswith("sha256:"):
            raise ValueError(f"not a sha256 digest (want 'sha256:<64 hex>'): {text!r}")
        return cls(text.removeprefix("sha256:"))

    def __str__(self) -> str:
        return f"sha256:{self.hex}"


def sha256_bytes(data: bytes) -> Digest:
    """Digest of an in-memory byte string."""
    return Digest(hashlib.sha256(data).hexdigest())


def sha256_stream(f: BinaryIO) -> Digest:
    """Digest of everything left to read in a binary stream."""
    h = hashlib.sha256()
    while chunk := f.read(CHUNK):
        h.update(chunk)
    return Digest(h.hexdigest())


def sha256_file(path: str | os.PathLike[str]) -> Digest:
    """Digest of a file's content, read in chunks."""
    with open(path, "rb") as f:
        return sha256_stream(f)
