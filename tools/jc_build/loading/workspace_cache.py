"""The workspace (WORKSPACE.star, the platforms under toolchains/) as an earlier process evaluated
it, reused while every file it read is unchanged: with the loading cache, a repeated query or
no-op build then evaluates no Starlark and does not import starlark (BENCHMARKS.md section 9).

The same rules as ``load_cache``: (mtime, size, inode) signatures of every file read (a file that
was absent is recorded as absent), files changed in the last two seconds not trusted, JSON decoded
by ``codec`` against the model (data, never code), another jcb or model a silent miss, a file that
does not decode a miss with a warning. Only successful evaluations are stored.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from .. import __version__
from .codec import CodecError, decode, encode, fingerprint
from .load_cache import Signature, file_signature, racy, write_atomically
from .workspace import Workspace

FORMAT = "jcb-workspace-cache/1"


@dataclass
class WorkspaceFile:
    """The file: this jcb and model, the workspace's real path, what was read, what it declared."""

    format: str
    jcb: str
    schema: str
    key: str
    files: list[tuple[str, Signature]]
    workspace: Workspace


def cached_workspace(cache_dir: Path, root: Path, evaluate: Callable[[], tuple[Workspace, list[str]]],
                     warn: Callable[[str], None]) -> Workspace:
    """The workspace at ``root`` from ``cache_dir`` if its files are unchanged, else ``evaluate()``
    (the workspace and the files it read), which is then stored."""
    key = os.path.realpath(root)
    path = cache_dir / "workspace" / f"{zlib.crc32(key.encode()):08x}.json"
    found = _read(path, key, warn)
    if found is not None and all(file_signature(f) == signature for f, signature in found.files):
        return replace(found.workspace, root=root)
    workspace, files = evaluate()
    signatures = [(f, file_signature(f)) for f in files]
    if not any(racy(sig) for _, sig in signatures):
        try:
            text = json.dumps(encode(WorkspaceFile(FORMAT, __version__, fingerprint(WorkspaceFile), key, signatures,
                                                   workspace), WorkspaceFile), separators=(",", ":"))
        except CodecError:
            return workspace  # a value the codec cannot store: evaluated again next time
        write_atomically(path, text)
    return workspace


def _read(path: Path, key: str, warn: Callable[[str], None]) -> WorkspaceFile | None:
    try:
        data = json.loads(path.read_bytes())
    except OSError:
        return None
    except ValueError as exc:
        warn(f"workspace cache {path} is not valid ({str(exc)[:200]}); ignoring it")
        return None
    if not isinstance(data, dict) or (data.get("format"), data.get("jcb"), data.get("schema"), data.get("key")) != (
            FORMAT, __version__, fingerprint(WorkspaceFile), key):
        return None  # another jcb, model or workspace: a cold start, not a problem
    try:
        return decode(data, WorkspaceFile)
    except (CodecError, RecursionError) as exc:
        warn(f"workspace cache {path} is not valid ({str(exc)[:200]}); ignoring it")
        return None
