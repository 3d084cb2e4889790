"""Normalization: libcst function -> `ir.Function` (one primitive per statement).

Stage: frontend, second step. Input: a `ParsedFunction`. Output: an
`ir.Function` whose statements each apply one rule of the table to atoms, with
names in single-assignment form. Operators, method calls (`x.sum(axis=0)`),
attribute reads (`x.T`, `x.shape`) and augmented assignments all become
applications of table primitives; the primal spelling is kept for the output.
Everything outside the supported subset raises `UnsupportedSyntax` here, with
its location, never later.
"""

from __future__ import annotations

import ast
import inspect
import re
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

import libcst as cst
import numpy as np

from ..errors import MissingRule, SourceSpan, UnsupportedSyntax
from ..ir import Apply, Effect, Function, Param, Stmt, is_literal, names_in, pretty_index
from ..rules.registry import Rule, lookup, sequence_rule
from .calls import Calls, _Op
from .aliases import _IN_PLACE, SharedUpdates, Update, check_updates
from .control import ControlFlow
from .exits import EXIT_VALUES, _ends_in_return, loop_returns, single_exit
from .data import DataModel
from .functions import Functions
from .objects import AMBIGUOUS
from .results import returns_of
from .source import ParsedFunction, none_tests

_BINARY = {
    cst.Add: ("operator.add", ast.Add),
    cst.Subtract: ("operator.sub", ast.Sub),
    cst.Multiply: ("operator.mul", ast.Mult),
    cst.Divide: ("operator.truediv", ast.Div),
    cst.Power: ("operator.pow", ast.Pow),
    cst.MatrixMultiply: ("operator.matmul", ast.MatMult),
    cst.FloorDivide: ("operator.floordiv", ast.FloorDiv),
    cst.Modulo: ("operator.mod", ast.Mod),
    cst.BitAnd: ("operator.and_", ast.BitAnd),  # of masks: `(x > 0) & (x < 1)`
    cst.BitOr: ("operator.or_", ast.BitOr),
    cst.BitXor: ("operator.xor", ast.BitXor),
}
_AUGMENTED = {
    cst.AddAssign: cst.Add, cst.SubtractAssign: cst.Subtract, cst.MultiplyAssign: cst.Multiply,
    cst.DivideAssign: cst.Divide, cst.PowerAssign: cst.Power, cst.MatrixMultiplyAssign: cst.MatrixMultiply,
    cst.FloorDivideAssign: cst.FloorDivide, cst.ModuloAssign: cst.Modulo, cst.BitAndAssign: cst.BitAnd,
    cst.BitOrAssign: cst.BitOr, cst.BitXorAssign: cst.BitXor,
}
_UNARY = {
    cst.Minus: ("operator.neg", ast.USub),
    cst.Plus: ("operator.pos", ast.UAdd),
    cst.Not: ("operator.not_", ast.Not),
    cst.BitInvert: ("operator.invert", ast.Invert),  # of a mask: `~np.isnan(x)`
}
_COMPARE = {
    cst.LessThan: ("operator.lt", ast.Lt), cst.LessThanEqual: ("operator.le", ast.LtE),
    cst.GreaterThan: ("operator.gt", ast.Gt), cst.GreaterThanEqual: ("operator.ge", ast.GtE),
    cst.Equal: ("operator.eq", ast.Eq), cst.NotEqual: ("operator.ne", ast.NotEq),
}
_LATER = "is not supported yet"
_STATEMENT_NAMES = {
    cst.If: "an `if` statement", cst.For: "a `for` loop", cst.While: "a `while` loop",
    cst.With: "a `with` statement", cst.Try: "a `try` statement", cst.FunctionDef: "a nested function",
    cst.ClassDef: "a class definition", cst.Del: "`del`", cst.Global: "`global`",
    cst.Nonlocal: "`nonlocal`", cst.Import: "an import", cst.ImportFrom: "an import",
    cst.Raise: "`raise`", cst.Assert: "`assert`", cst.Break: "`break`", cst.Continue: "`continue`",
    cst.Match: "a `match` statement",
}
# what to write instead of a construct that stays unsupported
_HINTS = {
    cst.Global: "pass the value in as an argument and return the new value",
    cst.Nonlocal: "return the new value from the nested function",
    cst.Del: "leave the name unused; for an item of an array, use np.delete",
    cst.Import: "import at the top of the module", cst.ImportFrom: "import at the top of the module",
    cst.Await: "differentiate a plain function", cst.Yield: "collect the values in a list and return it",
    cst.Set: "use a list or a tuple (np.unique for distinct values)",
    cst.SetComp: "use a list comprehension (np.unique for distinct values)",
    cst.NamedExpr: "assign the value on a line of its own first",
    cst.Match: "write it as an if/elif chain", cst.With: "move the body out of the `with` block",
    cst.Try: "check the condition with an if instead of catching the error",
    cst.ClassDef: "define the class at module level",
    cst.DictComp: "build the dict in a for loop: d = {} then d[k] = v",
}
# A value that is not a primitive's result: `a = 3.0` or `a, b = SHAPE`.
CONSTANT = Rule(key="constant", signature=inspect.Signature(), doc="a constant value")


# comparisons and logic: an index made by one is a mask (or a bool), which numpy's indexing copies by
_MASKS = {"operator.lt", "operator.le", "operator.gt", "operator.ge", "operator.eq", "operator.ne", "operator.not_",
          "numpy.less", "numpy.less_equal", "numpy.greater", "numpy.greater_equal", "numpy.equal",
          "numpy.not_equal", "numpy.logical_and", "numpy.logical_or", "numpy.logical_not"}


def _unpackable(target: cst.Tuple | cst.List) -> bool:
    """A tuple target of names, items (`grads["W"]`), attributes, or tuples of those at any depth
    (no starred targets)."""
    return all(isinstance(e, cst.Element) and (isinstance(e.value, (cst.Name, cst.Subscript, cst.Attribute)) or (
        isinstance(e.value, (cst.Tuple, cst.List)) and _unpackable(e.value))) for e in target.elements)


