"""Fetching sources on the host into the CAS: verified once, then served from the cache.

A fetched source is a packed tree (``tree.py``) stored as a blob, plus an action-cache entry keyed
by the source's identity (``spec.source_key``) that names the blob, the source's epoch and the tags
verified against its commit. So a second fetch of the same source touches no network, ``jcb cache
gc`` treats sources like any other result, and a remote cache tier shares them between builders.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..cache.action_cache import ActionResult
from ..cache.backend import CacheBackend
from ..cache.digest import Digest
from ..errors import SourceError
from . import git, tree
from .http import DownloadError, download
from .mirrors import MirrorMap
from .spec import ArchiveSource, GitSource, Source, source_key

KIND = "source"
TREE = "source.tar"


@dataclass(frozen=True)
class Fetched:
    """A source present in the CAS: its packed tree's digest and its epoch (SOURCE_DATE_EPOCH)."""

    source: Source
    key: Digest
    tree: Digest
    epoch: int
    url: str  # where its content was fetched from (perhaps on an earlier run)
    tags: tuple[str, ...]  # tags verified to name its commit
    cache_hit: bool


@dataclass(frozen=True)
class FetchEvent:
    """One source looked up: ``hit`` (from the cache, no network) or ``fetched`` (from ``url``)."""

    kind: str
    owner: str
    source: Source
    url: str


class _Mismatch(Exception):
    """Content arrived but is not what the target declares."""


