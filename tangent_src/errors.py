"""Errors a user can trigger, and how they render a source location.

Every error raised while transforming a function is a `TransformError` (or a
subclass) carrying a `SourceSpan`. It prints as

    path:line:col: message
        the source line
        ^^^^^
    hint: what to do instead

so that editors and terminals can jump to the place. A message names the
construct as the user wrote it: `SourceSpan.source` is the text a span covers,
and `spelled` finds how the user wrote a part of an expression the front end
rebuilt from theirs (its operands replaced by names of its own).
"""

from __future__ import annotations

import ast
import linecache
import re
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class SourceSpan:
    """Where a construct sits in the user's file (1-based lines, 0-based columns)."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    text: str  # the full source line at `line`

    def render(self) -> str:
        """The line followed by a caret line under the construct."""
        line = self.text.rstrip("\n")
        stop = self.end_column if self.end_line == self.line else len(line)
        width = max(1, stop - self.column)
        return f"    {line}\n    {' ' * self.column}{'^' * width}"

    def source(self) -> str:
        """The text the span covers (its other lines read from the file where it spans several)."""
        if self.end_line == self.line:
            return self.text.rstrip("\n")[self.column:self.end_column]
        lines = [self.text.rstrip("\n")] + [linecache.getline(self.path, n).rstrip("\n")
                                            for n in range(self.line + 1, self.end_line + 1)]
        lines[-1] = lines[-1][:self.end_column]
        lines[0] = lines[0][self.column:]
        return "\n".join(lines)


def spelled(span: SourceSpan | None, built: ast.AST, part: ast.AST,
            fields: dict[type, str] | None = None) -> str | None:
    """How the user wrote `part`, a piece of `built`: an expression made from the user's one at `span`
    with the same shape, its operands replaced by names (`helper(x_2, t1)` for `helper(x, y * 2)`).
    `fields` maps a node type of the user's expression to the field `part` stands for, where the
    shapes differ (a `with_item(y, i, v)` built for `y[i] = v`: `{ast.Subscript: "slice"}` for i).
    None where the user's text cannot be matched."""
    found = _locate(span, built, part, fields)
    if found is None:
        return None
    node, text = found
    return _one_line(ast.get_source_segment(text, node) or ast.unparse(node))


def rewritten(span: SourceSpan | None, built: ast.AST, part: ast.AST,
              change: Callable[[ast.AST, str], str]) -> str | None:
    """The user's text at `span` with the piece `part` stands for (as in `spelled`) replaced by
    `change(its node, its text)`: what to write instead, in the user's own spelling."""
    found = _locate(span, built, part, None)
    if found is None or not hasattr(found[0], "end_col_offset"):
        return None
    node, text = found
    lines = text.splitlines(keepends=True)
    begin = sum(map(len, lines[:node.lineno - 1])) + node.col_offset  # type: ignore[attr-defined]
    stop = sum(map(len, lines[:node.end_lineno - 1])) + node.end_col_offset  # type: ignore[attr-defined]
    new = text[:begin] + change(node, text[begin:stop]) + text[stop:]
    return _one_line(new[2:-2] if text.startswith("(\n") else new)


def _one_line(words: str) -> str:
    """Text that spans lines, on one (no space left just inside brackets)."""
    if "\n" not in words:
        return words
    joined = " ".join(words.split())
    return re.sub(r"\s+([)\]}])", r"\1", re.sub(r"([(\[{])\s+", r"\1", joined))


def _locate(span: SourceSpan | None, built: ast.AST, part: ast.AST,
            fields: dict[type, str] | None) -> tuple[ast.AST, str] | None:
    """The node of the user's expression at `span` that `part` of `built` stands for, and the text parsed."""
    try:
        tree = _user_expression(span)
        if tree is None:
            return None
        node, text = tree
        if fields and type(node) in fields:
            found = getattr(node, fields[type(node)], None)
        else:
            path = _path(built, part)
            found = _follow(node, built, path) if path is not None else None
    except (ValueError, TypeError, RecursionError, OSError):  # the words of a refusal never fail it
        return None
    return (found, text) if isinstance(found, ast.AST) else None