@dataclass
class _Normalizer(ControlFlow, Calls, DataModel, Functions, SharedUpdates):
    parsed: ParsedFunction
    body: list[Stmt] = field(default_factory=list)
    loop_top: bool = False  # the statements being normalized are a loop body's own
    exits: list[ast.expr] = field(default_factory=list)  # break conditions of the innermost loop
    current: dict[str, str] = field(default_factory=dict)  # user name -> its latest version
    taken: set[str] = field(default_factory=set)
    generated: set[str] = field(default_factory=set)
    roots: dict[str, str] = field(default_factory=dict)  # name -> the array it may share
    masks: set[str] = field(default_factory=set)  # results of comparisons: indexing by one copies
    dicts: set[str] = field(default_factory=set)  # values the function made dicts (displays, copies)
    # a version of a dict made by writing into an earlier one (`d[k] = v`) -> the first version of
    # that same dict object: the versions that are one object, which every holder of it sees change
    dict_roots: dict[str, str] = field(default_factory=dict)
    # a dict the function made -> its keys, where each is a string constant (`f(**kw)` passes them)
    dict_keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # a version of a dict or object the function did not make -> the parameter it came from (None:
    # reached through an object, a global or a container), for writes into it
    foreign: dict[str, str | None] = field(default_factory=dict)
    inplace: list[tuple[Apply, str, cst.CSTNode]] = field(default_factory=list)
    described: dict[str, str] = field(default_factory=dict)  # name -> the user's words for its value
    copies: dict[str, tuple[str, int]] = field(default_factory=dict)  # `s = a`: s -> (a, id(block))
    callees: dict[Callable, Rule] = field(default_factory=dict)  # the user's functions it calls
    parameters: tuple[str, ...] = ()
    writes_into_parameters: list[cst.CSTNode] = field(default_factory=list)  # `v[i] = ...` with v a parameter
    updates_parameters: list[tuple[str, cst.CSTNode]] = field(default_factory=list)  # `p += v`, p a parameter
    results: list[str] | None = None  # names of the result, when the function returns in several places
    results_tuple: bool = False
    loop_depth: int = 0
    statement: cst.CSTNode | None = None

    # ------------------------------------------------------------ names

    def fresh(self, base: str) -> str:
        if base.startswith("<"):  # "<RNN 1405...>.h", an attribute of an object known now: rnn_h
            base = f"{base[1:].split(' ', 1)[0].lower()}_{base.rsplit('.', 1)[1]}"
        base = base.replace(".", "_")  # `self.h`, an attribute the function assigned
        name, k = base, 1
        while name in self.taken:
            k += 1
            name = f"{base}_{k}"
        self.taken.add(name)
        return name

    def bind(self, user_name: str) -> str:
        name = self.fresh(user_name) if user_name in self.current or "." in user_name else user_name
        self.taken.add(name)
        self.current[user_name] = name
        return name

    def temporary(self) -> str:
        k = len(self.generated) + 1
        name = f"t{k}"
        while name in self.taken:
            k += 1
            name = f"t{k}"
        self.taken.add(name)
        self.generated.add(name)
        return name

    # ------------------------------------------------------------ errors

    def span(self, node: cst.CSTNode) -> SourceSpan | None:
        return self.parsed.span(node) or (self.parsed.span(self.statement) if self.statement else None)

    def unsupported(self, node: cst.CSTNode, what: str, hint: str | None = None) -> UnsupportedSyntax:
        return UnsupportedSyntax(what, self.span(node), hint)

    def code(self, node: cst.CSTNode) -> str:
        return self.parsed.module.code_for_node(node).strip()

    # ------------------------------------------------------------ statements

    def emit(self, targets: tuple[str, ...], op: _Op | ast.expr, node: cst.CSTNode) -> None:
        stmt_source = self.code(self.statement) if self.statement is not None else ""
        if isinstance(op, (ast.List, ast.Tuple)) and self.holds_locals(op) and len(targets) == 1:
            op = self.display_op(self.nested_displays(op, node), node)
        if isinstance(op, _Op):
            apply = Apply(targets, op.rule, op.args, op.primal, self.span(op.node), stmt_source)
        elif isinstance(op, ast.Name) and (op.id in self.current.values() or op.id in self.generated) \
                and len(targets) == 1:
            apply = Apply(targets, lookup("identity"), {"a": op}, op, self.span(node), stmt_source)
        else:
            apply = Apply(targets, CONSTANT, {}, op, self.span(node), stmt_source)
        self.body.append(apply)
        self.track_kind(apply)
        self.track_foreign(apply)
        self.track_alias(apply)
        self.copied(apply)
        for target in targets:
            user = next((u for u, v in self.current.items() if v == target), None)
            if user is None and isinstance(op, ast.Name):  # a copy: the value copied, in the user's words
                user = self.described.get(op.id, op.id)
            self.described[target] = user or (self.code(node) if node is not None else target)

    def track_kind(self, apply: Apply) -> None:
        """Which values are dicts the function made: a display, a copy of one, one with an item set."""
        key = apply.rule.key
        made = key.startswith("dict.display") or key == "dict.copy" or isinstance(apply.primal, ast.Dict)
        source = apply.args.get("a")
        kept = key in ("setitem", "dict.setitem", "identity") and isinstance(source, ast.Name) \
            and source.id in self.dicts
        if made or kept:
            self.dicts.update(apply.targets)
        keys = None
        if isinstance(apply.primal, ast.Dict) and key in ("constant", "") or key.startswith("dict.display"):
            found = apply.primal.keys if isinstance(apply.primal, ast.Dict) else []
            if all(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in found):
                keys = tuple(dict.fromkeys(k.value for k in found))  # type: ignore[union-attr]
        elif isinstance(source, ast.Name) and source.id in self.dict_keys and key in ("identity", "dict.copy"):
            keys = self.dict_keys[source.id]
        elif isinstance(source, ast.Name) and source.id in self.dict_keys and key == "dict.setitem":
            index = apply.args.get("index")
            if isinstance(index, ast.Constant) and isinstance(index.value, str):
                keys = tuple(dict.fromkeys((*self.dict_keys[source.id], index.value)))
        if keys is not None:
            self.dict_keys.update({t: keys for t in apply.targets})
        objects = self.local_objects()
        if key == "identity" and isinstance(source, ast.Name) and source.id in objects:  # `m = model`
            for target in apply.targets:  # a name given one object in one branch, another in the other: neither
                known = objects.get(target)
                objects[target] = objects[source.id] if known in (None, objects[source.id]) else AMBIGUOUS

    def track_foreign(self, apply: Apply) -> None:
        """An item or attribute of a value the function did not make (`bn = self.bn_params[i]`,
        `cfg = params["bn"]`) is an object of the caller's; so is a copy `s = a` of one."""
        source = apply.args.get("a", apply.args.get("obj"))
        if apply.rule.key not in ("getitem", "getattr", "dict.get", "identity") or not isinstance(source, ast.Name):
            return
        local = source.id in self.current.values() or source.id in self.generated
        if apply.rule.key == "identity" and (source.id in self.foreign or source.id in self.parameters):
            self.foreign[apply.target] = self.foreign.get(source.id, source.id)
        elif not local or source.id in self.parameters or source.id in self.foreign:
            self.foreign[apply.target] = None

    def holds_locals(self, expr: ast.expr) -> bool:
        """Whether an atom mentions a value of the function (a parameter, variable or temporary)."""
        return bool(names_in(expr) & (set(self.current.values()) | self.generated))

    def nested_displays(self, display: ast.List | ast.Tuple, node: cst.CSTNode) -> ast.List | ast.Tuple:
        """`(a, (b, w))`: each inner display holding values of the function becomes a value of its
        own (a temporary), so that derivatives go item by item at every depth."""
        items: list[ast.expr] = []
        for item in display.elts:
            if isinstance(item, (ast.List, ast.Tuple)) and self.holds_locals(item):
                name = self.temporary()
                self.emit((name,), item, node)
                item = ast.Name(name)
            items.append(item)
        return type(display)(items)

    def display_op(self, display: ast.List | ast.Tuple, node: cst.CSTNode) -> _Op:
        """`[a, b]` holding values of the function: a primitive, so derivatives go item by item."""
        kind = "list" if isinstance(display, ast.List) else "tuple"
        rule = sequence_rule(len(display.elts), kind)
        return _Op(rule, dict(zip(rule.params, display.elts)), display, node)

    def track_alias(self, apply: Apply) -> None:
        if apply.rule.key in _MASKS:
            self.masks.add(apply.target)
        if not apply.rule.view or not apply.rule.diff:
            return
        if apply.rule.key == "getitem" and self.advanced(apply.args.get("index")):
            return  # x[[0, 1]], x[x > 0]: numpy copies the items; the result shares nothing
        source = apply.args.get(apply.rule.diff[0])
        if isinstance(source, ast.Name) and source.id in self.current.values():
            self.roots[apply.target] = self.roots.get(source.id, source.id)

    def advanced(self, index: ast.expr | None) -> bool:
        """An index with a list or a boolean mask in it: advanced indexing, which copies."""
        parts = index.elts if isinstance(index, ast.Tuple) else [index]
        return any(isinstance(p, ast.List) or (isinstance(p, ast.Name) and p.id in self.masks) for p in parts)

    def statement_line(self, line: cst.SimpleStatementLine) -> None:
        for small in line.body:
            self.statement = small
            handler = self._SMALL.get(type(small))
            if handler is None:
                raise self.unsupported(small, f"{self.describe_statement(small)} {_LATER}",
                                       hint=_HINTS.get(type(small)))
            handler(self, small)

    def assign(self, node: cst.Assign) -> None:
        if len(node.targets) != 1:  # `a = b = v`: v once, then each target from left to right
            value = self.value_atom(node.value, node.value)
            for target in node.targets:
                self.assign_to(target.target, value, node.value)
            return
        target = node.targets[0].target
        if self.is_pop(node.value):
            self.assign_to(target, self.pop(node.value), node.value)  # type: ignore[arg-type]
            return
        if isinstance(target, (cst.Tuple, cst.List)) and isinstance(node.value, (cst.Tuple, cst.List)):
            self.assign_parallel(target, node.value)
        else:
            self.assign_to(target, self.lower(node.value), node.value)

    def ann_assign(self, node: cst.AnnAssign) -> None:
        if node.value is None:
            return
        self.assign_to(node.target, self.lower(node.value), node.value)

    def assign_parallel(self, target: cst.Tuple | cst.List, value: cst.Tuple | cst.List) -> None:
        if len(target.elements) != len(value.elements):
            raise self.unsupported(target, "the two sides of this unpacking differ in length")
        ops = [self.value_copy(self.lower(e.value), e.value) for e in value.elements]  # all right sides first
        for element, op, v in zip(target.elements, ops, value.elements):
            self.assign_to(element.value, op, v.value)

    def value_copy(self, op: _Op | ast.expr, node: cst.CSTNode) -> _Op | ast.expr:
        """A variable's value as a copy (`x = x`, `a, b = b, a`), decided before any target is bound."""
        if isinstance(op, ast.Name) and (op.id in self.current.values() or op.id in self.generated):
            return _Op(lookup("identity"), {"a": op}, op, node)
        return op

    def assign_to(self, target: cst.BaseExpression, op: _Op | ast.expr, value: cst.CSTNode) -> None:
        if isinstance(target, cst.Name):
            op = self.value_copy(op, value)
            self.emit((self.bind(target.value),), op, value)
            return
        if isinstance(target, (cst.Tuple, cst.List)) and _unpackable(target) and len(target.elements) == 1:
            sequence = self.atom_of(op, value)  # `(a,) = seq`, `a, = f(x)`: the one item, seq[0]
            item = self.subscript_op(sequence, ast.Constant(0), ast.Subscript(sequence, ast.Constant(0)), value)
            self.assign_to(target.elements[0].value, item, value)
            return
        if isinstance(target, (cst.Tuple, cst.List)) and _unpackable(target):
            if isinstance(op, _Op) and op.rule.differentiable and op.rule.callee is None:
                op = ast.Name(self.atom_of(op, value).id)  # q, r = qr(x): the pair, then its parts
            if isinstance(op, ast.Name) and (op.id in self.current.values() or op.id in self.generated):
                op = _Op(lookup("unpack"), {"a": op}, op, value)  # `W, b = params`
            names: list[str] = []
            nested: list[tuple[cst.BaseExpression, str]] = []  # `(W1, b1), (W2, b2) = params`: parts first
            for element in target.elements:
                if isinstance(element.value, cst.Name):
                    names.append(self.bind(element.value.value))
                else:
                    names.append(self.temporary())
                    nested.append((element.value, names[-1]))
            self.emit(tuple(names), op, value)
            for part, name in nested:
                self.assign_to(part, ast.Name(name), value)
            return
        if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
            self.assign_item(target, op, value)
            return
        if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Subscript):
            self.assign_nested_item(target, op, value)
            return
        if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Attribute):
            self.assign_attribute_item(target, op, value)
            return
        if isinstance(target, cst.Attribute):
            self.assign_attribute(target, op, value)
            return
        if isinstance(target, (cst.Tuple, cst.List)) and self.starred_unpacking(target, op, value):
            return
        if isinstance(target, (cst.Tuple, cst.List)):
            raise self.unsupported(target, "starred unpacking, or unpacking into items or attributes, "
                                   "is not supported",
                                   hint="unpack into names, then build what you need from them")
        what = "assignment to an attribute" if isinstance(target, cst.Attribute) else "this assignment target"
        raise self.unsupported(target, f"{what} {_LATER}",
                               hint="build a new array from expressions instead of writing into one")

    def assign_item(self, target: cst.Subscript, op: _Op | ast.expr, value: cst.CSTNode) -> None:
        """`y[index] = v`: the next version of y is y with that item replaced (a copy, for an array
        or a list); a dict is written in place, as Python does."""
        if target.value.value not in self.current:  # type: ignore[attr-defined]
            raise self.unsupported(target, "assignment into an array the function did not create",
                                   hint="build the array in the function (e.g. np.zeros_like(x)) and write into that")
        item = self.atom_of(op, value)
        index = self.index_of(target)
        old = self.read_name(target.value)  # type: ignore[arg-type]
        if self.is_dict_write(old, index):
            self.dict_write(target, old, index, item, self.bind, target.value.value)  # type: ignore[attr-defined]
            return
        primal = ast.Call(ast.Name("with_item"), [old, index, item], [])
        write = _Op(lookup("setitem"), {"a": old, "index": index, "value": item}, primal, target)
        if self.roots.get(old.id, old.id) in self.parameters:
            self.writes_into_parameters.append(target)
        self.emit((self.bind(target.value.value),), write, target)  # type: ignore[attr-defined]
        self.inplace.append((self.body[-1], old.id, target))  # type: ignore[arg-type]
        self.share_update(target.value.value, old.id, target, None)  # type: ignore[attr-defined]

    def starred_unpacking(self, target: cst.Tuple | cst.List, op: _Op | ast.expr, value: cst.CSTNode) -> bool:
        """`first, *rest = x`: first = x[0], rest = list(x[1:]) (a list, as Python makes it), after a
        check that x has enough items (Python's ValueError). False: not one starred name among names."""
        stars = [k for k, e in enumerate(target.elements) if isinstance(e, cst.StarredElement)]
        if len(stars) != 1 or not all(isinstance(e.value, cst.Name) for e in target.elements):
            return False
        star, count = stars[0], len(target.elements)
        sequence = self.atom_of(op, value)
        length = self.temporary()
        self.emit((length,), _Op(lookup("builtins.len"), {"args": ast.Tuple([sequence])},
                                 ast.Call(ast.Name("len"), [sequence], []), value), value)
        message = f"not enough values to unpack (expected at least {count - 1})"
        check = ast.If(ast.Compare(ast.Name(length), [ast.Lt()], [ast.Constant(count - 1)]),
                       [ast.Raise(ast.Call(ast.Name("ValueError"), [ast.Constant(message)], []), None)], [])
        self.body.append(Effect(check, self.span(target)))
        after = count - 1 - star
        for k, element in enumerate(target.elements):
            if k == star:
                stop = ast.UnaryOp(ast.USub(), ast.Constant(after)) if after else ast.Constant(None)
                index = ast.Call(ast.Name("slice"), [ast.Constant(star), stop], [])
                part = self.atom_of(self.subscript_op(sequence, index, ast.Subscript(sequence, pretty_index(index)),
                                                      value), value)
                item: _Op | ast.expr = _Op(lookup("builtins.list"), {"iterable": part},
                                           ast.Call(ast.Name("list"), [part], []), value)
            else:
                position = ast.Constant(k) if k < star else ast.Constant(k - count)
                item = self.subscript_op(sequence, position, ast.Subscript(sequence, position), value)
            self.assign_to(element.value, item, value)
        return True

    def is_dict_write(self, old: ast.expr, index: ast.expr) -> bool:
        """A write into a dict: one the function made, or any container written at a string key."""
        return isinstance(old, ast.Name) and (old.id in self.dicts or (
            isinstance(index, ast.Constant) and isinstance(index.value, str)))

    def dict_write(self, target: cst.Subscript, old: ast.Name, index: ast.expr, item: ast.expr,
                   bind: Callable[[str], str], name: str) -> None:
        """`d[k] = v` into a dict: written in place, as Python does (whoever holds the dict sees it:
        batchnorm's caller its running mean), and the next version of d is that same dict."""
        statement = ast.Assign([ast.Subscript(ast.Name(old.id), index, ast.Store())], item, lineno=0)
        statement.keep = True  # type: ignore[attr-defined]  # an effect: never dropped as dead
        origin = self.foreign.get(old.id, old.id if old.id in self.parameters else False)
        shared = origin is None  # reached through an object or a container of the caller's
        self.body.append(Effect(statement, self.span(target), writes_into=old.id, shared=shared,
                                local=origin is False))
        if origin:
            self.updates_parameters.append((origin, target))  # type: ignore[arg-type]
        write = _Op(lookup("dict.setitem"), {"a": old, "index": index, "value": item}, ast.Name(old.id), target)
        self.emit((bind(name),), write, target)
        new = self.body[-1].target  # type: ignore[union-attr]
        self.dicts.add(new)
        self.dict_roots[new] = self.dict_roots.get(old.id, old.id)
        if origin is not False:
            self.foreign[new] = origin  # type: ignore[assignment]
        if shared or is_literal(item):  # its sharers see the write when the code runs, and a constant,
            return  # or a value activity checks is no differentiated one, carries no derivative to them
        self.inplace.append((self.body[-1], old.id, target))  # type: ignore[arg-type]
        if "." not in name:  # a variable (not an attribute path): the copies `s = d` made of it see the write
            self.share_update(name, old.id, target, None)

    def assign_attribute_item(self, target: cst.Subscript, op: _Op | ast.expr, value: cst.CSTNode) -> None:
        """`self.dropout_param["mode"] = mode`: a write into the dict an attribute holds (in place,
        for a dict: the object's dict changes as in your function); for the rest of the function
        the attribute is that dict."""
        path = self.attribute_key(target.value) or self.attribute_path(target.value)  # type: ignore[arg-type]
        if path is None:
            raise self.unsupported(target, "assignment into an item of this expression is not supported",
                                   hint="assign the container to a name first, write into it, and assign it back")
        item = self.atom_of(op, value)
        old = self.atom(target.value)
        index = self.index_of(target)

        shown = self.attribute_path(target.value) or path  # type: ignore[arg-type]

        def bind(user: str) -> str:
            version = self.fresh(shown)  # named as the user writes it (`self.cache`: self_cache)
            self.current[user] = version
            return version

        if isinstance(old, ast.Name) and self.is_dict_write(old, index):
            self.dict_write(target, old, index, item, bind, path)
            return
        raise self.unsupported(target, "assignment into an item of an attribute is supported for dicts only",
                               hint="assign the array to a name (w = obj.w.copy()), write into it, and assign "
                               "it back (obj.w = w)")

    def assign_nested_item(self, target: cst.Subscript, op: _Op | ast.expr, value: cst.CSTNode) -> None:
        """`xs[t][i] = v`: xs[t] with [i] replaced, written back as xs[t] (Python writes into the
        array xs[t] holds, which the dict or list xs then shows)."""
        inner = target.value
        item = self.atom_of(op, value)
        current = self.atom(inner)  # type: ignore[arg-type]
        index = self.index_of(target)
        primal = ast.Call(ast.Name("with_item"), [current, index, item], [])
        updated = self.temporary()
        self.emit((updated,), _Op(lookup("setitem"), {"a": current, "index": index, "value": item}, primal, target),
                  target)
        self.assign_to(inner, ast.Name(updated), value)  # type: ignore[arg-type]

    def atom_of(self, op: _Op | ast.expr, node: cst.CSTNode) -> ast.expr:
        if not isinstance(op, _Op):
            return op
        name = self.temporary()
        self.emit((name,), op, node)
        return ast.Name(name)

    def index_of(self, node: cst.Subscript) -> ast.expr:
        parts = [self.index_part(element.slice) for element in node.slice]
        return parts[0] if len(parts) == 1 else ast.Tuple(parts)

    def aug_assign(self, node: cst.AugAssign) -> None:
        operator = _AUGMENTED.get(type(node.operator))
        if operator is None:
            raise self.unsupported(node, f"the operator `{self.code(node.operator)}` is not supported")
        if isinstance(node.target, cst.Subscript) and isinstance(node.target.value, cst.Name):
            key, ast_op = _BINARY[operator]
            current = self.atom(node.target)
            right = self.atom(node.value)
            self.assign_item(node.target, self.operator_op(key, ast.BinOp(current, ast_op(), right),
                                                           {"x": current, "y": right}, node), node)
            return
        if isinstance(node.target, cst.Attribute):  # self.count += 1
            key, ast_op = _BINARY[operator]
            current, right = self.atom(node.target), self.atom(node.value)
            self.assign_attribute(node.target, self.operator_op(key, ast.BinOp(current, ast_op(), right),
                                                                {"x": current, "y": right}, node), node)
            return
        if not isinstance(node.target, cst.Name):
            raise self.unsupported(node.target, "augmented assignment to this target is not supported")
        old = self.read_name(node.target)
        if self.roots.get(old.id, old.id) in self.parameters:  # an array argument is updated in place
            self.updates_parameters.append((self.roots.get(old.id, old.id), node))
        right = self.atom(node.value)
        key, ast_op = _BINARY[operator]
        op = self.operator_op(key, ast.BinOp(old, ast_op(), right), {"x": old, "y": right}, node)
        self.assign_to(node.target, op, node)
        self.inplace.append((self.body[-1], old.id, node))  # type: ignore[arg-type]
        self.share_update(node.target.value, old.id, node, ast.Constant(_IN_PLACE[key]))

    def is_pop(self, node: cst.BaseExpression) -> bool:
        """`xs.pop()`, `xs.pop(0)` or `xs.pop(-1)` of a list the function holds in a name."""
        if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "pop"
                and isinstance(node.func.value, cst.Name) and node.func.value.value in self.current):
            return False
        return not node.args or (len(node.args) == 1 and node.args[0].keyword is None
                                 and self.code(node.args[0].value).replace(" ", "") in ("0", "-1"))

    def pop(self, call: cst.Call) -> ast.expr:
        """`v = xs.pop()`: v is xs[-1] (xs[0] for pop(0)), read before the list's next version,
        xs[:-1] (xs[1:]), is bound to xs: a stack or a queue of values (a tape) as values."""
        holder = call.func.value  # type: ignore[attr-defined]
        first = bool(call.args) and self.code(call.args[0].value).replace(" ", "") == "0"
        index = "0" if first else "-1"
        rest = "1:" if first else ":-1"
        item = self.parsed.moved(cst.parse_expression(f"{holder.value}[{index}]"), call)
        value = self.atom_of(self.lower(item), call)
        if isinstance(value, ast.Name) and value.id in self.current.values():
            value = self.atom_of(_Op(lookup("identity"), {"a": value}, value, call), call)
        self.assign_to(holder, self.lower(self.parsed.moved(cst.parse_expression(f"{holder.value}[{rest}]"), call)),
                       call)
        return value

    def expression_statement(self, node: cst.Expr) -> None:
        if isinstance(node.value, (cst.SimpleString, cst.ConcatenatedString, cst.Ellipsis)):
            return  # a docstring or `...`
        call = node.value
        if self.is_pop(call):  # `xs.pop()` for its effect: the list's next version
            self.pop(call)  # type: ignore[arg-type]
            return
        if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value == "append" \
                and isinstance(call.func.value, cst.Name) and call.func.value.value in self.current:
            self.append(call)
            return
        if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) \
                and isinstance(call.func.value, cst.Name) \
                and call.func.value.value in self.current and call.func.attr.value in ("update", "setdefault"):
            if call.func.attr.value == "update":
                self.update_statement(call, call.func.value)
            else:
                self.atom(call)
            return
        if self.add_at_statement(call):
            return
        written = _out_argument(call)
        first = next((a.value for a in call.args if a.keyword is None), None) if isinstance(call, cst.Call) else None
        if written is not None and written.value.value in self.current \
                and not (isinstance(first, cst.Name) and first.value == written.value.value):
            # np.multiply(x, 2.0, out=y): the values written into y's array, `y[...] = np.multiply(x, 2.0)`
            plain = self.parsed.moved(call.with_changes(args=[a for a in call.args if a is not written]), call)
            target = self.parsed.moved(cst.Subscript(written.value, [cst.SubscriptElement(cst.Index(cst.Ellipsis()))]),
                                       written.value)
            self.assign(self.parsed.moved(cst.Assign([cst.AssignTarget(target)], plain), call))  # type: ignore
            return
        if written is not None and written.value.value in self.current:  # np.clip(g, -5, 5, out=g)
            plain = self.parsed.moved(call.with_changes(args=[a for a in call.args if a is not written]), call)
            old = self.read_name(written.value)  # type: ignore[arg-type]
            self.assign_to(written.value, self.lower(plain), call)  # type: ignore[arg-type]
            self.inplace.append((self.body[-1], old.id, call))  # type: ignore[arg-type]
            self.share_update(written.value.value, old.id, call, None)  # type: ignore[attr-defined]
            return
        if isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and call.func.value == "print" \
                and "print" not in self.current:
            args, kwargs = self.call_arguments(call)
            statement = ast.Expr(ast.Call(ast.Name("print"), args, [ast.keyword(k, v) for k, v in kwargs.items()]))
            self.body.append(Effect(statement, self.span(node)))
            return
        if isinstance(call, cst.Call) and self.inlined_call(call.func):  # `remember(v)`, `model.reset()`
            self.lower(call)  # the body, inlined here, does what the call does; its result is not used
            return
        if isinstance(call, cst.Call) and not self.is_local_root(call.func):
            op = self.lower(call)
            if isinstance(op, _Op) and op.rule.effect:  # np.random.seed(0): kept for its effect
                self.body.append(Effect(ast.Expr(op.primal), self.span(node)))
                return
            if not isinstance(op, _Op):  # a function of the user's inlined (objects.py): done
                return
        if isinstance(call, (cst.Yield, cst.Await)):
            raise self.unsupported(node, f"{self.describe(call)} (a generator or coroutine) cannot be differentiated",
                                   hint="collect the values in a list and return it")
        if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) \
                and isinstance(call.func.value, cst.Attribute) \
                and call.func.attr.value in ("append", "extend", "insert"):
            raise self.unsupported(node, f"`{self.code(call.func)}(...)` changes a list an attribute holds, which is "
                                   "not supported", hint=f"keep the list in a name (`{call.func.value.attr.value} = "
                                   f"[]`, then `{call.func.value.attr.value}.{call.func.attr.value}(...)`) and "
                                   f"assign it to the attribute after: `{self.code(call.func.value)} = "
                                   f"{call.func.value.attr.value}`")
        raise self.unsupported(node, "an expression statement (a call for its side effects) is not supported",
                               hint="only print(...) is kept for its effect; assign results to names")

    def add_at_statement(self, call: cst.BaseExpression) -> bool:
        """`np.add.at(a, indices, b)` into an array of the function's: a's next version is a with b
        added at indices (each repeated index adding again), as the update leaves it."""
        if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value == "at"
                and len(call.args) == 3 and not any(a.keyword or a.star for a in call.args)
                and isinstance(call.args[0].value, cst.Name) and call.args[0].value.value in self.current
                and not self.is_local_root(call.func.value)):
            return False
        if self.resolve(call.func.value) is not np.add:
            return False
        target = call.args[0].value
        old = self.read_name(target)
        indices, b = self.atom(call.args[1].value), self.atom(call.args[2].value)
        primal = ast.Call(ast.Name("added_at"), [old, indices, b], [])
        op = _Op(lookup("numpy.add.at"), {"a": old, "indices": indices, "b": b}, primal, call)
        if self.roots.get(old.id, old.id) in self.parameters:
            self.writes_into_parameters.append(call)
        self.emit((self.bind(target.value),), op, call)
        self.inplace.append((self.body[-1], old.id, call))  # type: ignore[arg-type]
        self.share_update(target.value, old.id, call, None)
        return True

    def append(self, call: cst.Call) -> None:
        """`xs.append(v)`: the next version of the list xs is `xs + [v]`."""
        if len(call.args) != 1 or call.args[0].keyword is not None:
            raise self.unsupported(call, "append takes one value")
        old = self.read_name(call.func.value)  # type: ignore[attr-defined]
        value = self.atom(call.args[0].value)
        if isinstance(value, (ast.List, ast.Tuple)) and self.holds_locals(value):  # caches.append((h, z))
            value = self.atom_of(self.display_op(self.nested_displays(value, call), call), call)
        primal = ast.List([ast.Starred(old, ast.Load()), value])  # a new list: xs and v (`xs + [v]` may add arrays)
        op = _Op(lookup("list.append"), {"a": old, "value": value}, primal, call)
        self.emit((self.bind(call.func.value.value),), op, call)  # type: ignore[attr-defined]
        self.inplace.append((self.body[-1], old.id, call))  # type: ignore[arg-type]
        self.share_update(call.func.value.value, old.id, call, None)  # type: ignore[attr-defined]

    def assert_statement(self, node: cst.Assert) -> None:
        test = self.atom(node.test)
        message = self.atom(node.msg) if node.msg is not None else None
        self.body.append(Effect(ast.Assert(test, message), self.span(node)))

    def exit_statement(self, node: cst.Break | cst.Continue) -> None:
        raise self.unsupported(node, "this `break`/`continue` is not supported here",
                               hint="write `if condition: break` (or continue) as the last statement of an if "
                               "directly in the loop body")

    def describe_statement(self, node: cst.CSTNode) -> str:
        found = _STATEMENT_NAMES.get(type(node))
        return found if found is not None else f"the statement `{self.code(node).splitlines()[0].strip()}`"

    def pass_statement(self, node: cst.Pass) -> None:
        return

    def return_statement(self, node: cst.Return) -> None:
        """A return that ends one way through the function: its values go to the result names."""
        if self.results is None or self.loop_depth:
            raise self.unsupported(node, "`return` inside a loop is not supported",
                                   hint="break out of the loop and return after it")
        if node.value is None:
            raise self.unsupported(node, "the function must return a value",
                                   hint="return the value to differentiate (return loss)")
        value = _paired(self, node)
        elements = [e.value for e in value.elements] if isinstance(value, cst.Tuple) else [value]
        if not self.results:
            self.results.extend(self.fresh("result") for _ in elements)
            self.results_tuple = isinstance(value, cst.Tuple)
        if len(elements) > len(self.results):
            raise self.unsupported(node, "the returns of this function give different numbers of values",
                                   hint="return the same number of values everywhere")
        ops = [self.lower(e) for e in elements]
        line = self.span(node).line if self.span(node) else 0  # type: ignore[union-attr]
        for _ in range(len(self.results) - len(elements)):  # a return of fewer values: an error if taken
            primal = ast.Call(ast.Name("mismatched_return"), [ast.Constant(line), ast.Constant(len(elements)),
                                                              ast.Constant(len(self.results))], [])
            ops.append(_Op(lookup("mismatched_return"), {}, primal, node))
            elements.append(node)  # type: ignore[arg-type]
        for key, op, element in zip(self.results, ops, elements):
            self.emit((self.bind(key),), op, element)

    _SMALL: ClassVar[dict[type, Callable[..., None]]] = {}

    # ------------------------------------------------------------ expressions

    def lower(self, node: cst.BaseExpression) -> _Op | ast.expr:
        """The outermost operation of `node` (inner ones emitted as temporaries), or an atom."""
        handler = self._EXPR.get(type(node))
        if handler is None:
            raise self.unsupported(node, self.describe(node) + " " + _LATER, hint=_HINTS.get(type(node)))
        return handler(self, node)

    def atom(self, node: cst.BaseExpression) -> ast.expr:
        """`node` as an atom: a temporary holds it if it is an operation."""
        op = self.lower(node)
        if isinstance(op, _Op):
            name = self.temporary()
            self.emit((name,), op, node)
            return ast.Name(name)
        return op

    def describe(self, node: cst.CSTNode) -> str:
        kinds = {
            cst.Subscript: "indexing `a[...]`", cst.Lambda: "a lambda", cst.IfExp: "a conditional expression",
            cst.ListComp: "a list comprehension", cst.GeneratorExp: "a generator expression",
            cst.BooleanOperation: "`and`/`or`", cst.Dict: "a dict", cst.Set: "a set",
            cst.DictComp: "a dict comprehension", cst.SetComp: "a set comprehension",
            cst.Await: "`await`", cst.Yield: "`yield`", cst.NamedExpr: "`:=`", cst.FormattedString: "an f-string",
        }
        return kinds.get(type(node), f"the expression `{self.code(node)}`")

    def read_name(self, node: cst.Name) -> ast.Name:
        name = node.value
        if name in self.current:
            return ast.Name(self.current[name])
        try:
            self.parsed.lookup(name)
        except KeyError:
            raise self.unsupported(node, f"the name `{name}` is not defined", hint=f"define or import `{name}` in the "
                                   "function's module, or pass it as an argument") from None
        return ast.Name(name)

    def name_expr(self, node: cst.Name) -> ast.expr:
        if node.value in ("True", "False", "None"):
            return ast.Constant(eval(node.value))
        return self.read_name(node)

    def literal(self, node: cst.BaseExpression) -> ast.expr:
        return ast.Constant(ast.literal_eval(self.code(node)))

    def concatenated_string(self, node: cst.ConcatenatedString) -> _Op | ast.expr:
        """`"a " "b"` (over several lines, in parentheses), f-strings among the parts or not."""
        pieces: list[cst.BaseExpression] = []
        todo: list[cst.BaseExpression] = [node]
        while todo:
            piece = todo.pop(0)
            if isinstance(piece, cst.ConcatenatedString):
                todo[:0] = [piece.left, piece.right]
            else:
                pieces.append(piece)
        if all(isinstance(p, cst.SimpleString) for p in pieces):
            return ast.Constant("".join(p.evaluated_value for p in pieces))  # type: ignore[attr-defined]
        parts: list[cst.BaseFormattedStringContent] = []
        for piece in pieces:
            if isinstance(piece, cst.FormattedString):
                parts += list(piece.parts)
            else:
                text = piece.evaluated_value.replace("{", "{{").replace("}", "}}")  # type: ignore[attr-defined]
                parts.append(cst.FormattedStringText(text))
        return self.formatted_string(self.parsed.moved(cst.FormattedString(parts), node))  # type: ignore

    def sequence(self, node: cst.Tuple | cst.List) -> ast.expr:
        if self.is_grown_list(node):
            return self.grown_list(node)  # type: ignore[arg-type]
        elements = []
        for e in node.elements:
            if isinstance(e, cst.StarredElement):
                raise self.unsupported(e, "a starred element " + _LATER,
                                       hint="join the parts: list(a) + [b], or np.concatenate")
            elements.append(self.atom(e.value))
        return ast.Tuple(elements) if isinstance(node, cst.Tuple) else ast.List(elements)

    def is_grown_list(self, node: cst.Tuple | cst.List) -> bool:
        """`[*xs, v, w]` of a list xs the function holds: a new list, xs with v and w appended."""
        first = node.elements[0] if isinstance(node, cst.List) and len(node.elements) > 1 else None
        return isinstance(first, cst.StarredElement) and isinstance(first.value, cst.Name) \
            and first.value.value in self.current \
            and not any(isinstance(e, cst.StarredElement) for e in node.elements[1:])

    def grown_list(self, node: cst.List) -> ast.expr:
        current = self.read_name(node.elements[0].value)  # type: ignore[arg-type]
        for element in node.elements[1:]:
            value = self.atom(element.value)
            if isinstance(value, (ast.List, ast.Tuple)) and self.holds_locals(value):
                value = self.atom_of(self.display_op(self.nested_displays(value, node), node), node)
            primal = ast.List([ast.Starred(current, ast.Load()), value])
            current = self.atom_of(_Op(lookup("list.append"), {"a": current, "value": value}, primal, node), node)
        return current

    def binary(self, node: cst.BinaryOperation) -> _Op:
        found = _BINARY.get(type(node.operator))
        if found is None:
            raise self.unsupported(node, f"the operator `{self.code(node.operator)}` is not supported",
                                   hint="use the numpy function (e.g. np.bitwise_and) if it has a rule")
        key, ast_op = found
        left, right = self.atom(node.left), self.atom(node.right)
        if key == "operator.add" and type(left) is type(right) and isinstance(left, (ast.List, ast.Tuple)):
            return type(left)([*left.elts, *right.elts])  # `[x, h] + [y]`: one display  # type: ignore[return-value]
        if key == "operator.mul" and isinstance(left, (ast.List, ast.Tuple)) and isinstance(right, ast.Constant) \
                and type(right.value) is int and 0 <= right.value <= 64:
            return type(left)(left.elts * right.value)  # `[x] * 3`: one display  # type: ignore[return-value]
        return self.operator_op(key, ast.BinOp(left, ast_op(), right), {"x": left, "y": right}, node)

    def unary(self, node: cst.UnaryOperation) -> _Op | ast.expr:
        found = _UNARY.get(type(node.operator))
        if found is None:
            raise self.unsupported(node, f"the operator `{self.code(node.operator)}` is not supported")
        key, ast_op = found
        operand = self.atom(node.expression)
        numeric = isinstance(operand, ast.Constant) and isinstance(operand.value, (int, float, complex))
        if numeric and key != "operator.not_":
            return ast.UnaryOp(ast.USub(), operand) if key == "operator.neg" else operand
        return self.operator_op(key, ast.UnaryOp(ast_op(), operand), {"x": operand}, node)

    def comparison(self, node: cst.Comparison) -> _Op | ast.expr:
        if len(node.comparisons) != 1:  # `a < b < c` is `a < b and b < c`, b evaluated once
            middle = self.parsed.moved(cst.Comparison(node.comparisons[0].comparator, node.comparisons[1:]), node)
            first = self.parsed.moved(cst.Comparison(node.left, node.comparisons[:1]), node)
            both = self.parsed.moved(cst.BooleanOperation(first, cst.And(), middle), node)
            return self.boolean_operation(both)  # type: ignore[arg-type]
        target = node.comparisons[0]
        left, right = self.atom(node.left), self.atom(target.comparator)
        if isinstance(target.operator, (cst.In, cst.NotIn)):  # `k in d` is contains(d, k)
            key = "operator.contains" if isinstance(target.operator, cst.In) else "operator.not_contains"
            compare = ast.In() if isinstance(target.operator, cst.In) else ast.NotIn()
            return self.operator_op(key, ast.Compare(left, [compare], [right]), {"x": right, "y": left}, node)
        if isinstance(target.operator, (cst.Is, cst.IsNot)):
            key, compare = ("operator.is_", ast.Is()) if isinstance(target.operator, cst.Is) \
                else ("operator.is_not", ast.IsNot())
            return self.operator_op(key, ast.Compare(left, [compare], [right]), {"x": left, "y": right}, node)
        found = _COMPARE.get(type(target.operator))
        if found is None:
            raise self.unsupported(node, f"the comparison `{self.code(target.operator)}` is not supported")
        key, ast_op = found
        return self.operator_op(key, ast.Compare(left, [ast_op()], [right]), {"x": left, "y": right}, node)

    def operator_op(self, key: str, primal: ast.expr, args: dict[str, ast.expr], node: cst.CSTNode) -> _Op:
        rule = lookup(key)
        if rule is None:
            raise MissingRule(f"the operator {key} has no derivative rule", self.span(node))
        return self.bound_op(rule, list(args.values()), {}, primal, node)

    _EXPR: ClassVar[dict[type, Callable[..., Any]]] = {}