class SourceFetcher:
    """Fetch, verify and store sources; ``owner`` (a target label) names them in errors."""

    def __init__(self, cache: CacheBackend, mirrors: MirrorMap, work_dir: Path,
                 on_event: Callable[[FetchEvent], None] = lambda event: None):
        self._cache = cache
        self._mirrors = mirrors
        self._work_dir = work_dir
        self._on_event = on_event

    def lookup(self, source: Source) -> Fetched | None:
        """The source if the cache holds it, without any network."""
        key = source_key(source)
        result = self._cache.get_action(key.hex)
        if result is None or result.kind != KIND or TREE not in result.outputs:
            return None
        try:
            epoch = int(result.meta.get("epoch", ""))
        except ValueError:
            return None
        tags = tuple(t for t in result.meta.get("tags", "").split(",") if t)
        return Fetched(source, key, result.outputs[TREE], epoch, result.meta.get("url", ""), tags, True)

    def fetch(self, owner: str, source: Source) -> Fetched:
        """The source from the cache, or fetched from its (mirrored) URL, verified and stored."""
        hit = self.lookup(source)
        tag = source.tag if isinstance(source, GitSource) else None
        if hit is not None and (tag is None or tag in hit.tags):
            self._on_event(FetchEvent("hit", owner, source, hit.url))
            return hit
        self._work_dir.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix="fetch-", dir=self._work_dir))
        started = time.monotonic()
        try:
            if hit is not None:  # the content is cached; only its tag is new
                assert isinstance(source, GitSource)
                self._check_tag(owner, source)
                fetched = self._record(source, hit.tree, hit.epoch, hit.url, (*hit.tags, tag), started)
            elif isinstance(source, GitSource):
                fetched = self._fetch_git(owner, source, scratch, started)
            else:
                fetched = self._fetch_archive(owner, source, scratch, started)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        self._on_event(FetchEvent("fetched", owner, source, fetched.url))
        return fetched

    def resolve_tag(self, owner: str, remote: str, tag: str) -> str:
        """The commit ``tag`` names on ``remote`` (through the mirrors): what ``jcb lock`` pins a tag-only source to."""
        seen: list[str | None] = []
        url = self._first(owner, f"git_repository {remote} (tag {tag})", remote,
                          lambda u: seen.append(git.tag_commit(u, tag)))
        if seen[-1] is None:
            raise SourceError(f"{owner}: git_repository {remote}: tag '{tag}' does not exist (at {url})")
        return seen[-1]

    def unpack(self, fetched: Fetched, dest: Path) -> None:
        """Write the source's tree into ``dest``."""
        blob = self._cache.open_blob(fetched.tree)
        if blob is None:
            raise SourceError(f"{fetched.source.describe()}: its tree {fetched.tree} left the cache; fetch it again")
        with blob:
            tree.unpack(blob, dest)

    def _fetch_git(self, owner: str, source: GitSource, scratch: Path, started: float) -> Fetched:
        if source.tag:
            self._check_tag(owner, source)
        checkout = scratch / "tree"
        url, epoch = self._git_tree(owner, source, source.remote, source.commit, checkout, scratch)
        tags = (source.tag,) if source.tag else ()
        return self._record(source, self._pack(checkout, scratch, epoch), epoch, url, tags, started)

    def _git_tree(self, owner: str, source: GitSource, remote: str, commit: str, dest: Path,
                  scratch: Path) -> tuple[str, int]:
        """Check ``commit`` of ``remote`` out into ``dest`` (with its submodules if the source wants them)."""
        git_dir = Path(tempfile.mkdtemp(prefix="repo-", suffix=".git", dir=scratch))
        git.init_bare(git_dir)
        url = self._first(owner, source, remote, lambda u: git.fetch_commit(git_dir, u, commit))
        git.checkout(git_dir, commit, dest)
        epoch = git.commit_time(git_dir, commit)
        for sub in git.submodules(git_dir, commit) if source.submodules else []:
            if not sub.url:
                raise SourceError(f"{owner}: {source.describe()}: submodule '{sub.path}' of commit {commit} "
                                  "has no url in .gitmodules")
            self._git_tree(owner, source, git.resolve_url(remote, sub.url), sub.commit, dest / sub.path, scratch)
        return url, epoch

    def _fetch_archive(self, owner: str, source: ArchiveSource, scratch: Path, started: float) -> Fetched:
        from .archive import ArchiveError, extract  # with calendar and datetime: only for an archive to fetch
        archive = scratch / "archive"

        def get(url: str) -> None:
            seen = download(url, archive)
            if seen.hex != source.sha256:
                raise _Mismatch(f"sha256 mismatch: expected {source.sha256}, got {seen.hex}")

        url = self._first(owner, source, source.url, get)
        checkout = scratch / "tree"
        try:
            epoch = extract(archive, checkout, source.strip_prefix)
        except ArchiveError as exc:
            raise SourceError(f"{owner}: {source.describe()}: {exc}") from None
        return self._record(source, self._pack(checkout, scratch, epoch), epoch, url, (), started)

    def _first(self, owner: str, source: Source | str, origin: str, attempt: Callable[[str], None]) -> str:
        """Run ``attempt`` on each mirror candidate of ``origin`` until one succeeds; return that URL.

        ``source`` is the declaration (or its description) that errors name.
        """
        problems = []
        for url in self._mirrors.candidates(origin):
            try:
                attempt(url)
                return url
            except (git.GitError, DownloadError, _Mismatch) as exc:
                problems.append(f"{exc} (from {url})")
        what = source if isinstance(source, str) else (
            source.describe() + (f", submodule {origin}" if origin != source.origin else ""))
        raise SourceError(f"{owner}: {what}: " + "; ".join(problems))

    def _check_tag(self, owner: str, source: GitSource) -> None:
        """Verify on the remote that ``source.tag`` names ``source.commit``."""
        seen: list[str | None] = []
        url = self._first(owner, source, source.remote, lambda u: seen.append(git.tag_commit(u, source.tag or "")))
        if seen[-1] is None:
            raise SourceError(f"{owner}: {source.describe()}: tag '{source.tag}' does not exist (at {url})")
        if seen[-1] != source.commit:
            raise SourceError(f"{owner}: {source.describe()}: tag '{source.tag}' is commit {seen[-1]} "
                              f"(at {url}), not the declared commit {source.commit}")

    def _pack(self, checkout: Path, scratch: Path, epoch: int) -> Digest:
        packed = scratch / "tree.tar"
        with open(packed, "wb") as out:
            tree.pack(checkout, out, epoch)
        with self._cache.session():
            return self._cache.put_file(packed)

    def _record(self, source: Source, digest: Digest, epoch: int, url: str, tags: tuple[str | None, ...],
                started: float) -> Fetched:
        """Write the cache entry naming the stored tree; return the source as now cached."""
        known = tuple(sorted({t for t in tags if t}))
        key = source_key(source)
        log = (f"{source.describe()}\nfetched from {url}\nepoch {epoch}\n"
               f"tags verified: {', '.join(known) or 'none'}\n").encode()
        with self._cache.session():
            self._cache.put_action(ActionResult(
                key=key.hex, kind=KIND, image_id=None, outputs={TREE: digest},
                log_digest=self._cache.put_bytes(log), duration_s=round(time.monotonic() - started, 3),
                meta={"epoch": str(epoch), "url": url, "tags": ",".join(known)}))
        return Fetched(source, key, digest, epoch, url, known, False)
