"""Ed25519 signatures over remote action results (via ``cryptography``).

A key has a name (who signed: ``builder-a``). Files are one line each:
``jcb-ed25519-secret NAME BASE64(seed)`` (mode 0600) and ``jcb-ed25519 NAME BASE64(public key)``.
A signature is ``NAME:BASE64(sig)`` over ``SIGNED_PREFIX + <the result's JSON bytes>``; the JSON
names the action key, so a signature cannot be moved to another entry.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

SECRET_TAG = "jcb-ed25519-secret"
PUBLIC_TAG = "jcb-ed25519"
SIGNED_PREFIX = b"jcb action result v1\0"
_RAW = (serialization.Encoding.Raw, serialization.PublicFormat.Raw)


class KeyFileError(ValueError):
    """A key file or trusted-key spec that cannot be used (the message names it)."""


@dataclass(frozen=True)
class SigningKey:
    name: str
    private: Ed25519PrivateKey

    def sign(self, payload: bytes) -> str:
        return f"{self.name}:{_b64(self.private.sign(SIGNED_PREFIX + payload))}"

    @property
    def public_line(self) -> str:
        return f"{PUBLIC_TAG} {self.name} {_b64(self.private.public_key().public_bytes(*_RAW))}\n"


def generate(name: str, secret_path: Path) -> SigningKey:
    """A new key written to ``secret_path`` (0600) and ``secret_path.pub``."""
    if not name or any(c.isspace() or c == ":" for c in name):
        raise KeyFileError(f"key name {name!r} must be non-empty, without spaces or ':'")
    key = SigningKey(name, Ed25519PrivateKey.generate())
    seed = key.private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                     serialization.NoEncryption())
    fd = os.open(secret_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"{SECRET_TAG} {name} {_b64(seed)}\n")
    Path(f"{secret_path}.pub").write_text(key.public_line)
    return key


def load_signing_key(path: Path) -> SigningKey:
    name, raw = _read_line(path, SECRET_TAG)
    try:
        return SigningKey(name, Ed25519PrivateKey.from_private_bytes(raw))
    except ValueError:
        raise KeyFileError(f"{path}: not an ed25519 secret key") from None


def load_trusted(spec: str) -> dict[str, Ed25519PublicKey]:
    """Comma-separated public key files (``jcb cache keygen``'s ``.pub``) or inline ``NAME:BASE64``."""
    trusted: dict[str, Ed25519PublicKey] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        if Path(item).is_file():
            name, raw = _read_line(Path(item), PUBLIC_TAG)
        elif ":" in item:
            name, encoded = item.split(":", 1)
            raw = _unb64(encoded, item)
        else:
            raise KeyFileError(f"trusted key {item!r} is neither a public key file nor NAME:BASE64")
        try:
            trusted[name] = Ed25519PublicKey.from_public_bytes(raw)
        except ValueError:
            raise KeyFileError(f"trusted key {item!r} is not an ed25519 public key") from None
    return trusted


def verify(trusted: Mapping[str, Ed25519PublicKey], payload: bytes, signature: str | None) -> str:
    """"" if ``signature`` is a trusted key's over ``payload``; else why not."""
    if not signature:
        return "it is not signed"
    name, _, encoded = signature.partition(":")
    key = trusted.get(name)
    if key is None:
        return f"it is signed by '{name}', which is not a trusted key"
    try:
        key.verify(_unb64(encoded, "signature"), SIGNED_PREFIX + payload)
    except (InvalidSignature, KeyFileError):
        return f"its signature by '{name}' does not verify"
    return ""


def _read_line(path: Path, tag: str) -> tuple[str, bytes]:
    try:
        fields = path.read_text().split()
    except OSError as e:
        raise KeyFileError(f"{path}: {e.strerror}") from None
    if len(fields) != 3 or fields[0] != tag:
        raise KeyFileError(f"{path}: expected one line '{tag} NAME BASE64'")
    return fields[1], _unb64(fields[2], str(path))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise KeyFileError(f"{what}: not valid base64") from None
