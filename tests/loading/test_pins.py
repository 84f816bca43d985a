"""Which pip requirements float (jc_build/pins.py): the forms decided without packaging give
packaging's answer, and deciding them does not import packaging.requirements."""

from __future__ import annotations

import itertools
import subprocess
import sys

from jc_build.pins import _exact_pep508, _obvious, command_requirements, floating_requirements

NAMES = ["scipy", "compressed-tensors", "flash_attn", "A.b-c_d9", "x", "-bad", "bad-", "a b"]
VERSIONS = ["1", "2.8", "4.53.1", "2.8.0.post2", "1.0rc1", "0.1a2.dev3", "1.0.post1.dev2", "01.2", "1.0.*",
            "1.0+local", "1!2.0", "v1.0", "1.0-1", "1.0.POST1", "abc", ""]
OPERATORS = ["==", "===", ">=", "~=", "!=", " == ", "="]
SUFFIXES = ["", "[extra]", "[a,b-c]", "[a, b]", "[]", " ; python_version < '3.12'", " @ https://example.invalid/x.whl"]


def _cases() -> list[str]:
    pins = [name + op + version for name, op, version in itertools.product(NAMES, OPERATORS, VERSIONS)]
    with_suffix = [f"{name}{suffix}{pin}" for name in NAMES for suffix in SUFFIXES for pin in ("", "==1.0")]
    return NAMES + pins + with_suffix + ["-r requirements.txt", "", "torch>=2.8,<2.9", "git+https://x/y.git"]


def test_obvious_forms_agree_with_packaging() -> None:
    decided = {text: _obvious(text) for text in _cases()}
    wrong = {text: answer for text, answer in decided.items() if answer is not None and answer != _exact_pep508(text)}
    assert wrong == {}
    assert {text for text, answer in decided.items() if answer is False} >= {"scipy", "compressed-tensors", "x"}
    assert {text for text, answer in decided.items() if answer} >= {
        "flash_attn==2.8.0.post2", "scipy==4.53.1", "x==1.0rc1", "x==0.1a2.dev3", "x==1.0.post1.dev2"}
    assert decided["x==1.0.*"] is None and decided["x===1"] is None
    assert decided["x[extra]==1.0"] is True and decided["x[a,b-c]"] is False


def test_floating_requirements() -> None:
    assert floating_requirements(["scipy", "torch==2.8.0", "x==1.0.*", "y===1.0", "z>=1", "w[a]==1.0",
                                  "-r req.txt"]) == ["scipy", "x==1.0.*", "z>=1", "-r req.txt"]


def test_obvious_forms_do_not_import_packaging_requirements() -> None:
    code = ("import sys; from jc_build.pins import floating_requirements as f; "
            "assert f(['scipy', 'torch==2.8.0', 'flash_attn==2.8.0.post2', 'sglang[all]==0.4.9']) == ['scipy']; "
            "print('packaging.requirements' in sys.modules); "
            "assert f(['x>=1']) == ['x>=1']; print('packaging.requirements' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.split() == ["False", "True"]


def test_option_values_are_not_requirements() -> None:
    cmd = ("PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --index-url https://pypi.org/simple "
           "--no-binary :all: --only-binary numpy --upgrade psutil==7.0.0 'numpy<2' /tmp/w/*.whl")
    assert command_requirements(cmd) == ["psutil==7.0.0", "numpy<2"]
    assert floating_requirements(command_requirements(cmd)) == ["numpy<2"]


def test_only_one_exact_version_is_pinned() -> None:
    reqs = ["a==1.0", "b===2", "c==1.*", "d>=1,<2", "e", "f[x]==1.0", "-r req.txt"]
    assert floating_requirements(reqs) == ["c==1.*", "d>=1,<2", "e", "-r req.txt"]