_Normalizer._SMALL = {
    cst.Assign: _Normalizer.assign,
    cst.AnnAssign: _Normalizer.ann_assign,
    cst.AugAssign: _Normalizer.aug_assign,
    cst.Expr: _Normalizer.expression_statement,
    cst.Pass: _Normalizer.pass_statement,
    cst.Return: _Normalizer.return_statement,
    cst.Assert: _Normalizer.assert_statement,
    cst.Break: _Normalizer.exit_statement,
    cst.Continue: _Normalizer.exit_statement,
    cst.Raise: _Normalizer.raise_statement,
    cst.Import: _Normalizer.import_statement,
    cst.ImportFrom: _Normalizer.import_statement,
}
_Normalizer._EXPR = {
    cst.Name: _Normalizer.name_expr,
    cst.Integer: _Normalizer.literal,
    cst.Float: _Normalizer.literal,
    cst.Imaginary: _Normalizer.literal,
    cst.SimpleString: _Normalizer.literal,
    cst.ConcatenatedString: _Normalizer.concatenated_string,
    cst.Tuple: _Normalizer.sequence,
    cst.List: _Normalizer.sequence,
    cst.BinaryOperation: _Normalizer.binary,
    cst.UnaryOperation: _Normalizer.unary,
    cst.Comparison: _Normalizer.comparison,
    cst.Attribute: _Normalizer.attribute,
    cst.Call: _Normalizer.call,
    cst.Subscript: _Normalizer.subscript,
    cst.IfExp: _Normalizer.conditional,
    cst.ListComp: _Normalizer.comprehension,
    cst.GeneratorExp: _Normalizer.comprehension,
    cst.Lambda: _Normalizer.lambda_expr,
    cst.Dict: _Normalizer.dict_display,
    cst.BooleanOperation: _Normalizer.boolean_operation,
    cst.FormattedString: _Normalizer.formatted_string,
}



