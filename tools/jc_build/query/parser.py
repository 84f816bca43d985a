"""Recursive-descent parser for Bazel's query language, as jcb supports it.

    expr := term (('+' | '-' | '^' | 'union' | 'except' | 'intersect') term)*   # left to right
    term := 'let' NAME '=' expr 'in' expr | '(' expr ')' | FUNCTION '(' args ')' | WORD | '$'NAME

Arguments are checked against each function's signature here, so a bad depth, regex or
attribute name is reported before anything is evaluated.
"""

from __future__ import annotations

import re
from enum import Enum

from ..errors import QueryError
from ..loading.rules import RULES
from ..loading.schema import LABEL, LABEL_LIST
from ..suggest import did_you_mean
from .ast import Call, Int, Let, Node, Regex, SetOp, Var, Word
from .lexer import Kind, Token, error, tokenize

# Parentheses, calls and lets nested deeper than this are refused (the parser recurses per level).
MAX_DEPTH = 100
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")
_SET_OPS = {Kind.UNION: "union", Kind.EXCEPT: "except", Kind.INTERSECT: "intersect"}

ATTRS = sorted({"name", *(attr for rule in RULES.values() for attr in rule.attrs)})
LABEL_ATTRS = sorted({name for rule in RULES.values() for name, attr in rule.attrs.items()
                      if attr.type in (LABEL, LABEL_LIST)})


class Arg(Enum):
    """The kinds of function argument, valued by how errors describe them."""

    EXPR = "an expression"
    INT = "a depth (a non-negative integer)"
    REGEX = "a regular expression"
    ATTR = "an attribute name"
    LABEL_ATTR = "a label attribute name"


# name -> (required arguments, optional arguments)
FUNCTIONS: dict[str, tuple[tuple[Arg, ...], tuple[Arg, ...]]] = {
    "deps": ((Arg.EXPR,), (Arg.INT,)),
    "rdeps": ((Arg.EXPR, Arg.EXPR), (Arg.INT,)),
    "allpaths": ((Arg.EXPR, Arg.EXPR), ()),
    "somepath": ((Arg.EXPR, Arg.EXPR), ()),
    "kind": ((Arg.REGEX, Arg.EXPR), ()),
    "attr": ((Arg.ATTR, Arg.REGEX, Arg.EXPR), ()),
    "filter": ((Arg.REGEX, Arg.EXPR), ()),
    "labels": ((Arg.LABEL_ATTR, Arg.EXPR), ()),
}


def parse(text: str) -> Node:
    """Parse a query expression; raises QueryError at the offending column."""
    return _Parser(tokenize(text)).parse()


def normalize_query(argv: list[str]) -> str:
    """Join CLI words into a query; ``deps //llm/sglang 2`` becomes ``deps(//llm/sglang, 2)``.

    Anything other than a function name followed only by words is returned joined, unchanged.
    """
    text = " ".join(argv)
    try:
        tokens = tokenize(text)[:-1]  # without EOF
    except QueryError:
        return text
    if (len(tokens) < 2 or tokens[0].quoted or tokens[0].text not in FUNCTIONS
            or any(t.kind is not Kind.WORD for t in tokens)):
        return text
    return f"{tokens[0].text}({', '.join(_spell(t) for t in tokens[1:])})"


def _spell(token: Token) -> str:
    if not token.quoted:
        return token.text
    return f"'{token.text}'" if '"' in token.text else f'"{token.text}"'


def _takes(name: str) -> str:
    required, optional = FUNCTIONS[name]
    low, high = len(required), len(required) + len(optional)
    count = f"{low}" if low == high else f"{low} or {high}" if high == low + 1 else f"{low} to {high}"
    return f"{name}() takes {count} argument{'s' if high > 1 else ''}"


