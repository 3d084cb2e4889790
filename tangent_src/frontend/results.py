"""What a function returns, checked before it is differentiated.

Stage: frontend (a check on the parsed tree, before normalization). Input: a
`ParsedFunction`, the mode and whether the function returns `(value, aux)`.
Output: nothing, or a `BadResult` naming the `return` statement at fault.

A derivative needs results that are numbers: `grad` and `value_and_grad` need
one scalar, so a `return` that visibly gives several values (`return a, b`,
`return [a, b]`) is refused unless `has_aux=True` says the second is carried
along undifferentiated; and no mode differentiates a result that cannot carry
a derivative (a string, None, a truth value). A constant number (`return 0.0`)
is a number: its derivative is zero, which is right. What cannot be seen here
(`return r` with `r` a vector) is checked when the derivative runs
(`runtime.scalar_seed`).
"""

from __future__ import annotations

import libcst as cst

from ..errors import BadResult
from .source import ParsedFunction

_CONTAINERS = {
    cst.Tuple: "a tuple", cst.List: "a list", cst.ListComp: "a list", cst.Dict: "a dict",
    cst.DictComp: "a dict", cst.Set: "a set", cst.SetComp: "a set", cst.GeneratorExp: "a generator",
}
_NAMES = {"None": "None, which is not a number", "True": "a truth value (bool), not a number",
          "False": "a truth value (bool), not a number"}
_SCALAR_HINT = ("grad differentiates one scalar: return it alone (a loss, a sum); to return other values "
                "beside it, return `(value, aux)` and pass has_aux=True (on the command line --has-aux; aux is "
                "returned as it is, not differentiated); for the derivatives of several results use vjp or jvp")


def returns_of(fn: cst.FunctionDef) -> list[cst.Return]:
    """Every `return` of the function itself (not of functions, lambdas or classes defined inside it)."""
    found: list[cst.Return] = []

    class Find(cst.CSTVisitor):
        def visit_Return(self, node: cst.Return) -> None:
            found.append(node)

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is fn

        def visit_ClassDef(self, node: cst.ClassDef) -> bool:
            return False

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

    fn.visit(Find())
    return found


def check(parsed: ParsedFunction, mode: str, has_aux: bool) -> None:
    """Refuse the returns whose differentiated values are visibly not what the mode needs."""
    nodes = returns_of(parsed.node)
    if has_aux and not any(_is_pair(n.value) for n in nodes):
        has_aux = "every return"  # type: ignore[assignment]  # no pair anywhere: refuse each single value
        for node in nodes:  # `return wrapper(...)`: a call (or a name) may give the pair when it runs
            if _may_be_pair(parsed, node.value) and node in parsed.positions:
                start = parsed.positions[node].start
                parsed.scratch.setdefault("pairs at run time", set()).add((start.line, start.column))
    for node in nodes:
        for value in _differentiated(parsed, node, mode, has_aux):
            what = _not_a_number(value)
            if what is not None:
                raise BadResult(f"this result is {what}: it has no derivative", parsed.span(value),
                                hint="return numbers or arrays of numbers only"
                                + ("; pass has_aux=True to return other values beside a scalar"
                                   if mode in ("grad", "value_and_grad") else ""))


def _differentiated(parsed: ParsedFunction, node: cst.Return, mode: str,
                    has_aux: bool) -> list[cst.BaseExpression]:
    """The parts of a return's value that get differentiated."""
    value = node.value
    scalar = mode in ("grad", "value_and_grad")
    if has_aux:
        single = value is not None and type(value) not in _CONTAINERS and not isinstance(value, cst.Tuple)
        where = parsed.positions.get(node)
        if where is not None and (where.start.line, where.start.column) in parsed.scratch.get("pairs at run time", ()):
            return []  # its parts are checked when it runs
        if single and has_aux != "every return" and parsed.positions.get(node) is not None:
            # `if y is None: return scores` in a loss that returns `loss, grads` otherwise: a return of one
            # value gives (value, None); if it is the one taken, grad says its value is no scalar
            start = parsed.positions[node].start
            parsed.scratch.setdefault("unpaired returns", set()).add((start.line, start.column))
            return []
        if not (isinstance(value, cst.Tuple) and len(value.elements) == 2
                and not any(isinstance(e, cst.StarredElement) for e in value.elements)):
            given = "nothing" if value is None else _CONTAINERS.get(type(value), "one value")
            if isinstance(value, cst.Tuple):
                given = f"a tuple of {len(value.elements)} values"
            raise BadResult(f"with has_aux=True every return must give a pair `value, aux`; this one gives "
                            f"{given}", parsed.span(node),
                            hint="write `return loss, aux` (aux may be anything: a dict, a tuple, an array) "
                            "in every return, or leave has_aux out")
        value = value.elements[0].value
    if value is None:
        return []  # normalization refuses it
    if scalar and type(value) in _CONTAINERS:
        count = (f" of {len(value.elements)} values"  # type: ignore[attr-defined]
                 if isinstance(value, (cst.Tuple, cst.List)) else "")
        raise BadResult(f"{mode} needs a scalar result, but this return gives {_CONTAINERS[type(value)]}{count}",
                        parsed.span(node), hint=_SCALAR_HINT)
    if isinstance(value, cst.Tuple):
        return [e.value for e in value.elements]
    return [value]


def _may_be_pair(parsed: ParsedFunction, value: cst.BaseExpression | None) -> bool:
    """A variable, an item, or a call of a function of yours: it may hold a pair when it runs."""
    if isinstance(value, (cst.Name, cst.Subscript)):
        return True
    if not isinstance(value, cst.Call) or not isinstance(value.func, cst.Name):
        return False
    try:
        callee = parsed.lookup(value.func.value)
    except KeyError:
        return True  # a local name (a function passed in)
    module = getattr(callee, "__module__", "") or ""
    return callable(callee) and module.split(".")[0] not in ("numpy", "builtins", "math", "scipy")


def _is_pair(value: cst.BaseExpression | None) -> bool:
    return isinstance(value, cst.Tuple) and len(value.elements) == 2 and \
        not any(isinstance(e, cst.StarredElement) for e in value.elements)


def _not_a_number(value: cst.BaseExpression) -> str | None:
    """Why a result visibly cannot carry a derivative, or None."""
    if isinstance(value, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
        return "a string, not a number"
    if isinstance(value, cst.Name) and value.value in _NAMES:
        return _NAMES[value.value]
    if isinstance(value, cst.Comparison) or (isinstance(value, cst.UnaryOperation)
                                             and isinstance(value.operator, cst.Not)):
        return "a truth value (a comparison gives bools), not a number"
    return None


def describe(parsed: ParsedFunction) -> str:
    """How a runtime error names the function's result: its name (`scalar_seed(out, "loss")`)."""
    return parsed.node.name.value


__all__ = ["check", "describe", "returns_of"]