class _ExpandSuites(cst.CSTTransformer):
    """One-line suites (`def f(x): return x`, `if verbose: print(x)`) as indented blocks of one
    line; every node the rewrite rebuilds keeps its original's place (for error messages)."""

    def __init__(self, parsed: ParsedFunction):
        super().__init__()
        self.parsed = parsed

    def leave_SimpleStatementSuite(self, original: cst.SimpleStatementSuite,
                                   updated: cst.SimpleStatementSuite) -> cst.IndentedBlock:
        line = self.parsed.moved(cst.SimpleStatementLine(body=updated.body), original)
        return cst.IndentedBlock(body=[line])  # type: ignore[list-item]

    def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode):  # type: ignore[override]
        result = super().on_leave(original, updated)
        if isinstance(result, cst.CSTNode):
            self.parsed.moved(result, original)
        return result


def _user_words(norm: _Normalizer, name: str) -> str:
    """A value's name in the user's words: what it was written as, or the user's variable an
    internal renaming (`x_3`, made where control flow joins or a loop carries x) stands for."""
    if name in norm.described:
        words = norm.described[name]
    else:
        base = re.sub(r"_\d+$", "", name)
        words = base if base in norm.current else name
    return norm.parsed.scratch.get(EXIT_VALUES, {}).get(words, f"`{words}`")


