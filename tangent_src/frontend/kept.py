"""Normalized functions kept for the next derivative of the same function.

Stage: frontend (a cache between sessions). Normalizing is most of the cost of a derivative; a
function's general derivative and the ones specialized to its arguments, or its check at
`ts.grad(f)` and its derivative at the first call, normalize it once. The transforms change the IR
they are given: each gets a copy of the IR as normalization left it (rules, spans and the source
shared). Only the last few functions are kept: the copies are large.
"""

from __future__ import annotations

import ast
import copy
import weakref
from typing import Any

from ..ir import Function, walk

_KEPT: "weakref.WeakKeyDictionary[Any, dict]" = weakref.WeakKeyDictionary()


_RECENT: list = []  # the functions remembered, oldest first (a few: the IR copies are large)


def remember(fn: Any, key: tuple, parsed: Any, ir: Function) -> None:
    try:
        _KEPT.setdefault(fn, {})[key] = (parsed, _copied(ir))  # (before any change)
    except TypeError:
        return
    _RECENT.append(weakref.ref(fn))
    while len(_RECENT) > 32:
        old = _RECENT.pop(0)()
        if old is not None and all(r() is not old for r in _RECENT):
            _KEPT.pop(old, None)


def normalized_before(fn: Any, key: tuple) -> tuple[Any, Function | None]:
    """The parsed function and a copy of its normalized IR (the transforms change the IR they are
    given: each derivative gets its own copy; rules, spans and the source are shared)."""
    try:
        parsed, ir = _KEPT.get(fn, {}).get(key, (None, None))
    except TypeError:  # not weakly referable, or not hashable: made anew each time
        return None, None
    if ir is None:
        return None, None
    return parsed, _copied(ir)


def _copied(ir: Function) -> Function:
    memo: dict[int, Any] = {id(ir.span): ir.span}
    for stmt in walk(ir.body):
        for value in vars(stmt).values():
            if not isinstance(value, (list, dict, tuple, set, ast.AST, str, int, float, type(None))):
                memo[id(value)] = value  # a rule, a span, a function: shared
    return copy.deepcopy(ir, memo)


__all__ = ["normalized_before", "remember"]
