"""Image lookups through the Docker Engine API's unix socket, for the no-op path.

A no-op build asks the daemon twice which images exist (the base image; the cached layers'
images). Through the docker CLI each ask is a process start (about 50 ms); over the daemon's
socket it is one HTTP request per image on one connection (about 1 ms each). The docker SDK for
Python does this too, but importing it (requests, urllib3) costs more than the CLI call it saves,
so this is the standard library's ``http.client`` on an ``AF_UNIX`` socket, for one read-only
endpoint (``GET /images/{name}/json``). Only where jcb can tell which socket the CLI would use:
an explicit ``unix://`` host, or no host, no ``$DOCKER_HOST`` other than ``unix://`` and no docker
context chosen. Anything else, and any error, answers None: the caller asks the CLI instead.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import quote

DEFAULT_SOCKET = "/var/run/docker.sock"
TIMEOUT_S = 10.0
CONNECTIONS = 4


def socket_path(host: str, env: Mapping[str, str] = os.environ) -> str | None:
    """The unix socket the docker CLI would talk to for ``host`` ("" for the default daemon), or None
    when that is not a unix socket or depends on a docker context."""
    if host:
        return host.removeprefix("unix://") if host.startswith("unix://") else None
    if env.get("DOCKER_HOST"):
        return socket_path(env["DOCKER_HOST"], {})
    if env.get("DOCKER_CONTEXT", "default") != "default" or _current_context(env) != "default":
        return None
    return DEFAULT_SOCKET


def _current_context(env: Mapping[str, str]) -> str:
    config = Path(env.get("DOCKER_CONFIG") or Path.home() / ".docker") / "config.json"
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return "default"
    except (OSError, ValueError):
        return "?"  # unreadable: let the CLI decide
    return str(data.get("currentContext") or "default") if isinstance(data, dict) else "?"


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str):
        super().__init__("localhost", timeout=TIMEOUT_S)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(TIMEOUT_S)
        try:
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


def inspect_images(path: str, refs: Sequence[str]) -> dict[str, tuple[str, ...]] | None:
    """ID -> tags of the images among ``refs`` that exist, asked over the socket at ``path``;
    None if the daemon could not be asked so (no socket, no permission, an unexpected answer).

    Many refs are asked over ``CONNECTIONS`` connections at once: the daemon takes about 0.7 ms
    per image inspected, and a no-op build asks for each of its layers' images (BENCHMARKS.md
    section 9)."""
    if len(refs) < 2 * CONNECTIONS:
        return _inspect_on_one(path, refs)
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(CONNECTIONS) as pool:
        parts = list(pool.map(lambda k: _inspect_on_one(path, refs[k::CONNECTIONS]), range(CONNECTIONS)))
    if any(part is None for part in parts):
        return None
    return {image_id: tags for part in parts if part for image_id, tags in part.items()}


def _inspect_on_one(path: str, refs: Sequence[str]) -> dict[str, tuple[str, ...]] | None:
    found: dict[str, tuple[str, ...]] = {}
    connection = _UnixConnection(path)
    try:
        for ref in refs:
            connection.request("GET", f"/images/{quote(ref, safe='/:@')}/json")
            response = connection.getresponse()
            body = response.read()
            if response.status == 404:
                continue
            if response.status != 200:
                return None
            data = json.loads(body)
            found[data["Id"]] = tuple(data.get("RepoTags") or ())
    except (OSError, http.client.HTTPException, ValueError, KeyError, TypeError):
        return None
    finally:
        connection.close()
    return found
