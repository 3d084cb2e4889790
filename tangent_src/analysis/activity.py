"""Activity analysis: which values carry derivatives.

Stage: analysis. Input: an `ir.Function` and the names of the differentiated
parameters. Output: `Activity`, the facts the transforms read:

- varied: values that depend differentiably on a `wrt` parameter;
- useful: values some returned value depends on differentiably;
- active: both. Only active values get tangent or adjoint code.

A varied value that reaches a parameter a rule does not differentiate (the
bounds of a reshape, the `axis` of a sum) is an error: treating it as a
constant would silently drop a derivative. The refusal says it in the user's
words: the expression and the argument as written (`x.flags` reads an
attribute of `x`), with a rule's parameter named only for a library function.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Callable

from ..errors import NonDifferentiableInput, spelled
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


def analyze(fn: Function, wrt: tuple[str, ...], callee_outputs: Callable | None = None) -> Activity:
    """Forward (varied) and backward (useful) dependence, to a fixed point around loops.

    callee_outputs(function, varied parameters) says which results of a function of the user's
    vary (its own analysis), or None; without it every result of a call with a varied argument varies."""
    varied = _Varied(wrt)
    varied.callee_outputs = callee_outputs
    for p in fn.params:  # (a parameter's parts are the caller's: not followed)
        varied.forget(p.name)
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
            if stmt.target is not None and isinstance(varied, _Varied):
                varied.forget(stmt.target)  # (the loop variable's parts are its iterable's items')
            size = -1
            while size != len(varied):  # until a trip changes nothing
                size = len(varied)
                _vary(stmt.test_body + stmt.body + list(stmt.carry), varied)


class _Varied(set):
    """The varied names, and which items vary of the tuples and of the lists of tuples the function
    builds (a tape: `tape.append((i, h))`, then `i, h = tape.pop()`), so that unpacking an item
    varies only the parts that varied when it was built (the trip counter `i` does not)."""

    def __init__(self, names):
        super().__init__(names)
        self.tuples: dict[str, tuple[bool, ...]] = {}  # a tuple's parts
        self.lists: dict[str, tuple[bool, ...] | None] = {}  # a list's items' parts (None: no item yet)

        self.untracked: set[str] = set()  # lists whose items are not all tuples of one length
        self.untracked_tuples: set[str] = set()  # names bound to tuples of different lengths
        self.callee_outputs: Callable | None = None

    def join_list(self, name: str, parts: tuple[bool, ...] | None) -> None:
        if name in self.untracked:
            return
        old = self.lists.get(name)
        if name in self.lists and old is not None and parts is not None:
            if len(old) != len(parts):  # items of different lengths: not followed
                self.untrack(name)
                return
            parts = tuple(a or b for a, b in zip(old, parts))
        elif name in self.lists and parts is None:
            parts = old
        self.lists[name] = parts

    def join_tuple(self, name: str, parts: tuple[bool, ...]) -> None:
        """A tuple's parts, joined with those of its other bindings (both branches of an if bind the
        merged name; a loop binds it again): a part varies where it varies in any of them."""
        if name in self.untracked_tuples:
            return
        old = self.tuples.get(name)
        if old is not None and len(old) != len(parts):
            self.untracked_tuples.add(name)  # tuples of different lengths: not followed
            del self.tuples[name]
            return
        self.tuples[name] = parts if old is None else tuple(a or b for a, b in zip(old, parts))

    def forget(self, name: str, lists: bool = True) -> None:
        """Parts of this name's tuples are not followed (from now on, as for every binding)."""
        self.untracked_tuples.add(name)
        self.tuples.pop(name, None)
        if lists:
            self.untrack(name)

    def untrack(self, name: str) -> None:
        self.untracked.add(name)
        self.lists.pop(name, None)


def _callee_results(apply: Apply, varied: _Varied, kept: set[str]) -> bool:
    """A call of a function of the user's: its results that vary by its own analysis (a pair
    (array, shape) as a tuple whose second part does not vary). True where that decided the targets."""
    moving = frozenset(p for p, arg in apply.args.items() if _varied_names(arg, varied))
    outputs = varied.callee_outputs(apply.rule.callee, moving) if moving and varied.callee_outputs else None
    if outputs is None:
        return False
    if len(apply.targets) == len(outputs):
        varied.update(t for t, part in zip(apply.targets, outputs) if part)
    elif len(apply.targets) == 1 and len(outputs) > 1:
        kept.add(apply.target)
        varied.join_tuple(apply.target, outputs)
        if any(outputs):
            varied.add(apply.target)
    else:
        return False
    return True


