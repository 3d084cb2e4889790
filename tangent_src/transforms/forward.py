"""Forward mode: primal and tangent statements, interleaved.

Stage: transforms. Input: `Context` (function, activity, names). Output: the
body of `jvp_f` as ast statements and what it returns. The tangent `dz` of
each active result follows the primal statement that computes `z`; tangents
come from the rule table only.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ..ir import names_in
from .common import Context, is_differentiable, tangent_expression


@dataclass
class ForwardCode:
    body: list[ast.stmt]
    values: list[ast.expr]
    tangents: list[ast.expr]
    tangent_params: list[str]


def transform(ctx: Context) -> ForwardCode:
    fn = ctx.fn
    tangent_params = [ctx.d("d", name) for name in ctx.wrt]
    body: list[ast.stmt] = []
    for apply in fn.body:
        body.append(_assign(apply.targets, apply.primal))
        if apply.target in ctx.activity.varied and is_differentiable(apply.rule):
            statements, expr = tangent_expression(ctx, apply)
            body.extend(statements)
            body.append(_assign((ctx.d("d", apply.target),), expr))
    tangents = [_tangent_of(ctx, r) for r in fn.returns]
    return ForwardCode(body, list(fn.returns), tangents, tangent_params)


def _tangent_of(ctx: Context, value: ast.expr) -> ast.expr:
    if isinstance(value, ast.Name) and value.id in ctx.activity.varied:
        return ast.Name(ctx.d("d", value.id))
    zeros_like = ast.Attribute(ast.Name(ctx.numpy), "zeros_like")
    return ast.Call(zeros_like, [value], [])


def _assign(targets: tuple[str, ...], value: ast.expr) -> ast.Assign:
    if len(targets) == 1:
        target: ast.expr = ast.Name(targets[0], ast.Store())
    else:
        target = ast.Tuple([ast.Name(t, ast.Store()) for t in targets], ast.Store())
    return ast.Assign([target], value, lineno=0)


__all__ = ["ForwardCode", "transform", "names_in"]
