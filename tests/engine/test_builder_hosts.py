"""--builders: which daemons a build may use, and the docker CLI flags that reach each."""

from __future__ import annotations

from pathlib import Path

import pytest

from jc_build.engine.base import host_flags
from jc_build.engine.builders import parse_builders


def test_hosts_urls_and_contexts_each_once_in_order() -> None:
    given = ["unix:///run/b.sock, tcp://jetson2:2376", "ssh://me@jetson3,jetson-lab", "tcp://jetson2:2376"]
    assert parse_builders(given) == ["unix:///run/b.sock", "tcp://jetson2:2376", "ssh://me@jetson3", "jetson-lab"]


@pytest.mark.parametrize(("text", "message"), [
    ("http://jetson2", "builder 'http://jetson2': a docker host is unix://..., tcp://..., ssh://..., npipe://..."),
    ("tcp://", "builder 'tcp://': a docker host is unix://..., tcp://..., ssh://..., npipe://..."),
    ("my builder", "builder 'my builder' is neither a docker host URL (unix, tcp, ssh, npipe) "
                   "nor a docker context name"),
])
def test_bad_builder_is_named(text: str, message: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_builders([text])
    assert str(err.value) == message


def test_urls_go_to_host_and_names_to_context() -> None:
    assert host_flags("") == []
    assert host_flags("ssh://me@jetson2") == ["--host", "ssh://me@jetson2"]
    assert host_flags("jetson-lab") == ["--context", "jetson-lab"]


def test_workspace_names_builders(tmp_path: Path) -> None:
    from jc_build.loading.workspace import load_workspace
    (tmp_path / "toolchains").mkdir()
    (tmp_path / "toolchains" / "BUILD.star").write_text("")
    (tmp_path / "WORKSPACE.star").write_text('workspace(builders = ["unix:///run/b.sock", "jetson2"])\n')
    assert load_workspace(tmp_path).builders == ["unix:///run/b.sock", "jetson2"]
    (tmp_path / "WORKSPACE.star").write_text('workspace(builders = "jetson2")\n')
    with pytest.raises(Exception, match="'builders' must be a list of strings"):
        load_workspace(tmp_path)