def _follow_parts(apply: Apply, varied: _Varied) -> bool:
    """Follow tuples and lists of tuples item by item; True where that decided the targets. A name
    bound, anywhere, by anything whose parts are not followed is not followed from then on (its parts
    are unknown: every part may vary)."""
    tuples: set[str] = set()  # the targets whose parts this binding followed
    lists: set[str] = set()
    decided = _parts_of(apply, varied, tuples, lists)
    for target in apply.targets:
        if target not in tuples:
            varied.forget(target, lists=False)
        if target not in lists:
            varied.untrack(target)
    return decided


def _parts_of(apply: Apply, varied: _Varied, tuples: set[str], lists: set[str]) -> bool:
    if apply.rule.callee is not None:
        return _callee_results(apply, varied, tuples)
    key, a = apply.rule.key, apply.args.get("a")
    source = a.id if isinstance(a, ast.Name) else None
    target = apply.targets[0]
    if key.startswith("tuple.display") and isinstance(apply.primal, ast.Tuple):
        tuples.add(target)
        varied.join_tuple(target, tuple(bool(_varied_names(e, varied)) for e in apply.primal.elts))
    elif key == "constant" and isinstance(apply.primal, ast.List) and not apply.primal.elts:
        lists.add(target)
        varied.join_list(target, None)
    elif key == "list.append":
        value = apply.args.get("value")
        if source in varied.lists and isinstance(value, ast.Name) and value.id in varied.tuples:
            lists.add(target)
            varied.join_list(target, varied.lists[source])
            varied.join_list(target, varied.tuples[value.id])
    elif key == "identity" and source in varied.lists:
        lists.add(target)
        varied.join_list(target, varied.lists[source])
    elif key == "identity" and source in varied.tuples:
        tuples.add(target)
        varied.join_tuple(target, varied.tuples[source])
    elif key == "getitem" and source in varied.lists and varied.lists[source] is not None:
        index = apply.args.get("index")
        if _integer_literal(index):
            tuples.add(target)
            varied.join_tuple(target, varied.lists[source])  # type: ignore[arg-type]
            if target in varied.tuples and not any(varied.tuples[target]):
                return True
        elif isinstance(index, ast.Call) and isinstance(index.func, ast.Name) and index.func.id == "slice":
            lists.add(target)
            varied.join_list(target, varied.lists[source])
    elif key == "unpack" and source in varied.tuples and len(varied.tuples[source]) == len(apply.targets):
        varied.update(t for t, part in zip(apply.targets, varied.tuples[source]) if part)
        return True
    return False


def _integer_literal(node: ast.expr | None) -> bool:
    """`3`, `-1`: a literal integer (an index into a list)."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) is int


def _vary_apply(apply: Apply, varied: set[str]) -> None:
    if isinstance(varied, _Varied) and _follow_parts(apply, varied):
        return
    if not apply.rule.diff:
        for param in apply.rule.strict:
            if param in apply.args and _varied_names(apply.args[param], varied):
                raise _strict_argument(apply, param)
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
                raise _values_inside(apply, param)
            continue
        if not elementwise_zero and _varied_names(arg, varied):
            raise _nondifferentiated_argument(apply, param)


# ---------------------------------------------------------------- the refusals, in the user's words
# A rule of Python's own (an attribute, an item, `sum`, a dict's `.get`) is named by what the user
# wrote; a library function's (numpy.full) by its name and the parameter's, with the user's argument.

_PYTHON = ("builtins.", "operator.", "dict.", "list.", "tuple.")
_SYNTAX = {"getattr", "getitem", "setitem", "identity", "unpack"}
# where the primitive is spelled otherwise than the user's expression (`with_item(y, i, v)` for
# `y[i] = v`): the field of the user's node its argument stands for
_FIELDS = {("setitem", "a"): {ast.Subscript: "value"}, ("setitem", "index"): {ast.Subscript: "slice"}}


def _python_rule(key: str) -> bool:
    return key in _SYNTAX or key.startswith(_PYTHON)


def _whole(apply: Apply) -> str:
    """The user's text of the expression the primitive came from."""
    text = apply.span.source().strip() if apply.span is not None else ""
    text = " ".join(text.split()) if "\n" in text else text
    return text or apply.source or ast.unparse(apply.primal)


