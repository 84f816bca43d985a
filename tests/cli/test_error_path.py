"""The one error path: paths the user gave are named with their problem; a bug is one line with
where its trace went; --debug shows the trace."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from jc_build.cli import main as cli_main
from jc_build.cli.commands import tag

LAYER = {"pkgs/a/BUILD.star": 'container_layer(name = "a")\n'}


def test_cache_dir_that_is_a_file(workspace, jcb, tmp_path: Path) -> None:
    root = workspace(LAYER)
    (tmp_path / "f").write_text("")
    result = jcb(root, "cache", "stats", "--cache-dir", str(tmp_path / "f"))
    assert (result.code, result.err) == (2, f"jcb: error: --cache-dir {tmp_path / 'f'}: not a directory\n")


def _jcb_process(root: Path, env: dict[str, str], *argv: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jc_build.cli.main", *argv], cwd=root, env={**os.environ, **env},
                          stderr=subprocess.PIPE, text=True, timeout=60, **kw)


def test_env_cache_dir_that_is_a_file(workspace, tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    proc = _jcb_process(workspace(LAYER), {"JCB_CACHE_DIR": str(tmp_path / "f")}, "cache", "stats",
                        stdout=subprocess.DEVNULL)
    assert (proc.returncode, proc.stderr) == (2, f"jcb: error: JCB_CACHE_DIR {tmp_path / 'f'}: not a directory\n")


def test_cache_dir_under_proc(workspace, jcb) -> None:
    result = jcb(workspace(LAYER), "cache", "stats", "--cache-dir", "/proc/nope")
    assert result.code == 2
    assert result.err.startswith("jcb: error: --cache-dir /proc/nope: cannot create it (")


@pytest.mark.skipif(os.geteuid() != 0, reason="mounts a read-only tmpfs")
def test_read_only_cache_dir(workspace, jcb, tmp_path: Path) -> None:
    mount = tmp_path / "ro"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m,mode=755", "tmpfs", str(mount)], check=True)
    try:
        result = jcb(workspace(LAYER), "cache", "stats", "--cache-dir", str(mount))
    finally:
        subprocess.run(["umount", str(mount)], check=True)
    assert (result.code, result.err) == (2, f"jcb: error: --cache-dir {mount}: not writable by this user\n")


def test_cache_dir_others_can_write_is_refused(workspace, jcb, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    root = workspace(LAYER)
    result = jcb(root, "cache", "stats", "--cache-dir", str(shared))
    assert result.code == 2
    assert result.err == (
        f"jcb: error: --cache-dir {shared}: it is writable by every user; whoever can write a cache decides "
        "what jcb believes it built (see docs/cache-trust.md): fix its permissions (chmod go-w), or pass "
        "--allow-shared-cache / set JCB_ALLOW_SHARED_CACHE=1 if you trust every writer\n")
    assert jcb(root, "cache", "stats", "--cache-dir", str(shared), "--allow-shared-cache").code == 0
    (shared / "ac").mkdir(exist_ok=True)
    shared.chmod(0o755)
    (shared / "ac").chmod(0o757)
    result = jcb(root, "cache", "stats", "--cache-dir", str(shared))
    assert "ac is writable by every user" in result.err
    (shared / "ac").chmod(0o755)
    (shared / "workspace").mkdir(exist_ok=True)
    (shared / "workspace").chmod(0o757)  # it holds the platforms: a writer could choose them
    result = jcb(root, "cache", "stats", "--cache-dir", str(shared))
    assert result.code == 2 and "workspace is writable by every user" in result.err


def test_event_log_that_is_a_directory(workspace, jcb, tmp_path: Path) -> None:
    result = jcb(workspace(LAYER), "build", "//a", "--event-log", str(tmp_path))
    assert (result.code, result.err) == (2, f"jcb: error: --event-log {tmp_path}: is a directory; give a file name\n")


def test_output_that_is_a_file(workspace, jcb, tmp_path: Path) -> None:
    root = workspace({"pkgs/a/BUILD.star": 'wheel(name = "w", dist = "w", version = "1")\n'})
    (tmp_path / "f").write_text("")
    result = jcb(root, "build", "//a:w", "--output", str(tmp_path / "f"))
    assert (result.code, result.err) == (
        2, f"jcb: error: --output {tmp_path / 'f'}: exists and is not a directory; give a directory for the wheels\n")


def _boom(ctx) -> int:
    raise RuntimeError("boom")


def test_an_unexpected_exception_is_one_line_naming_the_trace(workspace, jcb, monkeypatch) -> None:
    monkeypatch.setattr(tag, "run", _boom)
    result = jcb(workspace(LAYER), "tag", "//a")
    assert result.code == 1
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("jcb: error: internal error (a bug in jcb, not in your input): RuntimeError: boom; "
                               "the full trace is in ")
    trace = Path(lines[0].split("the full trace is in ")[1].split(";")[0])
    assert trace.parent == Path(os.environ["JCB_CACHE_DIR"], "logs")
    assert "raise RuntimeError(\"boom\")" in trace.read_text()
    assert lines[0].endswith("please report it to the jcb issue tracker (attach the trace file and the command "
                             "line); rerun with --debug to see the trace")


def test_debug_shows_the_trace(workspace, monkeypatch) -> None:
    monkeypatch.chdir(workspace(LAYER))
    monkeypatch.setattr(tag, "run", _boom)
    with pytest.raises(RuntimeError, match="boom"):
        cli_main.main(["tag", "//a", "--debug"])


def test_stdout_to_dev_full(workspace, tmp_path: Path) -> None:
    with open("/dev/full", "w") as full:
        proc = _jcb_process(workspace(LAYER), {"JCB_CACHE_DIR": str(tmp_path / "cache")}, "query", "//a",
                            stdout=full)
    assert (proc.returncode, proc.stderr) == (1, "jcb: error: cannot write output: No space left on device\n")
