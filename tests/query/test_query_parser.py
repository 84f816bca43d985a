"""Lexer, parser and the CLI shorthand: the syntax tree and every syntax error's column."""

from __future__ import annotations

import pytest

from jc_build.errors import QueryError
from jc_build.query import normalize_query
from jc_build.query.ast import Call, Int, Let, Regex, SetOp, Var, Word
from jc_build.query.lexer import Kind, tokenize
from jc_build.query.parser import parse


def kinds(text: str) -> list[tuple[Kind, str]]:
    return [(t.kind, t.text) for t in tokenize(text)][:-1]


def test_words_keep_label_characters_and_operators_start_tokens():
    assert kinds("//llm/... - :all + sglang:0.4.9 ^ //x:pip_cache-cu126+x") == [
        (Kind.WORD, "//llm/..."), (Kind.EXCEPT, "-"), (Kind.WORD, ":all"), (Kind.UNION, "+"),
        (Kind.WORD, "sglang:0.4.9"), (Kind.INTERSECT, "^"), (Kind.WORD, "//x:pip_cache-cu126+x")]
    assert kinds("deps(x)-y") == [(Kind.WORD, "deps"), (Kind.LPAREN, "("), (Kind.WORD, "x"),
                                  (Kind.RPAREN, ")"), (Kind.EXCEPT, "-"), (Kind.WORD, "y")]


def test_quotes_keywords_and_variables():
    tokens = tokenize("let v = 'a b' in $v union \"in\"")
    assert [(t.kind, t.text, t.col, t.quoted) for t in tokens] == [
        (Kind.LET, "let", 1, False), (Kind.WORD, "v", 5, False), (Kind.EQUALS, "=", 7, False),
        (Kind.WORD, "a b", 9, True), (Kind.IN, "in", 15, False), (Kind.VAR, "v", 18, False),
        (Kind.UNION, "union", 21, False), (Kind.WORD, "in", 27, True), (Kind.EOF, "", 31, False)]


def test_set_operators_are_left_associative_with_equal_precedence():
    node = parse("//a + //b ^ //c except //d")
    assert node == SetOp("except", SetOp("intersect", SetOp("union", Word("//a", 1), Word("//b", 7), 5),
                                         Word("//c", 13), 11), Word("//d", 24), 17)
    assert parse("//a - (//b + //c)").right == SetOp("union", Word("//b", 8), Word("//c", 14), 12)


def test_function_arguments_are_typed():
    node = parse("attr(version, '^0\\.', kind(wheel, deps(//llm/sglang, 2)))")
    assert isinstance(node, Call) and node.name == "attr"
    name, regex, inner = node.args
    assert name == Word("version", 6)
    assert isinstance(regex, Regex) and regex.pattern.pattern == "^0\\." and regex.col == 15
    assert inner.args[1] == Call("deps", (Word("//llm/sglang", 40), Int(2, 54)), 35)


def test_let_extends_to_the_right_and_binds_its_variable():
    node = parse("//x + let v = //a in $v - //b")
    assert node == SetOp("union", Word("//x", 1),
                         Let("v", Word("//a", 15), SetOp("except", Var("v", 22), Word("//b", 27), 25), 7), 5)


def test_a_function_name_without_parentheses_is_a_target_pattern():
    assert parse("deps") == Word("deps", 1)
    assert parse("'deps'") == Word("deps", 1)


@pytest.mark.parametrize("argv, query", [
    (["deps", "//llm/sglang"], "deps(//llm/sglang)"),
    (["deps //llm/sglang"], "deps(//llm/sglang)"),
    (["rdeps", "//...", "//cuda/cuda:12.6", "1"], "rdeps(//..., //cuda/cuda:12.6, 1)"),
    (["kind", "'container_layer'", "//..."], 'kind("container_layer", //...)'),
    (["filter", "\"'\"", "//..."], "filter(\"'\", //...)"),
    (["deps(//llm/sglang)"], "deps(//llm/sglang)"),
    (["//a", "+", "//b"], "//a + //b"),
    (["deps"], "deps"),
    (["deps", "//a", "+", "//b"], "deps //a + //b"),
    (["depz", "//a"], "depz //a"),
    (["deps", "'//a"], "deps '//a"),
    ([], ""),
])
def test_normalize_query_turns_the_shorthand_into_a_call(argv, query):
    assert normalize_query(argv) == query


