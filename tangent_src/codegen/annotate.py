"""Teaching comments: which primal statement each derivative statement comes from.

Stage: codegen (optional, `annotate=True`). The transforms tag the first
derivative statement of each primal statement with its provenance; here the
tags become marker lines, which `emit` turns into comments once black has
formatted the code (`ast.unparse` keeps no comments).
"""

from __future__ import annotations

import ast
import re

from ..ir import Apply

MARK = "tangent_src comment: "
_LINE = re.compile(r"^(\s*)((\"|')tangent_src comment: [^\n]*\3)$", re.MULTILINE)


def provenance(apply: Apply) -> str:
    """`from: h = np.tanh(z)   (d tanh(x) = (1 - tanh(x)**2) dx)`: the statement and the rule's math."""
    doc = apply.rule.doc.splitlines()[0] if apply.rule.doc else apply.rule.key
    return f"from: {apply.source}   ({doc})" if apply.source else ""


def tag(statements: list[ast.stmt], apply: Apply) -> list[ast.stmt]:
    """Mark the first of the derivative statements of `apply` with its provenance."""
    if statements:
        statements[0].comment = provenance(apply)  # type: ignore[attr-defined]
    return statements


def insert_markers(body: list[ast.stmt]) -> list[ast.stmt]:
    """Put a marker string statement before every tagged statement, in nested blocks too."""
    out: list[ast.stmt] = []
    for stmt in body:
        comment = getattr(stmt, "comment", "")
        if comment:
            out.append(ast.Expr(ast.Constant(MARK + comment)))
        for field in ("body", "orelse"):
            block = getattr(stmt, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                setattr(stmt, field, insert_markers(block))
        out.append(stmt)
    return out


def markers_to_comments(text: str) -> str:
    """The marker lines of formatted code, as comments."""

    def replace(match: re.Match) -> str:
        value = ast.literal_eval(match.group(2))
        if not value.startswith(MARK):
            return match.group(0)
        return f"{match.group(1)}# {value[len(MARK):]}"

    return _LINE.sub(replace, text)
