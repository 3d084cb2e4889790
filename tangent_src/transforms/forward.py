"""Forward mode: primal and tangent statements, interleaved.

Stage: transforms. Input: `Context` (function, activity, names). Output: the
body of `jvp_f` as ast statements and what it returns. The tangent `dz` of
each active result follows the primal statement that computes `z`; tangents
come from the rule table only. Control flow is kept as it is: a branch or a
loop computes its tangents alongside its values.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ..codegen.annotate import locate, tag
from ..codegen.templates import zero_value
from ..ir import Apply, Effect, If, Loop, Stmt, is_literal
from .common import (Context, call_wrt, derivative_call, has_effects, is_differentiable, keeps,
                     mark_container_items, tangent_expression, zeros_like)


@dataclass
class ForwardCode:
    body: list[ast.stmt]
    values: list[ast.expr]
    tangents: list[ast.expr]
    tangent_params: list[str]


def transform(ctx: Context, vector: bool = False) -> ForwardCode:
    """vector: the tangents carry k directions on a leading axis (vector forward mode)."""
    fn = ctx.fn
    tangent_params = [ctx.d("d", name) for name in ctx.wrt]
    count: list[ast.stmt] = []
    if vector:
        ctx.directions = ctx.names.fresh("directions")
        count = [assign((ctx.directions,), ast.Call(ast.Name("direction_count"),
                                                   [ast.Name(t) for t in tangent_params], []))]
    # a parameter outside wrt that a loop carries varies from the second trip on (`x = tanh(w * x)`):
    # its tangent starts at zero
    body = [assign((ctx.d("d", p.name),), zeros_like(ctx, p.name)) for p in fn.params
            if p.name not in ctx.wrt and p.name in ctx.activity.varied]
    body = count + body + _block(ctx, fn.body)
    mark_container_items(body, ctx)
    tangents = [_tangent_of(ctx, r) for r in fn.returns]
    return ForwardCode(body, list(fn.returns), tangents, tangent_params)


def _block(ctx: Context, block: list[Stmt]) -> list[ast.stmt]:
    out: list[ast.stmt] = []
    for stmt in block:
        if isinstance(stmt, Apply):
            out += _apply(ctx, stmt)
        elif isinstance(stmt, Effect):
            out.append(stmt.statement)
        elif isinstance(stmt, If):
            out.append(ast.If(stmt.test, _block(ctx, stmt.body) or [ast.Pass()],
                              _block(ctx, stmt.orelse)))
        else:
            # the items of a constant sequence carry no tangent, though the loop variable may
            # vary from a trip's branch on (`for w in (0.1, 0.2): if c: w = x`): each trip starts at zero
            start = [assign((ctx.d("d", stmt.target),), zeros_like(ctx, stmt.target))] \
                if stmt.kind == "for" and stmt.target in ctx.activity.varied else []
            out += loop_statements(stmt, _block(ctx, stmt.test_body), start + _block(ctx, stmt.body),
                                   _block(ctx, list(stmt.carry)))
    return out


def _apply(ctx: Context, apply: Apply) -> list[ast.stmt]:
    out = _derivative_statements(ctx, apply)
    if ctx.annotate:
        for stmt in out:
            locate(stmt, apply)
        if any(t in ctx.activity.varied for t in apply.targets):
            tag(out[1:] if apply.rule.callee is None else out, apply)
    return out


def _derivative_statements(ctx: Context, apply: Apply) -> list[ast.stmt]:
    if apply.rule.callee is not None and any(t in ctx.activity.varied for t in apply.targets):
        if call_wrt(ctx, apply, set(ctx.activity.varied)):
            return [_call(ctx, apply)]
        # no argument varies here, though the result varies elsewhere (a loop carries it): zero
        return [assign(apply.targets, apply.primal, keeps(ctx, apply))] + [
            assign((ctx.d("d", t),), zeros_like(ctx, t)) for t in apply.targets]
    out: list[ast.stmt] = [assign(apply.targets, apply.primal, keeps(ctx, apply))]
    if not any(t in ctx.activity.varied for t in apply.targets):  # (unpacked: some parts may not vary)
        return out
    if is_differentiable(apply.rule):
        statements, expr = vector_tangent(ctx, apply) if ctx.directions else tangent_expression(ctx, apply)
        out += statements
    else:  # a constant assigned to a name that varies elsewhere (a loop carries it)
        expr = zero_value(apply.primal, ctx.numpy) if is_literal(apply.primal) else zeros_like(ctx, apply.target)
    out.append(assign(tuple(ctx.d("d", t) for t in apply.targets), expr))
    return out


def _call(ctx: Context, apply: Apply) -> ast.stmt:
    """`z, dz = jvp_g(x, y, dx=dx)`: a function of the user's, by its own derivative."""
    wrt = call_wrt(ctx, apply, set(ctx.activity.varied))
    tangents = {p: ast.Name(ctx.d("d", apply.args[p].id)) for p in wrt}  # type: ignore[union-attr]
    call = derivative_call(ctx, apply, "jvp", wrt, tangents)
    values = [ast.Name(t, ast.Store()) for t in apply.targets]
    derivatives = [ast.Name(ctx.d("d", t), ast.Store()) for t in apply.targets]
    if len(values) == 1:
        target = ast.Tuple([values[0], derivatives[0]], ast.Store())
    else:
        target = ast.Tuple([ast.Tuple(values, ast.Store()), ast.Tuple(derivatives, ast.Store())], ast.Store())
    node = ast.Assign([target], call, lineno=0)
    node.keep = has_effects(ctx, apply)  # type: ignore[attr-defined]  # run even if nothing reads its result
    return node


