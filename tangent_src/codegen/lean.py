"""Lean adjoints: runtime helpers written as the numpy they come to, where the shapes are known.

Stage: codegen, for a derivative specialized to its arguments (issue 14). Input: the body of a
derivative and what inference knows of each primal name (analysis/inference.py, `Abstract`). The
runtime helpers are general: `matmul_adjoint_lhs(g, a, b)` looks at the ranks of a and b each time,
`zeros_like_tree(x)` at whether x is a number, an array or a container. Where inference knows, the
call is replaced by what it would do:

- `scalar_seed(out, ...)`, for a result known to be a number or an array of shape () of a float
  dtype: `1.0` (a Python float, which takes the dtype of what it meets; `np.ones_like(x)` of a
  differentiated argument x of shape (), whose adjoint may be the seed itself); the result's value
  is then read by nothing, and dead-code removal drops what only it needs;
- `check_real(...)` of arguments known to be real: nothing;
- `zeros_like_tree(x)`: `np.zeros_like(x)` for an array, `0.0` for a number;
- `matmul_adjoint_lhs(g, a, b)` / `..._rhs`: `g @ b.T`, `a.T @ g`, `np.outer(g, b)`, `b @ g`, ... by
  the ranks of a and b;
- `unreduce(g, like=x, axis=k)`: `np.broadcast_to(g[:, None], x.shape)`, `np.full_like(x, g)`, ...;
- `reduced_size(x, z)`: `x.size` (z of shape ()) or `x.size // z.size`;
  (for a whole reduction, a parameter of x's shape and dtype stands for x, if there is one: then x
  need not be computed for its shape: the logistic loss's logarithms are not, in its gradient);
- `b = add_at(b, g, like=x, index=i)` (after codegen/inplace.py made it): `b[i] += g`, where b is
  certainly an array of x's shape and dtype float64 (every binding of b is zeros of x or such an
  addition) and the index is integers and slices (never an integer array, whose repeated entries
  need np.add.at).

Anything not known keeps its helper call: the general code.
"""

from __future__ import annotations

import ast
import copy
from typing import Any

_FLOATS = {"float16", "float32", "float64", "longdouble"}


class _Facts:
    def __init__(self, facts: dict, numpy_name: str, wrt: tuple[str, ...] = (), params: tuple[str, ...] = ()):
        self.facts, self.np, self.wrt, self.params = facts, numpy_name, wrt, params

    def of(self, node: ast.expr) -> Any:
        return self.facts.get(node.id) if isinstance(node, ast.Name) else None

    def rank(self, node: ast.expr) -> int | None:
        fact = self.of(node)
        return fact.rank if fact is not None and fact.kind == "array" else None

    def real_array(self, node: ast.expr) -> bool:
        fact = self.of(node)
        return fact is not None and fact.kind == "array" and fact.shape is not None and fact.dtype in _FLOATS

    def number(self, node: ast.expr) -> bool:
        fact = self.of(node)
        return fact is not None and fact.kind == "number"

    def scalar(self, node: ast.expr) -> bool:
        """A Python number, or of shape () and a float dtype (or one not known: not complex, which
        inference never follows)."""
        fact = self.of(node)
        return fact is not None and (fact.kind == "number" or fact.kind in ("array", "scalar") and fact.shape == ()
                                     and (fact.dtype in _FLOATS or fact.dtype is None))

    def witness(self, node: ast.expr) -> ast.expr:
        """A name of the same shape and dtype to take them from: a parameter not differentiated,
        where one has them (so that the value itself, if nothing else reads it, need not be computed)."""
        fact = self.of(node)
        if fact is None or fact.kind != "array" or fact.shape is None or None in fact.shape:
            return node
        for name in self.params:  # (data, not a weight: the loss terms are shaped like the labels y)
            if name not in self.wrt and self.facts.get(name) == fact:
                return ast.Name(name)
        return node

    def call(self, name: str, *args: ast.expr) -> ast.expr:
        return ast.Call(ast.Attribute(ast.Name(self.np), name), list(args), [])


def _keywords(call: ast.Call) -> dict[str, ast.expr]:
    return {k.arg: k.value for k in call.keywords if k.arg is not None}


def _attr(value: ast.expr, name: str) -> ast.expr:
    return ast.Attribute(value, name)


