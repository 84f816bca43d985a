"""HTTP to a registry: httpx with docker's TLS and credentials, a total deadline per call, and
"down for the rest of the build" after the first fault.

A call's deadline is ``timeout_s`` plus the time its bytes take at ``MIN_RATE``: a registry that
sends a 200 and then a byte every few seconds is cut off, a large wheel on a slow link is not.
A connection error, a deadline, a 5xx, a 429 or an auth refusal marks the registry down: that
call raises ``RegistryError`` (reported once by the caller), every later call fails at once.
"""

from __future__ import annotations

import ipaddress
import os
import re
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn
from urllib.parse import unquote, urlsplit

import httpx

from .registry_auth import Credentials, RegistryAuth, docker_credentials

MIN_RATE = 1 << 20  # bytes per second a transfer may not stay below
SMALL_BODY = 4 << 20  # manifests and other bodies read into memory
DOCKER_CERTS_D = Path("/etc/docker/certs.d")


class RegistryError(Exception):
    """A registry request failed; ``repeat``: the registry was already reported down."""

    def __init__(self, message: str, repeat: bool = False):
        super().__init__(message)
        self.repeat = repeat


@dataclass(frozen=True)
class Endpoint:
    """Where a remote cache lives. ``display`` is the location with any userinfo redacted."""

    scheme: str
    host: str  # host[:port]
    path: str  # "" or "team/jetson"
    display: str
    userinfo: Credentials | None = field(default=None, repr=False)

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)


_HOST_RE = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])"
                      r"(?::(\d{1,5}))?$")
_REPO_RE = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")


def parse_location(location: str) -> Endpoint:
    """``[http[s]://][user:pass@]HOST[:PORT][/PATH]``; loopback hosts default to http, others to https.
    ValueError saying what is wrong (the message never holds the userinfo)."""
    if "://" not in location:
        host_part = location.split("/", 1)[0].rsplit("@", 1)[-1]
        location_url = f"{'http' if is_loopback(host_part) else 'https'}://{location}"
    else:
        location_url = location
    parts = urlsplit(location_url)
    host = parts.netloc.rsplit("@", 1)[-1]
    creds = None
    if parts.username is not None:
        creds = Credentials(unquote(parts.username), unquote(parts.password or ""))
    display = location.replace(parts.netloc, f"***@{host}") if creds else location
    path = parts.path.strip("/")
    _check_location(parts.scheme, host, path)
    return Endpoint(parts.scheme, host, path, display, creds)


def _check_location(scheme: str, host: str, path: str) -> None:
    if scheme not in ("http", "https"):
        raise ValueError(f"scheme '{scheme}' is not http or https")
    port = _HOST_RE.match(host)
    if not host or not port or (port.group(1) and not 0 < int(port.group(1)) < 65536):
        raise ValueError(f"'{host}' is not a registry host[:port] such as 127.0.0.1:5000 or ghcr.io")
    if path and not _REPO_RE.match(path):
        raise ValueError(f"'{path}' is not a repository path (lower-case names separated by '/')")


def is_loopback(host: str) -> bool:
    """Whether ``host`` (``name[:port]``, ``[v6]:port``) is this machine."""
    if host.startswith("["):
        name = host[1:].split("]", 1)[0]
    else:
        name = host.split(":", 1)[0] if host.count(":") == 1 else host
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def tls_context(host: str, env: Mapping[str, str] = os.environ, certs_d: Path = DOCKER_CERTS_D) -> ssl.SSLContext:
    """System CAs, or ``$JCB_CA_BUNDLE``; plus docker's ``certs.d/<host>/*.crt`` CAs and client certs."""
    ctx = ssl.create_default_context(cafile=env.get("JCB_CA_BUNDLE") or None)
    mine = certs_d / host
    if mine.is_dir():
        for ca in sorted(mine.glob("*.crt")):
            ctx.load_verify_locations(cafile=str(ca))
        for cert in sorted(mine.glob("*.cert")):
            key = cert.with_suffix(".key")
            if key.is_file():
                ctx.load_cert_chain(str(cert), str(key))
    return ctx


