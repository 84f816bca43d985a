"""``--output=html``: a self-contained page with the graph (graphviz SVG) and a table, checked
offline and in a real headless Chromium whose screenshot is kept as a test artifact."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from jc_build.query import format_result, run_query

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("JCB_TEST_ARTIFACTS", REPO / "test-artifacts"))
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
LAYER_FILL = (0xCF, 0xE2, 0xFF)  # container_layer nodes' colour in query/dot.py
WINDOW = (1400, 1000)


def _needs(tool: str) -> str:
    path = shutil.which(tool)
    assert path, f"{tool} is not installed: run scripts/test.sh (its setup installs graphviz and chromium)"
    return path


def test_page_has_svg_links_and_a_row_per_target(graph) -> None:
    _needs("dot")
    labels = run_query(graph, "deps(//llm/sglang:0.4.9)")
    page = format_result(graph, labels, "html")
    assert page.startswith("<!doctype html>") and "<script" not in page
    assert re.findall(r'(?:src|href)="(?!#)', page) == []  # nothing outside the page itself
    rows = re.findall(r'<tr id="(t\d+)"><td class="label">([^<]+)</td>', page)
    assert sorted(label for _, label in rows) == sorted(map(str, labels))
    svg = page[page.index("<svg"):page.index("</svg>")]
    assert sorted(set(re.findall(r'xlink:href="#(t\d+)"', svg))) == sorted(anchor for anchor, _ in rows)
    assert svg.count('class="cluster"') == len({label.package.split("/")[0] for label in labels})


def test_page_without_graphviz_keeps_the_table(graph, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    page = format_result(graph, run_query(graph, "deps(//pytorch:2.8)"), "html")
    assert "<svg" not in page and "apt-get install graphviz" in page
    assert page.count("<tr id=") == len(run_query(graph, "deps(//pytorch:2.8)"))


def test_page_in_headless_chromium(tmp_path: Path) -> None:
    from PIL import Image

    chromium = _needs("chromium")
    _needs("dot")
    page = tmp_path / "pytorch.html"
    proc = subprocess.run([REPO / ".venv/bin/jcb", "query", "deps(//pytorch:2.8)", "--output=html"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    page.write_text(proc.stdout)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "query-html-pytorch.png"
    browser = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
               f"--window-size={WINDOW[0]},{WINDOW[1]}"]
    subprocess.run([*browser, f"--screenshot={shot}", page.as_uri()], capture_output=True, timeout=120, check=True)
    dom = subprocess.run([*browser, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120,
                         check=True).stdout
    # The browser parsed the inline SVG (one group per node) and the table.
    assert dom.count('class="node"') == dom.count("<tr id=") == proc.stdout.count("<tr id=") > 10
    with Image.open(shot) as image:
        assert image.size == WINDOW
        colours = dict((colour, count) for count, colour in image.convert("RGB").getcolors(WINDOW[0] * WINDOW[1]))
        layer_pixels = colours.get(LAYER_FILL, 0)
    assert layer_pixels > 50, f"no container_layer node drawn in {shot}"