# rules whose tangent template works on tangents with a leading direction axis as it is written:
# containers and copies (their items are tangents, whatever their shape)
_AS_WRITTEN = ("identity", "unpack", "list.append", "constant", "ndarray.copy", "numpy.copy")
# full reductions, whose tangent sums each direction: np.sum(dx) -> total_directions(dx)
_TOTALS = {"numpy.sum": "total_directions", "ndarray.sum": "total_directions"}
_CONTAINER_RULES = ("tuple.display", "list.display", "dict.", "list.", "tuple.")


def vector_tangent(ctx: Context, apply: Apply) -> tuple[list[ast.stmt], ast.expr]:
    """The tangent of `apply` in vector mode: an elementwise rule's template with each tangent
    lifted to the rank of the result (then numpy broadcasts over the directions); a container's
    as written; an item taken after the direction axis; any other rule once per direction."""
    rule, target = apply.rule, ast.Name(apply.target)
    if rule.elementwise:
        def lifted(param: str, tangent: ast.expr) -> ast.expr:
            arg = apply.args.get(param)
            if isinstance(arg, ast.Name) and ctx.bases.get(arg.id) is not None \
                    and ctx.bases.get(arg.id) == ctx.bases.get(apply.target):
                return tangent  # (the same shape as the result: nothing to insert)
            return ast.Call(ast.Name("lift"), [tangent], [ast.keyword("like", target)])
        return tangent_expression(ctx, apply, lifted)
    if rule.key in _AS_WRITTEN or rule.key.startswith(_CONTAINER_RULES):
        return tangent_expression(ctx, apply)
    if rule.key in _TOTALS and set(apply.args) <= {"a", "x"} and len(rule.diff) == 1:
        statements, expr = tangent_expression(ctx, apply)
        if isinstance(expr, ast.Call) and len(expr.args) == 1 and not expr.keywords:
            return statements, ast.Call(ast.Name(_TOTALS[rule.key]), expr.args, [])
    if rule.key == "getitem":
        statements, expr = tangent_expression(ctx, apply)
        if isinstance(expr, ast.Subscript):  # da[index] -> take_directions(da, index)
            index = apply.args["index"]  # (the index as the IR holds it: `slice(...)` calls, not `a:b`)
            return statements, ast.Call(ast.Name("take_directions"), [expr.value, index], [])
        return statements, expr
    j = ctx.names.fresh("j")
    parts = ctx.names.fresh(f"d{apply.target}_parts")
    statements, expr = tangent_expression(
        ctx, apply, lambda _, tangent: ast.Call(ast.Name("direction"), [tangent, ast.Name(j)], []))
    if not any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "direction"
               for s in [*statements, ast.Expr(expr)] for n in ast.walk(s)):
        return statements, expr  # (a zero)
    every = ast.Call(ast.Name("range"), [ast.Name(ctx.directions)], [])  # type: ignore[arg-type]
    if not statements:  # stack_directions([np.sum(direction(dx, j)) for j in range(directions)])
        each = ast.ListComp(expr, [ast.comprehension(ast.Name(j, ast.Store()), every, [], 0)])
        return [], ast.Call(ast.Name("stack_directions"), [each], [])
    loop = ast.For(ast.Name(j, ast.Store()), every,
                   statements + [ast.Expr(ast.Call(ast.Attribute(ast.Name(parts), "append"), [expr], []))], [],
                   lineno=0)
    return [assign((parts,), ast.List([], ast.Load())), loop], \
        ast.Call(ast.Name("stack_directions"), [ast.Name(parts)], [])


