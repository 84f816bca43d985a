"""The workspace cache: WORKSPACE.star and toolchains/ evaluated once while their files are unchanged;
any change (a file added, edited or removed), a racy file or a crafted cache file means evaluating."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from jc_build.loading.workspace import Workspace, evaluate_workspace
from jc_build.loading.workspace_cache import cached_workspace
from jc_build.model import Platform

PLATFORM = ('platform(name = "{name}", l4t = "36.4.0", jetpack = "6.1", cuda = "12.6", cudnn = "9.3", '
            'python = "3.10", distro = "22.04", arch = "aarch64", cuda_arch = ["87"], base_image = "ubuntu:22.04")\n')


def _workspace(root: Path, *names: str) -> Path:
    (root / "toolchains").mkdir(parents=True, exist_ok=True)
    (root / "WORKSPACE.star").write_text(f'workspace(name = "t", default_platform = "{names[0]}")\n')
    (root / "toolchains" / "BUILD.star").write_text("".join(PLATFORM.format(name=n) for n in names))
    _age(root)
    return root


def _age(root: Path) -> None:
    old = time.time() - 60
    for path in [root, *root.rglob("*")]:
        os.utime(path, (old, old))


class _Counted:
    def __init__(self, root: Path):
        self.root, self.calls = root, 0

    def __call__(self) -> tuple[Workspace, list[str]]:
        self.calls += 1
        return evaluate_workspace(self.root)


def test_an_unchanged_workspace_is_evaluated_once_and_comes_back_equal(tmp_path: Path) -> None:
    root = _workspace(tmp_path / "ws", "jp6")
    evaluate = _Counted(root)
    first = cached_workspace(tmp_path / "cache", root, evaluate, print)
    second = cached_workspace(tmp_path / "cache", root, evaluate, print)
    assert evaluate.calls == 1 and second == first and isinstance(second.platforms["jp6"], Platform)
    assert second.root == root and second.platforms["jp6"].cuda_arch == ("87",)


def test_an_edited_toolchain_is_evaluated_again(tmp_path: Path) -> None:
    root = _workspace(tmp_path / "ws", "jp6")
    evaluate = _Counted(root)
    cached_workspace(tmp_path / "cache", root, evaluate, print)
    _workspace(root, "jp6", "jp5")
    assert set(cached_workspace(tmp_path / "cache", root, evaluate, print).platforms) == {"jp6", "jp5"}
    assert evaluate.calls == 2


def test_a_racy_file_is_not_trusted(tmp_path: Path) -> None:
    root = _workspace(tmp_path / "ws", "jp6")
    (root / "WORKSPACE.star").write_text('workspace(name = "t2", default_platform = "jp6")\n')  # just now
    evaluate = _Counted(root)
    cached_workspace(tmp_path / "cache", root, evaluate, print)
    cached_workspace(tmp_path / "cache", root, evaluate, print)
    assert evaluate.calls == 2 and not (tmp_path / "cache" / "workspace").exists()


def test_a_crafted_file_is_ignored_with_a_warning(tmp_path: Path) -> None:
    root = _workspace(tmp_path / "ws", "jp6")
    cached_workspace(tmp_path / "cache", root, _Counted(root), print)
    [path] = (tmp_path / "cache" / "workspace").glob("*.json")
    data = json.loads(path.read_text())
    data["workspace"]["platforms"]["jp6"]["cuda_arch"] = "87; rm -rf /"
    path.write_text(json.dumps(data))
    warnings: list[str] = []
    evaluate = _Counted(root)
    workspace = cached_workspace(tmp_path / "cache", root, evaluate, warnings.append)
    assert evaluate.calls == 1 and workspace.platforms["jp6"].cuda_arch == ("87",)
    assert warnings == [f"workspace cache {path} is not valid "
                        "($.workspace.platforms.jp6.cuda_arch: expected a list); ignoring it"]


def test_a_query_sees_a_platform_added_to_toolchains(workspace, jcb) -> None:
    root = workspace({"pkgs/a/BUILD.star": 'container_layer(name = "a")\n'})
    _age(root)
    assert jcb(root, "query", "//a").code == 0
    toolchains = (root / "toolchains" / "BUILD.star").read_text()
    (root / "toolchains" / "BUILD.star").write_text(toolchains + PLATFORM.format(name="added"))
    _age(root)
    assert jcb(root, "query", "//a", "--platform", "added").out == "//a:a\n"
