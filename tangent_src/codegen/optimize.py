"""Optimization of emitted straight-line code: copy propagation and dead-code removal.

Stage: codegen. Input: a list of ast statements (assignments) and the
expressions the function returns. Output: the same computation without
statements whose results are never read, and without `a = b` copies of
generated names (a tangent or adjoint that is just another one).
"""

from __future__ import annotations

import ast

from ..ir import names_in


def _targets(stmt: ast.stmt) -> set[str]:
    if isinstance(stmt, ast.Assign):
        return {n.id for t in stmt.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return set()


def _reads(stmt: ast.stmt) -> set[str]:
    return names_in(stmt.value) if isinstance(stmt, ast.Assign) else names_in(stmt)


def propagate_copies(body: list[ast.stmt], returns: list[ast.expr], renamable: set[str]) -> list[ast.stmt]:
    """Replace `a = b` (a generated, assigned once, b not reassigned later) by using b for a."""
    out = list(body)
    i = 0
    while i < len(out):
        stmt = out[i]
        if (isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Name)
                and isinstance(stmt.targets[0], ast.Name) and stmt.targets[0].id in renamable):
            a, b = stmt.targets[0].id, stmt.value.id
            later = out[i + 1:]
            if not any(a in _targets(s) or b in _targets(s) for s in later):
                rename = _Rename(a, b)
                out = out[:i] + [rename.visit(s) for s in later]
                returns[:] = [rename.visit(r) for r in returns]
                continue
        i += 1
    return out


class _Rename(ast.NodeTransformer):
    def __init__(self, old: str, new: str):
        self.old, self.new = old, new

    def visit_Name(self, node: ast.Name) -> ast.Name:
        return ast.Name(self.new, getattr(node, "ctx", ast.Load())) if node.id == self.old else node


def remove_dead(body: list[ast.stmt], returns: list[ast.expr]) -> list[ast.stmt]:
    """Drop assignments none of whose targets is read later (all emitted statements are pure)."""
    live: set[str] = set().union(*(names_in(r) for r in returns)) if returns else set()
    kept: list[ast.stmt] = []
    for stmt in reversed(body):
        targets = _targets(stmt)
        if targets and not (targets & live):
            continue
        live -= targets
        live |= _reads(stmt)
        kept.append(stmt)
    kept.reverse()
    return kept
