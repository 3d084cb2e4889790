"""Inference: what each value of a function is (kind, dtype, rank, shape), from what its arguments are.

Stage: analysis (abstract interpretation over the IR). Input: a normalized `Function` and, per
parameter, an `Abstract` (from the arguments of a first call, or from `--like NAME=SHAPE` options
with symbolic dimensions such as "B"). Output: an `Abstract` per name: the facts that hold however
the function runs with arguments of that description. Unknown stays unknown: a dimension the stage
cannot follow is None, a rank it cannot follow is `shape=None`, a value it cannot follow at all is
UNKNOWN; what consumes the facts writes today's general code for those.

Dimensions are ints or symbols (strings). Broadcasting follows numpy exactly where it can be told:
equal dimensions, or 1 against anything; two different symbols broadcast to an unknown dimension
(they may be equal when the code runs, or one of them 1). A loop's values are the join of what
they are on entry and after each trip, iterated until nothing changes: a dimension that differs
between trips becomes None.

The transfer functions cover what numerical code is mostly made of: elementwise primitives (the
rule table's `elementwise` flag), matmul and dot, reductions with axis and keepdims, indexing of
arrays by integers, slices and tuples of them, `.shape`, `.T`, transpose, reshape, the array makers
with a shape, len, tuples and their items, and calls of the user's functions (their own inference,
at most a few levels deep). Everything else is UNKNOWN.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any, Callable

from ..ir import Apply, Effect, Function, If, Loop, Stmt
from .indexing import _is_range, _is_slice, _product, _reshaped, _sliced, _with_entry

Dim = int | str | None


@dataclass(frozen=True)
class Abstract:
    """What a value is: kind "number" (a Python int or float), "array" (a numpy array or scalar, or an
    array of another array type), "scalar" (one or the other with shape (): a Python float on entry to
    a loop, a numpy scalar after a trip), "tuple" (a tuple or list whose items are known), "dict" (a
    dict of string keys: a dict of parameters), or "unknown".
    For an array, `shape` (None: rank unknown) and `dtype` (a numpy dtype name, or None); for a
    number, its `value` where known (a dimension: an int or a symbol); for a tuple, its `items`."""

    kind: str
    shape: tuple[Dim, ...] | None = None
    dtype: str | None = None
    value: Dim = None
    items: tuple["Abstract", ...] | None = None
    keys: tuple[str, ...] | None = None  # a "dict"'s (string) keys, in order, with its items

    @property
    def rank(self) -> int | None:
        return None if self.shape is None else len(self.shape)


UNKNOWN = Abstract("unknown")
COTANGENT = "<cotangent>"  # in a signature: what a vjp's cotangent is (pipeline.py checks it has the result's shape)
TANGENT = "<tangent>"  # and a jvp's k-th tangent, as f"{TANGENT}{k}" (checked against its argument)
NUMBER = Abstract("number")


def array(shape: tuple[Dim, ...] | None, dtype: str | None = "float64") -> Abstract:
    return Abstract("array", tuple(shape) if shape is not None else None, dtype)


def number(value: Dim = None) -> Abstract:
    return Abstract("number", value=value)


def describe(value: Any) -> Abstract:
    """The Abstract of a concrete argument (an array of any library with shape and dtype, a Python
    number, a tuple or list of such); anything else is UNKNOWN."""
    if isinstance(value, bool):
        return UNKNOWN
    shape, dtype = getattr(value, "shape", None), getattr(value, "dtype", None)
    if isinstance(shape, tuple) and all(isinstance(d, int) for d in shape) and dtype is not None:
        return array(shape, str(dtype))  # (a numpy scalar too: np.float64 is a float, but an array here)
    if type(value) in (int, float):
        return number(value if isinstance(value, int) else None)
    if isinstance(value, (tuple, list)) and len(value) <= 64:
        return Abstract("tuple", items=tuple(describe(v) for v in value))
    if type(value) is dict and len(value) <= 64 and all(type(k) is str for k in value):
        return Abstract("dict", items=tuple(describe(v) for v in value.values()), keys=tuple(value))
    return UNKNOWN


def signature(arguments: dict[str, Any]) -> dict[str, Abstract]:
    """What a derivative specialized to a call's arguments may assume of them: kinds, ranks, dtypes,
    and which dimensions are equal to which (and which are 0 or 1, on which broadcasting depends),
    the others symbols (`s0`, `s1`, ... in order of first appearance), so that one derivative serves
    every call whose dimensions have the same pattern of equalities (another batch size, another
    number of steps). Python ints are dimensions too (a number of steps, an index)."""
    symbols: dict[int, str] = {}

    def symbolic(found: Abstract) -> Abstract:
        if found.kind == "array" and found.shape is not None:
            return array(tuple(dim(d) for d in found.shape), found.dtype)
        if found.kind == "number" and isinstance(found.value, int):
            return number(dim(found.value))
        if found.kind in ("tuple", "dict") and found.items is not None:
            return Abstract(found.kind, items=tuple(symbolic(item) for item in found.items), keys=found.keys)
        return found

    def dim(d: Dim) -> Dim:
        if not isinstance(d, int) or d in (0, 1):
            return d
        return symbols.setdefault(d, f"s{len(symbols)}")

    return {name: symbolic(describe(value)) for name, value in arguments.items()}


# ---------------------------------------------------------------- lattice


def join(a: Abstract, b: Abstract) -> Abstract:
    """What is true of a value that is a or b."""
    if a == b:
        return a
    kinds = {a.kind, b.kind}
    if kinds <= {"number", "array", "scalar"} and len(kinds) > 1 and all(v.kind == "number" or v.shape == ()
                                                                         for v in (a, b)):
        dtypes = {v.dtype for v in (a, b) if v.kind != "number"}
        return Abstract("scalar", (), dtypes.pop() if len(dtypes) == 1 else None)
    if a.kind != b.kind:
        return UNKNOWN
    if a.kind == "number":
        return number(a.value if a.value == b.value else None)
    if a.kind in ("tuple", "dict"):
        if a.items is None or b.items is None or len(a.items) != len(b.items) or a.keys != b.keys:
            return Abstract(a.kind)
        return Abstract(a.kind, items=tuple(join(x, y) for x, y in zip(a.items, b.items)), keys=a.keys)
    if a.kind == "scalar":
        return Abstract("scalar", (), a.dtype if a.dtype == b.dtype else None)
    if a.kind == "array":
        shape = None if a.shape is None or b.shape is None or len(a.shape) != len(b.shape) else \
            tuple(x if x == y else None for x, y in zip(a.shape, b.shape))
        return array(shape, a.dtype if a.dtype == b.dtype else None)
    return UNKNOWN


def broadcast(shapes: list[tuple[Dim, ...] | None]) -> tuple[Dim, ...] | None:
    """numpy's broadcast of the shapes, as far as it can be told (None: the rank is unknown)."""
    if any(s is None for s in shapes):
        return None
    rank = max((len(s) for s in shapes), default=0)  # type: ignore[arg-type]
    out: list[Dim] = []
    for k in range(rank):
        dims = [s[len(s) - rank + k] for s in shapes if len(s) - rank + k >= 0]  # type: ignore[arg-type]
        known = {d for d in dims if d != 1}
        if not known:
            out.append(1)
        elif len(known) == 1 and None not in known:
            out.append(known.pop())
        else:
            out.append(None)
    return tuple(out)