def normalize(parsed: ParsedFunction) -> Function:
    """Lower the parsed function to single-assignment primitive applications."""
    fn = parsed.node
    params = _parameters(parsed)
    norm = _Normalizer(parsed)
    norm.taken = _all_names(fn) | {p.name for p in params}
    norm.current = {p.name: p.name for p in params}
    norm.parameters = tuple(p.name for p in params)
    body = fn.body.visit(_ExpandSuites(parsed))
    assert isinstance(body, cst.IndentedBlock)
    statements = list(body.body)
    _refuse_generators(norm, fn)
    statements = single_exit(loop_returns(statements, set(norm.taken), parsed), parsed)
    norm.top = tuple(statements)
    if statements and not _is_return_line(statements[-1]) and _ends_in_return(statements):
        return _normalize_returns(norm, statements, params)
    if not statements or not _is_return_line(statements[-1]):
        raise norm.unsupported(fn.name, "the function must end with a `return` statement",
                               hint="return the value to differentiate (return loss)")
    last = statements[-1]
    before_return = last.with_changes(body=last.body[:-1])  # type: ignore[attr-defined]
    body = norm.block(statements[:-1] + ([before_return] if before_return.body else []))
    norm.body = body
    returns, as_tuple = _returns(norm, last.body[-1])  # type: ignore[attr-defined]
    _check_inplace(norm, returns)
    return Function(
        name=fn.name.value,
        params=params,
        body=norm.body,
        returns=returns,
        returns_tuple=as_tuple,
        span=parsed.span(fn.name),  # type: ignore[arg-type]
        names=set(norm.taken),
        generated=set(norm.generated),
        writes_into_parameters=[norm.span(n) for n in norm.writes_into_parameters],
        updates_parameters=[(p, norm.span(n)) for p, n in norm.updates_parameters],
    )


