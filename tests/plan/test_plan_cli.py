"""``jcb plan``: output formats, errors, and a fast start-up."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from jc_build.cli import main as cli_main


@pytest.fixture
def jcb_plan(jcb, monkeypatch, fixture_copy):
    """``jcb plan`` in-process in a copy of the basic workspace (jcb writes its cache next to it);
    registers the command in case cli/main.py does not list it yet."""
    monkeypatch.setitem(cli_main.COMMANDS, "plan", "plan")
    root = fixture_copy()
    return lambda *argv: jcb(root, "plan", *argv)


def test_text(jcb_plan) -> None:
    result = jcb_plan("//app/demo")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "plan of //app/demo:demo on orin: 8 stages (plan format 3)"
    assert lines[1].split()[:4] == ["1.", "layer", "//base/core:core", lines[1].split()[3]]
    assert "on image ubuntu:22.04" in lines[1]
    assert any("builder: //base/core:core (" in line and "-> //ml/torch:2.8 (" in line for line in lines)
    assert any(line.strip() == "image: demo:1.0-r36.4.0-cu126" for line in lines)


def test_json_parses_and_is_complete(jcb_plan) -> None:
    result = jcb_plan("//app/demo", "--output=json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["format"] == 3 and data["root"] == "//app/demo:demo"
    assert data["platform"]["name"] == "orin" and data["platform"]["cuda_arch"] == "87"
    stages = data["stages"]
    assert data["root_stage"] == stages[-1]["key"]
    nodes = data["nodes"]
    for s in stages:
        assert s["nodes"][-1] == s["key"] and all(n in nodes for n in s["nodes"])
        assert set(s) >= {"label", "kind", "base", "deps", "dockerfile", "inputs", "build_args", "secrets",
                          "context_files", "wheel_inputs", "image_name", "tests", "network"}
    for node in nodes.values():
        assert set(node) == {"digest", "op", "attrs", "inputs", "extra"}
        assert all(i in nodes for i in node["inputs"])


def test_dot(jcb_plan) -> None:
    result = jcb_plan("//app/demo", "--output=dot")
    assert result.code == 0, result.err
    assert result.out.startswith("digraph plan {") and result.out.rstrip().endswith("}")
    assert '[style=dashed, label="wheel"]' in result.out and '"image:ubuntu:22.04"' in result.out


def test_dockerfile(jcb_plan) -> None:
    result = jcb_plan("//ml/flash-attn:wheel", "--output=dockerfile")
    assert result.code == 0, result.err
    assert result.out.count("# ---- stage ") == 4
    assert "# syntax" not in result.out
    assert "# output: the wheel files (build with --output type=local)" in result.out


def test_base_digest_option(jcb_plan) -> None:
    digest = "sha256:" + "12" * 32
    result = jcb_plan("//base/core", "--output=json", f"--base-digest=ubuntu:22.04={digest}")
    assert json.loads(result.out)["stages"][0]["base"] == {"image": "ubuntu:22.04", "digest": digest}
    bad = jcb_plan("//base/core", "--base-digest=nodigest")
    assert bad.code == 2 and "REF=DIGEST" in bad.err


def test_errors(jcb_plan) -> None:
    result = jcb_plan("//ml/torch:src")
    assert result.code == 1 and "only container_layer and wheel targets have a build plan" in result.err
    result = jcb_plan("//nope")
    assert result.code == 2 and "no package" in result.err  # a label on the command line: usage


def test_plan_does_not_import_docker_libraries(fixture_copy, tmp_path) -> None:
    root = fixture_copy()
    code = ("import sys; from jc_build.cli.main import main, COMMANDS; COMMANDS['plan'] = 'plan'; "
            f"rc = main(['plan', '-C', {str(root)!r}, '//app/demo', '--output=json']); "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('python_on_whales', 'docker', 'rich')]; "
            "sys.stderr.write(repr(bad)); sys.exit(rc or (1 if bad else 0))")
    env = {**os.environ, "JCB_CACHE_DIR": str(tmp_path / "cache")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr


def test_a_versionless_image_follows_the_workspace_scheme(workspace, jcb) -> None:
    """Two workspaces with different image_name schemes never tag a versionless image alike."""
    names = []
    for scheme in ("acme/{package}:{version}-{cuda_tag}", "other/{package}:{version}-{cuda_tag}"):
        root = workspace({"WORKSPACE.star": f'workspace(default_platform = "jp6", image_name = "{scheme}")\n',
                          "pkgs/b/BUILD.star": 'container_layer(name = "b", steps = [run("true")])\n'})
        result = jcb(root, "plan", "//b", "--output", "json")
        assert result.code == 0, result.err
        names.append(json.loads(result.out)["stages"][-1]["image_name"])
    assert names == ["acme/b:latest-cu126", "other/b:latest-cu126"]
