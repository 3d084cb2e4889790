"""Reverse mode: a forward sweep of primal statements, then a reverse sweep of adjoints.

Stage: transforms. Input: `Context`. Output: the body of `vjp_f` / `grad_f` as
ast statements. The names are in single-assignment form, so every value the
reverse sweep reads is still there: nothing is recomputed and, in
straight-line code, nothing needs recording. The adjoint `bx` of a value used
several times gets its first contribution assigned and the others added
(`bx = bx + ...`, never in place: bx may be the caller's cotangent).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from .common import Context, adjoint_contributions, is_differentiable
from .forward import _assign


@dataclass
class ReverseCode:
    body: list[ast.stmt]
    values: list[ast.expr]
    cotangent_params: list[str]  # one per returned value (vjp), in order
    gradients: list[ast.expr]  # one per wrt parameter


def transform(ctx: Context, seed_scalar: bool) -> ReverseCode:
    fn = ctx.fn
    body: list[ast.stmt] = [_assign(a.targets, a.primal) for a in fn.body]
    cotangents = [ctx.d("b", r.id) if isinstance(r, ast.Name) else ctx.names.fresh("bout") for r in fn.returns]
    defined = {c for r, c in zip(fn.returns, cotangents) if isinstance(r, ast.Name) and ctx.activity.active(r.id)}
    if seed_scalar:
        for r, c in zip(fn.returns, cotangents):
            if c in defined:
                seed = ast.Call(ast.Name("scalar_seed"), [r], [])
                body.append(_assign((c,), seed))
    for apply in reversed(fn.body):
        if not (ctx.activity.active(apply.target) and is_differentiable(apply.rule)):
            continue
        statements, contributions = adjoint_contributions(ctx, apply)
        body.extend(statements)
        for name, expr in contributions.items():
            adjoint = ctx.d("b", name)
            if adjoint in defined:
                expr = ast.BinOp(ast.Name(adjoint), ast.Add(), expr)
            defined.add(adjoint)
            body.append(_assign((adjoint,), expr))
    gradients = [_gradient_of(ctx, name, defined) for name in ctx.wrt]
    return ReverseCode(body, list(fn.returns), cotangents, gradients)


def _gradient_of(ctx: Context, name: str, defined: set[str]) -> ast.expr:
    adjoint = ctx.d("b", name)
    if adjoint in defined:
        return ast.Name(adjoint)
    zeros_like = ast.Attribute(ast.Name(ctx.numpy), "zeros_like")
    return ast.Call(zeros_like, [ast.Name(name)], [])