def _normalize_returns(norm: _Normalizer, statements: list[cst.BaseStatement], params: list[Param]) -> Function:
    """A function that returns from several branches: each assigns the result names."""
    norm.results = []
    counts = [_count(norm, r) for r in returns_of(norm.parsed.node) if r.value is not None]
    if counts and min(counts) != max(counts):  # `if mode == "test": return scores` beside `return loss, grads`
        if any(name not in norm.parsed.known for name in none_tests(norm.parsed)):
            raise norm.unsupported(norm.parsed.node.name, "the returns of this function give different numbers "
                                   "of values", hint="return the same number of values everywhere")  # made per kind
        norm.results.extend(norm.fresh("result") for _ in range(max(counts)))
        norm.results_tuple = True
    norm.body = norm.block(statements)
    returns: list[ast.expr] = [ast.Name(norm.current[key]) for key in norm.results]
    norm.generated.update(r.id for r in returns)  # type: ignore[attr-defined]
    _check_inplace(norm, returns)
    fn = norm.parsed.node
    return Function(fn.name.value, params, norm.body, returns, norm.results_tuple,
                    norm.parsed.span(fn.name), set(norm.taken), set(norm.generated),  # type: ignore[arg-type]
                    [norm.span(n) for n in norm.writes_into_parameters],
                    [(p, norm.span(n)) for p, n in norm.updates_parameters])


