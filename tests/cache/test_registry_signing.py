"""Signed entries in the real registry: readers with trusted keys use only what those keys signed."""

from __future__ import annotations

import json
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from jc_build.cache import ActionResult, RegistryCache, sha256_bytes
from jc_build.cache.registry import MANIFEST_TYPE, SIGNATURE_ANNOTATION, tag
from jc_build.cache.signing import KeyFileError, generate, load_signing_key, load_trusted

REGISTRY = "127.0.0.1:5000"


def _registry_up() -> bool:
    try:
        urllib.request.urlopen(f"http://{REGISTRY}/v2/", timeout=2).close()
        return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _registry_up(), reason=f"no registry on {REGISTRY} (run scripts/setup.sh)")


@pytest.fixture
def location() -> Iterator[str]:
    where = f"{REGISTRY}/jcb-sign-{uuid.uuid4().hex[:8]}"
    yield where
    cleaner = RegistryCache(where, on_warning=lambda _: None)
    for name in ("a", "b"):
        cleaner.delete_action(sha256_bytes(name.encode()).hex)


def _store(cache: RegistryCache, name: str) -> ActionResult:
    result = ActionResult(key=sha256_bytes(name.encode()).hex, kind="wheel", image_id=None,
                          outputs={"s-1.0-py3-none-any.whl": cache.put_bytes(b"signed wheel " + name.encode())},
                          log_digest=cache.put_bytes(b"log"), duration_s=1.0)
    cache.put_action(result)
    return result


def test_only_results_signed_by_trusted_keys_are_used(location: str, tmp_path: Path) -> None:
    alice = generate("alice", tmp_path / "alice.key")
    generate("mallory", tmp_path / "mallory.key")
    signed = _store(RegistryCache(location, sign_key=load_signing_key(tmp_path / "alice.key")), "a")
    unsigned = _store(RegistryCache(location), "b")

    warned: list[str] = []
    trusting_alice = RegistryCache(location, trusted=load_trusted(str(tmp_path / "alice.key.pub")),
                                   on_warning=warned.append)
    assert trusting_alice.get_action(signed.key) == signed
    assert trusting_alice.get_action(unsigned.key) is None
    assert warned == [f"remote cache {location}: not using the entry for {unsigned.key}: it is not signed"]

    warned.clear()
    inline = alice.public_line.split()[2]
    trusting_mallory = RegistryCache(location, on_warning=warned.append,
                                     trusted=load_trusted(f"{tmp_path / 'mallory.key.pub'},bob:{inline}"))
    assert trusting_mallory.get_action(signed.key) is None
    assert "signed by 'alice', which is not a trusted key" in warned[0]
    assert RegistryCache(location).get_action(signed.key) == signed  # no trust list: every entry is used


def test_a_signature_moved_to_another_entry_does_not_verify(location: str, tmp_path: Path) -> None:
    key = generate("alice", tmp_path / "alice.key")
    writer = RegistryCache(location, sign_key=key)
    signed = _store(writer, "a")
    other = _store(RegistryCache(location), "b")  # unsigned; give it a's signature
    base = f"http://{REGISTRY}/v2/{writer.repo}/manifests/"
    manifests = {}
    for result in (signed, other):
        req = urllib.request.Request(base + tag(result.key), headers={"Accept": MANIFEST_TYPE})
        with urllib.request.urlopen(req, timeout=10) as resp:
            manifests[result.key] = json.load(resp)
    forged = manifests[other.key]
    forged["annotations"][SIGNATURE_ANNOTATION] = manifests[signed.key]["annotations"][SIGNATURE_ANNOTATION]
    req = urllib.request.Request(base + tag(other.key), data=json.dumps(forged).encode(), method="PUT",
                                 headers={"Content-Type": MANIFEST_TYPE})
    urllib.request.urlopen(req, timeout=10).close()
    warned: list[str] = []
    reader = RegistryCache(location, trusted=load_trusted(f"{tmp_path / 'alice.key'}.pub"), on_warning=warned.append)
    assert reader.get_action(other.key) is None
    assert "its signature by 'alice' does not verify" in warned[0]


def test_bad_key_files_say_what_is_wrong(tmp_path: Path) -> None:
    (tmp_path / "junk.pub").write_text("ssh-ed25519 AAAA\n")
    with pytest.raises(KeyFileError, match="junk.pub: expected one line 'jcb-ed25519 NAME BASE64'"):
        load_trusted(str(tmp_path / "junk.pub"))
    with pytest.raises(KeyFileError, match="neither a public key file nor NAME:BASE64"):
        load_trusted("no-such-file.pub")
