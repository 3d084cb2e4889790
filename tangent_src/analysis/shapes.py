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

from ..ir import Apply, Function, Loop, is_literal, names_in, walk

Basis = frozenset[str]


def bases(fn: Function) -> dict[str, Basis]:
    """name -> basis, for every name the body binds (others are their own basis).

    A name bound more than once (carried around a loop, merged after an if)
    may change shape from one binding to the next: it is its own basis.
    """
    found: dict[str, Basis] = {}
    applies = [s for s in walk(fn.body) if isinstance(s, Apply)]
    counts = Counter(t for a in applies for t in a.targets)
    integers = _integers(fn, applies, counts)
    held = containers(fn)
    arrays = {t for a in applies if a.rule.elementwise or a.rule.key in _ARRAY_RULES for t in a.targets}
    for apply in applies:
        index = apply.args.get("index")
        value = apply.args.get("a")
        # (only for an array: the items of a tuple or list, `params[0]` and `params[1]`, may differ in shape;
        # an item chosen by a loop's counter, `xs[t]`, is taken as one of a sequence of like values)
        if apply.rule.key == "getitem" and isinstance(value, ast.Name) and counts[apply.target] == 1 \
                and index is not None and _all_integers(index, integers) and value.id not in held \
                and (value.id in arrays or any(isinstance(n, ast.Name) for n in ast.walk(index))):
            # x[i] and x[j] have the same shape when i and j are integers: x's without its first axes
            depth = len(index.elts) if isinstance(index, ast.Tuple) else 1
            found[apply.target] = frozenset({f"{value.id}[{'int, ' * (depth - 1)}int]"})
            continue
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


def containers(fn: Function) -> set[str]:
    """Names that hold Python lists, tuples or dicts of values (built with [] and .append,
    or unpacked, or indexed by a string): their zero is a container of zeros."""
    found: set[str] = set()
    applies = [s for s in walk(fn.body) if isinstance(s, Apply)]
    parameters = {p.name for p in fn.params}
    lengths = {a.target: a.args for a in applies if a.rule.key == "builtins.len"}
    for stmt in walk(fn.body):  # `for w in ws`, zip(ws, bs), range(len(ws)): ws may be a list of arrays
        if isinstance(stmt, Loop) and isinstance(stmt.iterable, ast.Call):
            for arg in ast.walk(stmt.iterable):
                if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name) and arg.func.id == "len":
                    found.update(n for n in names_in(arg.args[0]) if n in parameters)
                if isinstance(arg, ast.Name) and arg.id in lengths:
                    found.update(n for v in lengths[arg.id].values() for n in names_in(v) if n in parameters)
    for apply in applies:
        source = apply.args.get("a")
        index = apply.args.get("index")
        constant_index = isinstance(index, ast.Constant) and (
            isinstance(index.value, str) or (type(index.value) is int and isinstance(source, ast.Name)
                                               and source.id in parameters))
        if isinstance(source, ast.Name) and (apply.rule.key == "unpack" or (
                apply.rule.key == "getitem" and constant_index)):
            found.add(source.id)
        if apply.rule.key in ("dict.setitem", "dict.get", "dict.copy", "dict.setdefault") \
                and isinstance(source, ast.Name):  # `self.cache["x"] = v`: the dict written, and the next one
            found.add(source.id)
            found.update(t for t in apply.targets if apply.rule.key in ("dict.setitem", "dict.copy"))
    for apply in applies:  # the runtime helpers of generated code that make a tuple, list or dict of adjoints
        if apply.rule.key.rpartition(".")[2] in _TREE_HELPERS and apply.rule.key.startswith("tangent_src.runtime"):
            found.update(apply.targets)
    size = -1
    while size != len(found):
        size = len(found)
        for apply in applies:
            key = apply.rule.key
            if key.startswith("tangent_src.runtime") and key.rpartition(".")[2] in _LIKE_HELPERS and any(
                    isinstance(v, ast.Name) and v.id in found for v in apply.args.values()):
                found.update(apply.targets)  # an adjoint shaped like a container is one
            source = apply.args.get("a")
            if key == "getitem" and apply.target in found and isinstance(source, ast.Name):
                found.add(source.id)  # params[i] is unpacked: params holds containers
            copied = key == "identity" and isinstance(apply.args.get("a"), ast.Name) and apply.args["a"].id in found
            kept = key in ("setitem", "dict.setitem", "dict.copy") and isinstance(source, ast.Name) \
                and source.id in found
            if key == "list.append" or key.startswith(("list.display", "dict.display")) or copied or kept \
                    or key == "dict.setitem" \
                    or key == "dict.copy" or (key == "constant" and isinstance(apply.primal, (ast.List, ast.Dict))):
                found.update(apply.targets)
    return found


_ARRAY_RULES = {"operator.matmul", "numpy.matmul", "numpy.dot", "numpy.stack", "numpy.concatenate", "numpy.array",
                "numpy.reshape", "ndarray.reshape", "numpy.transpose", "ndarray.T", "numpy.zeros_like",
                "numpy.ones_like"}
_TREE_HELPERS = {"zeros_like_tree", "pack_like", "unpack_like", "unstack", "unconcatenate", "unlist", "unsum"}
_LIKE_HELPERS = {"unindex", "add_at", "with_item", "unbroadcast", "broadcast_like"}
_INTEGER_RULES = {"builtins.len", "ndarray.ndim", "ndarray.size", "numpy.ndim", "numpy.size"}
_INTEGER_ARITHMETIC = {"operator.add", "operator.sub", "operator.mul", "operator.floordiv", "operator.mod",
                       "operator.neg"}


def _integers(fn: Function, applies: list[Apply], counts: Counter) -> set[str]:
    """Names certainly holding Python integers: range loop variables, lengths, sizes, the
    items of shapes, and integer arithmetic on those."""
    found: set[str] = set()
    shapes: set[str] = set()
    for stmt in walk(fn.body):
        if isinstance(stmt, Loop) and stmt.kind == "for" and isinstance(stmt.iterable, ast.Call) \
                and isinstance(stmt.iterable.func, ast.Name) and stmt.iterable.func.id == "range" and stmt.target:
            found.add(stmt.target)
    for apply in applies:
        if counts[apply.target] != 1 and apply.target not in found:
            continue
        key = apply.rule.key
        args = list(apply.args.values())
        if key in ("ndarray.shape", "numpy.shape"):
            shapes.add(apply.target)
        elif key in _INTEGER_RULES or (key == "getitem" and isinstance(args[0], ast.Name) and args[0].id in shapes
                                         and _all_integers(args[1], found)):
            found.add(apply.target)
        elif key in _INTEGER_ARITHMETIC and all(_all_integers(a, found) for a in _operands(args)):
            found.add(apply.target)
    return found


def _operands(args: list[ast.expr]) -> list[ast.expr]:
    if len(args) == 1 and isinstance(args[0], ast.Tuple):
        return list(args[0].elts)  # a non-differentiable rule binds all its arguments as one tuple
    return args


def _all_integers(index: ast.expr, integers: set[str]) -> bool:
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    for part in parts:
        if isinstance(part, ast.Name):
            if part.id not in integers:
                return False
        elif isinstance(part, ast.UnaryOp) and isinstance(part.operand, ast.Constant):
            if type(part.operand.value) is not int:
                return False
        elif not (isinstance(part, ast.Constant) and type(part.value) is int):
            return False
    return True
