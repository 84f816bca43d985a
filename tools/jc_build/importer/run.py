"""``run_import``: scan per platform, merge, render and write, report."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from ..model import Platform
from .merge import DirSpec, Finding, Merged, merge
from .render import render_build, with_header
from .report import Summary, counts_text, import_md, summarize
from .scan import scan_platform
from .writer import WriteResult, Writer, package_files


@dataclass
class ImportRequest:
    root: Path  # the jetson-containers checkout
    package_dirs: list[Path]  # more trees, like its --package-dirs
    platforms: list[Platform]
    pkgs_dir: Path  # the workspace's pkgs/
    into: str  # package path under pkgs/, e.g. "imported"
    python: str = ""
    force: bool = False


@dataclass
class ImportResult:
    merged: Merged
    written: WriteResult
    summary: Summary
    text: str


def run_import(req: ImportRequest) -> ImportResult:
    started = time.perf_counter()
    if not (req.root / "jetson_containers").is_dir() or not (req.root / "packages").is_dir():
        raise UsageError(f"{req.root}: not a jetson-containers checkout (no jetson_containers/ and packages/)")
    tops = [req.root / "packages", *[d.resolve() for d in req.package_dirs]]
    for top in tops[1:]:
        if not top.is_dir():
            raise UsageError(f"{top}: --package-dirs names no directory")
    dirs = [str(t) for t in tops]
    scans = [scan_platform(req.root, dirs, p, req.python) for p in req.platforms]
    merged = merge(scans, tops, req.into)
    top = req.pkgs_dir / req.into
    writer = Writer(top, req.force)
    for rel, spec in merged.dirs.items():
        _add_directory(writer, rel, spec, merged, tops)
    written = writer.apply()
    summary = summarize(merged, written, time.perf_counter() - started)
    (top / "IMPORT.md").write_text(import_md(merged, written, summary, str(req.root)), encoding="utf-8")
    return ImportResult(merged, written, summary, counts_text(summary, f"pkgs/{req.into}"))


def _add_directory(writer: Writer, rel: str, spec: DirSpec, merged: Merged, tops: list[Path]) -> None:
    """The directory's files (for the build context) and its BUILD.star."""
    prefix = f"{rel}/" if rel else ""
    files: list[str] = []
    for path in package_files(spec.source):
        name = path.relative_to(spec.source).as_posix()
        if name == "BUILD.star" or name == "wheels" or name.startswith("wheels/"):
            merged.warnings.append(_skip_warning(rel, name))
            continue
        writer.add(prefix + name, path.read_bytes())
        files.append(name)
    source = "packages/" + rel if spec.source.is_relative_to(tops[0]) else str(spec.source)
    body = render_build(spec, merged.platforms, [f for f in files if f not in spec.dockerfiles])
    writer.add(prefix + "BUILD.star", with_header(source, body).encode("utf-8"))


def _skip_warning(rel: str, name: str) -> Finding:
    return Finding(rel, "all", f"file '{name}' was not imported (jcb reserves that name)", "file")
