"""A shared cache in an OCI registry, spoken to with the distribution API over urllib.

Blobs are OCI blobs of ``<registry>/<path>/jcb-cache`` (their registry digest is our digest);
an action result is an OCI manifest tagged ``ac-<key>`` whose config blob is the result's JSON
and whose layers are the blobs it references. Layer images go to ``.../jcb-cache-images:<key>``.
Anything unreadable, corrupt or unreachable is a miss with a warning, never an exception.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
import threading
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import urljoin

from .action_cache import ActionResult
from .backend import CacheBackend, MissingBlobError
from .digest import CHUNK, Digest, sha256_bytes

if TYPE_CHECKING:  # urllib.request and http.client (with email) load on the first request
    import urllib.error
    from http.client import HTTPResponse

    _Response = HTTPResponse | urllib.error.HTTPError

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
IMAGE_TYPES = ", ".join((MANIFEST_TYPE, "application/vnd.oci.image.index.v1+json",
                         "application/vnd.docker.distribution.manifest.v2+json",
                         "application/vnd.docker.distribution.manifest.list.v2+json"))
RESULT_TYPE = "application/vnd.jcb.action-result.v1+json"
BLOB_TYPE = "application/octet-stream"
KEY_ANNOTATION = "dev.jcb.action-key"
TITLE_ANNOTATION = "org.opencontainers.image.title"
SPOOL_BYTES = 8 << 20
_LOOPBACK = ("127.", "localhost", "[::1]")


class RegistryError(Exception):
    """A registry request failed (network, or an unexpected status); ``repeat``: already reported."""

    def __init__(self, message: str, repeat: bool = False):
        super().__init__(message)
        self.repeat = repeat


_HOST_RE = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])"
                      r"(?::(\d{1,5}))?$")
_REPO_RE = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")


def parse_location(location: str) -> tuple[str, str, str]:
    """``(scheme, host[:port], path)`` of ``[http[s]://]REGISTRY[/PATH]``; ValueError saying what is wrong."""
    scheme, sep, rest = location.partition("://")
    if not sep:
        scheme, rest = ("http" if location.startswith(_LOOPBACK) else "https"), location
    if scheme not in ("http", "https"):
        raise ValueError(f"scheme '{scheme}' is not http or https")
    host, _, path = rest.strip("/").partition("/")
    port = _HOST_RE.match(host)
    if not host or not port or (port.group(1) and not 0 < int(port.group(1)) < 65536):
        raise ValueError(f"'{host}' is not a registry host[:port] such as 127.0.0.1:5000 or ghcr.io")
    if path and not _REPO_RE.match(path):
        raise ValueError(f"'{path}' is not a repository path (lower-case names separated by '/')")
    return scheme, host, path


class RegistryCache(CacheBackend):
    """``location`` is ``REGISTRY[/PATH]`` (``http://`` or ``https://`` optional; loopback
    registries default to http, others to https). ``read_only`` stores nothing remotely."""

    def __init__(self, location: str, *, read_only: bool = False, timeout_s: float = 30.0,
                 on_warning: Callable[[str], None] = warnings.warn):
        scheme, host, path = parse_location(location)
        prefix = f"{path}/" if path else ""
        self.location = location
        self.read_only = read_only
        self.warn = on_warning
        self.repo = f"{prefix}jcb-cache"
        self.image_repo = f"{host}/{prefix}jcb-cache-images"
        self._base = f"{scheme}://{host}/v2/{self.repo}/"
        self._images = f"{scheme}://{host}/v2/{prefix}jcb-cache-images/"
        self._timeout = timeout_s
        self._down = ""  # set on the first network error: later requests fail at once, quietly
        self._down_lock = threading.Lock()

    # -- action results -------------------------------------------------------------
    def get_action(self, key: str) -> ActionResult | None:
        """The result tagged ``ac-<key>`` if its manifest, config and blobs all check out."""
        try:
            found = self._request("GET", f"manifests/{tag(key)}", headers={"Accept": MANIFEST_TYPE}, ok=(200, 404))
            if found.status == 404:
                return None
            body = _read_all(found)
            _verify_manifest(body, found.headers.get("Docker-Content-Digest"))
            manifest = json.loads(body)
            config = Digest.parse(manifest["config"]["digest"])
            layers = {Digest.parse(layer["digest"]) for layer in manifest["layers"]}
            data = self._read_blob(config)
            if data is None:
                raise ValueError(f"config blob {config} is missing or corrupt")
            with data:
                result = ActionResult.from_json(json.loads(data.read()))
            if result.key != key:
                raise ValueError(f"entry is for key {result.key}")
            if not result.digests() <= layers:
                raise ValueError("result references blobs its manifest does not")
            missing = sorted(str(d) for d in result.digests() if self._blob_size(d) is None)
            if missing:
                raise ValueError(f"references missing blobs {', '.join(missing)}")
        except RegistryError as e:
            self._failed(f"cannot read action {key}", e)
            return None
        except (ValueError, KeyError, TypeError) as e:  # JSON errors are ValueErrors
            self.warn(f"remote cache {self.location}: action entry {key} is corrupt ({e}); ignoring it")
            return None
        return result

    def put_action(self, result: ActionResult) -> None:
        """Tag a manifest for ``result``; MissingBlobError if a blob is absent remotely."""
        if self.read_only:
            return
        try:
            sizes = {d: self._blob_size(d) for d in sorted(result.digests(), key=str)}
            missing = sorted(str(d) for d, size in sizes.items() if size is None)
            if missing:
                raise MissingBlobError(f"action {result.key} references blobs not in {self.location}: "
                                       f"{', '.join(missing)}")
            config = json.dumps(result.to_json(), sort_keys=True).encode()
            config_digest = sha256_bytes(config)
            if self._blob_size(config_digest) is None:
                self._upload(config_digest, config)
            names = {d: n for n, d in result.outputs.items()} | {result.log_digest: "build.log"}
            manifest = {
                "schemaVersion": 2,
                "mediaType": MANIFEST_TYPE,
                "config": {"mediaType": RESULT_TYPE, "digest": str(config_digest), "size": len(config)},
                "layers": [{"mediaType": BLOB_TYPE, "digest": str(d), "size": size,
                            "annotations": {TITLE_ANNOTATION: names[d]}} for d, size in sizes.items()],
                "annotations": {KEY_ANNOTATION: result.key, "dev.jcb.kind": result.kind},
            }
            self._request("PUT", f"manifests/{tag(result.key)}", json.dumps(manifest).encode(),
                          {"Content-Type": MANIFEST_TYPE}, ok=(201,))
        except RegistryError as e:
            self._failed(f"cannot store action {result.key}", e)

    def has_image(self, tag: str) -> bool:
        """Whether ``<image_repo>:<tag>`` exists (a layer image pushed by a builder)."""
        try:
            found = self._request("HEAD", f"{self._images}manifests/{tag}", headers={"Accept": IMAGE_TYPES},
                                  ok=(200, 404))
        except RegistryError as e:
            self._failed(f"cannot check image {self.image_repo}:{tag}", e)
            return False
        return found.status == 200

    @property
    def reachable(self) -> bool:
        """False once a request could not reach the registry (it is not tried again)."""
        return not self._down

    # -- blobs ------------------------------------------------------------------------
    def has_blob(self, digest: Digest) -> bool:
        try:
            return self._blob_size(digest) is not None
        except RegistryError as e:
            self._failed(f"cannot check blob {digest}", e)
            return False

    def open_blob(self, digest: Digest) -> BinaryIO | None:
        try:
            return self._read_blob(digest)
        except RegistryError as e:
            self._failed(f"cannot read blob {digest}", e)
            return None

    def put_blob(self, src: BinaryIO) -> Digest:
        """Upload ``src`` unless the registry has its digest (or the cache is read-only)."""
        with tempfile.SpooledTemporaryFile(SPOOL_BYTES) as spool:
            digest = _copy_hashing(src, spool)
            if self.read_only:
                return digest
            try:
                if self._blob_size(digest) is None:
                    spool.seek(0)
                    self._upload(digest, spool.read())
            except RegistryError as e:
                self._failed(f"cannot store blob {digest}", e)
        return digest

    def delete_action(self, key: str) -> None:
        """Untag ``key``'s entry (tests, manual clean-up); its blobs stay until registry GC."""
        found = self._request("HEAD", f"manifests/{tag(key)}", headers={"Accept": MANIFEST_TYPE}, ok=(200, 404))
        if found.status == 200:
            self._request("DELETE", f"manifests/{found.headers['Docker-Content-Digest']}", ok=(202, 404))

    # -- HTTP -------------------------------------------------------------------------
    def _failed(self, what: str, e: RegistryError) -> None:
        if not e.repeat:
            self.warn(f"remote cache: {what}: {e}")

    def _blob_size(self, digest: Digest) -> int | None:
        found = self._request("HEAD", f"blobs/{digest}", ok=(200, 404))
        return int(found.headers.get("Content-Length", "0")) if found.status == 200 else None

    def _read_blob(self, digest: Digest) -> BinaryIO | None:
        """The blob, spooled and verified against ``digest``; None if absent or corrupt."""
        found = self._request("GET", f"blobs/{digest}", ok=(200, 404))
        if found.status == 404:
            return None
        from http.client import HTTPException
        spool = tempfile.SpooledTemporaryFile(SPOOL_BYTES)
        try:
            got = _copy_hashing(found, spool)
        except (OSError, HTTPException) as e:
            spool.close()
            raise RegistryError(f"reading blob {digest}: {e!r}") from None
        if got != digest:
            spool.close()
            self.warn(f"remote cache {self.location}: blob {digest} arrived as {got}; ignoring it")
            return None
        spool.seek(0)
        return spool  # type: ignore[return-value]

    def _upload(self, digest: Digest, data: bytes) -> None:
        """Monolithic upload: POST opens a session, PUT sends the bytes and the digest."""
        opened = self._request("POST", "blobs/uploads/", ok=(202,))
        location = urljoin(self._base, opened.headers["Location"])
        url = f"{location}{'&' if '?' in location else '?'}digest={digest}"
        self._request("PUT", url, data, {"Content-Type": "application/octet-stream"}, ok=(201,))

    def _request(self, method: str, path: str, data: bytes | None = None,
                 headers: dict[str, str] | None = None, *, ok: tuple[int, ...]) -> _Response:
        import urllib.error
        import urllib.request
        from http.client import HTTPException
        if self._down:
            raise RegistryError(self._down, repeat=True)
        url = path if "://" in path else self._base + path
        req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        try:
            resp = urllib.request.urlopen(req, timeout=self._timeout)
        except urllib.error.HTTPError as e:
            resp = e
        except (OSError, ValueError, HTTPException) as e:  # URLError, timeouts, refused or dropped connections
            with self._down_lock:
                first, self._down = not self._down, f"{self.location} is unreachable; going on without it"
            raise RegistryError(f"{method} {url}: {getattr(e, 'reason', e)}; going on without it",
                                repeat=not first) from None
        if resp.status not in ok:
            resp.close()
            raise RegistryError(f"{method} {url}: HTTP {resp.status}")
        return resp


def tag(key: str) -> str:
    """The manifest tag of an action key."""
    return f"ac-{Digest(key).hex}"


def _read_all(resp: _Response) -> bytes:
    from http.client import HTTPException
    try:
        return resp.read()
    except (OSError, HTTPException) as e:
        raise RegistryError(f"reading {resp.url}: {e!r}") from None


def _verify_manifest(body: bytes, claimed: str | None) -> None:
    if claimed and Digest.parse(claimed) != sha256_bytes(body):
        raise ValueError(f"manifest does not match its digest {claimed}")


def _copy_hashing(src: BinaryIO | HTTPResponse, dst: BinaryIO) -> Digest:
    h = hashlib.sha256()
    while chunk := src.read(CHUNK):
        h.update(chunk)
        dst.write(chunk)
    return Digest(h.hexdigest())
