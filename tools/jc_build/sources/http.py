"""Downloading a URL to a file while hashing it (stdlib urllib: https, http and file URLs).

urllib.request and ssl (with http.client and email) are imported by the first download, so a build
whose sources are all in the cache never loads them."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..cache.digest import CHUNK, Digest

if TYPE_CHECKING:
    import ssl

TIMEOUT_S = 60
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


class DownloadError(Exception):
    """The URL could not be read; ``str()`` says why."""


def download(url: str, dest: Path) -> Digest:
    """Write the body at ``url`` to ``dest``; return its sha256."""
    import urllib.error
    import urllib.request
    h = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S, context=_tls()) as resp, open(dest, "wb") as out:
            while chunk := resp.read(CHUNK):
                h.update(chunk)
                out.write(chunk)
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise DownloadError(str(exc.reason)) from None
    except (OSError, ValueError) as exc:
        raise DownloadError(str(exc)) from None
    return Digest(h.hexdigest())


def _tls() -> ssl.SSLContext:
    """The default context, trusting ``$JCB_CA_BUNDLE`` (as builds do) when that file exists."""
    import ssl
    bundle = os.environ.get("JCB_CA_BUNDLE", CA_BUNDLE)
    return ssl.create_default_context(cafile=bundle if os.path.isfile(bundle) else None)
