"""Registry credentials and auth: docker's config and credential helpers, basic and bearer-token auth.

Credentials are looked up the way ``docker login`` stores them (``$DOCKER_CONFIG/config.json``:
``credHelpers``, ``credsStore``, ``auths``), through docker-py's ``docker.auth``. ``RegistryAuth``
answers a registry's ``401`` challenge: ``Basic`` with those credentials, or ``Bearer`` by asking
the challenge's token realm (the ``/token`` flow, anonymous when there are no credentials).
Secrets stay in headers; nothing here formats them into a message.
"""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Generator
from dataclasses import dataclass, field

import httpx

_PARAM = re.compile(r'(\w+)="([^"]*)"')


@dataclass(frozen=True)
class Credentials:
    """A user and password, or an identity (refresh) token. ``repr`` shows no secret."""

    username: str = ""
    password: str = field(default="", repr=False)
    identity_token: str = field(default="", repr=False)


def docker_credentials(host: str) -> Credentials | None:
    """The credentials docker would use for ``host`` (``host:port``), or None.

    A broken credential helper or config reads as no credentials: the registry then says 401.
    """
    from docker.auth import load_config
    from docker.errors import DockerException
    try:
        entry = load_config().resolve_authconfig(host)
    except (DockerException, OSError, ValueError):
        return None
    if not entry:
        return None
    return Credentials(entry.get("Username") or entry.get("username") or "",
                       entry.get("Password") or entry.get("password") or "",
                       entry.get("IdentityToken") or entry.get("identitytoken") or "")


class RegistryAuth(httpx.Auth):
    """Answers 401 challenges; bearer tokens are kept per repository and access (read or write)."""

    def __init__(self, credentials: Credentials | None, token_client: httpx.Client):
        self._credentials = credentials
        self._token_client = token_client  # no auth of its own; the same TLS settings
        self._tokens: dict[tuple[str, bool], str] = {}
        self._lock = threading.Lock()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        slot = (_repository(request.url.path), request.method not in ("GET", "HEAD"))
        with self._lock:
            known = self._tokens.get(slot)
        if known:
            request.headers["Authorization"] = known
        response = yield request
        if response.status_code != 401:
            return
        scheme, params = _challenge(response.headers.get("WWW-Authenticate", ""))
        if scheme == "basic" and self._credentials and self._credentials.username:
            header = _basic(self._credentials)
        elif scheme == "bearer" and params.get("realm"):
            header = self._token(params)
        else:
            return
        if not header:
            return
        with self._lock:
            self._tokens[slot] = header
        request.headers["Authorization"] = header
        yield request

    def _token(self, params: dict[str, str]) -> str:
        """A bearer header from the token realm, or "" if it refuses or cannot be reached."""
        try:
            return _bearer(self._token_client.send(self._token_request(params)))
        except httpx.HTTPError:
            return ""

    def _token_request(self, params: dict[str, str]) -> httpx.Request:
        """A token request to the challenge's realm: OAuth2 refresh for identity tokens, else GET."""
        query = {k: params[k] for k in ("service", "scope") if k in params}
        creds = self._credentials
        if creds and creds.identity_token:
            return httpx.Request("POST", params["realm"], data={
                **query, "grant_type": "refresh_token", "refresh_token": creds.identity_token,
                "client_id": "jcb"})
        headers = {}
        if creds and creds.username:
            headers["Authorization"] = _basic(creds)
        return httpx.Request("GET", params["realm"], params=query, headers=headers)


def _basic(creds: Credentials) -> str:
    return "Basic " + base64.b64encode(f"{creds.username}:{creds.password}".encode()).decode()


def _challenge(header: str) -> tuple[str, dict[str, str]]:
    scheme, _, rest = header.strip().partition(" ")
    return scheme.lower(), dict(_PARAM.findall(rest))


def _bearer(response: httpx.Response) -> str:
    if response.status_code != 200:
        return ""
    try:
        body = response.json()
    except ValueError:
        return ""
    token = body.get("token") or body.get("access_token") if isinstance(body, dict) else None
    return f"Bearer {token}" if isinstance(token, str) and token else ""


def _repository(path: str) -> str:
    """``/v2/<repo>/{blobs,manifests,tags}/...`` -> ``<repo>``."""
    inner = path.removeprefix("/v2/")
    for marker in ("/blobs/", "/manifests/", "/tags/"):
        if marker in inner:
            return inner.split(marker, 1)[0]
    return inner