_FLOAT_KINDS = {"float16": 1, "float32": 2, "float64": 3, "longdouble": 4}


def _result_dtype(operands: list[Abstract]) -> str | None:
    """The dtype of an elementwise result of float operands (Python numbers do not widen float32,
    as in numpy 2); None where an operand's dtype is not a known float."""
    def widest(kinds: tuple[str, ...]) -> str | None:
        dtypes = [o.dtype for o in operands if o.kind in kinds]
        if not dtypes or any(d not in _FLOAT_KINDS for d in dtypes):
            return None
        return max(dtypes, key=_FLOAT_KINDS.__getitem__)  # type: ignore[arg-type]

    # a "scalar" may be a Python float (which does not widen) or a numpy scalar (which does): known
    # where both give the same
    weak = widest(("array",))
    return weak if weak == widest(("array", "scalar")) or not any(o.kind == "scalar" for o in operands) else None


# ---------------------------------------------------------------- the interpreter


_COMPARISONS = {"lt", "le", "gt", "ge", "eq", "ne", "less", "less_equal", "greater", "greater_equal", "equal",
                "not_equal", "logical_and", "logical_or", "logical_not", "logical_xor", "isnan", "isfinite",
                "isinf", "signbit"}
_REDUCTIONS = {"sum", "mean", "max", "min", "amax", "amin", "prod", "std", "var", "nansum", "nanmean", "nanmax",
               "nanmin"}
