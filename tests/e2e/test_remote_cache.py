"""Two builders sharing a remote cache in the registry on 127.0.0.1:5000 (one daemon, two local caches)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import pytest
from e2e_helpers import Workspace, by_label, remove_images

pytestmark = pytest.mark.engine

REGISTRY = "127.0.0.1:5000"
ROOTS = ("//app", "//cli", "//motd")


@pytest.fixture
def remote(cext: Workspace) -> Iterator[str]:
    """A registry path of the test's own (its image prefix, so ``remove_images`` untags its images);
    the manifests stored under it are deleted afterwards."""
    yield f"{REGISTRY}/{cext.prefix}"
    for repo in (f"{cext.prefix}/jcb-cache", f"{cext.prefix}/jcb-cache-images"):
        _delete_manifests(repo)


def test_second_builder_pulls_everything(cext: Workspace, remote: str) -> None:
    proc, events = cext.build(*ROOTS, f"--remote-cache={remote}")
    assert set(by_label(events).values()) <= {"built", "cached"} and len(events) == 5
    assert "warning" not in proc.stderr, proc.stderr
    remove_images(cext.docker, cext.prefix)  # builder B has none of A's images ...
    other = Workspace(cext.root, cext.root.parent / "cache-b", cext.prefix, cext.docker)  # ... nor its cache

    proc, events = other.build(*ROOTS, f"--remote-cache={remote}", "--remote-cache-readonly")
    assert set(by_label(events).values()) == {"pulled"}, proc.stdout + proc.stderr
    assert sum(e.solves for e in events) == 0
    assert "5 pulled, 0 built; 0 solves" in proc.stdout
    assert f"[//app:app] pulling: {remote}/jcb-cache-images:" in proc.stderr
    assert "warning" not in proc.stderr, proc.stderr
    assert other.docker_run(f"{cext.prefix}/app:1.0", "python3", "-c", "import hello; print(hello.greet())") \
        == "hello from C\n"

    proc, events = other.build(*ROOTS, f"--remote-cache={remote}")
    assert set(by_label(events).values()) == {"cached"} and sum(e.solves for e in events) == 0


def test_layer_whose_image_tag_is_gone_is_rebuilt(cext: Workspace, remote: str) -> None:
    cext.build("//app", f"--remote-cache={remote}")
    _delete_manifests(f"{cext.prefix}/jcb-cache-images")
    remove_images(cext.docker, cext.prefix)
    other = Workspace(cext.root, cext.root.parent / "cache-b", cext.prefix, cext.docker)
    proc, events = other.build("//app", f"--remote-cache={remote}")
    outcomes = by_label(events)  # pydev's image may still be local under the session's warm-up tag
    assert outcomes["//hello:wheel"] == "pulled" and outcomes["//app:app"] == "built"
    assert "[//app:app] building: image gone" in proc.stderr
    assert "warning" not in proc.stderr, proc.stderr


def test_unreachable_remote_cache_builds_locally(cext: Workspace) -> None:
    proc, events = cext.build("//motd", "--remote-cache=127.0.0.1:1/nothing")
    assert by_label(events)["//motd:motd"] == "built"
    assert proc.stderr.count("127.0.0.1:1") == 1, proc.stderr  # one warning, then the registry is left alone


def _delete_manifests(repo: str) -> None:
    base = f"http://{REGISTRY}/v2/{repo}"
    try:
        with urllib.request.urlopen(f"{base}/tags/list", timeout=10) as resp:
            tags = json.load(resp).get("tags") or []
    except OSError:
        return
    accept = {"Accept": "application/vnd.oci.image.manifest.v1+json, "
                        "application/vnd.docker.distribution.manifest.v2+json"}
    for tag in tags:
        head = urllib.request.Request(f"{base}/manifests/{tag}", method="HEAD", headers=accept)
        with urllib.request.urlopen(head, timeout=10) as resp:
            digest = resp.headers["Docker-Content-Digest"]
        urllib.request.urlopen(urllib.request.Request(f"{base}/manifests/{digest}", method="DELETE"), timeout=10)
