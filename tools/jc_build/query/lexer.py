"""Tokens of the query language: words (bare or quoted), ``$vars``, operators and punctuation.

Bare words use label characters (``//llm/...``, ``:all``, ``pip_cache-cu126``, ``2.8.0+cu126``);
``-`` and ``+`` are operators only where a token starts. Columns are 1-based.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum, auto

from ..errors import Location, QueryError

_WORD_RE = re.compile(r"[A-Za-z0-9_./:@*+\-]+")
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Kind(Enum):
    """Token kinds; ``+``/``union`` etc. share one kind."""

    WORD = auto()
    VAR = auto()
    LPAREN = auto()
    RPAREN = auto()
    COMMA = auto()
    EQUALS = auto()
    UNION = auto()
    EXCEPT = auto()
    INTERSECT = auto()
    LET = auto()
    IN = auto()
    EOF = auto()


_PUNCT = {"(": Kind.LPAREN, ")": Kind.RPAREN, ",": Kind.COMMA, "=": Kind.EQUALS,
          "+": Kind.UNION, "-": Kind.EXCEPT, "^": Kind.INTERSECT}
_KEYWORDS = {"let": Kind.LET, "in": Kind.IN, "union": Kind.UNION, "except": Kind.EXCEPT,
             "intersect": Kind.INTERSECT}


@dataclass(frozen=True)
class Token:
    """One token and the column it starts at."""

    kind: Kind
    text: str  # a word's value (without quotes), a variable's name, or the operator as written
    col: int
    quoted: bool = False

    def describe(self) -> str:
        """How error messages name this token."""
        if self.kind is Kind.EOF:
            return "end of query"
        if self.kind is Kind.VAR:
            return f"'${self.text}'"
        return f"'{self.text}'"


def error(message: str, col: int) -> QueryError:
    """A QueryError pointing at ``<query>:1:col``."""
    return QueryError(message, Location("<query>", 1, col))


def tokenize(text: str) -> list[Token]:
    """Split a query into tokens, ending with an EOF token one column past the end."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        char, col = text[pos], pos + 1
        if char.isspace():
            pos += 1
        elif char in "'\"":
            end = text.find(char, pos + 1)
            if end < 0:
                raise error(f"unterminated quoted word (missing closing {char})", col)
            tokens.append(Token(Kind.WORD, text[pos + 1:end], col, quoted=True))
            pos = end + 1
        elif char == "$":
            name = _NAME_RE.match(text, pos + 1)
            if not name:
                raise error("expected a variable name after '$'", col)
            tokens.append(Token(Kind.VAR, name.group(), col))
            pos = name.end()
        elif char in _PUNCT:
            tokens.append(Token(_PUNCT[char], char, col))
            pos += 1
        elif word := _WORD_RE.match(text, pos):
            value = word.group()
            tokens.append(Token(_KEYWORDS.get(value, Kind.WORD), value, col))
            pos = word.end()
        else:
            raise error(f"unexpected character '{char}'", col)
    tokens.append(Token(Kind.EOF, "", len(text) + 1))
    return tokens
