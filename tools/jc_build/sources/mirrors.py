"""URL-prefix rewrites for sources, as Bazel's downloader config: where to fetch, never what."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class MirrorMap:
    """Ordered (prefix, replacements) rules; the longest matching prefix wins, earlier rules break ties.

    Put the user's configuration before the workspace's, so a site's mirror overrides a project's.
    A URL no rule matches is fetched as it is; a rewritten one is fetched only from its replacements
    (list the original prefix among them to fall back to it).
    """

    rules: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @classmethod
    def of(cls, *rule_sets: Iterable[tuple[str, Sequence[str]]]) -> MirrorMap:
        """Join rule sets, earlier ones first."""
        return cls(tuple((prefix, tuple(repl)) for rules in rule_sets for prefix, repl in rules))

    def candidates(self, url: str) -> tuple[str, ...]:
        """The URLs to try for ``url``, in order."""
        best: tuple[str, tuple[str, ...]] | None = None
        for prefix, replacements in self.rules:
            if url.startswith(prefix) and (best is None or len(prefix) > len(best[0])):
                best = (prefix, replacements)
        if best is None:
            return (url,)
        rest = url[len(best[0]):]
        return tuple(dict.fromkeys(repl + rest for repl in best[1]))