def _matmul(a: ast.expr, b: ast.expr) -> ast.expr:
    return ast.BinOp(a, ast.MatMult(), b)


def _helper(call: ast.Call, known: _Facts) -> ast.expr | None:
    """What the call of a runtime helper comes to, where the facts tell (None: keep it)."""
    name = call.func.id  # type: ignore[attr-defined]
    args, keywords = call.args, _keywords(call)
    if name == "scalar_seed" and len(args) >= 1 and not keywords and known.scalar(args[0]):
        # 1.0, or, where a differentiated argument has shape () (whose adjoint may be the seed itself),
        # a 1 of that argument's type (a device's 0-d array stays one)
        witness = next((w for w in known.wrt if known.of(ast.Name(w)) is not None
                        and known.of(ast.Name(w)).kind == "array" and known.of(ast.Name(w)).shape == ()), None)
        return ast.Constant(1.0) if witness is None else known.call("ones_like", ast.Name(witness))
    if name == "zeros_like_tree" and len(args) == 1:
        if known.real_array(args[0]):
            return known.call("zeros_like", args[0])
        return ast.Constant(0.0) if known.number(args[0]) else None
    if name in ("matmul_adjoint_lhs", "matmul_adjoint_rhs") and len(args) == 3 and not keywords:
        return _matmul_adjoint(name.endswith("lhs"), *args, known)
    if name == "unreduce" and args and "like" in keywords:
        return _unreduce(args[0], keywords, known)
    if name == "reduced_size" and len(args) == 2 and known.real_array(args[0]):
        z = known.of(args[1])
        if z is not None and z.kind == "array" and z.shape == ():
            return _attr(known.witness(args[0]), "size")
        if known.real_array(args[1]):
            return ast.BinOp(_attr(known.witness(args[0]), "size"), ast.FloorDiv(),
                             _attr(known.witness(args[1]), "size"))
    return None


def _matmul_adjoint(lhs: bool, g: ast.expr, a: ast.expr, b: ast.expr, known: _Facts) -> ast.expr | None:
    """The adjoint of z = a @ b for a (lhs) or b, for matrices and vectors of known rank."""
    ranks = known.rank(a), known.rank(b)
    if not (known.real_array(a) and known.real_array(b)) or any(r not in (1, 2) for r in ranks):
        return None
    if lhs:
        return {(2, 2): lambda: _matmul(g, _attr(b, "T")), (2, 1): lambda: known.call("outer", g, b),
                (1, 2): lambda: _matmul(b, g), (1, 1): lambda: ast.BinOp(g, ast.Mult(), b)}[ranks]()
    return {(2, 2): lambda: _matmul(_attr(a, "T"), g), (2, 1): lambda: _matmul(_attr(a, "T"), g),
            (1, 2): lambda: known.call("outer", a, g), (1, 1): lambda: ast.BinOp(a, ast.Mult(), g)}[ranks]()


def _unreduce(g: ast.expr, keywords: dict[str, ast.expr], known: _Facts) -> ast.expr | None:
    """g spread back over the reduced axes of like, by the rank inference knows."""
    like = keywords["like"]
    rank = known.rank(like)
    if rank is None or not known.real_array(like):
        return None
    axis, keepdims = keywords.get("axis"), keywords.get("keepdims")
    if keepdims is not None and not isinstance(keepdims, ast.Constant):
        return None
    keep = keepdims is not None and keepdims.value is True  # type: ignore[attr-defined]
    whole = axis is None or isinstance(axis, ast.Constant) and axis.value is None
    elements = [] if whole else axis.elts if isinstance(axis, ast.Tuple) else [axis]  # type: ignore[union-attr]
    if not all(isinstance(e, ast.Constant) and type(e.value) is int for e in elements):
        return None
    axes = sorted({e.value % rank for e in elements})  # type: ignore[attr-defined,operator]
    if not keep and (whole or len(axes) == rank):
        # a number spread (the seed's): np.full_like; an adjoint of shape () of unknown type keeps the
        # helper, which broadcasts an array (of the device it is on) and fills like for a number
        return known.call("full_like", known.witness(like), g) if _numeric(g) else None
    shape = _attr(like, "shape")
    if keep:
        return known.call("broadcast_to", g, shape)
    if len(axes) == 1:
        index: list[ast.expr] = [ast.Slice() for _ in range(axes[0])] + [ast.Constant(None)]
        expanded: ast.expr = ast.Subscript(g, index[0] if len(index) == 1 else ast.Tuple(index, ast.Load()))
    else:
        expanded = known.call("expand_dims", g, ast.Tuple([ast.Constant(a) for a in axes], ast.Load()))
    return known.call("broadcast_to", expanded, shape)


