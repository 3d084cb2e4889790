"""Split mode: a callee's reverse derivative as a forward sweep that returns its reverse sweep.

Stage: transforms (assembly, after the optimization passes). Input: the body of
a callee's vjp, optimized as one piece with a marker where its reverse sweep
starts. Output: `fwd_g`, which runs the forward sweep once and returns the
result and `bwd_g`, the reverse sweep defined right there, which reads the
values that run computed by name:

    def fwd_g(x):
        z = np.random.normal(size=x.shape)
        out = np.sum(x * z)
        def bwd_g(*, bout):
            bx = z * bout
            return bx
        return out, bwd_g

A caller whose callee has effects (analysis/effects.py) calls `fwd_g` in its own
forward sweep and `bwd_g` in its reverse sweep, so the callee runs exactly once
and its reverse sweep sees the values of that run (the samples it drew, the
array before its in-place update). Inside a loop of the caller, each trip's
`bwd_g` goes on the loop's tape like any other value of the trip.
"""

from __future__ import annotations

import ast

from ..codegen import emit


def marked(body: list[ast.stmt], split: int, prologue: list[ast.stmt]) -> tuple[list[ast.stmt], ast.stmt]:
    """The joint body with a marker statement where the reverse sweep (and its prologue) starts."""
    marker = ast.Expr(ast.Constant("the reverse sweep starts here"))
    return body[:split] + [marker] + prologue + body[split:], marker


def forward_function(name: str, back: str, params: list[tuple[str, str | None]],
                     keyword: list[tuple[str, str | None]], docs: tuple[str, str], body: list[ast.stmt],
                     marker: ast.stmt, returns: list[ast.expr], cotangent: str) -> ast.FunctionDef:
    """`def fwd_g(...)`: the statements before the marker, then `def bwd_g(*, bout)` holding the
    statements after it; returns (value, bwd_g). returns: [value, gradients]."""
    at = next(k for k, stmt in enumerate(body) if stmt is marker)
    forward, backward = body[:at], body[at + 1:]
    shared = sorted(_assigned(backward) & (_assigned(forward) | {p for p, _ in params + keyword}))
    if shared:  # names the reverse sweep gives back older values (a loop's tape pops)
        backward = [ast.Nonlocal(shared)] + backward
    value, gradients = returns
    reverse = emit.function_def(back, [], [(cotangent, None)], docs[1], backward, gradients)
    return emit.function_def(name, params, keyword, docs[0], forward + [reverse],
                             ast.Tuple([value, ast.Name(back)]))


def docstrings(fn_name: str, args: str, wrt: tuple[str, ...], single: bool, back: str,
               cotangent: str) -> tuple[str, str]:
    """The docstrings of fwd_g and of the bwd_g it returns."""
    grads = ", ".join("b" + w for w in wrt)
    grads = grads if single else f"({grads})"
    forward = (f"Forward sweep of the reverse-mode derivative of {fn_name}({args}) with respect to "
               f"{', '.join(wrt)}.\n\n"
               f"{fn_name} has effects (random draws, output, or in-place updates of its arguments), so its\n"
               f"derivative never runs it twice: this runs it once and returns ({fn_name}'s value, {back}),\n"
               f"its reverse sweep, which reads the values of this run.\n"
               f"Called by the forward sweeps of the derivatives of functions that call {fn_name}.")
    backward = (f"Reverse sweep of {fn_name}: the adjoint of a value v is written bv (\"v bar\").\n\n"
                f"Arguments: {cotangent}, a cotangent shaped like {fn_name}'s result (by keyword).\n"
                f"Returns: {grads}, the cotangent pulled back to {', '.join(wrt)}.")
    return forward, backward


def _assigned(body: list[ast.stmt]) -> set[str]:
    """Every name a block binds, nested blocks included (not inside nested defs)."""
    found: set[str] = set()
    for stmt in body:
        for node in _walk_here(stmt):
            targets = node.targets if isinstance(node, ast.Assign) else \
                [node.target] if isinstance(node, (ast.AugAssign, ast.For)) else []
            found |= {n for t in targets for n in _bound_names(t)}
            if isinstance(node, ast.FunctionDef):
                found.add(node.name)
    return found


def _bound_names(target: ast.expr) -> set[str]:
    """The names an assignment target binds: not those of `y[i] = v`, which writes into y."""
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, (ast.Tuple, ast.List)):
        return set().union(*(_bound_names(e) for e in target.elts))
    return set()


def _walk_here(node: ast.AST):  # noqa: ANN202
    """ast.walk, not descending into nested function definitions."""
    yield node
    if isinstance(node, ast.FunctionDef):
        return
    for child in ast.iter_child_nodes(node):
        yield from _walk_here(child)


__all__ = ["docstrings", "forward_function", "marked"]
