"""Where a target is declared, found in one pass over its BUILD file (loading stays linear)."""

from __future__ import annotations

import bisect
import re
from functools import cached_property
from itertools import accumulate
from typing import Any

from ..errors import Location

# Starts with its literal, so the regex engine skips to each "name" (a leading \b would scan every offset);
# the word boundary before it is checked on the few matches.
_NAME_ATTR = re.compile(r"""name\s*=\s*(?:"([^"\\\n]*)"|'([^'\\\n]*)')""")
_TOP_CALL = re.compile(r"[A-Za-z_]\w*\s*\(")
_STRING = re.compile(r""""([^"\\\n]*)"|'([^'\\\n]*)'""")


class DeclarationIndex:
    """The quoted strings of one source, indexed by text, and its line starts."""

    def __init__(self, rel: str, text: str):
        self.rel = rel
        self.text = text

    @cached_property
    def _lines(self) -> list[int]:
        return list(accumulate(map((1).__add__, map(len, self.text.split("\n")[:-1])), initial=0))

    @cached_property
    def _named(self) -> dict[str, list[int]]:
        return _offsets(_NAME_ATTR, self.text, word_start=True)

    @cached_property
    def _strings(self) -> dict[str, list[int]]:
        """Every quoted string's offsets: indexed only when a name is not written as ``name = "..."``."""
        return _offsets(_STRING, self.text)

    def locate(self, name: str) -> Location:
        """The call holding ``name = "<name>"``; else the call holding the name's longest quoted part
        (a macro may build the name, e.g. ``"wheel-" + version``), preferring a call at the top level
        of the file (a macro's call site) over one inside a ``def``; else the file's first line."""
        found = self._named.get(name)
        if not found:
            parts = sorted({name, *name.replace("_", "-").split("-")}, key=lambda p: (-len(p), p))  # ties: by text
            found = next((self._strings[p] for p in parts if p in self._strings), [])
        if not found:
            return Location(self.rel, 1, 1)
        places = map(self._call_start, found)
        first = next(places)
        line, col, _ = first if first[2] else next((place for place in places if place[2]), first)
        return Location(self.rel, line, col)

    def _call_start(self, at: int) -> tuple[int, int, bool]:
        """(line, column) where the call holding offset ``at`` starts its line, and whether that line
        is a call statement at the top level (``layer("a")``, not ``X = f("a")`` or a ``def``)."""
        call = self.text.rfind("(", 0, at)
        line = bisect.bisect_right(self._lines, call if call >= 0 else at) - 1
        start = self._lines[line]
        end = self.text.find("\n", start)
        row = self.text[start:end if end >= 0 else len(self.text)]
        top_call = _TOP_CALL.match(row) is not None and not row.startswith("def ")
        return line + 1, len(row) - len(row.lstrip(" \t")) + 1, top_call


class PendingLocation(Location):
    """The declaration of target ``name``, looked for in ``index`` when a field is first read: most
    loaded targets are never reported or printed (a query reads a quarter of what it loads)."""

    def __init__(self, index: DeclarationIndex, name: str):  # the fields are set when first read
        object.__setattr__(self, "_pending", (index, name))

    def __getattr__(self, attr: str) -> Any:  # only called while file, line and col are unset
        pending = self.__dict__.get("_pending")
        if pending is None or attr not in ("file", "line", "col"):
            raise AttributeError(attr)
        found = pending[0].locate(pending[1])
        for key in ("file", "line", "col"):
            object.__setattr__(self, key, getattr(found, key))
        del self.__dict__["_pending"]
        return getattr(self, attr)

    def __eq__(self, other: object) -> bool:  # equal to the Location of the same place
        return isinstance(other, Location) and (self.file, self.line, self.col) == (other.file, other.line, other.col)

    def __hash__(self) -> int:
        return hash((self.file, self.line, self.col))


def _offsets(pattern: re.Pattern[str], text: str, word_start: bool = False) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for match in pattern.finditer(text):
        if word_start and match.start() and (text[match.start() - 1].isalnum() or text[match.start() - 1] == "_"):
            continue
        found.setdefault(match.group(1) if match.group(1) is not None else match.group(2), []).append(match.start())
    return found
