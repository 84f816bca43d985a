"""The user's config file sets defaults (platform, jobs, remote cache); flags and environment
variables win over it, and a malformed file is one usage error naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from jc_build.cli.user_config import UserConfig, load_user_config

LAYER = {"pkgs/a/BUILD.star": 'container_layer(name = "a", version = "1")\n'}


def test_config_platform_is_the_default_and_flags_win(jcb, workspace, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    root = workspace(LAYER)
    config = tmp_path / "config.yaml"
    config.write_text("platform: jp5\njobs: 3\nremote_cache: 127.0.0.1:5000/x\n")
    monkeypatch.setenv("JCB_CONFIG", str(config))
    monkeypatch.delenv("JCB_PLATFORM", raising=False)
    assert "r35.4.1" in jcb(root, "tag", "//a").out
    assert "r36.4.0" in jcb(root, "tag", "//a", "--platform=jp6").out
    monkeypatch.setenv("JCB_PLATFORM", "jp6")
    assert "r36.4.0" in jcb(root, "tag", "//a").out
    assert load_user_config(config) == UserConfig(config, "jp5", 3, "127.0.0.1:5000/x")


@pytest.mark.parametrize(("text", "message"), [
    ("platfrom: jp5\n", "unknown setting 'platfrom' (did you mean 'platform'?); known: platform, jobs, remote_cache"),
    ("jobs: 0\n", "'jobs' must be a positive integer, got 0"),
    ("platform: [a\n", "not valid YAML"),
    ("- jp5\n", "expected a mapping of settings"),
])
def test_a_malformed_config_is_a_usage_error(jcb, workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            text: str, message: str) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(text)
    monkeypatch.setenv("JCB_CONFIG", str(config))
    monkeypatch.delenv("JCB_PLATFORM", raising=False)
    result = jcb(workspace(LAYER), "tag", "//a")
    assert result.code == 2 and str(config) in result.err and message in result.err, result.err


def test_no_file_is_an_empty_config(tmp_path: Path) -> None:
    assert load_user_config(tmp_path / "none.yaml") == UserConfig()
