"""`jcb docs PATTERN`: package pages from the fixture workspace."""

from __future__ import annotations

import re
from pathlib import Path

from docs_helpers import FIXTURE, Jcb, jcb_process, parse_page


def _titles(text: str) -> list[str]:
    return re.findall(r"^# (.+)\n\n> \[`CONTAINERS`\]", text, re.M)


BASE = ["build-essential", "pip_cache:cu126", "cuda:12.6", "cudnn", "python", "pytorch:2.8", "torchvision"]


def test_sglang_page_tables(jcb: Jcb, ws: Path) -> None:
    result = jcb(ws, "docs", "//llm/sglang", "--stdout")
    assert result.code == 0, result.err
    page = parse_page(result.out)
    assert page.title == "sglang"
    # builder variants and the wheel are not containers of the page
    assert list(page.containers) == ["sglang:0.4.4", "sglang:0.4.6", "sglang:0.4.9"]
    rows = page.containers
    assert "Aliases" not in rows["sglang:0.4.4"]
    assert rows["sglang:0.4.9"]["Aliases"] == "`sglang`"
    assert rows["sglang:0.4.4"]["Requires"] == "`L4T ['>=36']`"
    assert page.links("sglang:0.4.4", "Dependencies") == BASE + ["flashinfer"]
    assert page.links("sglang:0.4.6", "Dependencies") == BASE + ["flashinfer:0.2.6.post1"]
    assert "[`pytorch:2.8`](/pkgs/pytorch)" in rows["sglang:0.4.9"]["Dependencies"]
    assert "[`flashinfer`](/pkgs/attention/flash-infer)" in rows["sglang:0.4.9"]["Dependencies"]
    # dependants reach 0.4.9 through the `sglang` alias; builder variants are left out
    assert page.links("sglang:0.4.9", "Dependants") == ["dynamo:0.3.2", "llama-factory"]
    assert "Dependants" not in rows["sglang:0.4.4"]
    assert rows["sglang:0.4.9"]["Definition"] == "[`BUILD.star:21`](BUILD.star#L21) `container_layer`"
    assert rows["sglang:0.4.9"]["Dockerfile"] == "[`Dockerfile`](Dockerfile)"
    assert rows["sglang:0.4.9"]["Notes"] == "https://github.com/sgl-project/sglang"
    assert page.links("sglang:0.4.4", "Images") == ["dustynv/sglang:0.4.4-r36.4.0-cu128-24.04"]
    assert rows["sglang:0.4.4"]["Images"].endswith("`(2025-03-03, 5.4GB)`")
    assert "Images" not in rows["sglang:0.4.9"]
    assert page.images == [
        ("dustynv/sglang:0.4.4-r36.4.0-cu128-24.04", "2025-03-03", "arm64", "5.4GB"),
        ("dustynv/sglang:0.4.7-r36.4-cu128-24.04", "2025-05-06", "arm64", "4.9GB"),
        ("dustynv/sglang:r36.4.0", "2025-02-07", "arm64", "7.3GB"),
    ]


def test_run_and_build_sections(jcb: Jcb, ws: Path) -> None:
    text = jcb(ws, "docs", "//llm/sglang", "--stdout").out
    for expected in ("jcb run //llm/sglang\n", "jcb autotag sglang\n", "jcb build //llm/sglang:0.4.9\n",
                     "--platform=NAME", "generated for `jp6-cu126`",
                     # the newest published image
                     "docker run --runtime nvidia -it --rm --network=host dustynv/sglang:0.4.7-r36.4-cu128-24.04\n"):
        assert expected in text
    # without published images the example is jcb's own image name; `//pytorch:pytorch` is an alias
    text = jcb(ws, "docs", "//pytorch", "--stdout").out
    assert "IMAGES</a>" not in text
    assert "--network=host pytorch:2.8-r36.4.0-cu126-24.04\n" in text
    assert "jcb autotag pytorch\n" in text


def test_package_without_default_target(jcb: Jcb, ws: Path) -> None:
    text = jcb(ws, "docs", "//pytorch/torchvision", "--stdout").out
    assert "jcb run //pytorch/torchvision\n" in text
    text = jcb(ws, "docs", "//cuda/cudnn", "--stdout").out
    page = parse_page(text)
    assert list(page.containers) == ["cudnn:9.3"]
    assert page.containers["cudnn:9.3"]["Requires"] == "`L4T ['arch==aarch64']`"
    assert "jcb autotag cudnn:9.3\n" in text


def test_several_layers_in_one_directory_and_platform(jcb: Jcb, ws: Path) -> None:
    page = parse_page(jcb(ws, "docs", "//cuda/cuda", "--stdout").out)
    assert list(page.containers) == ["pip_cache:cu126", "cuda:12.6", "cuda:12.8"]
    assert page.containers["pip_cache:cu126"]["Aliases"] == "`pip_cache` `pip-cache`"
    assert page.containers["cuda:12.6"]["Aliases"] == "`cuda`"
    assert page.links("cuda:12.6", "Dependants") == [
        "cudnn:9.3", "dynamo:0.3.2", "flashinfer:0.2.6.post1", "flashinfer:0.2.8", "llama-factory", "pytorch:2.8",
        "sglang:0.4.4", "sglang:0.4.6", "sglang:0.4.9", "torchvision"]
    assert "Dependants" not in page.containers["cuda:12.8"]
    result = jcb(ws, "docs", "//cuda/cuda", "--stdout", "--platform", "jp6-cu128")
    page = parse_page(result.out)
    assert "Aliases" not in page.containers["cuda:12.6"]
    assert page.containers["cuda:12.8"]["Aliases"] == "`cuda`"
    assert "generated for `jp6-cu128`" in result.out


