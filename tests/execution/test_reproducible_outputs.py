"""Wheel normal form and the first differing file of two builds."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

from jc_build.execution.normalize import normalize_wheel
from jc_build.execution.outputs_diff import Difference, first_difference, tar_listing, zip_listing

EPOCH = 1_700_000_000
FILES = {"pkg/__init__.py": b"x = 1\n", "pkg/_c.so": b"\x7fELF", "pkg-1.0.dist-info/METADATA": b"Name: pkg\n",
         "pkg-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\n"}
RECORD = "pkg-1.0.dist-info/RECORD"


def _wheel(path: Path, order: list[str], when: tuple[int, ...], mode: int, record: list[str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name in order:
            info = zipfile.ZipInfo(name, when)
            info.external_attr = ((0o755 if name.endswith(".so") else mode) | 0o100000) << 16
            zf.writestr(info, FILES[name] if name != RECORD else "\n".join(record) + "\n")
    return path


def test_two_builds_differing_only_in_zip_metadata_normalize_to_the_same_bytes(tmp_path: Path) -> None:
    rows = [f"{n},sha256=x,1" for n in FILES] + [f"{RECORD},,"]
    a = _wheel(tmp_path / "a.whl", [*FILES, RECORD], (2024, 1, 2, 3, 4, 6), 0o644, rows)
    b = _wheel(tmp_path / "b.whl", [RECORD, *reversed(FILES)], (2025, 5, 5, 5, 5, 6), 0o664, list(reversed(rows)))
    assert a.read_bytes() != b.read_bytes()
    for path in (a, b):
        normalize_wheel(path, EPOCH)
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as zf:
        names = zf.namelist()
        assert names[-1] == RECORD and names.index("pkg/_c.so") < names.index("pkg-1.0.dist-info/METADATA")
        assert zf.getinfo("pkg/_c.so").external_attr >> 16 == 0o100755
        assert zf.getinfo("pkg/__init__.py").external_attr >> 16 == 0o100644
        assert zf.getinfo("pkg/__init__.py").date_time == (2023, 11, 14, 22, 13, 20)
        assert zf.read(RECORD).decode().splitlines()[-1] == f"{RECORD},,"
        assert zf.read("pkg/__init__.py") == FILES["pkg/__init__.py"]


def test_epoch_before_1980_is_clamped(tmp_path: Path) -> None:
    a = _wheel(tmp_path / "a.whl", list(FILES), (2024, 1, 1, 0, 0, 0), 0o644, [])
    normalize_wheel(a, 0)
    with zipfile.ZipFile(a) as zf:
        assert zf.infolist()[0].date_time == (1980, 1, 1, 0, 0, 0)


def test_first_difference_in_a_wheel(tmp_path: Path) -> None:
    a = _wheel(tmp_path / "a.whl", list(FILES), (2024, 1, 1, 0, 0, 0), 0o644, [])
    FILES["pkg/_c.so"] = b"\x7fELF2"
    try:
        b = _wheel(tmp_path / "b.whl", list(FILES), (2024, 1, 1, 0, 0, 0), 0o644, [])
    finally:
        FILES["pkg/_c.so"] = b"\x7fELF"
    assert first_difference(zip_listing(a), zip_listing(a)) is None
    assert first_difference(zip_listing(a), zip_listing(b)) == Difference("pkg/_c.so", "content differs")


def _tar(entries: dict[str, tuple[bytes, int]]) -> io.BytesIO:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, (data, mtime) in entries.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), mtime
            tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    return buf


def test_first_difference_in_a_layer() -> None:
    cached = tar_listing(_tar({"./usr/lib/a": (b"a", 1), "usr/lib/b": (b"b", 1)}))
    assert first_difference(cached, tar_listing(_tar({"usr/lib/a": (b"a", 2), "usr/lib/b": (b"b", 1)}))) == \
        Difference("usr/lib/a", "mtime differs (1 vs 2)")
    assert first_difference(cached, tar_listing(_tar({"usr/lib/a": (b"a", 2), "usr/lib/b": (b"b", 1)})),
                            metadata=False) is None
    assert str(first_difference(cached, tar_listing(_tar({"usr/lib/a": (b"a", 1)})))) == \
        "usr/lib/b: only in the cached build"
