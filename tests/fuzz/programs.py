"""Random valid numpy programs, written as Python source, for differential fuzzing.

A program is built statement by statement while it is evaluated on concrete
float64 inputs, so every choice can look at the values it acts on: `np.log`
is applied only to values well above zero, `np.abs` and `np.maximum` only
away from their kinks, `np.max` and `np.sort` only where no two candidates
are within a margin of each other, an `if` on data only where its condition
is far from flipping. The margins are much larger than the steps of the
finite differences, so the program is differentiable (and its branches fixed)
in a neighbourhood of the inputs.

Each candidate statement carries a *guard*, a boolean expression over the
values it reads, checked by the small interpreter below; a candidate whose
guard fails, or whose result is not finite, too large or of an unwanted shape,
is replaced by a fallback (`np.tanh` of its first operand), so drawing never
fails and shrinking stays smooth. Loops and helper functions are checked by
running them whole in the interpreter, every trip and every call.

The generator draws its choices through a `Draw` (integers in a range): one
backed by hypothesis (`HypothesisDraw`, which gives shrinking) and one backed
by `random.Random` (`RandomDraw`, for the long campaign).

Programs use: arithmetic with broadcasting over shapes (), (3,), (2, 3),
(1, 3), (2, 1) and those derived from them; ufuncs and scipy.special
functions; reductions with `axis`/`keepdims`; matmul, dot, outer, einsum;
transposes, reshapes, indexing (integers, negative integers, slices, integer
lists with repeated indices, boolean masks); concatenate, stack, flip, roll,
tile, repeat, take, sort, pad, diff, cumsum; where, maximum, minimum, clip;
augmented assignment and writes into arrays the function made; `if`/`else` on
shapes, loop counters or data; `for` loops over `range` and over rows, carrying
values; calls of helper functions defined in the same module.
"""

from __future__ import annotations

import copy
import math
import random
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.special

MARGIN = 0.05  # distance kept from kinks, ties and flipping conditions
BOUND = 200.0  # largest magnitude of any value
MAX_SIZE = 16  # largest number of elements of any array
MAX_NDIM = 2
INPUT_SHAPES = [(), (3,), (2, 3), (1, 3), (2, 1), (2,), (3, 2)]
CONSTANTS = ["0.5", "1.5", "2.0", "-0.7", "0.3", "3.0"]


# ------------------------------------------------------------------ drawing choices


class Draw:
    """Source of choices: integers in [lo, hi]; everything else is built on it."""

    def integer(self, lo: int, hi: int) -> int:
        raise NotImplementedError

    def choice(self, items: list) -> Any:
        return items[self.integer(0, len(items) - 1)]

    def coin(self, percent_true: int) -> bool:
        """True with about the given probability; shrinks towards False."""
        return self.integer(0, 99) >= 100 - percent_true


class RandomDraw(Draw):
    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)


class HypothesisDraw(Draw):
    def __init__(self, data: Any):
        from hypothesis import strategies as st

        self.data = data
        self.st = st

    def integer(self, lo: int, hi: int) -> int:
        return self.data.draw(self.st.integers(lo, hi))


# ------------------------------------------------------------------ the program form


@dataclass
class Stmt:
    """One line of code (an assignment, augmented assignment or subscript write)."""

    code: str
    guard: str | None = None


@dataclass
class If:
    cond: str
    guard: str | None
    then: list
    orelse: list


@dataclass
class For:
    target: str
    iterable: str
    body: list


@dataclass
class Return:
    expr: str


@dataclass
class Helper:
    name: str
    params: list[str]
    body: list
    result: str


@dataclass
class Program:
    """A generated module: helpers, then `f(params)`; the inputs and which ones are differentiated."""

    helpers: list[Helper]
    params: list[str]
    body: list
    inputs: list[Any]
    wrt: tuple[int, ...]
    scalar: bool  # f returns a scalar (checked with grad); else checked with vjp

    def source(self) -> str:
        lines: list[str] = []
        for helper in self.helpers:
            lines.append(f"def {helper.name}({', '.join(helper.params)}):")
            lines.extend(render(helper.body, 1))
            lines.append(f"    return {helper.result}")
            lines.append("")
            lines.append("")
        lines.append(f"def f({', '.join(self.params)}):")
        lines.extend(render(self.body, 1))
        return "\n".join(lines) + "\n"

    def describe_inputs(self) -> str:
        parts = []
        for name, value in zip(self.params, self.inputs):
            parts.append(f"{name} = {value!r}" if isinstance(value, float) else f"{name} = np.{value!r}")
        return "\n".join(parts) + f"\nwrt = {self.wrt}"