def test_shorthand_and_label_patterns(jcb: Jcb, ws: Path) -> None:
    by_label = jcb(ws, "docs", "//llm/sglang", "--stdout").out
    assert jcb(ws, "docs", "sglang", "--stdout").out == by_label
    assert jcb(ws, "docs", "//llm/sglang:0.4.4", "--stdout").out == by_label
    assert jcb(ws, "docs", "//llm/sglang:all", "--stdout").out == by_label
    everything = jcb(ws, "docs", "//llm/...", "--stdout").out
    assert _titles(everything) == ["dynamo", "llama-factory", "sglang"]


def test_notes_are_escaped_for_tables(jcb: Jcb, ws: Path) -> None:
    page = parse_page(jcb(ws, "docs", "//llm/llama-factory", "--stdout").out)
    assert page.containers["llama-factory"]["Notes"] == "a \\| b<br>second line"


def test_write_then_check(jcb: Jcb, ws: Path) -> None:
    result = jcb(ws, "docs", "//...")
    assert result.code == 0, result.err
    written = sorted(p.relative_to(ws).as_posix() for p in ws.rglob("README.md"))
    assert written == sorted(line.removeprefix("wrote ") for line in result.out.splitlines())
    assert "pkgs/llm/sglang/README.md" in written and len(written) == 10
    readme = ws / "pkgs/llm/sglang/README.md"
    assert readme.read_text() == jcb(ws, "docs", "//llm/sglang", "--stdout").out
    assert jcb(ws, "docs", "//...").out == ""  # nothing changed, nothing written
    assert jcb(ws, "docs", "//...", "--check").code == 0

    readme.write_text(readme.read_text().replace("0.4.9", "0.5.0"))
    (ws / "pkgs/llm/dynamo/README.md").unlink()
    stale_text = readme.read_text()
    result = jcb(ws, "docs", "//...", "--check")
    assert result.code == 1
    assert "pkgs/llm/sglang/README.md (stale)" in result.err
    assert "pkgs/llm/dynamo/README.md (missing)" in result.err
    assert "pkgs/cuda/cuda/README.md" not in result.err
    assert readme.read_text() == stale_text and not (ws / "pkgs/llm/dynamo/README.md").exists()


def test_check_detects_a_changed_build_file(jcb: Jcb, ws: Path) -> None:
    assert jcb(ws, "docs", "//llm/dynamo").code == 0
    build = ws / "pkgs/llm/dynamo/BUILD.star"
    build.write_text(build.read_text().replace('deps = ["//llm/sglang"])', 'deps = ["//llm/sglang:0.4.6"])', 1))
    result = jcb(ws, "docs", "//llm/dynamo", "--check")
    assert result.code == 1 and "pkgs/llm/dynamo/README.md (stale)" in result.err


def test_output_is_deterministic(tmp_path: Path) -> None:
    """Same pages from fresh processes with different hash seeds (sets, dict order)."""
    runs = [jcb_process("docs", "//...", "--stdout", "-C", str(FIXTURE), timeout=60, hash_seed=seed,
                        cache_dir=tmp_path / seed) for seed in ("1", "2")]
    assert runs[0].code == 0, runs[0].err
    assert runs[0].out == runs[1].out
    assert len(_titles(runs[0].out)) == 10


def test_pinned_version_is_shown(ws: Path) -> None:
    """An explicit version wins over the alias elsewhere in the chain, and is shown with its version."""
    (ws / "pkgs/llm/pinned").mkdir()
    (ws / "pkgs/llm/pinned/BUILD.star").write_text(
        'container_layer(name = "pinned", deps = ["//llm/sglang:0.4.9", "//attention/flash-infer:0.2.6.post1"])\n')
    result = jcb_process("docs", "//llm/pinned", "--stdout", "-C", str(ws), timeout=30,
                         cache_dir=ws.parent / "cache")
    assert result.code == 0, result.err
    deps = parse_page(result.out).links("pinned", "Dependencies")
    assert deps == BASE + ["flashinfer:0.2.6.post1", "sglang:0.4.9"]


def test_usage_errors(jcb: Jcb, ws: Path) -> None:
    assert jcb(ws, "docs").code == 2
    assert jcb(ws, "docs", "//llm/sglang", "--rules").code == 2
    result = jcb(ws, "docs", "//llm/sglnag")
    assert result.code == 1 and "did you mean" in result.err.lower()
    result = jcb(ws, "docs", "//nothing/...")
    assert result.code == 2 and "matches no package" in result.err


def test_bad_image_facts_are_reported(jcb: Jcb, ws: Path) -> None:
    (ws / "pkgs/llm/llama-factory/BUILD.star").write_text(
        'container_layer(name = "llama-factory", images = [{"repo": "dustynv/llama-factory", "tag": "r36"}])\n')
    result = jcb(ws, "docs", "//llm/llama-factory", "--stdout")
    assert result.code == 1
    assert "pkgs/llm/llama-factory/BUILD.star:1:1" in result.err and "'repository'" in result.err
