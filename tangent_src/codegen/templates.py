"""Template instantiation and algebraic simplification of derivative expressions.

Stage: codegen. Input: a rule's parsed `Template` and what each of its names
stands for. Output: python `ast` statements and an expression, simplified so
that no `1 * dx`, `x ** 1`, `0 + e` or term of an inactive input is left.

An input whose derivative is zero is substituted by `zero(of)`, a marker that
the simplifier removes: `zero * e` is zero, `e + zero` is `e`, a call whose only
derivative arguments are zero is zero (templates are linear in derivatives),
and a zero left beside a non-zero derivative becomes `np.zeros_like(of)`.
"""

from __future__ import annotations

import ast
import copy
import math
from dataclasses import dataclass, field
from typing import Callable

from ..ir import names_in, pretty_index
from ..rules.registry import Template

ZERO_ID = "__zero__"


def zero(of: ast.expr) -> ast.Name:
    """The marker for 'the derivative of `of`, which is zero'."""
    node = ast.Name(ZERO_ID)
    node.of = of  # type: ignore[attr-defined]
    return node


def is_zero(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == ZERO_ID


@dataclass
class Bindings:
    """What the names of a template stand for in one instantiation."""

    values: dict[str, ast.expr]  # template name -> expression (arguments, z, dx, bz ...)
    renames: dict[str, str]  # template name -> name in generated code (np, helpers)
    dropped: set[str]  # optional parameters the call did not pass
    defaults: dict[str, ast.expr]  # their default values
    fresh: Callable[[str], str]  # allocates a name for a template-local variable
    linear: set[str]  # names holding derivatives (tangents or adjoints)
    numpy: str = "np"
    containers: set[str] = field(default_factory=set)  # names holding lists, tuples or dicts of values
    zeros: Callable[[ast.expr], ast.expr] | None = None  # how a zero derivative of a name is written


def instantiate(template: Template, result: ast.expr, b: Bindings) -> tuple[list[ast.stmt], ast.expr]:
    """The template's local statements and `result` (one of its results), names substituted."""
    local_names = {t.id for s in template.body for t in ast.walk(s) if isinstance(t, ast.Name)
                   and isinstance(t.ctx, ast.Store)}
    renames = dict(b.renames)
    for name in sorted(local_names):
        renames[name] = b.fresh(name)
    substitute = _Substitute(b, renames)
    statements = [substitute.visit(copy.deepcopy(s)) for s in template.body]
    expr = substitute.visit(copy.deepcopy(result))
    statements = [ast.Assign(s.targets, simplify(s.value, b.linear, b.numpy, b.containers, b.zeros))
                  if isinstance(s, ast.Assign) else s
                  for s in statements]
    return statements, simplify(expr, b.linear, b.numpy, b.containers, b.zeros)


class _Substitute(ast.NodeTransformer):
    def __init__(self, b: Bindings, renames: dict[str, str]):
        self.b = b
        self.renames = renames

    def visit_Call(self, node: ast.Call) -> ast.AST:
        node.keywords = [k for k in node.keywords if not (names_in(k.value) & self.b.dropped)]
        self.generic_visit(node)
        return node

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.b.values:
            value = self.b.values[node.id]
            return value if is_zero(value) else copy.deepcopy(value)
        if node.id in self.b.dropped:
            return copy.deepcopy(self.b.defaults[node.id])
        if node.id in self.renames:
            return ast.Name(self.renames[node.id], node.ctx)
        return node


# ---------------------------------------------------------------- simplification


def simplify(expr: ast.expr, linear: set[str], numpy: str = "np", containers: set[str] | None = None,
             zeros: Callable[[ast.expr], ast.expr] | None = None) -> ast.expr:
    """Fold constants and identities bottom-up, and eliminate zero markers."""
    return _Simplify(linear, numpy, containers or set(), zeros).visit(expr)


def _number(node: ast.AST) -> float | int | None:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _number(node.operand)
        return -inner if inner is not None else None
    return None


def _constant(value: float | int) -> ast.expr:
    """A numeric literal; negative ones as unary minus, so that unparsing keeps precedence."""
    return ast.Constant(value) if value >= 0 else ast.UnaryOp(ast.USub(), ast.Constant(-value))


def negated(node: ast.expr) -> ast.expr | None:
    """`node` without its leading minus sign, if it has one (-u, -c, (-u) * v, (-u) / v)."""
    value = _number(node)
    if value is not None:
        return _constant(-value) if value < 0 else None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return node.operand
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)):
        inner = negated(node.left)
        if inner is not None:
            if _number(inner) == 1 and isinstance(node.op, ast.Mult):
                return node.right
            return ast.BinOp(inner, node.op, node.right)
    return None


