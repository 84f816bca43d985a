"""Sources fetched by jcb on the host: git commits and checksummed archives, verified and kept in the CAS."""

from .fetcher import FetchEvent, Fetched, SourceFetcher
from .mirrors import MirrorMap
from .spec import ArchiveSource, GitSource, Source, source_key

__all__ = ["ArchiveSource", "FetchEvent", "Fetched", "GitSource", "MirrorMap", "Source", "SourceFetcher",
           "source_key"]