@dataclass(frozen=True)
class Reply:
    status: int
    headers: httpx.Headers
    body: bytes = b""


class RegistryHttp:
    """One registry's connection pool; counts bytes moved; thread-safe."""

    def __init__(self, endpoint: Endpoint, timeout_s: float):
        self.endpoint = endpoint
        self.timeout_s = timeout_s
        self.bytes_in = 0
        self.bytes_out = 0
        self.down = ""
        self._lock = threading.Lock()
        creds = endpoint.userinfo or docker_credentials(endpoint.host)
        verify: ssl.SSLContext | bool = tls_context(endpoint.host) if endpoint.scheme == "https" else False
        settings = {"verify": verify, "follow_redirects": True, "trust_env": not endpoint.loopback,
                    "timeout": httpx.Timeout(timeout_s), "headers": {"Accept-Encoding": "identity"}}
        self._tokens = httpx.Client(**settings)  # type: ignore[arg-type]
        self._client = httpx.Client(auth=RegistryAuth(creds, self._tokens), **settings)  # type: ignore[arg-type]

    def call(self, method: str, url: str, *, ok: tuple[int, ...], data: bytes | None = None,
             headers: Mapping[str, str] | None = None, sink: Callable[[bytes], None] | None = None) -> Reply:
        """One request with its deadline; the body goes to ``sink`` or, if small, into the reply."""
        if self.down:
            raise RegistryError(self.down, repeat=True)
        started = time.monotonic()
        shown = urlsplit(url).path or url  # the host is in the location every message names
        deadline = started + self.timeout_s + len(data or b"") / MIN_RATE
        try:
            with self._client.stream(method, url, content=data, headers=dict(headers or {})) as resp:
                self._count(out=len(data or b""))
                if resp.status_code >= 500 or resp.status_code in (401, 403, 429):
                    self._fault(f"{method} {shown}: HTTP {resp.status_code}{_hint(resp.status_code, self.endpoint)}")
                if resp.status_code not in ok:
                    raise RegistryError(f"{method} {shown}: HTTP {resp.status_code}")
                size = int(resp.headers.get("Content-Length") or 0)
                deadline = max(deadline, started + self.timeout_s + size / MIN_RATE)
                body = b"" if method == "HEAD" else self._read(resp, deadline, sink, shown)
                return Reply(resp.status_code, resp.headers, body)
        except httpx.HTTPError as e:
            self._fault(f"{method} {shown}: {type(e).__name__}: {e}")

    def _read(self, resp: httpx.Response, deadline: float, sink: Callable[[bytes], None] | None, url: str) -> bytes:
        parts: list[bytes] = []
        got = 0
        for chunk in resp.iter_raw():
            got += len(chunk)
            self._count(into=len(chunk))
            if time.monotonic() > deadline:
                self._fault(f"GET {url}: no answer in time ({got} bytes after {self.timeout_s:.0f}s and more)")
            if sink is not None:
                sink(chunk)
            elif got > SMALL_BODY:
                raise RegistryError(f"GET {url}: body larger than {SMALL_BODY} bytes")
            else:
                parts.append(chunk)
        return b"".join(parts)

    def _count(self, *, into: int = 0, out: int = 0) -> None:
        with self._lock:
            self.bytes_in += into
            self.bytes_out += out

    def _fault(self, message: str) -> NoReturn:
        """Mark the registry down; the first fault's RegistryError is not a repeat."""
        with self._lock:
            first = not self.down
            if first:
                self.down = f"{self.endpoint.display} is down ({message}); going on without it"
        raise RegistryError(self.down if first else message, repeat=not first)

    def close(self) -> None:
        self._client.close()
        self._tokens.close()


def _hint(status: int, endpoint: Endpoint) -> str:
    if status in (401, 403):
        return f" (not authorized: `docker login {endpoint.host}`, or check its credential helper)"
    return ""
