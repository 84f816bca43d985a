"""Dockerfile rendering and the plan's checks of what BUILD files declare."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from plan_helpers import BASIC, graph_of, plan_of

from jc_build.errors import AnalysisError
from jc_build.labels import parse_label
from jc_build.analysis import builder_chain, chain_of
from jc_build.sources.spec import GitSource, GitTag
from jc_build.plan import Plan, Stage, wheel_installer


@pytest.fixture(scope="module")
def plan() -> Plan:
    return plan_of(BASIC)


def stage(plan: Plan, label: str) -> Stage:
    return next(s for s in plan.stages if str(s.label) == label)


def test_every_dockerfile_is_key_stable_and_old_buildkit_friendly(plan: Plan) -> None:
    for s in plan.stages:
        text = s.dockerfile
        assert text.startswith("ARG JCB_BASE\nFROM ${JCB_BASE}"), s.label
        assert "# syntax" not in text
        assert "--network" not in text  # unknown flag to BuildKit v0.8's built-in Dockerfile frontend
        assert s.key not in text and "/work/" not in text and str(BASIC) not in text
        assert "JCB_BASE" not in s.build_args


def test_layer_steps(plan: Plan) -> None:
    core = stage(plan, "//base/core:core")
    lines = core.dockerfile.splitlines()
    apt = next(line for line in lines if "apt-get" in line)
    assert "--mount=type=cache,target=/var/cache/apt" in apt and "--mount=type=cache,target=/var/lib/apt/lists" in apt
    assert "--mount=type=secret,id=cabundle" in apt
    assert "apt-get $JCB_APT_CA update && " in apt and "install -y --no-install-recommends python3 python3-pip" in apt
    for var in ("PIP_CERT", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "GIT_SSL_CAINFO", "CURL_CA_BUNDLE"):
        assert f"{var}=/run/secrets/cabundle" in apt
    assert "COPY setup.sh /tmp/setup.sh" in lines
    assert "RUN sh /tmp/setup.sh" in lines  # no network tool: no secret, no cache
    assert 'ENV LANG="C.UTF-8"' in lines
    assert core.secrets == ("cabundle",)
    assert set(core.context_files) == {"setup.sh"}

    torch = stage(plan, "//ml/torch:2.8")
    pip = next(line for line in torch.dockerfile.splitlines() if "numpy" in line)
    assert "--mount=type=cache,target=/root/.cache/pip" in pip
    assert "python3 -m pip install --index-url https://pypi.org/simple numpy==1.26.4" in pip


def test_layer_installs_its_wheels_offline(plan: Plan) -> None:
    torch = stage(plan, "//ml/torch:2.8")
    wheel = stage(plan, "//ml/torch:wheel-2.8")
    assert torch.wheel_inputs == [wheel.key]
    assert plan.deps(torch.key) == [torch.base[1], wheel.key]
    install = next(line for line in torch.dockerfile.splitlines() if "install_wheels.py" in line)
    assert install.startswith("RUN --mount=type=bind,source=wheels,target=/tmp/jcb-wheels ")
    assert install.endswith(f"JCB_WHEEL_INSTALLER={wheel_installer.digest()} "
                            "python3 /tmp/jcb-wheels/.jcb-install/install_wheels.py /tmp/jcb-wheels/*.whl")
    assert "cabundle" not in install


def test_wheel_stage(plan: Plan) -> None:
    fa = stage(plan, "//ml/flash-attn:wheel")
    text = fa.dockerfile
    assert text.startswith("ARG JCB_BASE\nFROM ${JCB_BASE} AS build\n")
    assert text.rstrip().endswith("FROM scratch\nCOPY --from=build /opt/wheels/ /")
    assert fa.image_name is None and fa.dist == "flash_attn" and fa.python_tag == "cp310"
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if "pip download" in line)
    assert ("--no-deps --only-binary=:all: --index-url https://pypi.jetson-ai-lab.dev/jp6/cu126 flash_attn==2.8.0 "
            "-d /opt/wheels") in lines[index]
    # the sources were fetched by jcb on the host and staged into the context: no download in a step
    fetch = lines.index("COPY _sources/0/ /opt/src/")
    build = next(i for i, line in enumerate(lines) if "pip wheel" in line)
    assert index < fetch < build and lines[fetch + 1] == "ARG SOURCE_DATE_EPOCH"
    assert not any("curl" in line or "sha256sum" in line for line in lines)
    assert [(s.label, s.context_dir, s.declared.sha256) for s in fa.sources] == [
        ("//ml/flash-attn:src", "_sources/0", fa.sources[0].declared.sha256)]
    # The default build step, skipped when the index had the wheel.
    assert "python3 -m pip wheel --no-deps --no-build-isolation -w /opt/wheels /opt/src" in lines[build]
    assert "if [ -e /opt/.jcb-prebuilt ]" in lines[build]
    assert "--mount=type=cache,target=/root/.ccache" in lines[build]
    assert 'ARG JCB_FORCE_BUILD="0"' in lines and 'ARG MAX_JOBS="4"' in lines
    assert fa.build_args == {"FLASH_ATTN_CUDA_ARCHS": "87", "JCB_FORCE_BUILD": "0", "MAX_JOBS": "4"}


def test_wheel_builder_chain_holds_only_build_deps(plan: Plan) -> None:
    fa = stage(plan, "//ml/flash-attn:wheel")
    labels = [str(plan.stage(k).label) for k in fa.builder_chain]
    assert labels == ["//base/core:core", "//ml/torch:2.8"]  # not //tools/extras, which the image has
    assert fa.base == ("stage", fa.builder_chain[-1])
    # The builder's torch layer is the image's torch layer: same base, same key, one stage.
    assert fa.builder_chain[-1] == stage(plan, "//ml/torch:2.8").key
    assert sum(1 for s in plan.stages if str(s.label) == "//ml/torch:2.8") == 1
    graph, _ = graph_of(BASIC)
    assert [str(x) for x in builder_chain(graph, parse_label("//ml/flash-attn:wheel"))] == labels
    assert [str(x) for x in chain_of(graph, [parse_label("//tools/extras"), parse_label("//ml/torch")])] == [
        "//tools/extras:extras", "//base/core:core", "//ml/torch:2.8"]  # extras has no deps


def test_git_source_with_tag_and_commit(plan: Plan) -> None:
    wheel = stage(plan, "//ml/torch:wheel-2.8")
    assert "git " not in wheel.dockerfile and "COPY _sources/0/ /opt/src/" in wheel.dockerfile.splitlines()
    (src,) = wheel.sources
    assert src.declared == GitSource("https://github.com/pytorch/pytorch", "ba56102387ef21a3b04b357e5b183d48f0afefc7",
                                     "v2.8.0", True) and not src.floating
    tiny = stage(plan, "//py/tiny:wheel")
    (floating,) = tiny.sources  # pinned by tag only, and no jcb.lock: floating
    assert floating.floating and floating.declared == GitTag("https://github.com/example/tiny", "v1.0")
    assert "pip download" not in tiny.dockerfile and "JCB_FORCE_BUILD" not in tiny.dockerfile  # no index_url
    assert tiny.python_tag == "py3"


def test_fragment_and_files(plan: Plan) -> None:
    demo = stage(plan, "//app/demo:demo")
    assert set(demo.context_files) == {"app.py", "conf/app.yaml"}
    fragment = "# dockerfile: Dockerfile\nCOPY app.py conf/app.yaml /opt/app/\nRUN python3 /opt/app/app.py\n"
    assert fragment in demo.dockerfile
    assert [Path(t.path).name for t in demo.tests] == ["test_app.sh"]
    assert demo.image_name == "demo:1.0-r36.4.0-cu126"
    assert stage(plan, "//ml/torch:2.8").image_name == f"jcb/torch:{stage(plan, '//ml/torch:2.8').key[:12]}"


def test_stage_network(plan: Plan) -> None:
    assert stage(plan, "//tools/extras:extras").network == "none"  # its only RUN says network = "none"
    assert stage(plan, "//ml/flash-attn:flash-attn").network == "none"  # only the offline wheel install
    demo = stage(plan, "//app/demo:demo")
    assert demo.network == "default"
    assert any(note.startswith("step:3 asks for network=none") for note in demo.notes)
    assert stage(plan, "//base/core:core").network == "default"


def test_multiline_command_uses_exec_form(workspace) -> None:
    build = 'container_layer(name = "a", steps = [run("""set -e\necho 1\necho 2""")])\n'
    root = workspace({"pkgs/a/BUILD.star": build})
    run = next(line for line in plan_of(root, "//a").root_stage.dockerfile.splitlines() if line.startswith("RUN"))
    assert json.loads(run[len("RUN "):]) == ["/bin/sh", "-c", "set -e\necho 1\necho 2"]


def test_host_network_and_secrets(workspace) -> None:
    root = workspace({"pkgs/a/BUILD.star": 'container_layer(name = "a", steps = [run("curl -O http://x/y", '
                                           'network = "host", secrets = ["token"])])\n'})
    a = plan_of(root, "//a").root_stage
    assert a.network == "host" and a.secrets == ("cabundle", "token")
    assert "--mount=type=secret,id=token" in a.dockerfile


@pytest.mark.parametrize("files, message", [
    ({"pkgs/a/BUILD.star": 'container_layer(name = "a", dockerfile = "Dockerfile")\n',
      "pkgs/a/Dockerfile": "FROM ubuntu\nRUN true\n"}, "has a FROM line"),
    ({"pkgs/a/BUILD.star": 'container_layer(name = "a", files = ["x"], steps = [copy("y", "/y")])\n',
      "pkgs/a/x": "", "pkgs/a/y": ""}, "copy() source 'y' is not listed in files"),
    ({"pkgs/a/BUILD.star": 'git_repository(name = "src", remote = "https://x/y")\n'
                           'wheel(name = "a", dist = "y", srcs = [":src"])\n'}, "pins neither a tag nor a commit"),
    ({"pkgs/a/BUILD.star": 'wheel(name = "a", dist = "y")\n'}, "has no srcs and no steps"),
    ({"pkgs/a/BUILD.star": 'container_layer(name = "a", wheels = [":b"])\ncontainer_layer(name = "b")\n'},
     "not a wheel"),
    ({"pkgs/a/BUILD.star": 'container_layer(name = "a", env = {"A": "x\\ny"})\n'}, "control character"),
    ({"pkgs/a/BUILD.star": 'container_layer(name = "a", files = ["wheels/x.whl"])\n', "pkgs/a/wheels/x.whl": ""},
     "clash with the wheels/ directory"),
    ({"pkgs/a/BUILD.star": 'git_repository(name = "a", remote = "https://x/y", tag = "v1")\n'},
     "only container_layer and wheel targets"),
])
def test_plan_errors(workspace, files: dict[str, str], message: str) -> None:
    root = workspace(files)
    with pytest.raises(AnalysisError, match=re.escape(message)):
        plan_of(root, "//a")
