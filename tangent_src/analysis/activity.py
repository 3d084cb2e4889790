"""Activity analysis: which values carry derivatives.

Stage: analysis. Input: an `ir.Function` and the names of the differentiated
parameters. Output: `Activity`, the facts the transforms read:

- varied: values that depend differentiably on a `wrt` parameter;
- useful: values some returned value depends on differentiably;
- active: both. Only active values get tangent or adjoint code.

A varied value that reaches a parameter a rule does not differentiate (the
bounds of a reshape, the `axis` of a sum) is an error: treating it as a
constant would silently drop a derivative.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ..errors import NonDifferentiableInput
from ..ir import Apply, Effect, Function, If, Loop, Stmt, names_in


@dataclass(frozen=True)
class Activity:
    varied: frozenset[str]
    useful: frozenset[str]

    def active(self, name: str) -> bool:
        return name in self.varied and name in self.useful

    def active_args(self, apply: Apply) -> dict[str, str]:
        """Differentiable parameter -> the active name passed to it."""
        found = {}
        for param in apply.rule.diff:
            arg = apply.args.get(param)
            if isinstance(arg, ast.Name) and self.active(arg.id):
                found[param] = arg.id
        return found


def _varied_names(expr: ast.expr, varied: set[str]) -> set[str]:
    return names_in(expr) & varied


def analyze(fn: Function, wrt: tuple[str, ...]) -> Activity:
    """Forward (varied) and backward (useful) dependence, to a fixed point around loops."""
    varied = set(wrt)
    _vary(fn.body, varied)
    useful = {n.id for n in fn.returns if isinstance(n, ast.Name)}
    _use(fn.body, useful)
    return Activity(frozenset(varied), frozenset(useful))


def _vary(block: list[Stmt], varied: set[str]) -> None:
    for stmt in block:
        if isinstance(stmt, Apply):
            _vary_apply(stmt, varied)
        elif isinstance(stmt, Effect) and stmt.shared and isinstance(stmt.statement, ast.Assign) \
                and _varied_names(stmt.statement.value, varied):
            raise NonDifferentiableInput(
                "this writes a differentiated value into a dict the function did not make (it reached it "
                "through an object or a container), which other names may share: their derivative would be lost",
                stmt.span, hint="keep the value in a variable of the function, or in a dict the function makes")
        elif isinstance(stmt, If):
            _vary(stmt.body, varied)
            _vary(stmt.orelse, varied)
        elif isinstance(stmt, Loop):
            size = -1
            while size != len(varied):  # until a trip changes nothing
                size = len(varied)
                _vary(stmt.test_body + stmt.body + list(stmt.carry), varied)


def _vary_apply(apply: Apply, varied: set[str]) -> None:
    if not apply.rule.diff:
        for param in apply.rule.strict:
            if param in apply.args and _varied_names(apply.args[param], varied):
                raise NonDifferentiableInput(
                    f"argument `{param}` of {apply.rule.key} depends on a differentiated input, but "
                    f"{apply.rule.key} has no derivative rule for it", apply.span,
                    hint="register a rule for it (tangent_src.rules.rule), or make the argument a constant")
        return
    _check_nondiff_arguments(apply, varied)
    if any(_varied_names(apply.args[p], varied) for p in apply.rule.diff if p in apply.args):
        varied.update(apply.targets)


def _use(block: list[Stmt], useful: set[str]) -> None:
    for stmt in reversed(block):
        if isinstance(stmt, Apply):
            if set(stmt.targets) & useful and stmt.rule.diff:
                for p in stmt.rule.diff:
                    if p in stmt.args:
                        useful |= names_in(stmt.args[p])
        elif isinstance(stmt, If):
            _use(stmt.body, useful)
            _use(stmt.orelse, useful)
        elif isinstance(stmt, Loop):
            size = -1
            while size != len(useful):
                size = len(useful)
                _use(stmt.test_body + stmt.body + list(stmt.carry), useful)


def _check_nondiff_arguments(apply: Apply, varied: set[str]) -> None:
    elementwise_zero = apply.rule.elementwise  # None partials: the result does not vary with it
    for param, arg in apply.args.items():
        if param in apply.rule.constant_in:
            continue  # the result is locally constant in it (Rule.constant_in)
        if param in apply.rule.diff:
            if not isinstance(arg, ast.Name) and _varied_names(arg, varied):
                raise NonDifferentiableInput(
                    f"argument `{param}` of {apply.rule.key} holds a differentiated value inside "
                    f"`{ast.unparse(arg)}`", apply.span, hint="pass a single array: stack the values first")
            continue
        if not elementwise_zero and _varied_names(arg, varied):
            raise NonDifferentiableInput(
                f"argument `{param}` of {apply.rule.key} depends on a differentiated input, "
                "but the rule does not differentiate it", apply.span,
                hint="make it a constant (an argument outside `wrt`), or register a rule that differentiates it")
