"""The real tree: every package's imported chain against jetson-containers' own resolver.

Runs only with ``JCB_JC_CHECKOUT`` (a jetson-containers checkout) and ``JCB_JC_PYTHON`` (an
interpreter with that checkout's requirements); see docs/importing.md for the figures.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHECKOUT = os.environ.get("JCB_JC_CHECKOUT", "")
PYTHON = os.environ.get("JCB_JC_PYTHON", "")
pytestmark = pytest.mark.skipif(not (CHECKOUT and PYTHON),
                                reason="set JCB_JC_CHECKOUT and JCB_JC_PYTHON to compare with a jetson-containers tree")

# Differences the importer explains: jcb refuses a chain jetson-containers gets silently wrong.
EXPLAINED = ("jcb refuses: ", "both refuse")


def test_every_chain_is_equal_or_refused_for_a_reason_the_import_reported() -> None:
    import importlib.util
    import sys
    spec = importlib.util.spec_from_file_location("jcb_import_compare", Path(__file__).with_name("compare.py"))
    compare = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = compare  # dataclasses look their module up there
    spec.loader.exec_module(compare)
    results, _ = compare.run(Path(CHECKOUT), PYTHON)
    for result in results:
        assert result.packages > 300, result.platform
        assert result.equal > result.packages // 2, (result.platform, result.equal)
        unexplained = {cls: result.examples[cls] for cls in result.classes if not cls.startswith(EXPLAINED)}
        assert not unexplained, (result.platform, unexplained)