class _Fold(ast.NodeTransformer):
    def __init__(self, known: _Facts):
        self.known = known

    def visit_Call(self, node: ast.Call) -> ast.expr:
        self.generic_visit(node)
        if isinstance(node.func, ast.Name):
            found = _helper(node, self.known)
            if found is not None:
                return ast.copy_location(found, node)
        return node


def _real_check(stmt: ast.stmt, known: _Facts) -> bool:
    """`check_real(x, ...)` of values known to be real arrays or Python numbers (or tuples and dicts
    of them)."""
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and isinstance(stmt.value.func, ast.Name) \
        and stmt.value.func.id == "check_real" and all(_real(known.of(a)) for a in stmt.value.args)


def _real(fact: Any) -> bool:
    if fact is None:
        return False
    if fact.kind in ("tuple", "dict"):
        return fact.items is not None and all(_real(item) for item in fact.items)
    return fact.kind == "number" or fact.kind == "array" and fact.dtype in _FLOATS


def fold(body: list[ast.stmt], facts: dict, numpy_name: str, wrt: tuple[str, ...],
         params: tuple[str, ...]) -> list[ast.stmt]:
    """The body with the runtime helpers whose work the facts tell written as that work (wrt: the
    differentiated parameters; params: all the function's)."""
    known = _Facts(facts, numpy_name, wrt, params)
    out = []
    for stmt in body:
        if _real_check(stmt, known):
            continue
        out.append(_Fold(known).visit(stmt))
    return out


def propagate_constants(body: list[ast.stmt], returns: list[ast.expr], names: set[str]) -> list[ast.stmt]:
    """`bout = 1.0` (a seed) used as the number it is, folded where it meets others (`bt = -1.0`, then
    that too): each of `names` (generated names) bound once, to a number (in a loop too: a read
    before the binding would be of an unbound name)."""
    from .templates import simplify

    counts: dict[str, int] = {}
    _count_bindings(body, counts)
    while True:
        constant = next((stmt for stmt in (n for s in body for n in ast.walk(s))
                         if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                         and isinstance(stmt.targets[0], ast.Name) and stmt.targets[0].id in names
                         and counts.get(stmt.targets[0].id) == 1 and _numeric(stmt.value)), None)
        if constant is None:
            return body
        name, value = constant.targets[0].id, constant.value  # type: ignore[attr-defined]
        body = _without(body, constant)
        substitute = _Substitute(name, value)
        body = [substitute.visit(stmt) for stmt in body]
        for stmt in (n for s in body for n in ast.walk(s)):
            if isinstance(stmt, (ast.Assign, ast.AugAssign)) and id(stmt) in substitute.changed:
                stmt.value = simplify(stmt.value, names)
        returns[:] = [substitute.visit(r) for r in returns]


def _without(body: list[ast.stmt], gone: ast.stmt) -> list[ast.stmt]:
    out = []
    for stmt in body:
        if stmt is gone:
            continue
        for field in ("body", "orelse"):
            block = getattr(stmt, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                setattr(stmt, field, _without(block, gone) or ([ast.Pass()] if field == "body" else []))
        out.append(stmt)
    return out


def _numeric(node: ast.expr) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return _numeric(node.operand)
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)


def _count_bindings(body: list[ast.stmt], counts: dict[str, int]) -> None:
    found: dict[str, list[ast.stmt]] = {}
    _bindings(body, found)
    counts.update({name: len(stmts) for name, stmts in found.items()})


class _Substitute(ast.NodeTransformer):
    def __init__(self, name: str, value: ast.expr):
        self.name, self.value = name, value
        self.changed: set[int] = set()
        self._statement: int | None = None

    def visit(self, node: ast.AST) -> ast.AST:
        if isinstance(node, ast.stmt):
            outer, self._statement = self._statement, id(node)
            try:
                return super().visit(node)
            finally:
                self._statement = outer
        return super().visit(node)

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if node.id == self.name and not isinstance(getattr(node, "ctx", None), (ast.Store, ast.Del)):
            if self._statement is not None:
                self.changed.add(self._statement)
            return copy.deepcopy(self.value)
        return node


