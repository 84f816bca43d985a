"""The engine adapter's request/result types and the ``Engine`` protocol."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

LogCallback = Callable[[str], None]


@dataclass(frozen=True)
class SolveRequest:
    """One BuildKit build: a staged context directory plus Dockerfile text."""

    context_dir: Path
    dockerfile: str
    tags: tuple[str, ...] = ()
    build_args: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, Path] = field(default_factory=dict)
    output_dir: Path | None = None
    platform: str | None = None
    network: str | None = None
    log_path: Path | None = None
    cache_from: tuple[str, ...] = ()
    inline_cache: bool = False
    no_cache: bool = False  # BuildKit's own cache is not used either (``--no-cache``, ``jcb build --check``)
    scratch_dir: Path | None = None  # where the engine may stage files (default: the system temp dir)

    def all_build_args(self) -> dict[str, str]:
        """``build_args`` plus ``BUILDKIT_INLINE_CACHE=1`` when ``inline_cache`` is set."""
        args = dict(self.build_args)
        if self.inline_cache:
            args["BUILDKIT_INLINE_CACHE"] = "1"
        return args

    def secret_specs(self) -> list[str]:
        """``--secret`` values (``id=..,src=..``); the secrets' contents never appear."""
        return [f"id={sid},src={Path(src).resolve()}" for sid, src in self.secrets.items()]


@dataclass(frozen=True)
class SolveResult:
    """``image_id`` is ``sha256:...`` when an image was produced (not for ``output_dir``)."""

    image_id: str | None
    log_path: Path | None


@dataclass(frozen=True)
class ImageInfo:
    """An image on the daemon: its ID, size in bytes, layer diff IDs (base first) and tags."""

    id: str
    size: int
    layers: tuple[str, ...]
    tags: tuple[str, ...]


class Engine(Protocol):
    """What the executor needs from a Docker daemon with BuildKit."""

    name: str
    cli: str  # the docker CLI it drives (``jcb run`` runs ``CLI run ...``)
    host: str  # the daemon: "" for the default one, else a docker host URL or context name

    def solve(self, req: SolveRequest, on_log_line: LogCallback | None = None) -> SolveResult: ...
    def image_exists(self, ref: str) -> bool: ...
    def existing_images(self, image_ids: Sequence[str]) -> Collection[str]: ...  # one call; a Mapping: ID -> tags
    def image_id(self, ref: str) -> str | None: ...
    def tag(self, image_id: str, ref: str) -> None: ...
    def push(self, ref: str) -> None: ...
    def pull(self, ref: str) -> bool: ...
    def run(
        self,
        image: str,
        argv: list[str],
        *,
        runtime: str | None,
        network: str | None,
        volumes: list[tuple[str, str]],
        interactive: bool,
        remove: bool = True,
    ) -> int: ...
    def runtimes(self) -> set[str]: ...
    def images(self, refs: Sequence[str] | None = None) -> list[ImageInfo]: ...  # None: every image
    def remove_image(self, ref: str) -> bool: ...  # untag a name, or remove an untagged ID
    def answers(self, timeout_s: float = 20) -> bool: ...  # the daemon answers now
    def run_with_files(self, image: str, argv: list[str], files: Path, dest: str,
                       network: str = "none") -> tuple[int, str]: ...  # files copied in, not mounted


class BatchEngine(Engine, Protocol):
    """An engine that can also build several stages of one Dockerfile together, sharing their steps."""

    def solve_batch(self, req: BatchRequest, on_log_line: LogCallback | None = None) -> dict[str, str]: ...


@dataclass(frozen=True)
class BatchTarget:
    """One named stage of a batch's Dockerfile built as its own output: an image with ``tags``,
    or the stage's files exported to ``output_dir``."""

    name: str  # the Dockerfile stage to build, also the target's name
    tags: tuple[str, ...] = ()
    output_dir: Path | None = None


@dataclass(frozen=True)
class BatchRequest:
    """Several outputs of one multi-stage Dockerfile built together on one BuildKit: shared steps
    run once, independent ones concurrently; every RUN with ``network`` (None: BuildKit's default).
    ``targets``: the first ones are built first (put those that contain the others' steps there)."""

    context_dir: Path
    dockerfile: str
    targets: tuple[BatchTarget, ...]
    secrets: Mapping[str, Path] = field(default_factory=dict)
    platform: str | None = None
    network: str | None = None
    log_path: Path | None = None

    def secret_specs(self) -> list[str]:
        return [f"id={sid},src={Path(src).resolve()}" for sid, src in self.secrets.items()]
