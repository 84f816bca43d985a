"""Action cache: ``<root>/ac/ab/<key>.json`` maps an action key to its ``ActionResult``."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..faults import kill_point
from .digest import Digest, sha256_bytes
from .fs import AtomicFile


@dataclass(frozen=True)
class ActionResult:
    """What a finished stage produced; blobs are referenced by digest."""

    key: str
    kind: str
    image_id: str | None
    outputs: dict[str, Digest]  # output file name (e.g. a wheel filename) -> blob
    log_digest: Digest
    duration_s: float
    created: float = field(default_factory=time.time)  # unix time
    meta: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        Digest(self.key)  # action keys are sha256 hex digests
        _check(isinstance(self.kind, str) and self.kind != "", "kind must be a non-empty string")
        _check(self.image_id is None or isinstance(self.image_id, str), "image_id must be a string or null")
        _check(isinstance(self.outputs, dict), "outputs must be a mapping")
        for name, digest in self.outputs.items():
            _check(_is_file_name(name), f"output name must be a plain file name: {name!r}")
            _check(isinstance(digest, Digest), f"output {name!r} must map to a Digest")
        _check(isinstance(self.log_digest, Digest), "log_digest must be a Digest")
        for number in ("duration_s", "created"):
            value = getattr(self, number)
            _check(isinstance(value, (int, float)) and not isinstance(value, bool), f"{number} must be a number")
        _check(
            isinstance(self.meta, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in self.meta.items()),
            "meta must map strings to strings",
        )

    def digests(self) -> set[Digest]:
        """Every blob this result references."""
        return {*self.outputs.values(), self.log_digest}

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["outputs"] = {name: str(d) for name, d in self.outputs.items()}
        data["log_digest"] = str(self.log_digest)
        return data

    @classmethod
    def from_json(cls, data: Any) -> ActionResult:
        """Build from ``to_json`` output; raise ValueError on any malformed field."""
        _check(isinstance(data, dict), "result must be an object")
        _check(set(data) == {f.name for f in cls.__dataclass_fields__.values()}, "unexpected or missing fields")
        outputs = data["outputs"]
        _check(isinstance(outputs, dict), "outputs must be an object")
        return cls(**{
            **data,
            "outputs": {name: Digest.parse(d) for name, d in outputs.items()},
            "log_digest": Digest.parse(data["log_digest"]),
        })


class ActionCache:
    """Stores ``ActionResult`` entries with a checksum (an HMAC under ``key`` when given); entries that
    do not check out read as misses.

    Not locked, and does not check blobs: ``LocalCache`` does both.
    """

    def __init__(self, root: Path, tmp_dir: Path, on_warning: Callable[[str], None], key: bytes | None = None):
        self.dir = root / "ac"
        self._tmp_dir = tmp_dir
        self._warn = on_warning
        self._key = key

    def path(self, key: str) -> Path:
        Digest(key)  # validates; keys become file names
        return self.dir / key[:2] / f"{key}.json"

    def write(self, result: ActionResult) -> None:
        body = result.to_json()
        text = json.dumps({"checksum": _checksum(body, self._key), "result": body}, indent=2, sort_keys=True)
        with AtomicFile(self._tmp_dir) as tmp:
            tmp.file.write(text.encode())
            tmp.file.flush()
            kill_point("entry-write")
            tmp.commit(self.path(result.key))

    def read(self, key: str) -> ActionResult | None:
        """The entry for ``key``, or None if absent; a corrupt entry is removed with a warning."""
        path = self.path(key)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            doc = json.loads(raw)
            _check(isinstance(doc, dict) and set(doc) == {"checksum", "result"}, "not a cache entry")
            _check(isinstance(doc["checksum"], str)
                   and hmac.compare_digest(doc["checksum"], _checksum(doc["result"], self._key)),
                   "checksum mismatch: edited, or written under another cache key")
            result = ActionResult.from_json(doc["result"])
            _check(result.key == key, f"entry is for key {result.key}")
        except (ValueError, TypeError) as e:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            self.discard(key, f"is corrupt ({e})")
            return None
        return result

    def discard(self, key: str, why: str) -> None:
        """Remove an unusable entry and warn."""
        path = self.path(key)
        path.unlink(missing_ok=True)
        self._warn(f"cache: action entry {key} {why}; removed {path}")

    def touch(self, key: str) -> None:
        """Mark the entry used now (its mtime drives gc's LRU order)."""
        try:
            os.utime(self.path(key))
        except OSError:
            pass  # gone or read-only cache: the hit is still valid

    def keys(self) -> Iterator[tuple[str, os.stat_result]]:
        """Every entry's key with its stat; stray names are skipped."""
        for shard in sorted(self.dir.glob("??")):
            for path in shard.glob("*.json"):
                try:
                    key = Digest(path.stem).hex
                    yield key, path.stat()
                except (ValueError, FileNotFoundError):
                    continue


def _checksum(body: Any, key: bytes | None = None) -> str:
    """``hmac-sha256:<hex>`` under ``key``; ``sha256:<hex>`` without one (detects corruption only)."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    if key is None:
        return str(sha256_bytes(text))
    return "hmac-sha256:" + hmac.new(key, text, hashlib.sha256).hexdigest()


def _is_file_name(name: object) -> bool:
    return isinstance(name, str) and name not in ("", ".", "..") and "/" not in name and "\0" not in name


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)