# ---------------------------------------------------------------- adding into an adjoint's item


def inline_add_at(body: list[ast.stmt], facts: dict, numpy_name: str) -> list[ast.stmt]:
    """`b = add_at(b, g, like=x, index=i)` as `b[i] += g` where nothing else can happen: b is an
    array of x's shape and dtype float64 (each of b's bindings is zeros of x or such an addition), and
    the index takes no integer array."""
    known = _Facts(facts, numpy_name)
    bindings: dict[str, list[ast.stmt]] = {}
    _bindings(body, bindings)
    good = {name for name, stmts in bindings.items() if _only_zeros_and_adds(name, stmts, known)}
    return _inline(body, good, known) if good else body


def _bindings(body: list[ast.stmt], found: dict[str, list[ast.stmt]]) -> None:
    for stmt in body:
        for node in ast.walk(stmt):
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For, ast.comprehension)):
                targets = [node.target]
            elif isinstance(node, ast.NamedExpr):
                targets = [node.target]
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        found.setdefault(name.id, []).append(node)  # type: ignore[arg-type]


def _add_at(stmt: ast.stmt) -> tuple[str, ast.Call] | None:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
            and isinstance(stmt.value, ast.Call) and isinstance(stmt.value.func, ast.Name) \
            and stmt.value.func.id == "add_at" and len(stmt.value.args) == 2 \
            and isinstance(stmt.value.args[0], ast.Name) and stmt.value.args[0].id == stmt.targets[0].id:
        return stmt.targets[0].id, stmt.value
    return None


def _only_zeros_and_adds(name: str, stmts: list[ast.stmt], known: _Facts) -> bool:
    likes: set[str] = set()
    for stmt in stmts:
        found = _add_at(stmt)
        if found is not None:
            like = _keywords(found[1]).get("like")
            if not isinstance(like, ast.Name) or not _basic_index(_keywords(found[1]).get("index"), known):
                return False
            likes.add(like.id)
            continue
        value = stmt.value if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
            and isinstance(stmt.targets[0], ast.Name) else None
        if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
                and isinstance(value.func.value, ast.Name) and value.func.value.id == known.np
                and value.func.attr == "zeros_like" and len(value.args) == 1 and not value.keywords
                and isinstance(value.args[0], ast.Name)):
            return False
        likes.add(value.args[0].id)
    if len(likes) != 1:
        return False
    fact = known.of(ast.Name(likes.pop()))
    return fact is not None and fact.kind == "array" and fact.dtype == "float64" and fact.shape is not None


def _basic_index(index: ast.expr | None, known: _Facts) -> bool:
    """An index of integers (Python ints) and slices of them: no element is taken twice."""
    if index is None:
        return False
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    for part in parts:
        if isinstance(part, ast.Slice):
            if not all(b is None or _integer(b, known) for b in (part.lower, part.upper, part.step)):
                return False
        elif not _integer(part, known):
            return False
    return True


def _integer(node: ast.expr, known: _Facts) -> bool:
    if isinstance(node, ast.Constant):
        return type(node.value) is int or node.value is None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return _integer(node.operand, known)
    return known.number(node)  # (a number that indexed an array is an int)


class _Inline(ast.NodeTransformer):
    def __init__(self, good: set[str]):
        self.good = good

    def visit_Assign(self, node: ast.Assign) -> ast.stmt:
        found = _add_at(node)
        if found is None or found[0] not in self.good:
            return node
        name, call = found
        index = _keywords(call)["index"]
        target = ast.Subscript(ast.Name(name), index, ast.Store())
        new = ast.AugAssign(target, ast.Add(), call.args[1])
        for attribute in ("comment", "origin"):
            if hasattr(node, attribute):
                setattr(new, attribute, getattr(node, attribute))
        return ast.copy_location(new, node)


def _inline(body: list[ast.stmt], good: set[str], known: _Facts) -> list[ast.stmt]:
    inline = _Inline(good)
    return [inline.visit(stmt) for stmt in body]


__all__ = ["fold", "inline_add_at", "propagate_constants"]
