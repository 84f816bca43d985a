from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from jc_build.cache import ActionResult, LocalCache, sha256_bytes


def _key(name: str) -> str:
    """A valid action key derived from a readable name."""
    return sha256_bytes(name.encode()).hex


@pytest.fixture
def warned() -> list[str]:
    return []


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def open_cache(cache_dir: Path, warned: list[str]) -> Callable[[], LocalCache]:
    """A fresh LocalCache on the same directory, as another jcb process would see it."""
    return lambda: LocalCache(cache_dir, on_warning=warned.append)


@pytest.fixture
def cache(open_cache: Callable[[], LocalCache]) -> LocalCache:
    return open_cache()


@pytest.fixture
def record(cache: LocalCache) -> Callable[..., ActionResult]:
    """Store a stage result whose outputs are the given {file name: content}."""

    def record(name: str, outputs: dict[str, bytes], log: bytes = b"log\n", **kw: object) -> ActionResult:
        result = ActionResult(
            key=_key(name),
            kind=str(kw.pop("kind", "wheel")),
            image_id=kw.pop("image_id", None),  # type: ignore[arg-type]
            outputs={file: cache.put_bytes(data) for file, data in outputs.items()},
            log_digest=cache.put_bytes(log),
            duration_s=1.25,
            **kw,  # type: ignore[arg-type]
        )
        cache.put_action(result)
        return result

    return record
