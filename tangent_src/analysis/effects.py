"""Effects: which functions of the user's change state when they run.

Stage: analysis. Input: a normalized `Function`, and a way to ask the same of
the functions of the user's it calls. Output: `Effects` (facts, nothing is
rewritten), and a refusal where a caller reads an array that a callee updated
in place.

A statement has an effect when running it twice differs from running it once:
a primitive the rule table marks as one (`Rule.effect`: random draws, seeding),
a print, an in-place update of an array the function was given (`p += 1.0` on a
parameter, or on a view of one), or a call of a function of the user's that has
an effect. The reverse sweep of a caller must never run such a callee again
(it would draw other numbers, print twice, or start from an array it already
updated): reverse mode splits it instead, into a forward sweep that runs once
and a reverse sweep that reads what that run left (transforms/reverse.py).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Callable

from ..errors import SourceSpan, UnsupportedSyntax, rewritten, spelled
from ..ir import Apply, Effect, Function, If, Loop, Stmt, names_in, walk


@dataclass(frozen=True)
class Cause:
    """One reason a function has an effect, in the user's words, and where it is."""

    what: str
    span: SourceSpan | None = None


@dataclass(frozen=True)
class Effects:
    """What running a function does besides computing its result."""

    causes: tuple[Cause, ...] = ()
    updated: frozenset[str] = frozenset()  # parameters whose arrays it updates in place

    def __bool__(self) -> bool:
        return bool(self.causes)


NONE = Effects()
EffectsOf = Callable[[Callable], Effects]  # a function of the user's -> its effects


def effects(fn: Function, of_callee: EffectsOf) -> Effects:
    """The effects of a function: its own statements', and those of the functions it calls."""
    causes: list[Cause] = []
    updated: set[str] = set()
    roots = _roots(fn)
    params = {p.name for p in fn.params}
    for name, span in fn.updates_parameters:
        updated.add(name)
        causes.append(Cause(f"updates its parameter `{name}` in place", span))
    for stmt in walk(fn.body):
        if isinstance(stmt, Effect) and not isinstance(stmt.statement, ast.Assert) and not stmt.local:
            causes.append(Cause(f"runs `{ast.unparse(stmt.statement)}`", stmt.span))
        elif isinstance(stmt, Apply) and stmt.rule.effect:
            causes.append(Cause(f"calls `{_spelling(stmt)}`, which changes state (random numbers)", stmt.span))
        elif isinstance(stmt, Apply) and stmt.rule.callee is not None:
            inner = of_callee(stmt.rule.callee)
            if inner:
                causes.append(Cause(f"calls `{_spelling(stmt)}`, which {inner.causes[0].what}", stmt.span))
            for param in inner.updated:
                root = _argument_root(stmt, param, roots)
                if root in params:
                    updated.add(root)
    return Effects(tuple(causes), frozenset(updated))


def check_updated_arguments(fn: Function, of_callee: EffectsOf) -> None:
    """Refuse a call of a function that updates an argument in place when the caller reads
    that array (or a view of it) afterwards: the derivative code computes the callee's
    values without writing into its arguments, so what the caller reads would differ."""
    roots = _roots(fn)
    order = list(_located(fn.body, ()))
    for k, (stmt, loops) in enumerate(order):
        if not (isinstance(stmt, Apply) and stmt.rule.callee is not None):
            continue
        for param in sorted(of_callee(stmt.rule.callee).updated):
            root = _argument_root(stmt, param, roots)
            if root is None:
                continue
            sharing = {n for n, r in roots.items() if r == root} | {root}
            if _read_later(fn, order, k, loops, sharing):
                raise _updated_argument(fn, stmt, param)


def _updated_argument(fn: Function, call: Apply, param: str) -> UnsupportedSyntax:
    """The refusal of `check_updated_arguments`, with the argument and the call as the user wrote them."""
    name = getattr(call.rule.callee, "__name__", "the function")
    atom = call.args[param]
    arg = spelled(call.span, call.primal, atom) or _user_name(fn, call, ast.unparse(atom))
    copied = _with_copy(call, atom) or f"{name}(..., {arg}.copy(), ...)"
    return UnsupportedSyntax(
        f"`{name}` updates its argument `{param}` in place, and `{fn.name}` reads that array (`{arg}`) "
        "after the call; the derivative would see it unchanged", call.span,
        hint=f"pass a copy (`{copied}`), or make `{name}` build a new array "
             f"(`{param} = {param} + ...` instead of `{param} += ...`)")


