"""The user's configuration file: where it is, what it may hold, one clear line when it is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from jc_build.config import FIELDS, config_path, load_config
from jc_build.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def test_location_order(tmp_path: Path) -> None:
    assert config_path({"JCB_CONFIG": "/etc/jcb.yaml", "XDG_CONFIG_HOME": "/x"}) == Path("/etc/jcb.yaml")
    assert config_path({"XDG_CONFIG_HOME": "/x", "HOME": "/h"}) == Path("/x/jcb/config.yaml")
    assert config_path({"XDG_CONFIG_HOME": "relative", "HOME": "/h"}) == Path("/h/.config/jcb/config.yaml")


def test_missing_default_file_is_empty_but_missing_named_file_is_an_error(tmp_path: Path) -> None:
    assert load_config({"HOME": str(tmp_path)}).mirrors == ()
    with pytest.raises(ConfigError) as err:
        load_config({"JCB_CONFIG": str(tmp_path / "none.yaml")})
    assert str(err.value) == f"{tmp_path}/none.yaml: no such file (named by $JCB_CONFIG)"
    assert err.value.exit_code == 2


def test_values_are_typed(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("platform: jp6-cu128\njobs: 3\nremote_cache: r:5000/lab\n"
                    "mirrors:\n  https://github.com/: git://127.0.0.1:9418/github.com/\n"
                    "  https://pypi.org/: [https://pypi.lab/, https://pypi.org/]\n")
    cfg = load_config({"JCB_CONFIG": str(path)})
    assert (cfg.platform, cfg.jobs, cfg.remote_cache, cfg.path) == ("jp6-cu128", 3, "r:5000/lab", path)
    assert cfg.mirrors == (("https://github.com/", ("git://127.0.0.1:9418/github.com/",)),
                           ("https://pypi.org/", ("https://pypi.lab/", "https://pypi.org/")))


@pytest.mark.parametrize(("text", "message"), [
    ("mirors: {}\n", "unknown setting 'mirors' (did you mean 'mirrors'?); known: platform, jobs, remote_cache, mirrors"),
    ("jobs: 0\n", "'jobs' must be a positive integer, got int 0"),
    ("jobs: yes\n", "'jobs' must be a positive integer, got bool True"),
    ("platform: 3\n", "'platform' must be a non-empty string, got int 3"),
    ("mirrors: [a]\n", "'mirrors' must map URL prefixes to a replacement prefix or a list of them, got list ['a']"),
    ("mirrors: {a: []}\n", "'mirrors: a' must be a URL prefix or a non-empty list of them, got list []"),
    ("- a\n", "the file must be a mapping of settings, got list ['a']"),
])
def test_bad_values_name_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config({"JCB_CONFIG": str(path)})
    assert str(err.value) == f"{path}: {message}"


def test_yaml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("jobs: 2\nmirrors: {a: b\n")
    with pytest.raises(ConfigError) as err:
        load_config({"JCB_CONFIG": str(path)})
    assert str(err.value).startswith(f"{path}:3:1: invalid YAML: ")


def test_every_field_is_documented() -> None:
    page = (REPO / "docs" / "config.md").read_text()
    for field in FIELDS:
        assert f"| `{field.name}` | {field.type_name} | {field.doc} |" in page


def test_workspace_mirrors(workspace) -> None:
    from jc_build.loading.workspace import load_workspace

    root = workspace({"WORKSPACE.star": 'workspace(default_platform = "jp6", mirrors = {'
                                                        '"https://github.com/": ["git://a/", "git://b/"]})\n'})
    assert load_workspace(root).mirrors == (("https://github.com/", ("git://a/", "git://b/")),)


def test_the_file_sets_the_default_platform(workspace, jcb, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    root = workspace({"pkgs/b/BUILD.star": 'container_layer(name = "b", version = "1")\n'})
    monkeypatch.delenv("JCB_PLATFORM", raising=False)
    (tmp_path / "c.yaml").write_text("platform: jp5\n")
    monkeypatch.setenv("JCB_CONFIG", str(tmp_path / "c.yaml"))
    assert jcb(root, "tag", "//b").out.strip().endswith("-r35.4.1-cu114-20.04")
    assert jcb(root, "tag", "//b", "--platform=jp6").out.strip().endswith("-r36.4.0-cu126-24.04")
