"""Value checks are analysis: ``query``, ``docs``, ``plan`` and ``build`` report the same error
at the BUILD file's file:line:col (failing-case fixtures with their exact messages)."""

from __future__ import annotations

import pytest

SRC = 'git_repository(name = "src", remote = "https://x/y", tag = "v1")\n'
IMAGE = 'container_layer(name = "img", wheels = [":a"])\n'  # so the package has a page for `jcb docs`

CASES = {
    "sha256 not hex": (
        {"pkgs/a/BUILD.star": 'http_archive(name = "src", url = "https://x/y.tgz", sha256 = "abc")\n'
                              'wheel(name = "a", dist = "y", srcs = [":src"])\n' + IMAGE},
        "pkgs/a/BUILD.star:1:1: //a:src: sha256 'abc' is not 64 hex digits"),
    "dist name": (
        {"pkgs/a/BUILD.star": SRC + 'wheel(name = "a", dist = "-y", srcs = [":src"])\n' + IMAGE},
        "pkgs/a/BUILD.star:2:1: //a:a: dist '-y' is not a distribution name"),
    "git pin": (
        {"pkgs/a/BUILD.star": 'git_repository(name = "src", remote = "https://x/y")\n'
                              'wheel(name = "a", dist = "y", srcs = [":src"])\n' + IMAGE},
        "pkgs/a/BUILD.star:1:1: //a:src: pins neither a tag nor a commit; a build needs a fixed source"),
    "env name": (
        {"pkgs/a/BUILD.star": '\ncontainer_layer(name = "a", env = {"A-B": "1"})\n'},
        "pkgs/a/BUILD.star:2:1: //a:a: env name 'A-B' is not a valid variable name"),
    "build arg value": (
        {"pkgs/a/BUILD.star": 'container_layer(name = "a", build_args = {"A": "x\\ny"})\n'},
        "pkgs/a/BUILD.star:1:1: //a:a: build_args value of 'A' contains a control character (newline?)"),
    "env() step name": (
        {"pkgs/a/BUILD.star": 'container_layer(name = "a", steps = [env(**{"1X": "y"})])\n'},
        "pkgs/a/BUILD.star:1:1: //a:a: env() name '1X' is not a valid variable name"),
    "wheel dep kind": (
        {"pkgs/a/BUILD.star": 'container_layer(name = "a", wheels = [":b"])\ncontainer_layer(name = "b")\n'},
        "pkgs/a/BUILD.star:1:1: //a:a lists //a:b in wheels, but it is a container_layer, not a wheel"),
    "source dep kind": (
        {"pkgs/a/BUILD.star": 'container_layer(name = "b")\nwheel(name = "a", dist = "y", srcs = [":b"])\n' + IMAGE},
        "pkgs/a/BUILD.star:2:1: //a:a lists //a:b in srcs, but it is a container_layer, not a git_repository "
        "or http_archive"),
    "layer dep kind through an alias": (
        {"pkgs/a/BUILD.star": SRC + 'alias(name = "s", actual = ":src")\ncontainer_layer(name = "a", deps = [":s"])\n'},
        "pkgs/a/BUILD.star:3:1: //a:a lists //a:s in deps, but it is a git_repository, not a container_layer"),
    "wheel without sources or steps": (
        {"pkgs/a/BUILD.star": 'wheel(name = "a", dist = "y")\n' + IMAGE},
        "pkgs/a/BUILD.star:1:1: //a:a: wheel has no srcs and no steps: nothing to build"),
    "copy source not in files": (
        {"pkgs/a/BUILD.star": 'container_layer(name = "a", files = ["x"], steps = [copy("y", "/y")])\n',
         "pkgs/a/x": "", "pkgs/a/y": ""},
        "pkgs/a/BUILD.star:1:1: //a:a: copy() source 'y' is not listed in files (only listed package files enter "
        "the build context)"),
    "file in the wheels/ directory": (
        {"pkgs/a/BUILD.star": 'container_layer(name = "a", files = ["wheels/x.whl"])\n', "pkgs/a/wheels/x.whl": ""},
        "pkgs/a/BUILD.star:1:1: //a:a: file 'wheels/x.whl' would clash with the wheels/ directory jcb stages into "
        "the build context; rename it"),
    "unknown step": (
        {"pkgs/a/BUILD.star": 'container_layer(name = "a", steps = [{"op": "mkdir"}])\n'},
        "pkgs/a/BUILD.star:1:1: //a:a: unknown build step {'op': 'mkdir'}; use run(), copy(), env(), workdir(), "
        "apt_install(), pip_install()"),
    "published image facts": (
        {"pkgs/a/BUILD.star": 'container_layer(name = "a", images = [{"repo": "x"}])\n'},
        "pkgs/a/BUILD.star:1:1: //a:a: each entry of 'images' needs 'repository' and 'tag' and may have 'date', "
        "'arch', 'size'; got ['repo']"),
    "env value not a string": (
        {"pkgs/a/BUILD.star": 'container_layer(name = "a", env = {"A": 1})\n'},
        "pkgs/a/BUILD.star:1:1: //a:a: env value of 'A' is 1, not a string; write \"1\""),
    "python tag": (
        {"pkgs/a/BUILD.star": SRC + 'wheel(name = "a", dist = "y", srcs = [":src"], python_tag = "??")\n' + IMAGE},
        "pkgs/a/BUILD.star:2:1: //a:a: python_tag '??' is not a wheel python tag such as 'cp310' or 'py3'"),
    "two wheels of one dist": (
        {"pkgs/a/BUILD.star": SRC + 'wheel(name = "w1", dist = "Flash_Attn", srcs = [":src"])\n'
                              'wheel(name = "w2", dist = "flash-attn", srcs = [":src"])\n'
                              'container_layer(name = "a", wheels = [":w1", ":w2"])\n'},
        "pkgs/a/BUILD.star:4:1: //a:a installs two wheels of 'flash-attn' (//a:w1 and //a:w2); keep one in wheels"),
    "image name with ..": (
        {"WORKSPACE.star": 'workspace(default_platform = "jp6", image_name = "../../{package}:{version}")\n',
         "pkgs/a/BUILD.star": 'container_layer(name = "a")\n'},
        "WORKSPACE.star:1:1: workspace(): image_name '../../{package}:{version}' contains '..'; give a docker "
        "reference such as '{package}:{version}-r{l4t}-{cuda_tag}-{distro}'"),
    "image name in upper case": (
        {"WORKSPACE.star": 'workspace(default_platform = "jp6", image_name = "Me/{package}:{version}")\n',
         "pkgs/a/BUILD.star": 'container_layer(name = "a")\n'},
        "WORKSPACE.star:1:1: workspace(): image_name 'Me/{package}:{version}' has upper case letters before the "
        "tag; docker repository names are lower case"),
    "image name with a space": (
        {"WORKSPACE.star": 'workspace(default_platform = "jp6", image_name = "my {package}:{version}")\n',
         "pkgs/a/BUILD.star": 'container_layer(name = "a")\n'},
        "WORKSPACE.star:1:1: workspace(): image_name 'my {package}:{version}' does not make a docker reference "
        "([registry/]name[:tag] of lower-case letters, digits and . _ -)"),
    "image name placeholder": (
        {"WORKSPACE.star": 'workspace(default_platform = "jp6", image_name = "{pkg}:{version}")\n',
         "pkgs/a/BUILD.star": 'container_layer(name = "a")\n'},
        "WORKSPACE.star:1:1: workspace(): image_name '{pkg}:{version}' uses an unknown field 'pkg'; known: "
        "package, version, l4t, cuda, cuda_tag, distro, python, jetpack, arch, platform"),
}

COMMANDS = {
    "query": ["query", "deps(//a:a)"],
    "docs": ["docs", "//a", "--stdout"],
    "plan": ["plan", "//a:a"],
    "build": ["build", "--dry-run", "//a:a"],
}


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("case", list(CASES))
def test_every_command_reports_the_value_error(case: str, command: str, workspace, jcb) -> None:
    files, message = CASES[case]
    result = jcb(workspace(files), *COMMANDS[command])
    assert result.code == 1, result.out + result.err
    assert result.err.strip().splitlines()[-1] == f"jcb: error: {message}"


@pytest.mark.parametrize("name", ["flash-attn", "Flash_Attn", "flash.attn", "FLASH__-.attn", "x", "a-b_c.d", "Torch"])
def test_wheel_clash_compares_names_as_packaging_does(name: str) -> None:
    from packaging.utils import canonicalize_name

    from jc_build.analysis.graph import normalized_dist
    assert normalized_dist(name) == canonicalize_name(name)
