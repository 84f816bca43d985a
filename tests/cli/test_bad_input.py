"""Failing-case fixtures: every bad input gets its exact message, file:line:col and the fix.

Each case is (BUILD files, command line, exit code, the exact error line).
"""

from __future__ import annotations

import pytest

LAYER_B = {"pkgs/b/BUILD.star": 'container_layer(name = "b")\n'}

CASES = {
    "unknown attribute": (
        {"pkgs/a/BUILD.star": 'container_layer(name = "a", dpes = [])\n'}, ["tag", "//a"], 1,
        "pkgs/a/BUILD.star:1:1: container_layer() got an unknown attribute 'dpes' (did you mean 'deps'?)"),
    "wrong attribute type": (
        {"pkgs/a/BUILD.star": '\ncontainer_layer(name = "a", deps = "//b")\n'}, ["tag", "//a"], 1,
        "pkgs/a/BUILD.star:2:1: attribute 'deps' of container_layer() 'a' must be a list of label strings, "
        "got string"),
    "wrong dict type": (
        {"pkgs/a/BUILD.star": 'container_layer(name = "a", env = ["A=1"])\n'}, ["tag", "//a"], 1,
        "pkgs/a/BUILD.star:1:1: attribute 'env' of container_layer() 'a' must be a dict of string to string, "
        "got list"),
    "missing name": (
        {"pkgs/a/BUILD.star": 'container_layer(deps = [])\n'}, ["tag", "//a"], 1,
        "pkgs/a/BUILD.star:1:1: container_layer() needs a 'name' string attribute"),
    "missing mandatory": (
        {"pkgs/a/BUILD.star": 'wheel(name = "w")\n'}, ["tag", "//a:w"], 1,
        "pkgs/a/BUILD.star:1:1: wheel() of 'w' is missing the mandatory attribute 'dist'"),
    "positional arguments": (
        {"pkgs/a/BUILD.star": 'container_layer("a")\n'}, ["tag", "//a"], 1,
        'pkgs/a/BUILD.star:1:1: container_layer() takes keyword arguments only, e.g. container_layer(name = "...")'),
    "duplicate target": (
        {"pkgs/a/BUILD.star": 'container_layer(name = "a")\ncontainer_layer(name = "a")\n'}, ["tag", "//a"], 1,
        "pkgs/a/BUILD.star:2:1: target 'a' is declared twice in //a"),
    "bad target name": (
        {"pkgs/a/BUILD.star": 'container_layer(name = "a b")\n'}, ["tag", "//a"], 1,
        "pkgs/a/BUILD.star:1:1: invalid label '//a:a b': bad target name 'a b'"),
    "label escapes workspace": (
        {"pkgs/a/BUILD.star": 'container_layer(name = "a", deps = ["//../etc"])\n'}, ["tag", "//a"], 1,
        "pkgs/a/BUILD.star:1:1: invalid label '//../etc': package path may not contain '..' "
        "(labels cannot leave the workspace)"),
    "absolute label path": (
        {"pkgs/a/BUILD.star": 'container_layer(name = "a", deps = ["///etc:x"])\n'}, ["tag", "//a"], 1,
        "pkgs/a/BUILD.star:1:1: invalid label '///etc:x': package paths are relative to the workspace and use '/'"),
    "missing dependency target": (
        {"pkgs/a/BUILD.star": 'container_layer(name = "a", deps = ["//b:bb"])\n', **LAYER_B}, ["tag", "//a"], 1,
        "pkgs/a/BUILD.star:1:1: //a:a depends on '//b:bb', but no target 'bb' in package '//b' "
        "(did you mean 'b'?); declared: b"),
    "missing dependency package": (
        {"pkgs/a/BUILD.star": 'container_layer(name = "a", deps = ["//bb"])\n', **LAYER_B}, ["tag", "//a"], 1,
        "pkgs/a/BUILD.star:1:1: //a:a depends on '//bb:bb', but no package '//bb': there is no "
        "pkgs/bb/BUILD.star (did you mean 'b'?)"),
    "dependency cycle": (
        {"pkgs/a/BUILD.star": 'container_layer(name = "a", deps = ["//b"])\n',
         "pkgs/b/BUILD.star": 'container_layer(name = "b", deps = ["//c"])\n',
         "pkgs/c/BUILD.star": 'container_layer(name = "c", deps = ["//a"])\n'}, ["tag", "//a"], 1,
        "pkgs/a/BUILD.star:1:1: dependency cycle: //a:a -> //b:b -> //c:c -> //a:a"),
    "alias cycle": (
        {"pkgs/a/BUILD.star": 'alias(name = "a", actual = ":b")\nalias(name = "b", actual = ":a")\n'},
        ["tag", "//a"], 1, "pkgs/a/BUILD.star:1:1: dependency cycle: //a:a -> //a:b -> //a:a"),
    "two versions in one image": (
        {"pkgs/a/BUILD.star": 'container_layer(name = "a", deps = ["//x:1.0", "//b"])\n',
         "pkgs/b/BUILD.star": 'container_layer(name = "b", deps = ["//x:2.0"])\n',
         "pkgs/x/BUILD.star": 'container_layer(name = "1.0")\ncontainer_layer(name = "2.0")\n'},
        ["tag", "//a"], 1,
        "pkgs/a/BUILD.star:1:1: //a:a would put two versions of 'x' in one image: //x:1.0 (via //a:a -> //x:1.0) "
        "and //x:2.0 (via //a:a -> //b:b -> //x:2.0); depend on one version, or on //x (the default) so the "
        "explicit one is used"),
    "incompatible target requested": (
        {"pkgs/a/BUILD.star": 'container_layer(name = "a", requires = ">=36")\n'},
        ["tag", "//a", "--platform=jp5"], 1,
        "pkgs/a/BUILD.star:1:1: //a:a is not compatible with platform 'jp5': requires L4T '>=36' but platform "
        "'jp5' has L4T 35.4.1"),
    "incompatible dependency": (
        {"pkgs/a/BUILD.star": 'container_layer(name = "a", deps = ["//b"])\n',
         "pkgs/b/BUILD.star": 'container_layer(name = "b", requires = [">=cu128"])\n'}, ["tag", "//a"], 1,
        "pkgs/b/BUILD.star:1:1: //b:b is not compatible with platform 'jp6': requires CUDA '>=cu128' but "
        "platform 'jp6' has CUDA 12.6 (needed by //a:a through //a:a -> //b:b)"),
    "incompatible python": (
        {"pkgs/a/BUILD.star": 'container_layer(name = "a", requires = [">=py310"])\n'},
        ["tag", "//a", "--platform=jp5"], 1,
        "pkgs/a/BUILD.star:1:1: //a:a is not compatible with platform 'jp5': requires Python '>=py310' but "
        "platform 'jp5' has Python 3.8"),
    "incompatible distro": (
        {"pkgs/a/BUILD.star": 'container_layer(name = "a", requires = ["24.04"])\n'},
        ["tag", "//a", "--platform=jp5"], 1,
        "pkgs/a/BUILD.star:1:1: //a:a is not compatible with platform 'jp5': requires distro '24.04' but "
        "platform 'jp5' has distro 20.04"),
    "target_compatible_with": (
        {"pkgs/a/BUILD.star": 'container_layer(name = "a", target_compatible_with = {"arch": "x86_64"})\n'},
        ["tag", "//a"], 1,
        "pkgs/a/BUILD.star:1:1: //a:a is not compatible with platform 'jp6': requires arch 'arch==x86_64' but "
        "platform 'jp6' has arch aarch64"),
    "bad constraint": (
        {"pkgs/a/BUILD.star": 'container_layer(name = "a", requires = ">=foo")\n'}, ["tag", "//a"], 1,
        "pkgs/a/BUILD.star:1:1: cannot read constraint '>=foo': expected an L4T version ('>=36', '==36.*'), "
        "'cu126', 'py310', a distro ('24.04'), an arch ('aarch64') or 'key>=value'"),
    "bad constraint key": (
        {"pkgs/a/BUILD.star": 'container_layer(name = "a", requires = "cdua>=12")\n'}, ["tag", "//a"], 1,
        "pkgs/a/BUILD.star:1:1: unknown platform value 'cdua' in constraint 'cdua>=12' (known: arch, cuda, "
        "cudnn, distro, jetpack, l4t, python)"),
    "select without match": (
        {"pkgs/a/BUILD.star": 'container_layer(\n    name = "a",\n    deps = select({">=cu128": []}),\n)\n'},
        ["tag", "//a"], 1,
        "pkgs/a/BUILD.star:3:12: select(): no condition matches platform 'jp6' (l4t=36.4.0, jetpack=6.1, "
        "cuda=12.6, cudnn=9.3, python=3.10, distro=24.04, arch=aarch64, cuda_arch=87); conditions: '>=cu128'. "
        "Add a 'default' branch or a condition for this platform."),
    "select bad condition": (
        {"pkgs/a/BUILD.star": 'container_layer(name = "a", deps = select({"cu>=12": []}))\n'},
        ["tag", "//a"], 1,
        "pkgs/a/BUILD.star:1:36: select(): bad condition: unknown platform value 'cu' in constraint 'cu>=12' "
        "(known: arch, cuda, cudnn, distro, jetpack, l4t, python)"),
    "syntax error": (
        {"pkgs/a/BUILD.star": 'container_layer(name = "a"\nx = 1\n'}, ["tag", "//a"], 1,
        "pkgs/a/BUILD.star:2:1: Parse error: unexpected identifier 'x' here"),
    "undefined name": (
        {"pkgs/a/BUILD.star": 'container_layer(name = "a", deps = DEPS)\n'}, ["tag", "//a"], 1,
        "pkgs/a/BUILD.star:1:36: Variable `DEPS` not found"),
    "unknown rule": (
        {"pkgs/a/BUILD.star": 'container_layr(name = "a")\n'}, ["tag", "//a"], 1,
        "pkgs/a/BUILD.star:1:1: Variable `container_layr` not found, did you mean `container_layer`?"),
    "load missing file": (
        {"pkgs/a/BUILD.star": 'load("//defs:nope.star", "f")\ncontainer_layer(name = "a")\n'},
        ["tag", "//a"], 1, "pkgs/a/BUILD.star:1:1: cannot load '//defs:nope.star': no file pkgs/defs/nope.star"),
    "load missing symbol": (
        {"pkgs/a/BUILD.star": 'load("//defs:m.star", "g")\n', "pkgs/defs/m.star": "def f():\n    pass\n"},
        ["tag", "//a"], 1, "pkgs/a/BUILD.star:1:23: Module has no symbol `g`, did you mean `f`?"),
    "load cycle": (
        {"pkgs/a/BUILD.star": 'load("//defs:x.star", "f")\n', "pkgs/defs/x.star": 'load(":y.star", "g")\nf = 1\n',
         "pkgs/defs/y.star": 'load(":x.star", "f")\ng = 1\n'}, ["tag", "//a"], 1,
        "pkgs/defs/y.star:1:1: load cycle: pkgs/defs/x.star -> pkgs/defs/y.star -> pkgs/defs/x.star"),
    "load escapes workspace": (
        {"pkgs/a/BUILD.star": 'load("//../x:y.star", "f")\n'}, ["tag", "//a"], 1,
        "pkgs/a/BUILD.star:1:1: invalid label '//../x:y.star': package path may not contain '..' "
        "(labels cannot leave the workspace)"),
    "load without label": (
        {"pkgs/a/BUILD.star": 'load("defs.star", "f")\n'}, ["tag", "//a"], 1,
        "pkgs/a/BUILD.star:1:1: cannot load 'defs.star': use a label such as '//defs:python.star', "
        "':defs.star' or '@toolchains//:platforms.star'"),
    "error inside a macro": (
        {"pkgs/a/BUILD.star": 'load("//defs:m.star", "layer")\n\nlayer("a")\n',
         "pkgs/defs/m.star": 'def layer(name):\n    container_layer(name = name, deps = 1)\n'},
        ["tag", "//a"], 1,
        "pkgs/defs/m.star:2:5: attribute 'deps' of container_layer() 'a' must be a list of label strings, got int"
        "\n  called from pkgs/a/BUILD.star:3"),
    "rule at top level of a .star file": (
        {"pkgs/a/BUILD.star": 'load("//defs:m.star", "x")\n', "pkgs/defs/m.star": 'x = container_layer(name = "q")\n'},
        ["tag", "//a"], 1,
        "pkgs/defs/m.star:1:5: container_layer() may only be called while a BUILD.star file is evaluated "
        "(not at the top level of a loaded .star file)"),
    "missing package file": (
        {"pkgs/a/BUILD.star": 'container_layer(name = "a", files = ["instal.sh"])\n', "pkgs/a/install.sh": "true\n"},
        ["tag", "//a"], 1, "pkgs/a/BUILD.star:1:1: no file 'instal.sh' in pkgs/a (did you mean 'install.sh'?)"),
    "platform outside toolchains": (
        {"pkgs/a/BUILD.star": 'platform(name = "x")\n'}, ["tag", "//a"], 1,
        "pkgs/a/BUILD.star:1:1: platform() may only be declared in toolchains/BUILD.star"),
    "bad step helper": (
        {"pkgs/a/BUILD.star": 'container_layer(name = "a", steps = [run("")])\n'}, ["tag", "//a"], 1,
        "pkgs/a/BUILD.star:1:38: run() needs a non-empty command string"),
    "steps not steps": (
        {"pkgs/a/BUILD.star": 'container_layer(name = "a", steps = ["echo hi"])\n'}, ["tag", "//a"], 1,
        "pkgs/a/BUILD.star:1:1: attribute 'steps' of container_layer() 'a' must be a list of build steps "
        "(run(), copy(), env(), workdir(), apt_install(), pip_install()), got list"),
    "unknown platform": (LAYER_B, ["tag", "//b", "--platform=jp9"], 2,
                         "unknown platform 'jp9' (did you mean 'jp6'?); declared under toolchains/: jp5, jp6, "
                         "jp6-cu128"),
    "unknown target on command line": (
        LAYER_B, ["tag", "//b:c"], 1, "no target 'c' in package '//b'; declared: b"),
    "unknown package on command line": (
        LAYER_B, ["tag", "//c"], 1, "no package '//c': there is no pkgs/c/BUILD.star"),
    "unknown shorthand": (
        LAYER_B, ["tag", "bb"], 2,
        "no package or target named 'bb' (did you mean 'b:b'?); use a label such as //llm/sglang:0.4.9 or a name "
        "such as sglang:0.4.9"),
    "ambiguous shorthand": (
        {"pkgs/x/b/BUILD.star": 'container_layer(name = "b")\n', **LAYER_B}, ["tag", "b"], 2,
        "'b' is ambiguous: it names //b:b, //x/b:b; give the label instead"),
    "bad pattern": (LAYER_B, ["tag", "//b:"], 1, "invalid label '//b:': bad target name ''"),
    "unknown default platform": (
        {"WORKSPACE.star": 'workspace(default_platform = "jp7")\n', **LAYER_B}, ["tag", "//b"], 1,
        "WORKSPACE.star:1:1: default_platform 'jp7' is not declared in toolchains/BUILD.star (did you mean 'jp6'?)"),
    "bad image name scheme": (
        {"WORKSPACE.star": 'workspace(default_platform = "jp6", image_name = "{pkg}:{version}")\n', **LAYER_B},
        ["tag", "//b"], 1,
        "WORKSPACE.star:1:1: workspace(): image_name '{pkg}:{version}' uses an unknown field 'pkg'; known: package, "
        "version, l4t, cuda, cuda_tag, distro, python, jetpack, arch, platform"),
    "bad platform arch": (
        {"toolchains/BUILD.star": 'platform(name = "p", l4t = "36.4.0", jetpack = "6", cuda = "12.6", cudnn = "9",'
                                  ' python = "3.10", distro = "24.04", arch = "arm", cuda_arch = ["87"], '
                                  'base_image = "x")\n',
         "WORKSPACE.star": 'workspace(default_platform = "p")\n', **LAYER_B}, ["tag", "//b"], 1,
        "toolchains/BUILD.star:1:1: platform 'p': arch must be 'aarch64' or 'x86_64', got 'arm'"),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_bad_input(case: str, workspace, jcb) -> None:
    files, argv, code, message = CASES[case]
    result = jcb(workspace(files), *argv)
    assert result.code == code, result.err
    assert result.err.strip() == f"jcb: error: {message}"


def test_there_are_enough_distinct_cases() -> None:
    assert len(CASES) >= 30
