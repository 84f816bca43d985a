"""Which pip requirements of a shell command float (jc_build.pins)."""

from __future__ import annotations

from jc_build.pins import command_requirements, floating_requirements


def test_option_values_are_not_requirements() -> None:
    cmd = ("PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --index-url https://pypi.org/simple "
           "--no-binary :all: --only-binary numpy --upgrade psutil==7.0.0 'numpy<2' /tmp/w/*.whl")
    assert command_requirements(cmd) == ["psutil==7.0.0", "numpy<2"]
    assert floating_requirements(command_requirements(cmd)) == ["numpy<2"]


def test_only_one_exact_version_is_pinned() -> None:
    reqs = ["a==1.0", "b===2", "c==1.*", "d>=1,<2", "e", "f[x]==1.0", "-r req.txt"]
    assert floating_requirements(reqs) == ["c==1.*", "d>=1,<2", "e", "-r req.txt"]