class _Parser:
    def __init__(self, tokens: list[Token]):
        self.tokens = tokens
        self.pos = 0
        self.scope: list[str] = []  # variables bound by enclosing lets, innermost last
        self.depth = 0

    def peek(self) -> Token:
        return self.tokens[self.pos]

    def next(self) -> Token:
        token = self.tokens[self.pos]
        if token.kind is not Kind.EOF:
            self.pos += 1
        return token

    def parse(self) -> Node:
        if self.peek().kind is Kind.EOF:
            raise error("empty query", 1)
        node = self.expr()
        token = self.peek()
        if token.kind is Kind.RPAREN:
            raise error("unbalanced parentheses: unexpected ')'", token.col)
        if token.kind is not Kind.EOF:
            raise _unexpected(token, "an operator (+, -, ^, union, except, intersect) or the end of the query")
        return node

    def expr(self) -> Node:
        node = self.term()
        while self.peek().kind in _SET_OPS:
            op = self.next()
            node = SetOp(_SET_OPS[op.kind], node, self.term(), op.col)
        return node

    def term(self) -> Node:
        token = self.peek()
        if self.depth >= MAX_DEPTH and token.kind in (Kind.LET, Kind.LPAREN, Kind.WORD):
            raise error(f"the query nests parentheses, function calls and lets deeper than {MAX_DEPTH} levels; "
                        "write it flatter (e.g. a + b + c) or with let", token.col)
        self.depth += 1
        try:
            return self.nested_term()
        finally:
            self.depth -= 1

    def nested_term(self) -> Node:
        token = self.next()
        if token.kind is Kind.LET:
            return self.let(token)
        if token.kind is Kind.LPAREN:
            node = self.expr()
            self.close(token)
            return node
        if token.kind is Kind.VAR:
            if token.text not in self.scope:
                hint = did_you_mean(f"${token.text}", [f"${name}" for name in self.scope])
                raise error(f"undefined variable '${token.text}'{hint}", token.col)
            return Var(token.text, token.col)
        if token.kind is Kind.WORD:
            if not token.quoted and self.peek().kind is Kind.LPAREN:
                return self.call(token)
            return Word(token.text, token.col)
        raise _unexpected(token, "an expression")

    def let(self, let: Token) -> Let:
        name = self.next()
        if name.kind is not Kind.WORD or name.quoted or not _NAME_RE.match(name.text):
            raise _unexpected(name, "a variable name after 'let'")
        if self.peek().kind is not Kind.EQUALS:
            raise _unexpected(self.peek(), f"'=' after 'let {name.text}'")
        self.next()
        value = self.expr()
        if self.peek().kind is not Kind.IN:
            raise _unexpected(self.peek(), f"'in' after the value of 'let {name.text} = ...'")
        self.next()
        self.scope.append(name.text)
        body = self.expr()
        self.scope.pop()
        return Let(name.text, value, body, let.col)

    def close(self, lparen: Token) -> None:
        """Consume the ')' matching ``lparen``."""
        token = self.next()
        if token.kind is Kind.EOF:
            raise error("unbalanced parentheses: '(' is never closed", lparen.col)
        if token.kind is not Kind.RPAREN:
            raise _unexpected(token, "')'")

    def call(self, name: Token) -> Call:
        lparen = self.next()
        if name.text not in FUNCTIONS:
            raise error(f"unknown function '{name.text}'{did_you_mean(name.text, FUNCTIONS)}", name.col)
        required, optional = FUNCTIONS[name.text]
        params = required + optional
        args: list[Node] = []
        if self.peek().kind is Kind.RPAREN:
            self.next()
        else:
            while True:
                param = params[len(args)] if len(args) < len(params) else Arg.EXPR
                args.append(self.arg(param, name.text, len(args) + 1))
                token = self.next()
                if token.kind is Kind.COMMA:
                    continue
                if token.kind is Kind.RPAREN:
                    break
                if token.kind is Kind.EOF:
                    raise error("unbalanced parentheses: '(' is never closed", lparen.col)
                raise _unexpected(token, "',' or ')'")
        if not len(required) <= len(args) <= len(params):
            raise error(f"{_takes(name.text)}, got {len(args)}", name.col)
        return Call(name.text, tuple(args), name.col)

    def arg(self, param: Arg, function: str, index: int) -> Node:
        if param is Arg.EXPR:
            return self.expr()
        token = self.next()
        if token.kind is not Kind.WORD:
            raise _unexpected(token, f"{param.value} as argument {index} of {function}()")
        text, col = token.text, token.col
        if param is Arg.INT:
            if not (text.isascii() and text.isdigit()):
                raise error(f"the depth of {function}() must be a non-negative integer, got '{text}'", col)
            return Int(int(text), col)
        if param is Arg.REGEX:
            try:
                return Regex(re.compile(text), col)
            except re.error as exc:
                raise error(f"invalid regex '{text}' in {function}(): {exc.msg}",
                            col + token.quoted + (exc.pos or 0)) from None
        if param is Arg.LABEL_ATTR and text in ATTRS and text not in LABEL_ATTRS:
            raise error(f"attribute '{text}' does not hold labels (label attributes: "
                        f"{', '.join(LABEL_ATTRS)})", col)
        candidates = LABEL_ATTRS if param is Arg.LABEL_ATTR else ATTRS
        if text not in candidates:
            raise error(f"unknown attribute '{text}'{did_you_mean(text, candidates)}", col)
        return Word(text, col)


def _unexpected(token: Token, expected: str) -> QueryError:
    if token.kind is Kind.EOF:
        return error(f"unexpected end of query: expected {expected}", token.col)
    return error(f"expected {expected}, got {token.describe()}", token.col)