def _argument(apply: Apply, param: str) -> str | None:
    """How the user wrote the argument passed to `param` (None where their text does not show it)."""
    return spelled(apply.span, apply.primal, apply.args[param], _FIELDS.get((apply.rule.key, param)))


def _strict_argument(apply: Apply, param: str) -> NonDifferentiableInput:
    """A differentiated value reaches a primitive with no derivative in that argument."""
    key, arg = apply.rule.key, _argument(apply, param)
    if key in ("getattr", "builtins.getattr"):
        return NonDifferentiableInput(
            f"`{_whole(apply)}` reads an attribute of `{arg or 'a value'}`, which carries a derivative "
            "(attributes of a differentiated value are not differentiated)", apply.span,
            hint="an array's `.shape`, `.ndim`, `.size`, `.dtype` and `.T` are supported; read other "
                 "attributes of constants only (arguments outside `wrt`, globals), or pass the attribute's "
                 "value to the function as an argument of its own")
    here = f" (`{arg}`)" if arg and arg != param else ""
    return NonDifferentiableInput(
        f"the argument `{param}` of {key}{here} depends on a differentiated input, but {key} has no "
        "derivative rule for it", apply.span,
        hint="register a rule for it (tangent_src.rules.rule), or make the argument a constant")


def _values_inside(apply: Apply, param: str) -> NonDifferentiableInput:
    """A display of differentiated values passed whole where the rule wants one array."""
    key, arg = apply.rule.key, _argument(apply, param)
    if key == "getitem" and arg is not None:
        return NonDifferentiableInput(
            f"`{_whole(apply)}` indexes `{arg}` where it is written, and it holds differentiated values",
            apply.span, hint=f"give it a name first (`items = {arg}`), then index the name (`items[...]`)")
    inside = arg or _whole(apply)
    if _python_rule(key):
        what = f"`{arg}` in `{_whole(apply)}`" if arg and arg != _whole(apply) else f"`{_whole(apply)}`"
        return NonDifferentiableInput(
            f"{what} holds differentiated values written in place, which are not differentiated as one "
            "value there", apply.span, hint="give the values a name first (`items = ...`), then use the name")
    return NonDifferentiableInput(
        f"the argument `{param}` of {key} holds a differentiated value inside `{inside}`", apply.span,
        hint="pass a single array: stack the values first (`np.stack([...])`)")


def _nondifferentiated_argument(apply: Apply, param: str) -> NonDifferentiableInput:
    """A differentiated value reaches an argument the rule does not differentiate (an index, an axis)."""
    key, arg, whole = apply.rule.key, _argument(apply, param), _whole(apply)
    if key in ("getitem", "setitem") and param == "index":
        return NonDifferentiableInput(
            f"the index `{arg or whole}` of `{whole}` depends on a differentiated input; an index has "
            "no derivative", apply.span,
            hint="compute the index from values that are not differentiated (integers, `range(...)`, "
                 "shapes, `np.argmax(...)`), or pass it as an argument outside `wrt`")
    if key == "dict.get" and param == "key" and arg is not None:
        return NonDifferentiableInput(
            f"the key `{arg}` of `{whole}` depends on a differentiated input; a key has no derivative",
            apply.span, hint="use a key that is not differentiated (a string, or an integer outside `wrt`)")
    if _python_rule(key):
        what = f"`{arg}` in `{whole}`" if arg and arg != whole else f"a value `{whole}` reads"
        return NonDifferentiableInput(
            f"{what} depends on a differentiated input where it has no derivative", apply.span,
            hint="use a value that is not differentiated there (an argument outside `wrt`, a constant)")
    here = f" (`{arg}`)" if arg and arg != param else ""
    return NonDifferentiableInput(
        f"the argument `{param}` of {key}{here} depends on a differentiated input, but the rule does not "
        "differentiate it", apply.span,
        hint="make it a constant (an argument outside `wrt`), or register a rule that differentiates it")
