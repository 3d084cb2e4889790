"""Teaching comments: which primal statement each derivative statement comes from.

Stage: codegen (optional, `annotate=True`). The transforms tag the first
derivative statement of each primal statement with its provenance; here the
tags become marker lines, which `emit` turns into comments once black has
formatted the code (`ast.unparse` keeps no comments). A comment is one line:
a statement written over several lines is quoted joined, a loop or an `if` by
its header (`for W in Ws:`), whose body is quoted by its own statements.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from typing import Iterator

from ..ir import Apply

MARK = "tangent_src comment: "
_LINE = re.compile(r"^(\s*)((\"|')tangent_src comment: [^\n]*\3)$", re.MULTILINE)


def provenance(apply: Apply) -> str:
    """`from: h = np.tanh(z)   (d tanh(x) = (1 - tanh(x)**2) dx)`: the statement and the rule's math,
    on one line (a comment cannot go on to a second)."""
    doc = one_line(apply.rule.doc.splitlines()[0]) if apply.rule.doc else apply.rule.key
    return f"from: {one_line(apply.source)}   ({doc})" if apply.source else ""


_OPENING, _CLOSING = "([{", ")]}"
_COMPOUND = {"if", "elif", "else", "for", "while", "with", "def", "async", "try", "class", "match"}
_LAYOUT = (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.COMMENT, tokenize.ENDMARKER)


def one_line(source: str) -> str:
    """A statement as one line: a compound statement (`for W in Ws:` and its body) by its header,
    a simple one spread over lines (a call, a comprehension, a backslash) joined, comments dropped."""
    if "\n" not in source.strip():
        return source.strip()
    pieces: list[str] = []
    depth, first, previous = 0, "", None
    for token in _tokens(source.strip() + "\n"):
        if previous is None:
            first = token.string
        else:
            same_line = previous.end[0] == token.start[0]
            gap = token.line[previous.end[1]:token.start[1]] if same_line else " "
            if not same_line and (previous.string in _OPENING or token.string in _CLOSING + ",:"):
                gap = ""
            if not same_line and previous.string == "," and token.string in _CLOSING:
                pieces.pop()  # black's trailing comma, which only keeps the brackets open
            pieces.append(gap)
        pieces.append(" ".join(token.string.split()) if "\n" in token.string else token.string)  # a string over lines
        depth += (token.string in _OPENING) - (token.string in _CLOSING)
        previous = token
        if token.string == ":" and depth == 0 and first in _COMPOUND:
            break  # the header of a compound statement: its body is quoted by its own statements
    return "".join(pieces) or " ".join(source.split())


def _tokens(text: str) -> Iterator[tokenize.TokenInfo]:
    """The tokens of `text` that are not layout or comments, up to where it stops being Python."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type not in _LAYOUT:
                yield token
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return


def tag(statements: list[ast.stmt], apply: Apply) -> list[ast.stmt]:
    """Mark the first of the derivative statements of `apply` with its provenance: the
    comment, and the file and line of the primal statement (for the HTML page's links)."""
    if statements:
        statements[0].comment = provenance(apply)  # type: ignore[attr-defined]
    for stmt in statements:
        locate(stmt, apply)
    return statements


def locate(stmt: ast.stmt, apply: Apply) -> ast.stmt:
    """Mark a statement with the file and line of the primal statement it comes from."""
    stmt.origin = f"{apply.span.path}\t{apply.span.line}" if apply.span is not None else "\t"  # type: ignore
    return stmt


def insert_markers(body: list[ast.stmt]) -> list[ast.stmt]:
    """Put a marker string statement before every tagged or located statement, in nested blocks too."""
    out: list[ast.stmt] = []
    for stmt in body:
        comment, origin = getattr(stmt, "comment", ""), getattr(stmt, "origin", "")
        if comment or origin:
            out.append(ast.Expr(ast.Constant(f"{MARK}{origin or chr(9)}\t{comment}")))
        for field in ("body", "orelse"):
            block = getattr(stmt, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                setattr(stmt, field, insert_markers(block))
        out.append(stmt)
    return out


def read_marker(line: str) -> tuple[str, str, int | None, str] | None:
    """A marker line's (indent, primal file, primal line, comment); None for other lines."""
    match = _LINE.match(line)
    if match is None:
        return None
    value = ast.literal_eval(match.group(2))
    if not value.startswith(MARK):
        return None
    path, number, comment = value[len(MARK):].split("\t", 2)
    return match.group(1), path, int(number) if number else None, comment


def markers_to_comments(text: str) -> str:
    """The marker lines of formatted code, as comments."""

    def replace(match: re.Match) -> str:
        found = read_marker(match.group(0))
        if found is None:
            return match.group(0)
        return f"{found[0]}# {found[3]}" if found[3] else _DROP

    return "".join(line for line in _LINE.sub(replace, text).splitlines(True) if not line.startswith(_DROP))


_DROP = "\0drop"  # a marker that only locates its statement (for the HTML page): no comment


def strip_markers(body: list[ast.stmt]) -> list[ast.stmt]:
    """The body without its marker statements, in nested blocks too."""
    out: list[ast.stmt] = []
    for stmt in body:
        value = getattr(stmt, "value", None)
        if isinstance(stmt, ast.Expr) and isinstance(value, ast.Constant) and str(value.value).startswith(MARK):
            continue
        for field in ("body", "orelse"):
            block = getattr(stmt, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                setattr(stmt, field, strip_markers(block) or [ast.Pass()])
        out.append(stmt)
    return out