def _negate(node: ast.expr) -> ast.expr:
    value = _number(node)
    if value is not None:
        return _constant(-value)
    inner = negated(node)
    if inner is not None:
        return inner
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)):
        return ast.BinOp(_negate(node.left), node.op, node.right)
    return ast.UnaryOp(ast.USub(), node)


_FOLD = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b, ast.Pow: lambda a, b: a**b,
}


class _Simplify(ast.NodeTransformer):
    def __init__(self, linear: set[str], numpy: str, containers: set[str],
                 zeros: Callable[[ast.expr], ast.expr] | None = None):
        self.linear = linear
        self.numpy = numpy
        self.containers = containers
        self.zeros = zeros

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.expr:
        self.generic_visit(node)
        if isinstance(node.op, ast.USub):
            if is_zero(node.operand):
                return node.operand
            value = _number(node.operand)
            if value is not None:
                return _constant(-value)
            return _negate(node.operand)
        if isinstance(node.op, ast.UAdd):
            return node.operand
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        self.generic_visit(node)
        left, right, op = node.left, node.right, node.op
        a, b = _number(left), _number(right)
        if a is not None and b is not None and type(op) in _FOLD:
            folded = _fold(type(op), a, b)
            if folded is not None:
                return folded
        handler = {ast.Add: self._add, ast.Sub: self._sub, ast.Mult: self._mul,
                   ast.Div: self._div, ast.Pow: self._pow, ast.MatMult: self._matmul}.get(type(op))
        return handler(node, left, right, a, b) if handler else node

    def _add(self, node, left, right, a, b):  # noqa: ANN001, ANN202
        if is_zero(right) or b == 0:
            return left
        if is_zero(left) or a == 0:
            return right
        if ast.dump(left) == ast.dump(right):  # x * x: the same contribution twice
            return self.visit_BinOp(ast.BinOp(_constant(2), ast.Mult(), left))
        inner = negated(right)
        return ast.BinOp(left, ast.Sub(), inner) if inner is not None else node

    def _sub(self, node, left, right, a, b):  # noqa: ANN001, ANN202
        if is_zero(right) or b == 0:
            return left
        if is_zero(left) or a == 0:
            return right if is_zero(right) else _negate(right)
        inner = negated(right)
        return ast.BinOp(left, ast.Add(), inner) if inner is not None else node

    def _mul(self, node, left, right, a, b):  # noqa: ANN001, ANN202
        if is_zero(left) or is_zero(right):
            return left if is_zero(left) else right
        if a == 1:
            return right
        if b == 1:
            return left
        if a == -1:
            return _negate(right)
        if b == -1:
            return _negate(left)
        if a is not None and isinstance(right, ast.BinOp) and isinstance(right.op, ast.Mult):
            return ast.BinOp(ast.BinOp(left, ast.Mult(), right.left), ast.Mult(), right.right)  # 2 * (x * y)
        # (1 / y) * e  ->  e / y ;  (c / y) * e -> c * e / y reads worse, so only c == 1
        if isinstance(left, ast.BinOp) and isinstance(left.op, ast.Div) and _number(left.left) == 1:
            return ast.BinOp(right, ast.Div(), left.right)
        if isinstance(left, ast.BinOp) and isinstance(left.op, ast.Div) and _number(left.left) == -1:
            return _negate(ast.BinOp(right, ast.Div(), left.right))
        return node

    def _div(self, node, left, right, a, b):  # noqa: ANN001, ANN202
        if is_zero(left):
            return left
        if b == 1:
            return left
        return node

    def _pow(self, node, left, right, a, b):  # noqa: ANN001, ANN202
        if b == 1:
            return left
        return node

    def _matmul(self, node, left, right, a, b):  # noqa: ANN001, ANN202
        if is_zero(left) or is_zero(right):
            return left if is_zero(left) else right
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.expr:
        self.generic_visit(node)
        if is_zero(node.value):  # `dx.T` of a zero: the zero of `x.T`
            return zero(ast.Attribute(node.value.of, node.attr))  # type: ignore[attr-defined]
        return node

    def visit_Subscript(self, node: ast.Subscript) -> ast.expr:
        self.generic_visit(node)
        if is_zero(node.value):  # `dd["a"]` of a zero: the zero of the item `d["a"]`, shaped like it
            return zero(ast.Subscript(node.value.of, pretty_index(node.slice)))  # type: ignore[attr-defined]
        node.slice = pretty_index(node.slice)
        return node

    def visit_Call(self, node: ast.Call) -> ast.expr:
        self.generic_visit(node)
        if is_zero(node.func):  # a method of a zero derivative (`da.flatten()`): linear in it, zero
            return node.func
        arguments = list(node.args) + [k.value for k in node.keywords]
        carrying = [a for a in arguments if is_zero(a) or names_in(a) & self.linear]
        if carrying and all(is_zero(a) for a in carrying):
            return carrying[0]  # a linear function of zero
        if any(is_zero(a) for a in carrying):
            node.args = [self._materialize(a) for a in node.args]
            for k in node.keywords:
                k.value = self._materialize(k.value)
        return node

    def visit_List(self, node: ast.List) -> ast.expr:
        self.generic_visit(node)
        zeros = [is_zero(e.value if isinstance(e, ast.Starred) else e) for e in node.elts]
        if node.elts and all(zeros):
            return zero(ast.List([e for e in node.elts]))
        node.elts = [ast.Starred(self._materialize(e.value), ast.Load()) if isinstance(e, ast.Starred)
                     else self._materialize(e) for e in node.elts]
        return node

    def visit_Tuple(self, node: ast.Tuple) -> ast.expr:
        self.generic_visit(node)
        if node.elts and all(is_zero(e) for e in node.elts):
            return zero(ast.Tuple([e.of for e in node.elts]))  # type: ignore[attr-defined]
        node.elts = [self._materialize(e) for e in node.elts]
        return node

    def visit_IfExp(self, node: ast.IfExp) -> ast.expr:
        self.generic_visit(node)
        if is_zero(node.body) and is_zero(node.orelse):
            return node.body
        node.body, node.orelse = self._materialize(node.body), self._materialize(node.orelse)
        return node

    def visit_Dict(self, node: ast.Dict) -> ast.expr:
        self.generic_visit(node)
        if node.values and all(is_zero(v) for v in node.values):
            return zero(ast.Dict(node.keys, [v.of for v in node.values]))  # type: ignore[attr-defined]
        node.values = [self._materialize(v) for v in node.values]
        return node

    def _materialize(self, node: ast.expr) -> ast.expr:
        if not is_zero(node):
            return node
        if self.zeros is not None and _number(node.of) is None:  # type: ignore[attr-defined]
            return self.zeros(node.of)  # type: ignore[attr-defined]
        return zero_value(node.of, self.numpy, self.containers)  # type: ignore[attr-defined]


