"""Failing-case fixtures for hostile sources: bytes, depth, size, runaway loops, platform values.

Each case is (files, command line, exit code, the exact error line); files given as bytes are
written as they are.
"""

from __future__ import annotations

import pytest

from jc_build.labels import MAX_COMPONENT, MAX_LABEL
from jc_build.loading.source import MAX_NESTING

LAYER = 'container_layer(name = "a")\n'


def _platform(**fields: str) -> dict[str, str]:
    values = {"l4t": "36.4.0", "jetpack": "6.1", "cuda": "12.6", "cudnn": "9.3", "python": "3.10",
              "distro": "24.04", "base_image": "ubuntu:24.04", **fields}
    args = ", ".join(f'{k} = "{v}"' for k, v in values.items())
    return {"toolchains/BUILD.star": f'platform(name = "p", arch = "aarch64", cuda_arch = ["87"], {args})\n',
            "WORKSPACE.star": 'workspace(default_platform = "p")\n', "pkgs/a/BUILD.star": LAYER}


def _bad_version(field: str, value: str, example: str) -> tuple:
    return (_platform(**{field: value}), ["tag", "//a"], 1,
            f"toolchains/BUILD.star:1:1: platform 'p': {field} must be a version such as '{example}', got '{value}'")


CASES = {
    "non-UTF-8 byte in BUILD.star": (
        {"pkgs/a/BUILD.star": b'container_layer(name = "a")\nx = "\xff"\n'}, ["tag", "//a"], 1,
        "pkgs/a/BUILD.star:2:6: byte 0xff is not valid UTF-8 (Starlark files must be UTF-8)"),
    "non-UTF-8 byte in a .star file": (
        {"pkgs/a/BUILD.star": 'load(":m.star", "f")\n' + LAYER, "pkgs/a/m.star": b"f = 1\n# caf\xe9\n"},
        ["tag", "//a"], 1, "pkgs/a/m.star:2:6: byte 0xe9 is not valid UTF-8 (Starlark files must be UTF-8)"),
    "non-UTF-8 byte in WORKSPACE.star": (
        {"WORKSPACE.star": b'\xc3(workspace(default_platform = "jp6")\n', "pkgs/a/BUILD.star": LAYER},
        ["tag", "//a"], 1, "WORKSPACE.star:1:1: byte 0xc3 is not valid UTF-8 (Starlark files must be UTF-8)"),
    "deep list literal": (
        {"pkgs/a/BUILD.star": "x = " + "[" * 3000 + "]" * 3000 + "\n" + LAYER}, ["tag", "//a"], 1,
        f"pkgs/a/BUILD.star:1:{5 + MAX_NESTING}: brackets nested deeper than {MAX_NESTING} levels; "
        "flatten this expression"),
    "runaway loop": (
        {"pkgs/a/BUILD.star": "def f():\n    for i in range(100000):\n        for j in range(100000):\n"
                              "            pass\nf()\n"}, ["tag", "//a", "--loading-timeout=0.5"], 1,
        "evaluating pkgs/a/BUILD.star took longer than 0.5 s (--loading-timeout); stopped it: look for a loop "
        "that never ends"),
    "runaway loop in a loaded file": (
        {"pkgs/a/BUILD.star": 'load(":m.star", "f")\n' + LAYER,
         "pkgs/a/m.star": "def g():\n    for i in range(100000):\n        for j in range(100000):\n"
                          "            pass\ng()\nf = 1\n"}, ["tag", "//a", "--loading-timeout=0.5"], 1,
        "evaluating pkgs/a/BUILD.star took longer than 0.5 s (--loading-timeout); stopped it: look for a loop "
        "that never ends"),
    "300-character package name": (
        {"pkgs/a/BUILD.star": LAYER}, ["tag", "//" + "a" * 300], 2,
        f"invalid label '//{'a' * 38}...': a name of 300 characters ('{'a' * 20}...'); package and target names "
        f"may have at most {MAX_COMPONENT}"),
    "100k-character label": (
        {"pkgs/a/BUILD.star": LAYER}, ["tag", "//" + "a/" * 50000 + "a"], 2,
        f"invalid label '//{'a/' * 19}...': 100003 characters long; labels may have at most {MAX_LABEL}"),
    "long dependency label": (
        {"pkgs/a/BUILD.star": f'container_layer(name = "a", deps = ["//{"b" * 300}"])\n'}, ["tag", "//a"], 1,
        f"pkgs/a/BUILD.star:1:1: invalid label '//{'b' * 38}...': a name of 300 characters ('{'b' * 20}...'); "
        f"package and target names may have at most {MAX_COMPONENT}"),
    "platform label given to build": (
        {"pkgs/a/BUILD.star": LAYER}, ["build", "@toolchains//:jp6"], 2,
        "'@toolchains//:jp6' is not a target: targets live under pkgs/ and have labels such as //llm/sglang "
        "(@toolchains// labels name .star files and platforms); to configure for a platform, pass --platform=jp6"),
    "bad keyed constraint": (
        {"pkgs/a/BUILD.star": '\ncontainer_layer(name = "a", target_compatible_with = {"cuda": "~~12"})\n'},
        ["tag", "//a"], 1,
        "pkgs/a/BUILD.star:2:1: target_compatible_with {\"cuda\": \"~~12\"}: cannot read constraint 'cuda~~12': "
        "expected an L4T version ('>=36', '==36.*'), 'cu126', 'py310', a distro ('24.04'), an arch ('aarch64') "
        "or 'key>=value'"),
    "unknown keyed constraint": (
        {"pkgs/a/BUILD.star": 'container_layer(name = "a", target_compatible_with = {"cdua": "12"})\n'},
        ["tag", "//a"], 1,
        "pkgs/a/BUILD.star:1:1: target_compatible_with: unknown platform value 'cdua' (known: arch, cuda, cudnn, "
        "distro, jetpack, l4t, python)"),
    "platform cuda not a version": _bad_version("cuda", "twelve", "12.6"),
    "platform l4t not a version": _bad_version("l4t", "abc", "36.4.0"),
    "platform python not a version": _bad_version("python", "three", "3.10"),
    "platform empty base image": (
        _platform(base_image=""), ["tag", "//a"], 1,
        "toolchains/BUILD.star:1:1: platform 'p': base_image must be an image reference such as "
        "'nvcr.io/nvidia/l4t-jetpack:r36.4.0', got ''"),
    "remote cache not a registry": (
        {"pkgs/a/BUILD.star": LAYER}, ["explain", "//a", "--remote-cache", "::::"], 2,
        "--remote-cache '::::': '::::' is not a registry host[:port] such as 127.0.0.1:5000 or ghcr.io"),
    "remote cache scheme": (
        {"pkgs/a/BUILD.star": LAYER}, ["explain", "//a", "--remote-cache", "ftp://host/x"], 2,
        "--remote-cache 'ftp://host/x': scheme 'ftp' is not http or https"),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_bad_source(case: str, workspace, jcb) -> None:
    files, argv, code, message = CASES[case]
    root = workspace({k: v for k, v in files.items() if isinstance(v, str)})
    for rel, data in files.items():
        if isinstance(data, bytes):
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(data)
    result = jcb(root, *argv)
    assert result.code == code, result.err
    assert result.err.strip().splitlines()[-1] == f"jcb: error: {message}"


def test_a_bom_is_accepted(workspace, jcb) -> None:
    root = workspace({})
    (root / "pkgs/a").mkdir(parents=True)
    (root / "pkgs/a/BUILD.star").write_bytes(b"\xef\xbb\xbf" + LAYER.encode())
    result = jcb(root, "tag", "//a")
    assert (result.code, result.out) == (0, "a:latest-r36.4.0-cu126-24.04\n"), result.err


@pytest.mark.parametrize("expression", ["-" * 50000 + "1", "+".join(["1"] * 50000), "not " * 50000 + "True",
                                        "(" * 900 + "1" + ")" * 900])
def test_deep_expressions_evaluate_on_the_large_stack(expression: str, workspace, jcb) -> None:
    """Nesting below the bracket limit, and long operator chains, would overflow the main thread's stack."""
    root = workspace({"pkgs/a/BUILD.star": f"x = {expression}\n{LAYER}"})
    result = jcb(root, "tag", "//a")
    assert (result.code, result.err) == (0, ""), result.err