def render(block: list, depth: int) -> list[str]:
    pad = "    " * depth
    lines: list[str] = []
    for s in block:
        if isinstance(s, Stmt):
            lines.append(pad + s.code)
        elif isinstance(s, Return):
            lines.append(pad + "return " + s.expr)
        elif isinstance(s, If):
            lines.append(f"{pad}if {s.cond}:")
            lines.extend(render(s.then, depth + 1) or [pad + "    pass"])
            if s.orelse:
                lines.append(f"{pad}else:")
                lines.extend(render(s.orelse, depth + 1))
        elif isinstance(s, For):
            lines.append(f"{pad}for {s.target} in {s.iterable}:")
            lines.extend(render(s.body, depth + 1))
    return lines


# ------------------------------------------------------------------ the interpreter (with guards)


class Unsafe(Exception):
    """A guard failed or a value left the allowed range: the candidate is not used."""


class Returned(Exception):
    def __init__(self, value: Any):
        self.value = value


def _gap(a: Any, axis: Any = None) -> float:
    """The smallest difference between the largest two (and smallest two) values along axis."""
    a = np.asarray(a, dtype=float)
    if axis is None:
        a = a.reshape(-1)
        axis = 0
    if a.shape[axis] < 2:
        return math.inf
    s = np.sort(a, axis=axis)
    d = np.diff(s, axis=axis)
    top = np.take(d, -1, axis=axis)
    bottom = np.take(d, 0, axis=axis)
    return float(min(np.min(top), np.min(bottom)))


def _distinct(a: Any, axis: Any = -1) -> float:
    """The smallest difference between any two values along axis (for sort)."""
    a = np.asarray(a, dtype=float)
    if a.ndim == 0 or a.shape[axis] < 2:
        return math.inf
    return float(np.min(np.diff(np.sort(a, axis=axis), axis=axis)))


def _ok(value: Any) -> bool:
    if isinstance(value, tuple):
        return all(_ok(v) for v in value)
    if isinstance(value, (bool, int, np.integer, np.bool_)):
        return True
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return False
    return (
        arr.ndim <= MAX_NDIM
        and 1 <= arr.size <= MAX_SIZE
        and bool(np.all(np.isfinite(arr)))
        and float(np.max(np.abs(arr), initial=0.0)) <= BOUND
    )


