"""Shape analysis: which values certainly have the same shape, without knowing any shape.

Stage: analysis. Input: an `ir.Function`. Output: for every name, its *basis*:
the set of values whose shapes, broadcast together, give its shape. A
parameter, or the result of a reduction, a product or a reshape, is its own
basis; an elementwise result's basis is the union of its operands' (literals
have none: a Python number never widens a shape). Two values with the same
basis have the same shape, so `unbroadcast(bz, like=x)` is not needed when x
and z share a basis, and a tangent needs no `broadcast_like` when it already
mentions a value of every operand's basis.
"""

from __future__ import annotations

import ast

from collections import Counter

from ..ir import Apply, Function, is_literal, names_in, walk

Basis = frozenset[str]


def bases(fn: Function) -> dict[str, Basis]:
    """name -> basis, for every name the body binds (others are their own basis).

    A name bound more than once (carried around a loop, merged after an if)
    may change shape from one binding to the next: it is its own basis.
    """
    found: dict[str, Basis] = {}
    applies = [s for s in walk(fn.body) if isinstance(s, Apply)]
    counts = Counter(t for a in applies for t in a.targets)
    for apply in applies:
        if (apply.rule.elementwise or apply.rule.key == "identity") and counts[apply.target] == 1:
            basis: set[str] = set()
            for arg in apply.args.values():
                basis |= basis_of(arg, found)
            found[apply.target] = frozenset(basis)
        else:
            for target in apply.targets:
                found[target] = frozenset({target})
    return found


def basis_of(expr: ast.expr, found: dict[str, Basis]) -> Basis:
    """The basis of an atom: a literal has none; a name has its own (or its own name)."""
    if is_literal(expr):
        return frozenset()
    result: set[str] = set()
    for name in names_in(expr):
        result |= found.get(name, frozenset({name}))
    return frozenset(result)


def lists(fn: Function) -> set[str]:
    """Names that hold Python lists (built with [] and .append): their zero is a list of zeros."""
    found: set[str] = set()
    applies = [s for s in walk(fn.body) if isinstance(s, Apply)]
    size = -1
    while size != len(found):
        size = len(found)
        for apply in applies:
            key = apply.rule.key
            copied = key == "identity" and isinstance(apply.args.get("a"), ast.Name) and apply.args["a"].id in found
            if key == "list.append" or key.startswith("list.display") or copied \
                    or (key == "constant" and isinstance(apply.primal, ast.List)):
                found.update(apply.targets)
    return found
