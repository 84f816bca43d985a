"""A shared cache in an OCI registry, spoken to with the distribution API (``registry_http``).

Blobs are OCI blobs of ``<registry>/<path>/jcb-cache`` (their registry digest is our digest);
an action result is an OCI manifest tagged ``ac-<key>`` whose config blob is the result's JSON
and whose layers are the blobs it references; a writer with a key signs the config (annotation
``dev.jcb.signature``) and a reader with trusted keys takes only entries they signed. Layer
images go to ``.../jcb-cache-images:<key>``. Anything unreadable, corrupt, unsigned or
unreachable is a miss with a warning, never an exception (unless the cache is ``required``).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import warnings
from collections.abc import Callable, Mapping
from typing import BinaryIO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ..errors import JcbError
from .action_cache import ActionResult
from .backend import CacheBackend, MissingBlobError
from .digest import CHUNK, Digest, sha256_bytes
from .registry_http import RegistryError, RegistryHttp, Reply, parse_location
from .signing import SigningKey, verify

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
IMAGE_TYPES = ", ".join((MANIFEST_TYPE, "application/vnd.oci.image.index.v1+json",
                         "application/vnd.docker.distribution.manifest.v2+json",
                         "application/vnd.docker.distribution.manifest.list.v2+json"))
RESULT_TYPE = "application/vnd.jcb.action-result.v1+json"
BLOB_TYPE = "application/octet-stream"
KEY_ANNOTATION = "dev.jcb.action-key"
SIGNATURE_ANNOTATION = "dev.jcb.signature"
TITLE_ANNOTATION = "org.opencontainers.image.title"
SPOOL_BYTES = 8 << 20
DEFAULT_TIMEOUT_S = 60.0

__all__ = ["RegistryCache", "RegistryDown", "RegistryError", "tag"]


class RegistryDown(JcbError):
    """The remote cache failed and ``--remote-cache-required`` was given."""


class RegistryCache(CacheBackend):
    """``location`` is ``[http[s]://]REGISTRY[/PATH]`` (loopback defaults to http, others to https).

    ``read_only`` stores nothing; ``required`` turns the first fault into ``RegistryDown``;
    ``sign_key`` signs stored entries; ``trusted`` (if given) is the set of keys whose entries are used.
    """

    def __init__(self, location: str, *, read_only: bool = False, timeout_s: float = DEFAULT_TIMEOUT_S,
                 on_warning: Callable[[str], None] = warnings.warn, required: bool = False,
                 sign_key: SigningKey | None = None, trusted: Mapping[str, Ed25519PublicKey] | None = None):
        endpoint = parse_location(location)
        prefix = f"{endpoint.path}/" if endpoint.path else ""
        self.location = endpoint.display
        self.read_only = read_only
        self.required = required
        self.warn = on_warning
        self.sign_key = sign_key
        self.trusted = trusted
        self.repo = f"{prefix}jcb-cache"
        self.image_repo = f"{endpoint.host}/{prefix}jcb-cache-images"
        self._root = f"{endpoint.scheme}://{endpoint.host}/v2/"
        self._base = f"{self._root}{self.repo}/"
        self._images = f"{self._root}{prefix}jcb-cache-images/"
        self.http = RegistryHttp(endpoint, timeout_s)

    # -- action results -------------------------------------------------------------
    def get_action(self, key: str) -> ActionResult | None:
        """The result tagged ``ac-<key>`` if its manifest, signature, config and blobs all check out."""
        try:
            found = self._request("GET", f"manifests/{tag(key)}", headers={"Accept": MANIFEST_TYPE}, ok=(200, 404))
            if found.status == 404:
                return None
            _verify_manifest(found.body, found.headers.get("Docker-Content-Digest"))
            manifest = json.loads(found.body)
            config = Digest.parse(manifest["config"]["digest"])
            layers = {Digest.parse(layer["digest"]) for layer in manifest["layers"]}
            data = self._read_blob(config)
            if data is None:
                raise ValueError(f"config blob {config} is missing or corrupt")
            with data:
                raw = data.read()
            if self.trusted is not None:
                why = verify(self.trusted, raw, (manifest.get("annotations") or {}).get(SIGNATURE_ANNOTATION))
                if why:
                    self.warn(f"remote cache {self.location}: not using the entry for {key}: {why}")
                    return None
            result = ActionResult.from_json(json.loads(raw))
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
        except (ValueError, KeyError, TypeError, AttributeError) as e:  # JSON errors are ValueErrors
            self.warn(f"remote cache {self.location}: action entry {key} is corrupt ({e}); ignoring it")
            return None
        return result

    def find_action(self, key: str) -> tuple[ActionResult | None, str]:
        """Every entry of this cache comes over the network: its tier is ``"remote"``."""
        result = self.get_action(key)
        return result, "remote" if result is not None else "local"

    def get_local_action(self, key: str) -> ActionResult | None:
        """None: a registry holds nothing on this machine."""
        return None

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
            self._request("PUT", f"manifests/{tag(result.key)}", json.dumps(self._manifest(result, config, sizes))
                          .encode(), {"Content-Type": MANIFEST_TYPE}, ok=(201,))
        except RegistryError as e:
            self._failed(f"cannot store action {result.key}", e)

    def _manifest(self, result: ActionResult, config: bytes, sizes: dict[Digest, int | None]) -> dict[str, object]:
        names = {d: n for n, d in result.outputs.items()} | {result.log_digest: "build.log"}
        annotations = {KEY_ANNOTATION: result.key, "dev.jcb.kind": result.kind}
        if self.sign_key is not None:
            annotations[SIGNATURE_ANNOTATION] = self.sign_key.sign(config)
        return {
            "schemaVersion": 2,
            "mediaType": MANIFEST_TYPE,
            "config": {"mediaType": RESULT_TYPE, "digest": str(sha256_bytes(config)), "size": len(config)},
            "layers": [{"mediaType": BLOB_TYPE, "digest": str(d), "size": size,
                        "annotations": {TITLE_ANNOTATION: names[d]}} for d, size in sizes.items()],
            "annotations": annotations,
        }

    def has_action(self, key: str) -> bool:
        """Whether the registry has an entry for ``key`` (a HEAD; nothing is verified)."""
        try:
            return self._request("HEAD", f"manifests/{tag(key)}", headers={"Accept": MANIFEST_TYPE},
                                 ok=(200, 404)).status == 200
        except RegistryError as e:
            self._failed(f"cannot check action {key}", e)
            return False

    def has_image(self, tag: str) -> bool:
        """Whether ``<image_repo>:<tag>`` exists (a layer image pushed by a builder)."""
        return self.image_bytes(tag, method="HEAD") is not None

    def image_bytes(self, tag: str, method: str = "GET") -> int | None:
        """The compressed size of ``<image_repo>:<tag>`` (config and layers), None if absent; HEAD: 0."""
        try:
            found = self._request(method, f"{self._images}manifests/{tag}", headers={"Accept": IMAGE_TYPES},
                                  ok=(200, 404))
        except RegistryError as e:
            self._failed(f"cannot check image {self.image_repo}:{tag}", e)
            return None
        if found.status != 200:
            return None
        try:
            manifest = json.loads(found.body) if method == "GET" else {}
            return sum(int(part["size"]) for part in [manifest.get("config", {"size": 0}),
                                                      *manifest.get("layers", [])])
        except (ValueError, KeyError, TypeError, AttributeError):
            return 0

    @property
    def reachable(self) -> bool:
        """False once the registry failed (it is not tried again in this process)."""
        return not self.http.down

    def revive(self) -> bool:
        """After a fault: whether the registry answers again (then it is used again)."""
        self.http.down = ""
        try:
            self._request("GET", self._root, ok=(200, 401))
        except RegistryError:
            return False
        return True

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
        if self.required and not self.reachable:
            raise RegistryDown(f"remote cache {self.location} is required (--remote-cache-required) "
                               f"but failed: {self.http.down}") from None

    def _blob_size(self, digest: Digest) -> int | None:
        found = self._request("HEAD", f"blobs/{digest}", ok=(200, 404))
        return int(found.headers.get("Content-Length", "0")) if found.status == 200 else None

    def _read_blob(self, digest: Digest) -> BinaryIO | None:
        """The blob, spooled and verified against ``digest``; None if absent or corrupt."""
        spool = tempfile.SpooledTemporaryFile(SPOOL_BYTES)
        h = hashlib.sha256()

        def sink(chunk: bytes) -> None:
            h.update(chunk)
            spool.write(chunk)
        try:
            found = self._request("GET", f"blobs/{digest}", ok=(200, 404), sink=sink)
        except RegistryError:
            spool.close()
            raise
        got = Digest(h.hexdigest())
        if found.status == 404 or got != digest:
            spool.close()
            if found.status != 404:
                self.warn(f"remote cache {self.location}: blob {digest} arrived as {got}; ignoring it")
            return None
        spool.seek(0)
        return spool  # type: ignore[return-value]

    def _upload(self, digest: Digest, data: bytes) -> None:
        """Monolithic upload: POST opens a session, PUT sends the bytes and the digest."""
        opened = self._request("POST", "blobs/uploads/", ok=(202,))
        location = opened.headers["Location"]
        if "://" not in location:
            location = self._root.removesuffix("/v2/") + ("" if location.startswith("/") else "/") + location
        url = f"{location}{'&' if '?' in location else '?'}digest={digest}"
        self._request("PUT", url, data, {"Content-Type": "application/octet-stream"}, ok=(201,))

    def _request(self, method: str, path: str, data: bytes | None = None,
                 headers: dict[str, str] | None = None, *, ok: tuple[int, ...],
                 sink: Callable[[bytes], None] | None = None) -> Reply:
        url = path if "://" in path else self._base + path
        return self.http.call(method, url, ok=ok, data=data, headers=headers, sink=sink)


def tag(key: str) -> str:
    """The manifest tag of an action key."""
    return f"ac-{Digest(key).hex}"


def _verify_manifest(body: bytes, claimed: str | None) -> None:
    if claimed and Digest.parse(claimed) != sha256_bytes(body):
        raise ValueError(f"manifest does not match its digest {claimed}")


def _copy_hashing(src: BinaryIO, dst: BinaryIO) -> Digest:
    h = hashlib.sha256()
    while chunk := src.read(CHUNK):
        h.update(chunk)
        dst.write(chunk)
    return Digest(h.hexdigest())
