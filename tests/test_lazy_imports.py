"""Packages import a name's module when it is first used: a command imports only what it runs."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest

import jc_build.cache
import jc_build.engine
import jc_build.execution
import jc_build.plan


@pytest.mark.parametrize("package", [jc_build.cache, jc_build.engine, jc_build.execution, jc_build.plan])
def test_every_listed_name_resolves_and_is_listed(package) -> None:
    for name in package.__all__:  # a name, never a submodule shadowing it (`execution.estimate`)
        assert not isinstance(getattr(package, name), types.ModuleType), name
    assert set(package.__all__) <= set(dir(package))


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="module 'jc_build.execution' has no attribute 'Nope'"):
        jc_build.execution.Nope  # noqa: B018


def _imported_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sys.modules))"],
                         capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_a_build_without_a_remote_cache_imports_neither_httpx_nor_cryptography() -> None:
    """What a no-op build's modules import at their top (the executor, the scheduler, the stage runner)."""
    modules = _imported_after("from jc_build.execution import Executor, default_jobs\n"
                              "from jc_build.execution.progress import MODES\nfrom jc_build.cli import services")
    assert "jc_build.execution.executor" in modules
    assert not {"httpx", "cryptography", "jc_build.cache.registry", "jc_build.execution.batch_runner"} & modules