_MAKERS = {"zeros", "ones", "empty", "full"}
_LIKE = {"zeros_like", "ones_like", "empty_like", "full_like", "copy", "ascontiguousarray"}


class Inference:
    """The facts of one function; `callee(fn)` gives the normalized Function of a function of the
    user's it calls (None: not followed)."""

    def __init__(self, fn: Function, callee: Callable[[Any], Function | None] | None = None, depth: int = 0):
        self.fn = fn
        self.callee = callee
        self.depth = depth
        self.facts: dict[str, Abstract] = {}

    def run(self, params: dict[str, Abstract]) -> dict[str, Abstract]:
        self.facts = {p.name: params.get(p.name, UNKNOWN) for p in self.fn.params}
        self.block(self.fn.body)
        return self.facts

    def results(self) -> list[Abstract]:
        return [self.atom(r) for r in self.fn.returns]

    # -- statements

    def block(self, block: list[Stmt]) -> None:
        for stmt in block:
            if isinstance(stmt, Apply):
                self.apply(stmt)
            elif isinstance(stmt, If):
                before = dict(self.facts)
                self.block(stmt.body)
                then = self.facts
                self.facts = dict(before)
                self.block(stmt.orelse)
                self.facts = self.joined(then, self.facts)
            elif isinstance(stmt, Loop):
                self.loop(stmt)
            elif isinstance(stmt, Effect):
                pass

    def joined(self, a: dict[str, Abstract], b: dict[str, Abstract]) -> dict[str, Abstract]:
        """After one branch or the other: a name bound on one side only is, where it is bound at
        all, what that side made it."""
        return {n: join(a[n], b[n]) if n in a and n in b else a[n] if n in a else b[n] for n in a.keys() | b.keys()}

    def loop(self, loop: Loop) -> None:
        entry = dict(self.facts)
        target = number() if loop.kind == "for" and _is_range(loop.iterable) else UNKNOWN
        for _ in range(8):  # each round can only lose facts: a few rounds reach the fixpoint
            start = dict(self.facts)
            if loop.target is not None:
                self.facts[loop.target] = target
            self.block(loop.test_body)
            self.block(loop.body)
            self.block(list(loop.carry))
            merged = self.joined(start, self.facts)
            if merged == start:
                break
            self.facts = merged
        else:
            self.facts = {n: (v if entry.get(n) == v else UNKNOWN) for n, v in self.facts.items()}
        # after the loop: the values on entry (no trip) or after any trip
        self.facts = self.joined(entry, self.facts) | {n: v for n, v in self.facts.items() if n not in entry}

    def apply(self, apply: Apply) -> None:
        try:
            found = self.transfer(apply)
        except Exception:  # noqa: BLE001  (a fact it cannot work out is no fact)
            found = [UNKNOWN] * len(apply.targets)
        if len(found) == 1 and len(apply.targets) > 1 and found[0].kind == "tuple" and found[0].items is not None \
                and len(found[0].items) == len(apply.targets):
            found = list(found[0].items)  # `N, T, D = x.shape`
        if len(found) != len(apply.targets):
            found = [UNKNOWN] * len(apply.targets)
        for target, value in zip(apply.targets, found):
            self.facts[target] = value

    # -- values

    def atom(self, expr: ast.expr | None) -> Abstract:
        if expr is None:
            return UNKNOWN
        if isinstance(expr, ast.Name):
            return self.facts.get(expr.id, UNKNOWN)
        if isinstance(expr, ast.Constant):
            if isinstance(expr.value, bool) or expr.value is None:
                return UNKNOWN
            if isinstance(expr.value, int):
                return number(expr.value)
            if isinstance(expr.value, float):
                return NUMBER
            return UNKNOWN
        if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub):
            inner = self.atom(expr.operand)
            return number(-inner.value) if isinstance(inner.value, int) else inner if inner.kind == "number" \
                else UNKNOWN
        if isinstance(expr, (ast.Tuple, ast.List)):
            return Abstract("tuple", items=tuple(self.atom(e) for e in expr.elts))
        return UNKNOWN

    def transfer(self, apply: Apply) -> list[Abstract]:
        rule, args = apply.rule, apply.args
        key = rule.key
        name = key.rpartition(".")[2]
        if rule.callee is not None:
            return self.call(apply)
        if key == "identity":
            return [self.atom(args.get("a"))]
        if key == "constant":  # `total = 0.0`
            return [self.atom(apply.primal) if isinstance(apply.primal, (ast.Constant, ast.UnaryOp)) else UNKNOWN]
        if key == "unpack":
            source = self.atom(args.get("a"))
            if source.kind == "tuple" and source.items is not None and len(source.items) == len(apply.targets):
                return list(source.items)
            if source.kind == "array" and source.shape and source.shape[0] == len(apply.targets):
                return [array(source.shape[1:], source.dtype)] * len(apply.targets)
            return [UNKNOWN] * len(apply.targets)
        if rule.elementwise:
            return [self.elementwise(apply, name)]
        if key in ("operator.matmul", "numpy.matmul", "numpy.dot"):
            a, b = self.atom(args.get("a")), self.atom(args.get("b"))
            if key == "numpy.dot" and any(v.rank is None or v.rank > 2 for v in (a, b) if v.kind == "array"):
                return [array(None, _result_dtype([a, b]))]  # N-d dot is no matmul: a sum over a's last, b's -2
            return [self.matmul(a, b)]
        if key.startswith("numpy.") and name in _REDUCTIONS or key.startswith("ndarray.") and name in _REDUCTIONS:
            return [self.reduction(apply)]
        if key == "getitem":
            return [self.getitem(self.atom(args.get("a")), args.get("index"))]
        if key in ("setitem", "with_item", "dict.setitem"):  # `y[i] = v`: y's value, written into
            target = self.atom(args.get("a"))
            written = self.atom(args.get("value"))
            if target.kind == "dict":
                return [_with_entry(target, args.get("index"), written)]
            if target.kind == "array" and written.kind in ("array", "number"):
                dtype = target.dtype if written.kind == "number" or written.dtype == target.dtype else None
                return [array(target.shape, dtype if target.dtype is not None else None)]
            return [UNKNOWN]
        if key == "ndarray.shape" or key == "numpy.shape":
            value = self.positional(apply, 0)
            if value.kind == "array" and value.shape is not None:
                return [Abstract("tuple", items=tuple(number(d) for d in value.shape))]
            return [Abstract("tuple")] if value.kind == "array" else [UNKNOWN]
        if key in ("ndarray.T", "numpy.transpose") and args.get("axes") is None:
            value = self.atom(args.get("a"))
            if value.kind == "array":
                return [array(value.shape[::-1] if value.shape is not None else None, value.dtype)]
            return [UNKNOWN]
        if key == "builtins.len":
            value = self.positional(apply, 0)
            if value.kind == "array" and value.shape:
                return [number(value.shape[0])]
            if value.kind == "tuple" and value.items is not None:
                return [number(len(value.items))]
            return [number()]
        if key.startswith("numpy.") and (name in _MAKERS or name in _LIKE) and _reshaped(apply):
            return [array(None, None)]  # `zeros_like(x, shape=...)`, `zeros(n, like=...)`: not followed
        if key.startswith("numpy.") and name in _MAKERS:
            return [self.maker(apply)]
        if key == "numpy.arange":  # np.arange(n): n ints
            if set(args) == {"start"}:
                n = self.atom(args["start"])
                if n.kind == "number" and (n.value is None or isinstance(n.value, (int, str))):
                    return [array((n.value,), "int64")]
            return [UNKNOWN]
        if key.startswith("numpy.") and name in _LIKE:
            value = self.positional(apply, 0)
            return [array(value.shape, value.dtype)] if value.kind == "array" else [UNKNOWN]
        if key in ("numpy.reshape", "ndarray.reshape"):
            return [self.reshape(self.atom(args.get("a")), self.atom(args.get("shape")))]
        return [UNKNOWN] * len(apply.targets)

    def positional(self, apply: Apply, k: int) -> Abstract:
        packed = apply.args.get("args")
        if isinstance(packed, ast.Tuple) and len(packed.elts) > k:
            return self.atom(packed.elts[k])
        return UNKNOWN

    def elementwise(self, apply: Apply, name: str) -> Abstract:
        operands = [self.atom(v) for p, v in apply.args.items() if p in apply.rule.params]
        values = [o for o in operands if o.kind in ("array", "number", "scalar")]
        if len(values) != len(operands):
            return UNKNOWN
        arrays = [o for o in values if o.kind == "array"]
        scalars = [o for o in values if o.kind == "scalar"]
        if not arrays and apply.rule.key.startswith("numpy."):
            # np.sin(0.5) is a numpy scalar, not a Python float; the builtin abs(0.5) (the same rule) a float
            spelled = isinstance(apply.primal, ast.Call) and isinstance(apply.primal.func, ast.Attribute)
            floats = scalars and all(o.dtype == "float64" for o in scalars)
            return array((), "float64" if floats else None) if spelled else UNKNOWN
        if not arrays and scalars and name not in _COMPARISONS:  # a Python float, or a numpy scalar of a dtype
            dtypes = {o.dtype for o in scalars}
            return Abstract("scalar", (), dtypes.pop() if len(dtypes) == 1 else None)
        if not arrays:
            return NUMBER if name not in _COMPARISONS else UNKNOWN  # (a Python bool)
        shape = broadcast([o.shape for o in arrays])
        dtype = "bool" if name in _COMPARISONS else _result_dtype(values)
        return array(shape, dtype)

    def matmul(self, a: Abstract, b: Abstract) -> Abstract:
        if a.kind != "array" or b.kind != "array":
            return UNKNOWN
        dtype = _result_dtype([a, b])
        if a.shape is None or b.shape is None or not a.shape or not b.shape:
            return array(None, dtype)
        left, right = list(a.shape), list(b.shape)
        if len(left) == 1 and len(right) == 1:
            return array((), dtype)
        if len(left) == 1:
            return array(tuple(right[:-2]) + (right[-1],), dtype)
        if len(right) == 1:
            return array(tuple(left[:-1]), dtype)
        batch = broadcast([tuple(left[:-2]), tuple(right[:-2])])
        return array((batch or ()) + (left[-2], right[-1]) if batch is not None else None, dtype)

    def reduction(self, apply: Apply) -> Abstract:
        value = self.atom(apply.args.get("a"))
        if value.kind == "number" and apply.rule.key.startswith("numpy."):
            return array((), None)  # np.max(0.5) is a numpy scalar
        if value.kind != "array":
            return UNKNOWN
        axis = apply.args.get("axis")
        keepdims = apply.args.get("keepdims")
        keep = isinstance(keepdims, ast.Constant) and keepdims.value is True
        if keepdims is not None and not isinstance(keepdims, ast.Constant):
            return array(None, None)
        dtype = value.dtype if value.dtype in _FLOAT_KINDS else None
        if value.shape is None:
            return array(None if axis is not None or keep else (), dtype)
        if axis is None or isinstance(axis, ast.Constant) and axis.value is None:
            return array(tuple(1 for _ in value.shape) if keep else (), dtype)
        axes = [self.atom(e).value for e in axis.elts] if isinstance(axis, ast.Tuple) else [self.atom(axis).value]
        if any(not isinstance(k, int) for k in axes):
            return array(None, dtype)
        rank = len(value.shape)
        chosen = {k % rank for k in axes}  # type: ignore[operator]
        shape = tuple((1 if k in chosen else d) for k, d in enumerate(value.shape) if keep or k not in chosen)
        return array(shape, dtype)

    def getitem(self, value: Abstract, index: ast.expr | None) -> Abstract:
        if value.kind == "dict":
            k = index.value if isinstance(index, ast.Constant) else None
            if value.items is not None and value.keys is not None and k in value.keys:
                return value.items[value.keys.index(k)]
            return UNKNOWN
        if value.kind == "tuple":
            k = self.atom(index).value
            if value.items is not None and isinstance(k, int) and -len(value.items) <= k < len(value.items):
                return value.items[k]
            return UNKNOWN
        if value.kind != "array" or value.shape is None or index is None:
            return UNKNOWN
        parts = index.elts if isinstance(index, ast.Tuple) else [index]
        fancy = self.fancy(parts, value)
        if fancy is not None:
            return fancy
        shape = list(value.shape)
        out: list[Dim] = []
        axis = 0
        for part in parts:
            if axis >= len(shape):
                return UNKNOWN
            if _is_slice(part):
                out.append(_sliced(shape[axis], part, self))
                axis += 1
                continue
            found = self.atom(part)
            if found.kind != "number" or found.value is not None and not isinstance(found.value, int):
                return array(None, value.dtype)  # an array index (fancy indexing, masks): rank unknown
            axis += 1  # an integer: the axis goes
        return array(tuple(out) + tuple(shape[axis:]), value.dtype)

    def fancy(self, parts: list[ast.expr], value: Abstract) -> Abstract | None:
        """`E[tokens]`, `p[np.arange(n), y]`: integer arrays (next to each other) and whole slices `:`;
        the arrays' broadcast shape stands where they are. None: not of that form."""
        found = [None if _is_slice(p) else self.atom(p) for p in parts]
        arrays = [k for k, f in enumerate(found) if f is not None]
        if not arrays or any(f is not None and not (f.kind == "array" and f.shape is not None and f.dtype is not None
                                                    and f.dtype.startswith(("int", "uint"))) for f in found) \
                or arrays != list(range(arrays[0], arrays[-1] + 1)) or len(parts) > len(value.shape):  # type: ignore
            return None
        if any(_sliced(1, p, self) != 1 for p in parts if _is_slice(p)):  # (only `:`)
            return None
        middle = broadcast([found[k].shape for k in arrays])  # type: ignore[union-attr]
        if middle is None:
            return None
        shape = value.shape  # type: ignore[assignment]
        return array(tuple(shape[:arrays[0]]) + middle + tuple(shape[arrays[-1] + 1:]), value.dtype)

    def maker(self, apply: Apply) -> Abstract:
        shape = self.positional(apply, 0)
        # np.zeros(n), ones, empty are float64 (no dtype= given: see _reshaped); np.full takes its fill's
        dtype = None if apply.rule.key.endswith(".full") else "float64"
        if shape.kind == "number":
            return array((shape.value,), dtype)
        if shape.kind == "tuple" and shape.items is not None and all(i.kind == "number" for i in shape.items):
            return array(tuple(i.value for i in shape.items), dtype)
        return array(None, dtype)

    def reshape(self, value: Abstract, shape: Abstract) -> Abstract:
        if value.kind != "array" or shape.kind != "tuple" or shape.items is None:
            return array(None, value.dtype) if value.kind == "array" else UNKNOWN
        dims = [i.value if i.kind == "number" else None for i in shape.items]
        if -1 in dims:
            total = _product(value.shape)
            rest = _product(tuple(d for d in dims if d != -1))
            dims = [total // rest if d == -1 and isinstance(total, int) and isinstance(rest, int) and rest
                    else (None if d == -1 else d) for d in dims]
        return array(tuple(dims), value.dtype)

    def call(self, apply: Apply) -> list[Abstract]:
        unknown = [UNKNOWN] * len(apply.targets)
        if self.callee is None or self.depth >= 4:
            return unknown
        ir = self.callee(apply.rule.callee)
        if ir is None:
            return unknown
        inner = Inference(ir, self.callee, self.depth + 1)
        inner.run({p: self.atom(v) for p, v in apply.args.items()})
        results = inner.results()
        if len(apply.targets) == 1:
            return [results[0] if len(results) == 1 and not ir.returns_tuple
                    else Abstract("tuple", items=tuple(results))]
        return results if len(results) == len(apply.targets) else unknown


def infer(fn: Function, params: dict[str, Abstract],
          callee: Callable[[Any], Function | None] | None = None) -> dict[str, Abstract]:
    """The facts of every name of the function, given what its parameters are."""
    return Inference(fn, callee).run(params)


__all__ = ["Abstract", "COTANGENT", "TANGENT", "UNKNOWN", "array", "broadcast", "describe", "infer", "join", "number",
           "signature"]
