"""The README.md beside every BUILD.star is what `jcb docs` generates from the BUILD files."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_package_readmes_are_up_to_date(jcb) -> None:
    result = jcb(REPO, "docs", "//...", "--check")
    assert result.code == 0, f"stale package READMEs; run `jcb docs //...`:\n{result.out}{result.err}"
    assert (REPO / "pkgs/llm/sglang/README.md").read_text().startswith("# sglang\n")