def _refuse_generators(norm: _Normalizer, fn: cst.FunctionDef) -> None:
    found: list[cst.CSTNode] = []

    class Find(cst.CSTVisitor):
        def visit_Yield(self, node: cst.Yield) -> None:
            found.append(node)

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is fn

    fn.visit(Find())
    if found:
        raise norm.unsupported(found[0], "`yield`: a generator cannot be differentiated",
                               hint="collect the values in a list and return it")


def _is_return_line(line: cst.BaseStatement) -> bool:
    return isinstance(line, cst.SimpleStatementLine) and isinstance(line.body[-1], cst.Return)


def _returns(norm: _Normalizer, node: cst.Return) -> tuple[list[ast.expr], bool]:
    norm.statement = node
    if node.value is None:
        raise norm.unsupported(node, "the function must return a value",
                               hint="return the value to differentiate (return loss)")
    value = _paired(norm, node)
    elements = [e.value for e in value.elements] if isinstance(value, cst.Tuple) else [value]
    atoms: list[ast.expr] = []
    params = set(norm.parameters)
    for element in elements:
        op = norm.lower(element)
        atom = op if not isinstance(op, _Op) else None
        if isinstance(atom, (ast.Tuple, ast.List)) and norm.holds_locals(atom):
            atom = None  # `return out, (x, w)`: the tuple is a value of its own, with its own adjoint
        reuse = isinstance(atom, ast.Name) and atom.id in norm.current.values() and \
            atom.id not in params and atom.id not in {a.id for a in atoms if isinstance(a, ast.Name)}
        if atom is not None and (reuse or not (isinstance(atom, ast.Name) and atom.id in norm.current.values())):
            atoms.append(atom)
            continue
        name = norm.fresh("out")
        norm.generated.add(name)
        norm.emit((name,), op, element)
        atoms.append(ast.Name(name))
    return atoms, isinstance(value, cst.Tuple)