def _user_name(fn: Function, call: Apply, name: str) -> str:
    """The user's variable a version stands for (`x_2`, made where the user binds x again is x),
    unless the user's own statement spells that very name."""
    base = re.sub(r"_\d+$", "", name)
    own = re.search(rf"\b{re.escape(name)}\b", call.source) is not None
    return base if base != name and base in fn.names and base not in fn.generated and not own else name


def _with_copy(call: Apply, atom: ast.expr) -> str | None:
    """The user's call with a copy of the argument `atom` stands for (None where it cannot be spelled)."""
    def copy_of(node: ast.AST, text: str) -> str:
        simple = isinstance(node, (ast.Name, ast.Attribute, ast.Subscript, ast.Call))
        return f"{text}.copy()" if simple else f"({text}).copy()"

    return rewritten(call.span, call.primal, atom, copy_of)


def _read_later(fn: Function, order: list, k: int, loops: tuple, sharing: set[str]) -> bool:
    """Whether a name of `sharing` is read after statement k before it is bound anew, or, inside
    a loop that does not bind it anew each trip, by the next trip."""
    live = set(sharing)
    for stmt, _ in order[k + 1:]:
        if live & _reads(stmt):
            return True
        if isinstance(stmt, Apply):
            live -= set(stmt.targets)
    if live & set().union(*(names_in(r) for r in fn.returns)):
        return True
    for loop in loops:
        anew = {t for s in walk(loop.body + list(loop.carry)) if isinstance(s, Apply) for t in s.targets}
        if loop.target is not None:
            anew.add(loop.target)
        if sharing - anew:
            return True
    return False


def _located(block: list[Stmt], loops: tuple):  # noqa: ANN202
    """(statement, the loops around it), in source order, nested ones included."""
    for stmt in block:
        yield stmt, loops
        if isinstance(stmt, If):
            yield from _located(stmt.body, loops)
            yield from _located(stmt.orelse, loops)
        elif isinstance(stmt, Loop):
            inner = loops + (stmt,)
            yield from _located(stmt.test_body + stmt.body + list(stmt.carry), inner)


def _reads(stmt: Stmt) -> set[str]:
    if isinstance(stmt, Apply):
        return names_in(stmt.primal).union(*(names_in(v) for v in stmt.args.values()))
    if isinstance(stmt, Effect):
        return names_in(stmt.statement)
    if isinstance(stmt, If):
        return names_in(stmt.test)
    found = set().union(*(names_in(e) for e in stmt.exits)) if stmt.exits else set()
    for expr in (stmt.iterable, stmt.test):
        if expr is not None:
            found |= names_in(expr)
    return found


def _roots(fn: Function) -> dict[str, str]:
    """name -> the array it may share (its own name if none), through views and copies of names."""
    roots: dict[str, str] = {}
    carries = {id(a) for s in walk(fn.body) if isinstance(s, Loop) for a in s.carry}  # a next trip's value
    for stmt in walk(fn.body):
        if id(stmt) in carries:
            continue
        if isinstance(stmt, Loop) and stmt.target is not None and isinstance(stmt.iterable, ast.Name):
            roots[stmt.target] = roots.get(stmt.iterable.id, stmt.iterable.id)  # an item of the iterable
        if isinstance(stmt, Apply) and stmt.rule.view and stmt.rule.diff:
            source = stmt.args.get(stmt.rule.diff[0])
            if isinstance(source, ast.Name):
                for target in stmt.targets:
                    roots[target] = roots.get(source.id, source.id)
    return roots


def _argument_root(call: Apply, param: str, roots: dict[str, str]) -> str | None:
    arg = call.args.get(param)
    if not isinstance(arg, ast.Name):
        return None
    return roots.get(arg.id, arg.id)


def _spelling(apply: Apply) -> str:
    primal = apply.primal
    return ast.unparse(primal.func) + "(...)" if isinstance(primal, ast.Call) else ast.unparse(primal)


__all__ = ["Cause", "Effects", "EffectsOf", "NONE", "check_updated_arguments", "effects"]