class Interpreter:
    """Runs a block of the program form on an environment, checking guards and values."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {
            "np": np, "math": math, "scipy": scipy, "_gap": _gap, "_distinct": _distinct,
        }

    def add_helper(self, helper: Helper) -> None:
        def call(*args: Any) -> Any:
            env = dict(zip(helper.params, args))
            self.run(helper.body, env)
            result = self.eval(helper.result, env)
            return result

        call.__name__ = helper.name
        self.namespace[helper.name] = call

    def eval(self, expr: str, env: dict) -> Any:
        with np.errstate(all="raise"):
            try:
                return eval(expr, self.namespace, env)  # noqa: S307 - our own generated code
            except (FloatingPointError, ValueError, IndexError, TypeError, ZeroDivisionError, OverflowError,
                    AttributeError) as e:
                raise Unsafe(str(e)) from e

    def run(self, block: list, env: dict) -> None:
        for s in block:
            if isinstance(s, Stmt):
                if s.guard is not None and not self.eval(s.guard, env):
                    raise Unsafe(s.guard)
                before = {k: id(v) for k, v in env.items()}
                with np.errstate(all="raise"):
                    try:
                        exec(s.code, self.namespace, env)  # noqa: S102 - our own generated code
                    except (FloatingPointError, ValueError, IndexError, TypeError, ZeroDivisionError,
                            OverflowError, AttributeError) as e:
                        raise Unsafe(str(e)) from e
                target = s.code.split("=")[0].split("[")[0].strip().rstrip("+-*/").strip()
                if target in env and not _ok(env[target]):
                    raise Unsafe(f"value of {target}")
                del before
            elif isinstance(s, Return):
                raise Returned(self.eval(s.expr, env))
            elif isinstance(s, If):
                if s.guard is not None and not self.eval(s.guard, env):
                    raise Unsafe(s.guard)
                self.run(s.then if self.eval(s.cond, env) else s.orelse, env)
            elif isinstance(s, For):
                for item in self.eval(s.iterable, env):
                    env[s.target] = item
                    self.run(s.body, env)


# ------------------------------------------------------------------ scopes


@dataclass
class Scope:
    """What the code being generated can read: names with their current values."""

    env: dict[str, Any]
    names: list[str]  # readable array/float names, oldest first
    fresh: set[str] = field(default_factory=set)  # arrays made here, never viewed: may be updated in place
    loop_vars: list[tuple[str, int]] = field(default_factory=list)  # (name, trip count) of enclosing range loops

    def copy(self) -> Scope:
        return Scope(dict(self.env), list(self.names), set(self.fresh), list(self.loop_vars))

    def shape(self, name: str) -> tuple:
        return np.shape(self.env[name])


def _broadcast(*shapes: tuple) -> tuple | None:
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        return None


# ------------------------------------------------------------------ expression candidates

UNARY = [
    ("np.sin({a})", None), ("np.cos({a})", None), ("np.tanh({a})", None),
    ("np.exp({a})", "np.max({a}) < 3"), ("np.log({a})", "np.min({a}) > 0.1"),
    ("np.log(1.0 + {a} ** 2)", None), ("np.sqrt({a})", "np.min({a}) > 0.1"),
    ("np.sqrt({a} * {a} + 0.5)", None), ("np.abs({a})", "np.min(np.abs({a})) > MARGIN"),
    ("{a} ** 2", None), ("{a} ** 3", None), ("np.square({a})", None), ("-{a}", None),
    ("np.arctan({a})", None), ("np.sinh({a})", "np.max(np.abs({a})) < 3"),
    ("np.cosh({a})", "np.max(np.abs({a})) < 3"), ("np.arcsin(0.9 * np.tanh({a}))", None),
    ("np.arctanh(0.5 * np.sin({a}))", None), ("np.expm1({a})", "np.max({a}) < 3"),
    ("np.log1p(np.exp({a}))", "np.max({a}) < 5"), ("np.cbrt({a})", "np.min(np.abs({a})) > 0.1"),
    ("1.0 / {a}", "np.min(np.abs({a})) > 0.25"), ("np.reciprocal(1.0 + {a} ** 2)", None),
    ("{a} / (1.0 + {a} ** 2)", None), ("scipy.special.expit({a})", None), ("scipy.special.erf({a})", None),
    ("np.clip({a}, -0.5, 0.5)", "np.min(np.abs(np.abs({a}) - 0.5)) > MARGIN"),
    ("np.maximum({a}, 0.0)", "np.min(np.abs({a})) > MARGIN"),
    ("np.where({a} > 0, {a}, 0.1 * {a})", "np.min(np.abs({a})) > MARGIN"),
    ("{a} ** 0.5", "np.min({a}) > 0.1"), ("2.0 ** {a}", "np.max(np.abs({a})) < 4"),
    ("np.exp2({a})", "np.max(np.abs({a})) < 4"), ("np.log2(2.0 + np.cos({a}))", None),
    ("np.copy({a})", None), ("{a}.copy()", None), ("+{a}", None), ("np.arccos(0.8 * np.sin({a}))", None),
    ("np.tan(0.5 * np.tanh({a}))", None), ("np.log10(1.0 + {a} ** 2)", None),
    ("scipy.special.gammaln(1.0 + {a} ** 2)", None), ("np.sinc({a})", "np.min(np.abs({a})) > MARGIN"),
    ("np.hypot({a}, 1.0)", None), ("np.fabs({a})", "np.min(np.abs({a})) > MARGIN"),
    ("np.deg2rad({a})", None),
]
SCALAR_UNARY = [
    ("math.sin({a})", None), ("math.exp({a})", "{a} < 3"), ("math.tanh({a})", None),
    ("abs({a})", "abs({a}) > MARGIN"), ("math.sqrt({a} ** 2 + 1.0)", None), ("math.log(1.0 + {a} ** 2)", None),
    ("math.cos({a})", None), ("math.atan({a})", None), ("pow({a}, 2)", None),
    ("max({a}, 0.5)", "abs({a} - 0.5) > MARGIN"),
]
BINARY = [
    ("{a} + {b}", None), ("{a} - {b}", None), ("{a} * {b}", None),
    ("{a} / {b}", "np.min(np.abs({b})) > 0.25"), ("{a} / (1.0 + {b} ** 2)", None),
    ("np.maximum({a}, {b})", "np.min(np.abs({a} - {b})) > MARGIN"),
    ("np.minimum({a}, {b})", "np.min(np.abs({a} - {b})) > MARGIN"),
    ("np.fmax({a}, {b})", "np.min(np.abs({a} - {b})) > MARGIN"),
    ("np.logaddexp({a}, {b})", None), ("np.hypot({a}, {b})", "np.min({a} ** 2 + {b} ** 2) > 0.01"),
    ("np.arctan2({a}, {b})", "np.min(np.abs({a})) > MARGIN"),
    ("(1.0 + {a} ** 2) ** {b}", "np.max(np.abs({b})) < 3"),
    ("np.where({a} > {b}, {a} * {b}, {a} - {b})", "np.min(np.abs({a} - {b})) > MARGIN"),
    ("{a} * {b} + {a}", None), ("np.arctan({a} * {b})", None), ("{a} ** 2 - {b}", None),
]
CONSTANT_BINARY = ["{a} * {c}", "{c} * {a}", "{a} + {c}", "{c} - {a}", "{a} / {c}", "{a} - {c}"]
TERNARY = [
    ("np.where({c} > 0, {a}, {b})", "np.min(np.abs({c})) > MARGIN"),
    ("np.where({c} < {a}, {b}, {c})", "np.min(np.abs({c} - {a})) > MARGIN"),
    ("{a} * {b} + {c}", None), ("np.clip({a}, {b} - 2.0, {c} + 2.0)",
                               "np.min(np.abs({a} - {b} + 2.0)) > MARGIN and np.min(np.abs({a} - {c} - 2.0)) > MARGIN"
                               " and np.min({c} + 2.0 - {b} + 2.0) > 0"),
]


def _axis_text(draw: Draw, ndim: int, keep: bool = True) -> tuple[str, Any]:
    """`, axis=k` (maybe with keepdims) or nothing; and the axis for guards."""
    options = [None] + list(range(ndim)) + [-1]
    axis = draw.choice(options)
    if axis is None:
        return "", None
    text = draw.choice([f", axis={axis}", f", {axis}"]) if keep else f", axis={axis}"
    if keep and draw.coin(40):
        text = f", axis={axis}, keepdims=True"
    return text, axis


class Generator:
    """Builds one Program from a Draw."""

    def __init__(self, draw: Draw, scalar: bool | None = None, max_statements: int = 8):
        self.draw = draw
        self.scalar = scalar
        self.max_statements = max_statements
        self.pair = False
        self.counter = 0
        self.helpers: list[Helper] = []
        self.helper_count = 0
        self.interp = Interpreter()
        self.interp.namespace["MARGIN"] = MARGIN

    # -------------------------------------------------------------- top level

    def program(self) -> Program:
        d = self.draw
        seed = d.integer(0, 2**16)
        rng = np.random.default_rng(seed)
        n_inputs = d.integer(1, 3)
        params = [f"x{k}" for k in range(n_inputs)]
        inputs: list[Any] = []
        for k in range(n_inputs):
            shape = d.choice(INPUT_SHAPES)
            value = rng.uniform(-1.5, 1.5, shape)
            inputs.append(float(value) if shape == () else value)
        wrt = tuple(k for k in range(n_inputs) if k == 0 or d.coin(70))
        scope = Scope(dict(zip(params, [_copy(v) for v in inputs])), list(params))
        scalar = self.scalar if self.scalar is not None else not d.coin(30)
        self.scalar = scalar
        self.pair = not scalar and d.coin(20)  # f returns a tuple of two values
        body = self.block(scope, self.draw.integer(1, self.max_statements), depth=0, top=True)
        body.append(Return(self.result(scope, scalar)))
        # (the result expression is guarded by construction; the final check re-runs the whole program)
        return Program(list(self.helpers), params, body, inputs, wrt, scalar)

    def name(self, prefix: str = "v") -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def block(self, scope: Scope, n: int, depth: int, top: bool = False) -> list:
        out: list = []
        for _ in range(n):
            kind = self.draw.choice(["assign"] * 6 + ["aug", "write", "if", "for", "call", "return"])
            produced: list | None = None
            if kind == "if" and depth < 2:
                produced = self.if_statement(scope, depth)
            elif kind == "for" and depth < 2:
                produced = self.for_statement(scope, depth)
            elif kind == "call" and depth < 2:
                produced = self.call_statement(scope, depth)
            elif kind == "aug":
                produced = self.aug_statement(scope)
            elif kind == "write":
                produced = self.write_statement(scope)
            elif kind == "return" and top:
                produced = self.early_return(scope)
            if produced is None:
                produced = self.assign(scope)
            out.extend(produced)
        return out

    # -------------------------------------------------------------- running candidates

    def try_stmt(self, scope: Scope, stmt: Stmt) -> bool:
        """Run stmt on a copy of the scope's values; on success, adopt the new values."""
        env = {k: _copy(v) for k, v in scope.env.items()}
        try:
            self.interp.run([stmt], env)
        except Unsafe:
            return False
        scope.env.update(env)
        return True

    def try_block(self, scope: Scope, block: list) -> dict | None:
        env = {k: _copy(v) for k, v in scope.env.items()}
        try:
            self.interp.run(block, env)
        except (Unsafe, Returned):
            return None
        return env

    def assign(self, scope: Scope) -> list:
        target = self.name()
        expr, guard, fresh, viewed = self.expression(scope)
        stmt = Stmt(f"{target} = {expr}", guard)
        if not self.try_stmt(scope, stmt):
            a = scope.names[-1]
            stmt = Stmt(f"{target} = np.tanh({a})")
            fresh, viewed = True, []
            if not self.try_stmt(scope, stmt):  # cannot happen for float arrays; keep going regardless
                return []
        scope.names.append(target)
        for v in viewed:
            scope.fresh.discard(v)
        if fresh and np.ndim(scope.env[target]) > 0:
            scope.fresh.add(target)
        return [stmt]

    def pick(self, scope: Scope, pred: Any = None) -> str | None:
        names = [n for n in scope.names if pred is None or pred(scope.env[n])]
        if not names:
            return None
        # later names are more interesting; index 0 (the most recent) is where shrinking goes
        return names[len(names) - 1 - self.draw.integer(0, len(names) - 1)]

    # -------------------------------------------------------------- expressions

    def expression(self, scope: Scope) -> tuple[str, str | None, bool, list[str]]:
        """(expression text, guard, is the result a fresh array, names it may view)."""
        kinds = ["unary", "binary", "constant", "reduce", "move", "index", "matmul", "join", "ternary", "scalar"]
        kind = self.draw.choice(kinds)
        a = self.pick(scope)
        assert a is not None
        shape = scope.shape(a)
        method = getattr(self, "expr_" + kind)
        made = method(scope, a, shape)
        if made is None:
            return f"np.tanh({a})", None, True, []
        return made

    def expr_unary(self, scope: Scope, a: str, shape: tuple) -> Any:
        template, guard = self.draw.choice(UNARY)
        return template.format(a=a), guard and guard.format(a=a), True, []

    def expr_scalar(self, scope: Scope, a: str, shape: tuple) -> Any:
        s = self.pick(scope, lambda v: np.ndim(v) == 0)
        if s is None:
            return None
        template, guard = self.draw.choice(SCALAR_UNARY)
        return template.format(a=s), guard and guard.format(a=s), False, []

    def _partner(self, scope: Scope, shape: tuple) -> str | None:
        return self.pick(scope, lambda v: (_broadcast(shape, np.shape(v)) or (99,) * 9).__len__() <= MAX_NDIM)

    def expr_binary(self, scope: Scope, a: str, shape: tuple) -> Any:
        b = self._partner(scope, shape)
        if b is None:
            return None
        if self.draw.coin(50):
            a, b = b, a
        template, guard = self.draw.choice(BINARY)
        return template.format(a=a, b=b), guard and guard.format(a=a, b=b), True, []

    def expr_constant(self, scope: Scope, a: str, shape: tuple) -> Any:
        template = self.draw.choice(CONSTANT_BINARY)
        return template.format(a=a, c=self.draw.choice(CONSTANTS)), None, True, []

    def expr_ternary(self, scope: Scope, a: str, shape: tuple) -> Any:
        b = self._partner(scope, shape)
        if b is None:
            return None
        c = self._partner(scope, _broadcast(shape, scope.shape(b)) or shape)
        if c is None:
            return None
        template, guard = self.draw.choice(TERNARY)
        return template.format(a=a, b=b, c=c), guard and guard.format(a=a, b=b, c=c), True, []

    def expr_reduce(self, scope: Scope, a: str, shape: tuple) -> Any:
        nd = len(shape)
        if nd == 0:
            return None
        d = self.draw
        ax, axis = _axis_text(d, nd)
        plain_ax = f", axis={axis}" if axis is not None else ""
        options = [
            (f"np.sum({a}{ax})", None), (f"{a}.sum({ax[2:]})", None), (f"np.mean({a}{ax})", None),
            (f"{a}.mean({ax[2:]})", None), (f"np.max({a}{ax})", f"_gap({a}, {axis}) > MARGIN"),
            (f"np.min({a}{ax})", f"_gap({a}, {axis}) > MARGIN"), (f"{a}.max({ax[2:]})", f"_gap({a}, {axis}) > MARGIN"),
            (f"np.prod({a}{ax})", None), (f"np.var({a}{ax})", None),
            (f"np.std({a}{ax})", f"np.min(np.var({a}{plain_ax})) > 0.01"),
            (f"np.linalg.norm({a}{plain_ax})", f"np.min(np.sum({a} ** 2{plain_ax})) > 0.01"),
            (f"scipy.special.logsumexp({a}{ax})", None),
            (f"np.cumsum({a}{plain_ax})", None), (f"np.cumprod({a}{plain_ax})", None),
            (f"scipy.special.softmax({a}{plain_ax})", None), (f"scipy.special.log_softmax({a}{plain_ax})", None),
            (f"np.sum({a} * {a}{ax})", None), (f"np.average({a}{plain_ax})", None),
        ]
        expr, guard = d.choice(options)
        return expr, guard, True, []

    def expr_matmul(self, scope: Scope, a: str, shape: tuple) -> Any:
        if len(shape) == 0:
            return None
        k = shape[-1]
        b = self.pick(scope, lambda v: np.ndim(v) in (1, 2) and np.shape(v)[0] == k)
        d = self.draw
        if b is None or d.coin(25):
            b = f"{a}.T" if len(shape) == 2 else a
        if len(shape) == 1 and np.ndim(scope.env.get(b, 0)) == 1 and d.coin(30):
            return d.choice([f"np.outer({a}, {b})", f"np.dot({a}, {b})", f"np.inner({a}, {b})"]), None, True, []
        if len(shape) == 2 and b in scope.env and np.ndim(scope.env[b]) == 1 and d.coin(30):
            return f"np.einsum('ij,j->i', {a}, {b})", None, True, []
        return d.choice([f"{a} @ {b}", f"np.dot({a}, {b})", f"{a}.dot({b})"]), None, True, []

    def expr_move(self, scope: Scope, a: str, shape: tuple) -> Any:
        d = self.draw
        nd = len(shape)
        size = int(np.prod(shape, dtype=int))
        options: list[tuple[str, str | None, bool]] = []  # (expr, guard, view?)
        if nd == 2:
            options += [(f"{a}.T", None, True), (f"np.transpose({a})", None, True), (f"{a}.reshape(-1)", None, True),
                        (f"np.reshape({a}, ({shape[1]}, {shape[0]}))", None, True), (f"{a}.flatten()", None, False),
                        (f"np.swapaxes({a}, 0, 1)", None, True), (f"np.triu({a})", None, False),
                        (f"np.fliplr({a})", None, True), (f"np.flipud({a})", None, True)]
            if shape[0] == shape[1]:
                options += [(f"np.trace({a})", None, False), (f"np.diag({a})", None, False),
                            (f"np.linalg.det({a} + 3.0 * np.eye({shape[0]}))", None, False)]
            if 1 in shape:
                options += [(f"np.squeeze({a})", None, True), (f"{a}.squeeze()", None, True)]
        if nd == 1:
            options += [(f"np.expand_dims({a}, 0)", None, True), (f"{a}[:, None]", None, True),
                        (f"{a}[None, :]", None, True), (f"np.diag({a})", None, False),
                        (f"np.reshape({a}, (1, {size}))", None, True), (f"np.atleast_2d({a})", None, True)]
            if size in (4, 6):
                options += [(f"{a}.reshape(2, {size // 2})", None, True)]
        if nd >= 1:
            ax = d.integer(0, nd - 1)
            options += [
                (f"np.ravel({a})", None, True), (f"np.flip({a}, axis={ax})", None, True),
                (f"np.roll({a}, 1, axis={ax})", None, False), (f"np.repeat({a}, 2, axis={ax})", None, False),
                (f"np.tile({a}, 2)", None, False),
                (f"np.sort({a}, axis={ax})", f"_distinct({a}, {ax}) > MARGIN", False),
                (f"np.pad({a}, 1)", None, False), (f"np.diff({a}, axis={ax})", None, False),
                (f"np.broadcast_to({a}, (2,) + {a}.shape)", None, True) if nd == 1 else (f"{a}[::-1]", None, True),
                (f"np.cumsum({a}, axis={ax})", None, False), (f"np.atleast_1d({a})", None, True),
            ]
        else:
            options += [(f"np.broadcast_to({a}, (3,))", None, True), (f"np.atleast_1d({a})", None, True),
                        (f"np.array([{a}, 2.0 * {a}])", None, False), (f"np.reshape({a}, (1, 1))", None, True)]
        expr, guard, view = d.choice(options)
        return expr, guard, not view, [a] if view else []

    def expr_index(self, scope: Scope, a: str, shape: tuple) -> Any:
        d = self.draw
        nd = len(shape)
        if nd == 0:
            return None
        n0 = shape[0]
        options: list[tuple[str, str | None, bool]] = [
            (f"{a}[{d.integer(-n0, n0 - 1)}]", None, True), (f"{a}[1:]", None, True), (f"{a}[:-1]", None, True),
            (f"{a}[{_list(d, n0)}]", None, False), (f"np.take({a}, {_list(d, int(np.prod(shape)))})", None, False),
            (f"{a}[...]", None, True),
        ]
        mask = self.pick(scope, lambda v: np.shape(v) == shape)
        if mask is not None:
            options.append((f"{a}[{mask} > 0.2]", f"np.min(np.abs({mask} - 0.2)) > MARGIN and np.any({mask} > 0.2)",
                            False))
        if nd == 2:
            n1 = shape[1]
            options += [(f"{a}[:, {d.integer(-n1, n1 - 1)}]", None, True), (f"{a}[:, 1:]", None, True),
                        (f"{a}[:, {_list(d, n1)}]", None, False),
                        (f"{a}[{d.integer(0, n0 - 1)}, {d.integer(0, n1 - 1)}]", None, False),
                        (f"{a}[{_list(d, n0)}, {_list(d, n1, 3)}]", None, False),
                        (f"np.take({a}, {_list(d, n1)}, axis=1)", None, False)]
        for var, trips in scope.loop_vars:
            if n0 >= trips:
                options.append((f"{a}[{var}]", None, True))
        expr, guard, view = d.choice(options)
        return expr, guard, not view, [a] if view else []

    def expr_join(self, scope: Scope, a: str, shape: tuple) -> Any:
        d = self.draw
        nd = len(shape)
        same = self.pick(scope, lambda v: np.shape(v) == shape)
        b = same if same is not None else a
        if nd == 0:
            joined = d.choice([f"np.stack([{a}, {b}])", f"np.array([{a}, {b}, {a}])", f"np.hstack([{a}, {b}])"])
            return joined, None, True, []
        ax = d.integer(0, nd - 1)
        options = [f"np.concatenate([{a}, {b}], axis={ax})", f"np.concatenate([{a}, {b}])", f"np.vstack([{a}, {b}])",
                   f"np.hstack([{a}, {b}])"]
        if nd == 1:
            options += [f"np.stack([{a}, {b}])", f"np.stack([{a}, {b}], axis=1)", f"np.column_stack([{a}, {b}])"]
        return d.choice(options), None, True, []

    # -------------------------------------------------------------- other statements

    def aug_statement(self, scope: Scope) -> list | None:
        target = self.pick(scope, None)
        if target is None or (target not in scope.fresh and isinstance(scope.env[target], np.ndarray)):
            return None  # an array not made here, or viewed: updating it in place would change another
        if target[0] in "xp":
            return None  # a parameter: a float here may be an array in another call of a helper
        shape = scope.shape(target)
        b = self.pick(scope, lambda v: _broadcast(shape, np.shape(v)) == shape)
        if b is None:
            return None
        op = self.draw.choice(["+=", "-=", "*="])
        rhs = self.draw.choice([b, f"np.sin({b})", f"0.5 * {b}"])
        stmt = Stmt(f"{target} {op} {rhs}")
        return [stmt] if self.try_stmt(scope, stmt) else None

    def write_statement(self, scope: Scope) -> list | None:
        d = self.draw
        if d.coin(50):
            # make an array to write into: a copy, or zeros shaped like a value
            a = self.pick(scope, lambda v: np.ndim(v) >= 1)
            if a is None:
                return None
            target = self.name("w")
            make = Stmt(f"{target} = " + d.choice([f"{a} * 1.0", f"np.zeros_like({a})", f"{a}.copy()"]))
            if not self.try_stmt(scope, make):
                return None
            scope.names.append(target)
            scope.fresh.add(target)
            stmts = [make]
        else:
            target = self.pick(scope, lambda v: np.ndim(v) >= 1)
            if target is None or target not in scope.fresh:
                return None
            stmts = []
        shape = scope.shape(target)
        n0 = shape[0]
        index = d.choice([str(d.integer(-n0, n0 - 1)), "1:", ":-1", "0"] + ([f":, {d.integer(0, shape[1] - 1)}"]
                                                                            if len(shape) == 2 else []))
        part = np.shape(scope.env[target][eval(f"np.s_[{index}]", {"np": np})])  # noqa: S307
        value = self.pick(scope, lambda v: _broadcast(part, np.shape(v)) == part)
        if value is None:
            return stmts or None
        op = d.choice(["=", "=", "+=", "*="])
        stmt = Stmt(f"{target}[{index}] {op} " + d.choice([value, f"np.tanh({value})", f"{value} * 2.0"]))
        if self.try_stmt(scope, stmt):
            stmts.append(stmt)
        return stmts or None

    def condition(self, scope: Scope) -> tuple[str, str | None]:
        d = self.draw
        a = self.pick(scope)
        kind = d.integer(0, 4)
        if kind == 0 and scope.loop_vars:
            var, trips = scope.loop_vars[-1]
            return d.choice([f"{var} > 0", f"{var} % 2 == 0", f"{var} == {trips - 1}"]), None
        if kind == 1 and np.ndim(scope.env[a]) > 0:
            return d.choice([f"{a}.shape[0] > 1", f"{a}.ndim == 2", f"len({a}) == 3"]), None
        c = d.choice(["0.0", "0.5", "-0.3"])
        if np.ndim(scope.env[a]) == 0:
            return f"{a} > {c}", f"abs({a} - {c}) > MARGIN"
        reduce = d.choice(["np.sum", "np.mean", "np.max"])
        return f"{reduce}({a}) > {c}", f"abs({reduce}({a}) - {c}) > MARGIN"

    def update(self, scope: Scope, carried: str) -> Stmt:
        """carried = an expression of carried and a value of the block, shaped like carried."""
        shape = scope.shape(carried)
        v = self.pick(scope, lambda x: _broadcast(shape, np.shape(x)) == shape) or carried
        template = self.draw.choice(["{c} + {v}", "np.tanh({c} + {v})", "0.5 * {c} + np.sin({v})", "{c} * np.cos({v})",
                                     "{c} - 0.1 * {v}"])
        return Stmt(f"{carried} = " + template.format(c=carried, v=v))

    def if_statement(self, scope: Scope, depth: int) -> list | None:
        cond, guard = self.condition(scope)
        if guard is not None:
            try:
                if not self.interp.eval(guard, dict(scope.env)):
                    return None
            except Unsafe:
                return None
        carried = self.pick(scope)
        branches = []
        scopes = []
        for k in range(2):
            inner = scope.copy()
            n = self.draw.integer(0 if k else 1, 2)
            block = self.block(inner, n, depth + 1) if n else []
            if k == 1 and not n and self.draw.coin(50):
                branches.append([])
                scopes.append(scope.copy())
                continue
            up = self.update(inner, carried)
            if not self.try_stmt(inner, up):
                return None
            branches.append(block + [up])
            scopes.append(inner)
        stmt = If(cond, guard, branches[0], branches[1])
        env = self.try_block(scope, [stmt])
        if env is None:
            return None
        self._adopt(scope, env, scopes)
        return [stmt]

    def _adopt(self, scope: Scope, env: dict, inner: list[Scope]) -> None:
        for name in scope.names:
            scope.env[name] = env[name]
        for s in inner:  # a value viewed inside may no longer be updated in place
            scope.fresh &= s.fresh | (set(s.names) - set(scope.names))
        scope.fresh = {n for n in scope.fresh if all(n in s.fresh for s in inner)}

    def for_statement(self, scope: Scope, depth: int) -> list | None:
        d = self.draw
        carried = self.pick(scope)
        inner = scope.copy()
        if d.coin(30):
            rows = self.pick(scope, lambda v: np.ndim(v) >= 1 and np.shape(v)[0] <= 3)
            if rows is None:
                return None
            target = self.name("r")
            iterable = rows
            inner.env[target] = scope.env[rows][0]
            inner.names.append(target)
            trips = np.shape(scope.env[rows])[0]
        else:
            target = self.draw.choice(["i", "j", "k"])
            if any(target == v for v, _ in scope.loop_vars):
                return None
            trips = d.integer(1, 3)
            iterable = d.choice([f"range({trips})", f"range(0, {trips})"])
            inner.env[target] = 0
            inner.loop_vars.append((target, trips))
        inner.fresh = set()  # nothing is updated in place inside a loop unless made there
        block = self.block(inner, d.integer(0, 3), depth + 1)
        up = self.update(inner, carried)
        if not self.try_stmt(inner, up):
            return None
        stmt = For(target, iterable, block + [up])
        env = self.try_block(scope, [stmt])
        if env is None:
            return None
        self._adopt(scope, env, [inner])
        scope.fresh.discard(carried)
        return [stmt]

    def call_statement(self, scope: Scope, depth: int) -> list | None:
        d = self.draw
        target = self.name()
        reuse = [h for h in self.helpers if len(h.params) <= len(scope.names)]
        if reuse and d.coin(40):
            helper = d.choice(reuse)
            args = [self.pick(scope) for _ in helper.params]
        else:
            args = [self.pick(scope) for _ in range(d.integer(1, 2))]
            helper = self.helper(scope, args)
            if helper is None:
                return None
        stmt = Stmt(f"{target} = {helper.name}({', '.join(args)})")
        if not self.try_stmt(scope, stmt):
            return None
        scope.names.append(target)
        for a in args:
            scope.fresh.discard(a)
        return [stmt]

    def helper(self, scope: Scope, args: list[str]) -> Helper | None:
        name = f"h{self.helper_count}"
        self.helper_count += 1
        params = [f"p{k}" for k in range(len(args))]
        inner = Scope({p: _copy(scope.env[a]) for p, a in zip(params, args)}, list(params))
        body = self.block(inner, self.draw.integer(1, 4), depth=1)
        result = self.pick(inner)
        helper = Helper(name, params, body, result)
        self.helpers.append(helper)
        self.interp.add_helper(helper)
        return helper

    def early_return(self, scope: Scope) -> list | None:
        cond, guard = self.condition(scope)
        if guard is None:
            return None
        try:
            if not self.interp.eval(guard, dict(scope.env)):
                return None
        except Unsafe:
            return None
        value = self.result(scope, bool(self.scalar))
        return [If(cond, guard, [Return(value)], [])]

    def result(self, scope: Scope, scalar: bool) -> str:
        d = self.draw
        v = self.pick(scope)
        if not scalar:
            if np.ndim(scope.env[v]) == 0:
                w = self.pick(scope, lambda x: np.ndim(x) > 0)
                v = w or v
            if self.pair:
                return f"{v}, {self.pick(scope)}"
            return v
        if np.ndim(scope.env[v]) == 0:
            return d.choice([v, f"{v} * 1.0", f"np.sin({v})"])
        return d.choice([f"np.sum({v})", f"np.sum({v} ** 2)", f"np.mean(np.sin({v}))", f"{v}.sum()",
                         f"np.sum(np.tanh({v}))"])


def _list(d: Draw, n: int, length: int = 0) -> str:
    """A list of indices below n, often with a repeat (repeated indices add up their gradients)."""
    length = length or d.integer(1, 4)
    return "[" + ", ".join(str(d.integer(0, n - 1)) for _ in range(length)) + "]"


def _copy(v: Any) -> Any:
    return v.copy() if isinstance(v, np.ndarray) else copy.copy(v)


def generate(draw: Draw, scalar: bool | None = None, max_statements: int = 8) -> Program:
    """A random valid program; its final value is checked by running it in the interpreter."""
    gen = Generator(draw, scalar, max_statements)
    return gen.program()
