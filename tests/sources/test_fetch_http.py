"""http_archive sources fetched from a loopback HTTP server: checksummed, stripped, cached, mirrored."""

from __future__ import annotations

from pathlib import Path

import pytest
from source_servers import HttpServer, Recorder, make_tarball

from jc_build.errors import SourceError
from jc_build.sources.mirrors import MirrorMap
from jc_build.sources.spec import ArchiveSource

UPSTREAM = "https://downloads.upstream.invalid/"
FILES = {"zlib-1.3/zlib.h": "#define ZLIB 1\n", "zlib-1.3/configure.sh": "#!/bin/sh\n", "zlib-1.3/doc/a.txt": "a\n"}


def _mirrored(tmp_path: Path, server: HttpServer, *extra: str) -> Recorder:
    return Recorder(tmp_path, MirrorMap.of([(UPSTREAM, [*extra, server.url])]))


def test_fetch_strip_prefix_then_hit_without_server(tmp_path: Path, http_root: Path, http_server: HttpServer) -> None:
    sha = make_tarball(http_root / "zlib-1.3.tar.gz", FILES, mtime=1_650_000_000)
    rec = _mirrored(tmp_path, http_server)
    src = ArchiveSource(UPSTREAM + "zlib-1.3.tar.gz", sha, strip_prefix="zlib-1.3")
    first = rec.fetcher.fetch("//pkg:zlib", src)
    assert first.epoch == 1_650_000_000 and first.url == http_server.url + "zlib-1.3.tar.gz"
    http_server.stop()
    second = rec.fetcher.fetch("//pkg:zlib", src)
    assert second.cache_hit and second.tree == first.tree and rec.kinds() == ["fetched", "hit"]
    out = tmp_path / "out"
    rec.fetcher.unpack(second, out)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
        "configure.sh", "doc", "doc/a.txt", "zlib.h"]
    assert (out / "configure.sh").stat().st_mode & 0o111 and not (out / "zlib.h").stat().st_mode & 0o111


def test_wrong_sha256_names_expected_and_seen(tmp_path: Path, http_root: Path, http_server: HttpServer) -> None:
    sha = make_tarball(http_root / "z.tar.gz", FILES)
    wrong = "0" * 64
    rec = _mirrored(tmp_path, http_server)
    with pytest.raises(SourceError) as err:
        rec.fetcher.fetch("//pkg:zlib", ArchiveSource(UPSTREAM + "z.tar.gz", wrong))
    assert str(err.value) == (f"//pkg:zlib: http_archive {UPSTREAM}z.tar.gz (sha256 {wrong}): sha256 mismatch: "
                              f"expected {wrong}, got {sha} (from {http_server.url}z.tar.gz)")
    assert rec.cache.stats().entries == 0


def test_mirror_list_falls_through_a_missing_file(tmp_path: Path, http_root: Path, http_server: HttpServer) -> None:
    sha = make_tarball(http_root / "good/z.tar.gz", FILES)
    mirrors = MirrorMap.of([(UPSTREAM, [http_server.url + "absent/", http_server.url + "good/"])])
    rec = Recorder(tmp_path, mirrors)
    fetched = rec.fetcher.fetch("//pkg:zlib", ArchiveSource(UPSTREAM + "z.tar.gz", sha))
    assert fetched.url == http_server.url + "good/z.tar.gz"


def test_unreachable_and_not_found(tmp_path: Path, http_root: Path, http_server: HttpServer) -> None:
    rec = _mirrored(tmp_path, http_server)
    src = ArchiveSource(UPSTREAM + "nope.tar.gz", "1" * 64)
    with pytest.raises(SourceError, match=r": HTTP 404 File not found \(from http://127\.0\.0\.1:\d+/nope\.tar\.gz\)$"):
        rec.fetcher.fetch("//pkg:zlib", src)
    http_server.stop()
    with pytest.raises(SourceError, match=r"^//pkg:zlib: http_archive .*: .*Connection refused \(from http://"):
        rec.fetcher.fetch("//pkg:zlib", src)


def test_strip_prefix_not_in_archive(tmp_path: Path, http_root: Path, http_server: HttpServer) -> None:
    sha = make_tarball(http_root / "z.tar.gz", FILES)
    rec = _mirrored(tmp_path, http_server)
    with pytest.raises(SourceError) as err:
        rec.fetcher.fetch("//pkg:zlib", ArchiveSource(UPSTREAM + "z.tar.gz", sha, strip_prefix="zlib-1.2"))
    assert str(err.value).endswith(": strip_prefix 'zlib-1.2' is not a directory of the archive "
                                   "(its top level holds: zlib-1.3)")


def test_not_an_archive(tmp_path: Path, http_root: Path, http_server: HttpServer) -> None:
    (http_root / "x.tar.gz").write_bytes(b"not an archive")
    import hashlib
    rec = _mirrored(tmp_path, http_server)
    sha = hashlib.sha256(b"not an archive").hexdigest()
    with pytest.raises(SourceError, match=r": not a readable tar or zip archive: "):
        rec.fetcher.fetch("//pkg:x", ArchiveSource(UPSTREAM + "x.tar.gz", sha))


def test_zip_keeps_executable_bits(tmp_path: Path, http_root: Path, http_server: HttpServer) -> None:
    """A wheel is a zip: its programs (nvcc in NVIDIA's CUDA wheels) stay executable, as pip leaves them."""
    import hashlib
    import zipfile
    wheel = http_root / "tool-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for name, mode in [("pkg/bin/tool", 0o755), ("pkg/include/tool.h", 0o644), ("tool-1.0.dist-info/WHEEL", 0o644)]:
            info = zipfile.ZipInfo(name, (2024, 1, 2, 3, 4, 6))
            info.external_attr = (0o100000 | mode) << 16
            zf.writestr(info, name)
    rec = _mirrored(tmp_path, http_server)
    src = ArchiveSource(UPSTREAM + wheel.name, hashlib.sha256(wheel.read_bytes()).hexdigest(), strip_prefix="pkg")
    out = tmp_path / "out"
    rec.fetcher.unpack(rec.fetcher.fetch("//pkg:tool", src), out)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == ["bin", "bin/tool", "include",
                                                                             "include/tool.h"]
    assert (out / "bin/tool").stat().st_mode & 0o111 and not (out / "include/tool.h").stat().st_mode & 0o111