def loop_statements(loop: Loop, test_body: list[ast.stmt], trip: list[ast.stmt], carry: list[ast.stmt],
                    recording: list[ast.stmt] | None = None) -> list[ast.stmt]:
    """A loop as Python: `for` / `while`, the trip, its recording (reverse mode), the
    copies that carry values into the next trip, then the exit tests."""
    trip = trip + (recording or []) + carry
    trip += [ast.If(exit_test, [ast.Break()], []) for exit_test in loop.exits]
    if loop.kind == "for":
        target = ast.Name(loop.target, ast.Store())  # type: ignore[arg-type]
        return [ast.For(target, loop.iterable, trip or [ast.Pass()], [], lineno=0)]
    if loop.test is None:
        return [ast.While(ast.Constant(True), (test_body + trip) or [ast.Pass()], [])]
    if len(test_body) == 1 and isinstance(test_body[0], ast.Assign) and _assigns(test_body[0]) == {_name(loop.test)}:
        return [ast.While(test_body[0].value, trip or [ast.Pass()], [])]
    stop = ast.If(ast.UnaryOp(ast.Not(), loop.test), [ast.Break()], [])
    return [ast.While(ast.Constant(True), test_body + [stop] + trip, [])]


def _name(expr: ast.expr) -> str | None:
    return expr.id if isinstance(expr, ast.Name) else None


def _assigns(stmt: ast.stmt) -> set[str]:
    if isinstance(stmt, ast.Assign):
        return {n.id for t in stmt.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return set()


def _tangent_of(ctx: Context, value: ast.expr) -> ast.expr:
    if isinstance(value, ast.Name) and value.id in ctx.activity.varied:
        return ast.Name(ctx.d("d", value.id))
    if isinstance(value, ast.Name):
        return zeros_like(ctx, value.id)  # zeros with the value's structure (a tuple result too)
    return ast.Call(ast.Name("zeros_like_tree"), [value], [])


def assign(targets: tuple[str, ...], value: ast.expr, keep: bool = False) -> ast.Assign:
    """`targets = value`; `keep` marks a statement with an effect (a random draw) that
    dead-code removal must leave even if its result is unused."""
    if len(targets) == 1:
        target: ast.expr = ast.Name(targets[0], ast.Store())
    else:
        target = ast.Tuple([ast.Name(t, ast.Store()) for t in targets], ast.Store())
    node = ast.Assign([target], value, lineno=0)
    node.keep = keep  # type: ignore[attr-defined]
    return node