def zero_value(of: ast.expr, numpy: str = "np", containers: set[str] | None = None) -> ast.expr:
    """The zero derivative of the value `of`, written as simply as it can be."""
    if isinstance(of, ast.Constant) and (of.value is None or isinstance(of.value, (str, bytes))):
        return ast.Constant(None)  # no number: no derivative (pack_like and the containers read None as 0)
    if isinstance(of, ast.Name) and of.id in (containers or ()):
        return ast.Call(ast.Name("zeros_like_tree"), [of], [])  # a list of zeros
    if isinstance(of, ast.Dict):
        return ast.Call(ast.Name("zeros_like_tree"), [of], [])
    if _number(of) is not None:
        return ast.Constant(0.0)  # a Python number's zero, which takes any array's device
    if isinstance(of, (ast.List, ast.Tuple)) and all(_number(e) is not None for e in of.elts):
        return type(of)([ast.Constant(0.0) for _ in of.elts])  # [1.0, 2.0] -> [0.0, 0.0]; [] -> []
    return ast.Call(ast.Attribute(ast.Name(numpy), "zeros_like"), [of], [])


def _fold(op: type, a: float | int, b: float | int) -> ast.expr | None:
    try:
        value = _FOLD[op](a, b)
    except (ZeroDivisionError, OverflowError):
        return None
    if isinstance(value, complex) or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return _constant(value)
