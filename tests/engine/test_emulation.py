"""Foreign-arch builds: jcb checks binfmt_misc for qemu (flag F) before it calls the engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from jc_build.engine import emulation
from jc_build.engine.emulation import EmulationUnavailable, check_can_run

REPO = Path(__file__).resolve().parents[2]
ENABLED = "enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: PF\noffset 0\n"


def entry(tmp_path: Path, text: str) -> Path:
    (tmp_path / "qemu-aarch64").write_text(text)
    return tmp_path


def test_native_arch_needs_no_emulation(tmp_path: Path) -> None:
    check_can_run("linux/arm64", host="aarch64", binfmt=tmp_path)  # empty binfmt dir: still fine
    check_can_run("linux/amd64", host="x86_64", binfmt=tmp_path)


def test_enabled_entry_with_flag_f_is_enough(tmp_path: Path) -> None:
    check_can_run("linux/arm64", host="x86_64", binfmt=entry(tmp_path, ENABLED))


@pytest.mark.parametrize("text", ["", ENABLED.replace("PF", "P"), ENABLED.replace("enabled", "disabled")])
def test_missing_disabled_or_no_flag_f_fails_with_the_fix(tmp_path: Path, text: str) -> None:
    binfmt = entry(tmp_path, text) if text else tmp_path
    with pytest.raises(EmulationUnavailable) as info:
        check_can_run("linux/arm64", host="x86_64", binfmt=binfmt)
    message = str(info.value)
    assert message == (
        f"cannot build for linux/arm64 on this x86_64 host: no enabled qemu-aarch64 entry with flag F in "
        f"{tmp_path}. Enable it with `bash scripts/setup.sh`, or as root: `apt-get install qemu-user-static "
        f"binfmt-support && (mountpoint -q {tmp_path} || mount -t binfmt_misc binfmt_misc {tmp_path}) && "
        "update-binfmts --enable qemu-aarch64` (the base image must be arm64 too)")


def test_build_fails_before_any_engine_call(jcb, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """demo-arm64 on an x86 host without the entry: exit 1 with the message; no docker CLI is even
    looked for (JCB_DOCKER_CLI names none), so nothing can have been pulled."""
    monkeypatch.setattr(emulation, "host_machine", lambda: "x86_64")
    monkeypatch.setenv("JCB_BINFMT_DIR", str(tmp_path))
    monkeypatch.setenv("JCB_DOCKER_CLI", str(tmp_path / "no-docker"))
    result = jcb(REPO, "build", "//examples/hello", "--platform=demo-arm64")
    assert result.code == 1
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "no enabled qemu-aarch64 entry with flag F" in lines[0], result.err
    assert "no docker CLI found" not in result.err  # what looking for the engine would have said


def test_dry_run_does_not_need_emulation(jcb, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(emulation, "host_machine", lambda: "x86_64")
    monkeypatch.setenv("JCB_BINFMT_DIR", str(tmp_path))
    monkeypatch.setenv("JCB_DOCKER_CLI", str(tmp_path / "no-docker"))
    result = jcb(REPO, "build", "//examples/hello", "--platform=demo-arm64", "--dry-run")
    assert "qemu" not in result.err and "no docker CLI found" in result.err