def _count(norm: _Normalizer, node: cst.Return) -> int:
    """How many values a return gives (as _paired will read it)."""
    where = norm.parsed.positions.get(node)
    at = (where.start.line, where.start.column) if where is not None else None
    if at in norm.parsed.scratch.get("pairs at run time", ()) or at in norm.parsed.scratch.get("unpaired returns", ()):
        return 2
    return len(node.value.elements) if isinstance(node.value, cst.Tuple) else 1  # type: ignore[union-attr]


def _paired(norm: _Normalizer, node: cst.Return) -> cst.BaseExpression:
    """A return's value; with has_aux, a return of one value (`if y is None: return scores`) gives
    (value, None), and a call that gives the pair when it runs (`return wrapper(...)`, the only
    kind of return) its two parts, as results.check recorded."""
    where = norm.parsed.positions.get(node)
    at = (where.start.line, where.start.column) if where is not None else None
    if at in norm.parsed.scratch.get("pairs at run time", ()):
        pair = norm.held(node.value, "pair")  # type: ignore[arg-type]
        parts = [norm.parsed.moved(cst.Subscript(pair, [cst.SubscriptElement(cst.Index(cst.Integer(str(k))))]),
                                   node) for k in (0, 1)]
        return cst.Tuple([cst.Element(p) for p in parts])  # type: ignore[arg-type]
    if at not in norm.parsed.scratch.get("unpaired returns", ()):
        return node.value  # type: ignore[return-value]
    return cst.Tuple([cst.Element(node.value), cst.Element(cst.Name("None"))])  # type: ignore[arg-type]


def _check_inplace(norm: _Normalizer, returns: list[ast.expr]) -> None:
    """`y += v` updates y's array in place: refuse where a name sharing it shows the change."""
    updates = [Update(apply, _refusal(norm, node)) for apply, _, node in norm.inplace]

    def copies(apply: Apply) -> bool:
        return apply.rule.key == "getitem" and norm.advanced(apply.args.get("index"))

    check_updates(norm.body, norm.parameters, returns, updates, lambda name: _user_words(norm, name), copies)


def _refusal(norm: _Normalizer, node: cst.CSTNode) -> Callable[[str], UnsupportedSyntax]:
    if isinstance(node, cst.Subscript):  # a write into an array: `y[i] = v`, `y[i] += v`
        array = norm.code(node.value)
        hint = f"write into a copy: `{array} = {array}.copy()` before this line"
    elif isinstance(node, cst.Call) and _out_argument(node) is not None:  # np.clip(g, -5, 5, out=g)
        written = norm.code(_out_argument(node).value)  # type: ignore[union-attr]
        hint = f"assign the result to each array it should change (`{written} = np.clip({written}, ...)` " \
            "written for that array itself, not for a loop's item)"
    elif isinstance(node, cst.Call):  # xs.append(v)
        items = norm.code(node.func.value)  # type: ignore[attr-defined]
        hint = f"make a new list: `{items} = {items} + [...]`"
    else:
        hint = f"write `{norm.code(node.target)} = {norm.code(node.target)} ...` to make a new array"  # type: ignore

    def refuse(shared: str) -> UnsupportedSyntax:
        return norm.unsupported(node, f"this in-place update also changes {shared}, which shares the array "
                                "and is read after it", hint=hint)

    return refuse


def _out_argument(call: cst.BaseExpression) -> cst.Arg | None:
    """The `out=name` argument of a call (a ufunc writing its result into an array), if any."""
    if not isinstance(call, cst.Call):
        return None
    return next((a for a in call.args if a.keyword is not None and a.keyword.value == "out"
                 and isinstance(a.value, cst.Name)), None)


def _parameters(parsed: ParsedFunction) -> list[Param]:
    fn = parsed.node
    p = fn.params
    if isinstance(p.star_arg, cst.Param) or p.star_kwarg is not None:
        raise UnsupportedSyntax("*args and **kwargs parameters are not supported", parsed.span(fn.params),
                                "name each parameter")
    params = []
    for param in [*p.posonly_params, *p.params]:
        default = parsed.module.code_for_node(param.default) if param.default is not None else None
        params.append(Param(param.name.value, "positional", default))
    for param in p.kwonly_params:
        default = parsed.module.code_for_node(param.default) if param.default is not None else None
        params.append(Param(param.name.value, "keyword", default))
    return params


def _all_names(fn: cst.FunctionDef) -> set[str]:
    names: set[str] = set()

    class Collect(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            names.add(node.value)

    fn.visit(Collect())
    return names
