"""A stage's sources in its build context: fetched by jcb (from the CAS when there), checked
against jcb.lock, unpacked where the Dockerfile's ``COPY _sources/<n>/`` expects them."""

from __future__ import annotations

from pathlib import Path

from ..sources.lock import Lock
from ..plan import Stage
from ..plan.model import StageSource
from ..sources.fetcher import Fetched, SourceFetcher
from ..sources.spec import GitTag, Source


class SourceStager:
    """Stages sources for the stage runner; ``fetch_all`` is ``jcb fetch`` (no build)."""

    def __init__(self, fetcher: SourceFetcher, lock: Lock):
        self.fetcher = fetcher
        self.lock = lock

    def pinned(self, src: StageSource) -> Source:
        """The source with a commit: a floating tag is resolved on its remote (network)."""
        declared = src.declared
        if isinstance(declared, GitTag):
            return declared.at(self.fetcher.resolve_tag(src.label, declared.remote, declared.tag))
        return declared

    def fetch(self, src: StageSource) -> Fetched:
        """The source in the CAS (a hit costs no network), verified against jcb.lock."""
        source = self.pinned(src)
        self.lock.check_source(src.label, source, None)  # a changed pin fails before any network
        fetched = self.fetcher.fetch(src.label, source)
        self.lock.check_source(src.label, source, fetched.tree)
        return fetched

    def stage(self, stage: Stage, context: Path) -> int | None:
        """Unpack the stage's sources into ``context``; the first one's epoch (SOURCE_DATE_EPOCH)."""
        epochs = []
        for src in stage.sources:
            fetched = self.fetch(src)
            self.fetcher.unpack(fetched, context / src.context_dir)
            epochs.append(fetched.epoch)
        return epochs[0] if epochs else None