@pytest.mark.parametrize("query, message", [
    ("depz(//llm/sglang)", "<query>:1:1: unknown function 'depz' (did you mean 'deps'?)"),
    ("//a + frobnicate(//b)", "<query>:1:7: unknown function 'frobnicate'"),
    ("deps(//a, 1, 2)", "<query>:1:1: deps() takes 1 or 2 arguments, got 3"),
    ("//a - allpaths(//a)", "<query>:1:7: allpaths() takes 2 arguments, got 1"),
    ("kind()", "<query>:1:1: kind() takes 2 arguments, got 0"),
    ("deps(//a, two)", "<query>:1:11: the depth of deps() must be a non-negative integer, got 'two'"),
    ("deps(//a, -1)", "<query>:1:11: expected a depth (a non-negative integer) as argument 2 of deps(), got '-'"),
    ("deps(//a", "<query>:1:5: unbalanced parentheses: '(' is never closed"),
    ("(//a + //b", "<query>:1:1: unbalanced parentheses: '(' is never closed"),
    ("//a + //b)", "<query>:1:10: unbalanced parentheses: unexpected ')'"),
    ("//a +", "<query>:1:6: unexpected end of query: expected an expression"),
    ("deps(", "<query>:1:6: unexpected end of query: expected an expression"),
    ("", "<query>:1:1: empty query"),
    ("$x + //a", "<query>:1:1: undefined variable '$x'"),
    ("let foo = //a in $fo", "<query>:1:18: undefined variable '$fo' (did you mean '$foo'?)"),
    ("(let v = //a in $v) + $v", "<query>:1:23: undefined variable '$v'"),
    ("let = //a in //a", "<query>:1:5: expected a variable name after 'let', got '='"),
    ("let v //a in //a", "<query>:1:7: expected '=' after 'let v', got '//a'"),
    ("let v = //a", "<query>:1:12: unexpected end of query: expected 'in' after the value of 'let v = ...'"),
    ("kind('wheel[', //...)", "<query>:1:12: invalid regex 'wheel[' in kind(): unterminated character set"),
    ("filter(a|b, //...)", "<query>:1:9: unexpected character '|'"),
    ("attr(verison, 1, //...)", "<query>:1:6: unknown attribute 'verison' (did you mean 'version'?)"),
    ("labels(version, //...)", "<query>:1:8: attribute 'version' does not hold labels "
                               "(label attributes: actual, build_deps, deps, srcs, wheels)"),
    ("labels(dpes, //...)", "<query>:1:8: unknown attribute 'dpes' (did you mean 'deps'?)"),
    ("kind((wheel), //...)", "<query>:1:6: expected a regular expression as argument 1 of kind(), got '('"),
    ('"//a', '<query>:1:1: unterminated quoted word (missing closing ")'),
    ("//a ! //b", "<query>:1:5: unexpected character '!'"),
    ("$ + //a", "<query>:1:1: expected a variable name after '$'"),
    ("//a //b", "<query>:1:5: expected an operator (+, -, ^, union, except, intersect) or the end of the "
                "query, got '//b'"),
    ("deps(//a //b)", "<query>:1:10: expected ',' or ')', got '//b'"),
    ("//a + in", "<query>:1:7: expected an expression, got 'in'"),
])
def test_syntax_errors_point_at_the_column(query, message):
    with pytest.raises(QueryError) as info:
        parse(query)
    assert str(info.value) == message
    assert info.value.exit_code == 2
