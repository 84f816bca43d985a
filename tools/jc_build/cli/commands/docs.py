"""``jcb docs``: package README.md pages and docs/rules.md, generated from the BUILD files."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..context import Context

HELP = "generate the README.md of packages, or docs/rules.md"
DESCRIPTION = """\
Generate the README.md page of each package a pattern matches (its versions, their
dependencies and dependants in the graph configured for the platform, and published images),
written beside the package's BUILD.star. With --rules, print docs/rules.md, the reference of
the rules and built-in functions BUILD.star files use.

examples:
  jcb docs //llm/sglang --stdout      print the page of pkgs/llm/sglang
  jcb docs //...                      (re)write every package's README.md
  jcb docs //... --check              exit 1 listing pages that are stale or missing
  jcb docs --rules > docs/rules.md    regenerate the rule reference
  jcb docs --rules --check            exit 1 if docs/rules.md is stale
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("pattern", nargs="?",
                        help="packages to document: //llm/sglang, //llm/..., //... or a name such as sglang")
    parser.add_argument("--rules", action="store_true",
                        help="docs/rules.md instead of package pages (printed unless --check)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="write nothing; exit 1 listing stale or missing pages")
    mode.add_argument("--stdout", action="store_true", help="print the pages instead of writing README.md files")


def run(ctx: Context) -> int:
    from ...docs import render_rules_md
    from ...errors import UsageError
    args = ctx.args
    if args.rules:
        if args.pattern:
            raise UsageError("--rules takes no target pattern")
        if args.check:
            return _check(ctx, {ctx.workspace.root / "docs" / "rules.md": render_rules_md()},
                          "jcb docs --rules > docs/rules.md")
        ctx.out.write(render_rules_md())
        return 0
    if not args.pattern:
        raise UsageError("give a target pattern (e.g. //llm/sglang or //...), or --rules")
    pages = _pages(ctx, args.pattern)
    if args.stdout:
        ctx.out.write("\n".join(pages.values()))
        return 0
    if args.check:
        return _check(ctx, pages, f"jcb docs {args.pattern}")
    for path, text in pages.items():
        if _read(path) != text:
            path.write_text(text, encoding="utf-8")
            ctx.print(f"wrote {path.relative_to(ctx.workspace.root).as_posix()}")
    return 0


def _packages(ctx: Context, text: str) -> list[str]:
    """Package directories a pattern, label or jetson-containers name designates."""
    from ...errors import UsageError
    from ...labels import Label, LabelSyntaxError, parse_pattern
    if not text.startswith("//"):
        return [ctx.graph.shorthand().lookup(text).package]
    try:
        pattern = parse_pattern(text)
    except LabelSyntaxError as exc:
        raise UsageError(str(exc)) from None
    if pattern.name is not None:
        ctx.graph.target(Label(pattern.package, pattern.name))
        return [pattern.package]
    return [p for p in ctx.loader.all_packages() if pattern.matches_package(p)]


def _pages(ctx: Context, text: str) -> dict[Path, str]:
    """README path -> rendered page, for each matched package that declares container layers."""
    from ...docs import PageBuilder, render_page
    from ...errors import UsageError
    builder = PageBuilder(ctx.graph, ctx.workspace)
    pages = [page for package in _packages(ctx, text) if (page := builder.page(package))]
    if not pages:
        raise UsageError(f"'{text}' matches no package that declares a container_layer")
    return {ctx.workspace.root / page.path: render_page(page) for page in pages}


def _check(ctx: Context, expected: dict[Path, str], fix: str) -> int:
    stale = [f"{path.relative_to(ctx.workspace.root).as_posix()} ({'stale' if text is not None else 'missing'})"
             for path, want in expected.items() if (text := _read(path)) != want]
    if stale:
        listed = "".join(f"  {line}\n" for line in stale)
        ctx.err.write(f"jcb: docs out of date:\n{listed}  update with: {fix}\n")
        return 1
    return 0


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
