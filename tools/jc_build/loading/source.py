"""Reading a Starlark source: UTF-8 with a clear error at the first bad byte, a BOM accepted,
and nesting bounded before the parser sees it."""

from __future__ import annotations

import codecs
import re

from ..errors import Location, StarlarkError

# Deeper bracket nesting is refused with its location: the parser recurses once per level.
MAX_NESTING = 1000
_TOKENS = re.compile(r'#[^\n]*|"""(?:\\.|[^\\])*?"""|\'\'\'(?:\\.|[^\\])*?\'\'\'|"(?:\\.|[^"\\\n])*"'
                     r"|'(?:\\.|[^'\\\n])*'|[\[({]|[\])}]")


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of ``offset`` in ``text``."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def decode(raw: bytes, rel: str) -> str:
    """``raw`` as text; StarlarkError at the first byte that is not UTF-8."""
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        good = raw[:exc.start].decode("utf-8")
        line, col = position(good + "\0", len(good))
        raise StarlarkError(f"byte 0x{raw[exc.start]:02x} is not valid UTF-8 (Starlark files must be UTF-8)",
                            Location(rel, line, col)) from None


def check_nesting(text: str, rel: str) -> None:
    """StarlarkError at the bracket that nests deeper than ``MAX_NESTING``."""
    if text.count("(") + text.count("[") + text.count("{") <= MAX_NESTING:
        return
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "([{":
            depth += 1
            if depth > MAX_NESTING:
                raise StarlarkError(f"brackets nested deeper than {MAX_NESTING} levels; flatten this expression",
                                    Location(rel, *position(text, match.start())))
        elif token in ")]}":
            depth -= 1
