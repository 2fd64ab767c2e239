"""Parser stage of the condition language: tokens -> nodes, one method per precedence level."""

from __future__ import annotations

from collections.abc import Callable

from terms_compiler.condition.lexer import LexError, Token, tokenize
from terms_compiler.condition.nodes import (
    Arithmetic,
    BoolOp,
    Call,
    Compare,
    Expr,
    Literal,
    Membership,
    Name,
    Not,
    Span,
)

COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})
# Parentheses, `not`s and chained + or - nest the tree; deeper than this is refused, so neither
# this parser nor the type checker can exceed Python's own limits. The typed AST is then held to
# the depth the checker reads (typecheck.py, check/rules.py MAX_DEPTH).
MAX_NESTING = 50


class ParseError(Exception):
    def __init__(self, message: str, offset: int, length: int = 1) -> None:
        super().__init__(message)
        self.message, self.offset, self.length = message, offset, length


def parse(source: str) -> Expr:
    """Parse a whole condition; raises ParseError with the offset of the offending token."""
    try:
        return _Parser(list(tokenize(source))).parse()
    except LexError as error:
        raise ParseError(error.message, error.offset, error.length) from None


def _describe(token: Token) -> str:
    if token.kind == "eof":
        return "the end of the condition"
    if token.kind == "string":
        return f'"{token.value}"'
    return f"'{token.value}'"


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.position = 0
        self.nesting = 0

    def nest(self, token: Token) -> None:
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise self.error(f"the condition is nested more than {MAX_NESTING} levels deep; split it", token)

    @property
    def current(self) -> Token:
        return self.tokens[self.position]

    def advance(self) -> Token:
        token = self.current
        self.position += 1
        return token

    def at(self, kind: str, value: str | None = None) -> bool:
        token = self.current
        return token.kind == kind and (value is None or token.value == value)

    def expect(self, kind: str, value: str, what: str) -> Token:
        if not self.at(kind, value):
            raise self.error(f"expected {what}, found {_describe(self.current)}")
        return self.advance()

    def error(self, message: str, token: Token | None = None) -> ParseError:
        token = token or self.current
        return ParseError(message, token.offset, token.length)

    def parse(self) -> Expr:
        expr = self.parse_or()
        if not self.at("eof"):
            raise self.error(
                f"expected 'and', 'or' or the end of the condition, found {_describe(self.current)}"
            )
        return expr

    def parse_or(self) -> Expr:
        return self.parse_bool_op("or", self.parse_and)

    def parse_and(self) -> Expr:
        return self.parse_bool_op("and", self.parse_not)

    def parse_bool_op(self, op: str, parse_operand: Callable[[], Expr]) -> Expr:
        operands = [parse_operand()]
        while self.at("keyword", op):
            self.advance()
            operands.append(parse_operand())
        if len(operands) == 1:
            return operands[0]
        return BoolOp(op, tuple(operands), operands[0].span.to(operands[-1].span))

    def parse_not(self) -> Expr:
        if self.at("keyword", "not"):
            start = self.advance()
            self.nest(start)
            operand = self.parse_not()
            self.nesting -= 1
            return Not(operand, Span(start.offset, operand.span.end))
        return self.parse_comparison()

    def parse_comparison(self) -> Expr:
        left = self.parse_sum()
        if self.at("op") and self.current.value in COMPARISONS:
            op = self.advance()
            right = self.parse_sum()
            return Compare(
                op.value, left, right, left.span.to(right.span), Span(op.offset, op.offset + op.length)
            )
        negated = False
        if self.at("keyword", "not") and self.tokens[self.position + 1][:2] == ("keyword", "in"):
            self.advance()
            negated = True
        if self.at("keyword", "in"):
            self.advance()
            options, end = self.parse_list()
            return Membership(left, options, negated, Span(left.span.start, end))
        return left

    def parse_list(self) -> tuple[tuple[Expr, ...], int]:
        self.expect("punct", "[", "'[' to start the list after 'in'")
        options: list[Expr] = []
        while not self.at("punct", "]"):
            options.append(self.parse_atom())
            if not self.at("punct", ","):
                break
            self.advance()
        end = self.expect("punct", "]", "',' or ']' in the list")
        if not options:
            raise self.error("the list after 'in' is empty", end)
        return tuple(options), end.offset + 1

    def parse_sum(self) -> Expr:
        left = self.parse_atom()
        depth = self.nesting
        while self.at("op", "+") or self.at("op", "-"):
            operator = self.advance()
            self.nest(operator)  # each operator nests the tree one level (left-associative)
            right = self.parse_atom()
            left = Arithmetic(operator.value, left, right, left.span.to(right.span))
        self.nesting = depth
        return left

    def parse_atom(self) -> Expr:
        token = self.current
        span = Span(token.offset, token.offset + token.length)
        if token.kind in ("int", "date", "string"):
            self.advance()
            return Literal(token.kind, token.value, span)
        if token.kind == "keyword" and token.value in ("true", "false"):
            self.advance()
            return Literal("bool", token.value, span)
        if token.kind == "name":
            self.advance()
            if self.at("punct", "("):
                return self.parse_call(token)
            return Name(token.value, span)
        if self.at("punct", "("):
            self.nest(self.advance())
            inner = self.parse_or()
            self.expect("punct", ")", "')' to close the parenthesis")
            self.nesting -= 1
            return inner
        raise self.error(f"expected a fact, a parameter, a value or '(', found {_describe(token)}")

    def parse_call(self, name: Token) -> Expr:
        self.advance()  # the opening parenthesis
        args = [self.parse_sum()]
        while self.at("punct", ","):
            self.advance()
            args.append(self.parse_sum())
        close = self.expect("punct", ")", "',' or ')' in the function call")
        return Call(name.value, tuple(args), Span(name.offset, close.offset + 1))