def _user_expression(span: SourceSpan | None) -> tuple[ast.AST, str] | None:
    """The user's expression (or statement) at the span, parsed, and the text it was parsed from."""
    if span is None:
        return None
    code = span.source()
    for text in (f"(\n{code}\n)", code):  # in parentheses: it may span lines
        try:
            module = ast.parse(text)
        except SyntaxError:
            continue
        if len(module.body) == 1:
            statement = module.body[0]
            return (statement.value if isinstance(statement, ast.Expr) else statement), text
    return None


def _path(tree: ast.AST, part: ast.AST) -> list[tuple[str, int | None]] | None:
    """The fields leading from tree to part (the node itself, else the first equal to it)."""
    wanted = _text(part)
    for same in (lambda n: n is part, lambda n: wanted is not None and _text(n) == wanted):
        found = _find(tree, same)
        if found is not None:
            return found
    return None


def _text(node: ast.AST) -> str | None:
    try:
        return ast.unparse(node)
    except Exception:  # noqa: BLE001  (a node unparse cannot write alone)
        return None


def _find(tree: ast.AST, same: Callable[[ast.AST], bool]) -> list[tuple[str, int | None]] | None:
    if same(tree):
        return []
    for name, value in ast.iter_fields(tree):
        items = enumerate(value) if isinstance(value, list) else [(None, value)]
        for k, child in items:
            if isinstance(child, ast.AST):
                rest = _find(child, same)
                if rest is not None:
                    return [(name, k), *rest]
    return None


def _follow(user: ast.AST, built: ast.AST, path: list[tuple[str, int | None]]) -> ast.AST | None:
    """The node of the user's expression at `path`, where each node on the way has the built one's type
    (and each list its length)."""
    for name, k in path:
        if type(user) is not type(built):
            return None
        user_value, built_value = getattr(user, name, None), getattr(built, name, None)
        if k is not None:
            if not isinstance(user_value, list) or len(user_value) != len(built_value):  # type: ignore[arg-type]
                return None
            user_value, built_value = user_value[k], built_value[k]  # type: ignore[index]
        if not isinstance(user_value, ast.AST):
            return None
        user, built = user_value, built_value
    return user


class TangentSrcError(Exception):
    """Base class of every error tangent_src reports to its users."""


class TransformError(TangentSrcError):
    """A function could not be differentiated: unsupported construct, missing rule, bad wrt."""

    default_hint = "see the README's list of what is supported"

    def __init__(self, message: str, span: SourceSpan | None = None, hint: str | None = None):
        self.message = message
        self.span = span
        self.hint = hint or self.default_hint
        super().__init__(self._format())

    def _format(self) -> str:
        parts = []
        if self.span is not None:
            where = f"{self.span.path}:{self.span.line}:{self.span.column + 1}"
            parts.append(f"{where}: {self.message}")
            parts.append(self.span.render())
        else:
            parts.append(self.message)
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "\n".join(parts)


class UnsupportedSyntax(TransformError):
    """A statement or expression the transformer does not handle (yet)."""

    default_hint = ("write it with what is supported: assignments, arithmetic operators, numpy calls "
                    "and array methods (the README lists them)")


class MissingRule(TransformError):
    """A call of a function that has no derivative rule and is not marked non-differentiable."""


class NonDifferentiableInput(TransformError):
    """A value that depends on a differentiated input reaches a non-differentiable argument."""


class BadWrt(TransformError):
    """`wrt` names no parameter of the function, or a parameter that cannot be differentiated."""

    default_hint = "pass wrt as a parameter index, a parameter name, or a tuple of distinct ones"


class BadResult(TransformError):
    """A result that cannot be differentiated as asked: not a scalar under grad, or not a number."""

    default_hint = "grad needs one scalar result; pass has_aux=True to return other values beside it"


class InternalError(TransformError):
    """A bug in tangent_src itself; please report it with the function that triggered it."""

