"""``jcb import``: a jetson-containers tree becomes BUILD.star files of this workspace."""

from __future__ import annotations

import argparse

from ..context import Context

HELP = "import a jetson-containers tree as BUILD.star files"
DESCRIPTION = """\
Read a jetson-containers checkout (each package directory's Dockerfile header, config.py run
by the tree's own jetson_containers module for each platform, .json/.yml configs) and write one
BUILD.star per package directory under --into, with one target per package version, its deps,
requires, aliases and build args (select() where platforms differ), and the package's files and
Dockerfile used in place. Network look-ups of config scripts are refused and reported.

Running it again rewrites only what changed; files edited since the last import are kept and
listed in IMPORT.md (--force overwrites them).

examples:
  jcb import ~/jetson-containers
  jcb import ~/jetson-containers --platforms jp6-cu126,jp5 --package-dirs ~/my-packages
  jcb query deps //imported/llm/sglang --order=build --output=name
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("root", metavar="JC_ROOT", help="the jetson-containers checkout")
    parser.add_argument("--package-dirs", nargs="+", default=[], metavar="DIR",
                        help="more package trees, as jetson-containers' --package-dirs")
    parser.add_argument("--platforms", metavar="NAMES",
                        help="comma-separated platforms to read the tree for (default: every declared platform)")
    parser.add_argument("--into", default="pkgs/imported", metavar="DIR",
                        help="where the BUILD.star files go, under the workspace's pkgs/ (default: pkgs/imported)")
    parser.add_argument("--python", default="", metavar="PATH",
                        help="the interpreter that runs the tree's config scripts (default: jcb's own; one with the "
                             "tree's requirements.txt avoids stubbed modules)")
    parser.add_argument("--force", action="store_true", help="overwrite files edited since the last import")


def run(ctx: Context) -> int:
    from pathlib import Path

    from ...errors import UsageError
    from ...importer.run import ImportRequest, run_import
    ws = ctx.workspace
    names = [n for n in (ctx.args.platforms or "").split(",") if n] or list(ws.platforms)
    platforms = [ws.platform(n) for n in names]
    into = Path(ctx.args.into)
    pkgs = ws.root / "pkgs"
    target = (into if into.is_absolute() else Path.cwd() / into).resolve()
    if not target.is_relative_to(pkgs.resolve()) or target == pkgs.resolve():
        raise UsageError(f"--into {ctx.args.into}: must be a directory under {pkgs}")
    root = Path(ctx.args.root).expanduser().resolve()
    result = run_import(ImportRequest(root, [Path(d).expanduser() for d in ctx.args.package_dirs], platforms,
                                      pkgs, target.relative_to(pkgs.resolve()).as_posix(), ctx.args.python,
                                      ctx.args.force))
    ctx.print(result.text)
    for path, why in result.written.kept:
        ctx.warn(f"kept {path}: {why} (--force overwrites it)")
    return 0
