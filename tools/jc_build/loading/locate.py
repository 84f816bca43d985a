"""Where a target is declared, found in one pass over its BUILD file (loading stays linear)."""

from __future__ import annotations

import bisect
import re

from ..errors import Location

_NAME_ATTR = re.compile(r"""\bname\s*=\s*(?:"([^"\\\n]*)"|'([^'\\\n]*)')""")
_STRING = re.compile(r""""([^"\\\n]*)"|'([^'\\\n]*)'""")


class DeclarationIndex:
    """The quoted strings of one source, indexed by text, and its line starts."""

    def __init__(self, rel: str, text: str):
        self.rel = rel
        self.text = text
        self._lines = [0] + [m.end() for m in re.finditer("\n", text)]
        self._named = _first_offsets(_NAME_ATTR, text)
        self._strings = _first_offsets(_STRING, text)

    def locate(self, name: str) -> Location:
        """The call holding ``name = "<name>"``; else the call holding the name's longest quoted part
        (a macro may build the name, e.g. ``"wheel-" + version``); else the file's first line."""
        at = self._named.get(name)
        if at is None:
            parts = sorted({name, *name.replace("_", "-").split("-")}, key=len, reverse=True)
            at = next((self._strings[p] for p in parts if p in self._strings), None)
        if at is None:
            return Location(self.rel, 1, 1)
        call = self.text.rfind("(", 0, at)
        line = bisect.bisect_right(self._lines, call if call >= 0 else at) - 1
        start = self._lines[line]
        end = self.text.find("\n", start)
        row = self.text[start:end if end >= 0 else len(self.text)]
        return Location(self.rel, line + 1, len(row) - len(row.lstrip(" \t")) + 1)


def _first_offsets(pattern: re.Pattern[str], text: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for match in pattern.finditer(text):
        found.setdefault(match.group(1) if match.group(1) is not None else match.group(2), match.start())
    return found
