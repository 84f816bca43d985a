from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from jc_build.cache import Digest, default_cache_dir, parse_size, sha256_bytes, sha256_file, sha256_stream

EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_digest_parse_round_trip() -> None:
    d = Digest.parse(f"sha256:{EMPTY}")
    assert d == Digest(EMPTY) and d.hex == EMPTY
    assert str(d) == f"sha256:{EMPTY}"


@pytest.mark.parametrize(
    "text",
    ["", EMPTY, f"md5:{EMPTY}", f"sha256:{EMPTY[:-1]}", f"sha256:{EMPTY.upper()}", f"sha256:{EMPTY}\n", "sha256:"],
)
def test_digest_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="sha256"):
        Digest.parse(text)


def test_digest_rejects_bad_hex() -> None:
    with pytest.raises(ValueError):
        Digest("xyz")


def test_hash_helpers_agree(tmp_path: Path) -> None:
    data = b"jetson" * 300_000  # spans several read chunks
    (tmp_path / "f").write_bytes(data)
    want = Digest(hashlib.sha256(data).hexdigest())
    assert sha256_bytes(data) == sha256_file(tmp_path / "f") == sha256_stream(io.BytesIO(data)) == want
    assert sha256_bytes(b"").hex == EMPTY


@pytest.mark.parametrize(
    ("text", "size"),
    [("123", 123), ("0", 0), ("500M", 500 << 20), ("10G", 10 << 30), ("10g", 10 << 30),
     ("2K", 2048), ("2Ki", 2048), ("7B", 7), ("1T", 1 << 40), ("1.5G", 3 << 29), (" 10GiB ", 10 << 30), ("64MB", 64 << 20)],
)
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "G", "-1", "10X", "1e3", "10 G B", "10iB", "ten", "1,5G", "0x10"])
def test_parse_size_errors(text: str) -> None:
    with pytest.raises(ValueError, match=r"invalid size .*e\.g\. 123, 500M or 10G"):
        parse_size(text)


@pytest.mark.parametrize(
    ("env", "want"),
    [
        ({"HOME": "/home/u"}, "/home/u/.cache/jcb"),
        ({"HOME": "/home/u", "XDG_CACHE_HOME": "/xdg"}, "/xdg/jcb"),
        ({"HOME": "/home/u", "XDG_CACHE_HOME": ""}, "/home/u/.cache/jcb"),
        ({"HOME": "/home/u", "XDG_CACHE_HOME": "rel/dir"}, "/home/u/.cache/jcb"),
        ({"HOME": "/home/u", "XDG_CACHE_HOME": "/xdg", "JCB_CACHE_DIR": "/big/disk/jcb"}, "/big/disk/jcb"),
        ({"HOME": "/home/u", "JCB_CACHE_DIR": "~/jcb"}, str(Path("~/jcb").expanduser())),
    ],
)
def test_default_cache_dir(env: dict[str, str], want: str) -> None:
    assert default_cache_dir(env) == Path(want)
