"""`jcb docs //llm/sglang` against the jetson-containers page it regenerates (data/sglang-README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from docs_helpers import REPO, Page, jcb_process, parse_page

SEED = Path(__file__).parent / "data" / "sglang-README.md"

pytestmark = pytest.mark.skipif(not (REPO / "pkgs/llm/sglang/BUILD.star").is_file(),
                                reason="pkgs/llm/sglang/BUILD.star is not written yet")


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> tuple[Page, Page]:
    result = jcb_process("docs", "//llm/sglang", "--stdout", "--platform", "jp6-cu126", "-C", str(REPO),
                         timeout=60, cache_dir=tmp_path_factory.mktemp("cache"))
    assert result.code == 0, result.err
    return parse_page(result.out), parse_page(SEED.read_text(encoding="utf-8"))


def test_same_containers_and_images(pages: tuple[Page, Page]) -> None:
    ours, seed = pages
    assert ours.title == seed.title
    assert list(ours.containers) == list(seed.containers)
    assert ours.images == seed.images
    for name in seed.containers:
        assert ours.links(name, "Images") == seed.links(name, "Images"), name


@pytest.mark.parametrize("row", ["Aliases", "Requires", "Notes"])
def test_same_rows(pages: tuple[Page, Page], row: str) -> None:
    ours, seed = pages
    for name, rows in seed.containers.items():
        assert ours.containers[name].get(row) == rows.get(row), name


def test_same_dependencies(pages: tuple[Page, Page]) -> None:
    """Names, versions and order; the seed lists flashinfer twice (sglang's depends names it twice),
    an image chain holds it once."""
    ours, seed = pages
    for name in seed.containers:
        assert ours.links(name, "Dependencies") == list(dict.fromkeys(seed.links(name, "Dependencies"))), name


def test_same_dependants(pages: tuple[Page, Page]) -> None:
    ours, seed = pages
    for name in seed.containers:
        assert ours.links(name, "Dependants") == seed.links(name, "Dependants"), name
