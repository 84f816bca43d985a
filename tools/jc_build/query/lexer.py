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
_PUNCT = {"(": "LPAREN", ")": "RPAREN", ",": "COMMA", "=": "EQUALS",
          "+": "UNION", "-": "EXCEPT", "^": "INTERSECT"}
_KEYWORDS = {"let": "LET", "in": "IN", "union": "UNION", "except": "EXCEPT", "intersect": "INTERSECT"}


class Kind(Enum):
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


@dataclass(frozen=True)
class Token:
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
            tokens.append(Token(Kind[_PUNCT[char]], char, col))
            pos += 1
        elif word := _WORD_RE.match(text, pos):
            value = word.group()
            keyword = _KEYWORDS.get(value)
            tokens.append(Token(Kind[keyword], value, col) if keyword else Token(Kind.WORD, value, col))
            pos = word.end()
        else:
            raise error(f"unexpected character '{char}'", col)
    tokens.append(Token(Kind.EOF, "", len(text) + 1))
    return tokens
