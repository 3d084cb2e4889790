"""Second derivatives and Jacobians, composed from the generated derivatives.

Stage: API (on top of api.py). The code tangent_src emits is itself a program it can
differentiate (every runtime helper it calls is a primitive of the rule table), so a
Hessian-vector product is the forward-mode derivative of the generated gradient
(forward-over-reverse), and Jacobians are columns of jvp (forward mode) or rows of vjp
(reverse mode). The array of a Jacobian or Hessian is built with the argument's array module
(`like=`), so it stays on the arguments' device.
"""

from __future__ import annotations

import inspect
import itertools
import linecache
import time
from typing import Any, Callable

import numpy as np

from . import api
from .errors import BadWrt

MODES = ("auto", "forward", "reverse")
_COUNTER = itertools.count(1)


def hvp(fn: Callable, wrt: Any = 0) -> Callable:
    """`hvp(f, wrt)(*args, v)`: the Hessian of f's scalar result times v, H v, by forward-over-reverse
    (`jvp(grad(f))`): one forward sweep over the generated gradient, about the cost of 2-3 gradients.

    v is shaped like the wrt argument (a tuple of such, one per parameter, for a tuple wrt), and so
    is the result."""
    single = not isinstance(wrt, (tuple, list))
    # (a checkpointed loop has no forward rules; the general code, so that hvp_f differentiates again)
    outer = api.jvp(api.grad(fn, wrt, checkpoint=False), wrt, specialize=False)
    written = _written_hvp(outer, fn, 1 if single else len(wrt), single)
    if written is not None:
        return written

    def hessian_vector_product(*args: Any, **kwargs: Any) -> Any:
        if not args:
            raise TypeError("hvp(f)(*args, v) takes f's arguments, then v")
        *primal, v = args
        tangents = (v,) if single else tuple(v)
        return outer(*primal, *tangents, **kwargs)[1]

    hessian_vector_product.__name__ = f"hvp_{getattr(fn, '__name__', 'f')}"
    hessian_vector_product.__doc__ = (f"H v for the Hessian H of {getattr(fn, '__name__', 'f')} with respect to "
                                      f"{wrt!r}, by forward mode over the generated gradient.")
    hessian_vector_product.__tangent_src__ = getattr(outer, "__tangent_src__", None)  # type: ignore[attr-defined]
    return hessian_vector_product


def _written_hvp(outer: Callable, fn: Callable, count: int, single: bool) -> Callable | None:
    """`def hvp_f(x, w, v): return jvp_grad_f(x, w, v)[1]` as a function of its own (its source in
    linecache, as for a generated derivative), so that it can be differentiated again (third order)."""
    target = getattr(outer, "__tangent_src_target__", None)
    if target is None or target.leading or target.keywords:
        return None
    generated = target.function
    parameters = list(inspect.signature(generated).parameters.values())
    if any(p.kind is not p.POSITIONAL_OR_KEYWORD for p in parameters):
        return None
    primal = [p.name for p in parameters[:len(parameters) - count]]
    v = "v"
    while v in primal:
        v += "_"
    name = f"hvp_{getattr(fn, '__name__', 'f')}"
    tangents = [v] if single else [f"{v}[{k}]" for k in range(count)]
    source = (f"def {name}({', '.join([*primal, v])}):\n"
              f'    """H {v}: the Hessian of {getattr(fn, "__name__", "f")} times {v}, by forward mode over its '
              'gradient."""\n'
              f"    return {generated.__name__}({', '.join([*primal, *tangents])})[1]\n")
    filename = f"<tangent_src {name} #{next(_COUNTER)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"__name__": getattr(fn, "__module__", None) or "__main__", generated.__name__: generated}
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102
    made = namespace[name]
    made.__tangent_src__ = getattr(outer, "__tangent_src__", None)
    return made


def hessian(fn: Callable, wrt: Any = 0) -> Callable:
    """`hessian(f, wrt)(*args)`: the Hessian of f's scalar result, shaped `x.shape + x.shape` (for a tuple
    wrt, a tuple of rows of blocks H[i][j] shaped `x_i.shape + x_j.shape`): Hessian-vector products
    along every unit direction, by vector forward mode over the generated gradient (one sweep
    carries up to CHUNK directions at once); symmetric up to rounding."""
    single = not isinstance(wrt, (tuple, list))
    gradient = api.grad(fn, wrt, checkpoint=False)

    def full_hessian(*args: Any, **kwargs: Any) -> Any:
        positions = _positions(fn, wrt, len(args))
        xs = [args[i] for i in positions]
        _, tangents = _sweeps(gradient, wrt, args, kwargs, positions, xs)
        parts = (tangents,) if single else tuple(tangents)
        rows = [[_block(part, np.shape(xi), xs, j) for j in range(len(xs))] for part, xi in zip(parts, xs)]
        return rows[0][0] if single else tuple(tuple(row) for row in rows)

    full_hessian.__name__ = f"hessian_{getattr(fn, '__name__', 'f')}"
    full_hessian.__doc__ = (f"The Hessian of {getattr(fn, '__name__', 'f')} with respect to {wrt!r}, by vector "
                            "forward mode over its gradient.")
    return full_hessian


CHUNK = 128  # directions per sweep of vector forward mode (memory: CHUNK tangents at once)


def _sweeps(fn: Callable, wrt: Any, args: tuple, kwargs: dict, positions: list[int], xs: list) -> tuple[Any, Any]:
    """fn's value, and its tangents along every unit direction of the wrt arguments (their elements
    in order, argument after argument) on a leading axis: vector forward mode, CHUNK at a time."""
    sizes = [_size(x) for x in xs]
    total = sum(sizes)
    like = next((x for x in xs if hasattr(x, "__array_function__")), None)
    eye = np.eye(total, like=like) if like is not None else np.eye(total)
    value, pieces = None, []
    for start in range(0, total, CHUNK):
        rows = eye[start:start + CHUNK]
        k = rows.shape[0]
        offsets = np.cumsum([0, *sizes])
        tangents = tuple(np.reshape(rows[:, offsets[i]:offsets[i + 1]], (k,) + np.shape(x)) for i, x in enumerate(xs))
        value, found = api.jvp(fn, wrt, directions=k)(*args, *tangents, **kwargs)
        pieces.append(found)
    return value, _join(pieces)


def _join(pieces: list) -> Any:
    """The chunks' tangents joined along their leading (direction) axis, tree by tree."""
    first = pieces[0]
    if isinstance(first, dict):
        return {k: _join([p[k] for p in pieces]) for k in first}
    if isinstance(first, (tuple, list)):
        return type(first)(_join([p[i] for p in pieces]) for i in range(len(first)))
    return first if len(pieces) == 1 else np.concatenate(pieces, axis=0)


def _block(part: Any, out_shape: tuple, xs: list, j: int) -> Any:
    """From tangents (all directions, shape (n,) + out_shape), the block of x_j's directions,
    arranged out_shape + x_j.shape."""
    sizes = [_size(x) for x in xs]
    start = sum(sizes[:j])
    rows = part[start:start + sizes[j]]
    moved = np.moveaxis(np.reshape(rows, (sizes[j],) + tuple(out_shape)), 0, -1)
    return np.reshape(moved, tuple(out_shape) + np.shape(xs[j]))


def jacobian(fn: Callable, wrt: Any = 0, mode: str = "auto") -> Callable:
    """`jacobian(f, wrt, mode)(*args)`: the Jacobian of f's result, shaped `out.shape + x.shape` (tuples
    per result for a tuple result, per parameter for a tuple wrt).

    mode="forward" builds it from the tangents along all n unit directions (n: the size of the wrt
    arguments) by vector forward mode, "reverse" from m vjp sweeps (m: the size of the result); "auto"
    chooses at each call by the cost: n times the time of one jvp against m times the time of one vjp,
    each timed once on the arguments (the vjp timed is kept as the Jacobian's first row), or by n
    against m alone where one is at least four times the other. The returned function reports its last
    choice as `.mode` (and `.reason`)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    single = not isinstance(wrt, (tuple, list))
    forward, reverse = api.jvp(fn, wrt), api.vjp(fn, wrt)
    name = getattr(fn, "__name__", "f")
    described = f"The Jacobian of {name} with respect to {wrt!r}, mode={mode!r}."

    def full_jacobian(*args: Any, **kwargs: Any) -> Any:
        positions = _positions(fn, wrt, len(args))
        xs = [args[i] for i in positions]
        chosen, reason, value = mode, f"mode={mode!r} was asked for", None
        first: dict[str, Any] = {}
        if mode == "auto":
            chosen, reason, value, first = _choose(forward, reverse, fn, args, kwargs, xs, single)
        full_jacobian.mode, full_jacobian.reason = chosen, reason  # type: ignore[attr-defined]
        if mode == "auto":
            full_jacobian.__doc__ = f"{described} Last call: {chosen} mode ({reason})."
        if chosen == "forward":
            return _by_directions(fn, wrt, args, kwargs, positions, xs, single)
        value = fn(*args, **kwargs) if value is None else value
        return _by_rows(reverse, args, kwargs, xs, value, single, first.get("row"))

    full_jacobian.__name__ = f"jacobian_{name}"
    full_jacobian.__doc__ = described + (" The choice of each call is in .mode and .reason." if mode == "auto" else "")
    full_jacobian.mode = mode if mode != "auto" else None  # type: ignore[attr-defined]
    full_jacobian.reason = None  # type: ignore[attr-defined]
    return full_jacobian


def jacfwd(fn: Callable, wrt: Any = 0) -> Callable:
    """The Jacobian by forward mode: jacobian(fn, wrt, mode="forward")."""
    return jacobian(fn, wrt, mode="forward")


def jacrev(fn: Callable, wrt: Any = 0) -> Callable:
    """The Jacobian by reverse mode: jacobian(fn, wrt, mode="reverse")."""
    return jacobian(fn, wrt, mode="reverse")


# ---------------------------------------------------------------- building the arrays


def _by_directions(fn: Callable, wrt: Any, args: tuple, kwargs: dict, positions: list[int], xs: list,
                   single: bool) -> Any:
    """J by vector forward mode: the result's tangents along every unit direction in few sweeps."""
    value, tangents = _sweeps(fn, wrt, args, kwargs, positions, xs)
    outputs = value if isinstance(value, tuple) else (value,)
    parts = tangents if isinstance(value, tuple) else (tangents,)
    result = []
    for out, part in zip(outputs, parts):
        if not hasattr(part, "shape"):  # a constant result: a zero tangent
            part = np.zeros((sum(_size(x) for x in xs),) + np.shape(out))
        per_wrt = [_block(part, np.shape(out), xs, j) for j in range(len(xs))]
        result.append(per_wrt[0] if single else tuple(per_wrt))
    return tuple(result) if isinstance(value, tuple) else result[0]


def _by_rows(reverse: Callable, args: tuple, kwargs: dict, xs: list, value: Any, single: bool, first: Any) -> Any:
    """J's rows: each basis cotangent of each result pulled back to the wrt arguments."""
    outputs = value if isinstance(value, tuple) else (value,)
    result = []
    for o, out in enumerate(outputs):
        rows = []
        for k, u in enumerate(_basis(out)):
            if o == 0 and k == 0 and first is not None:
                pulled = first
            else:
                cotangent = tuple(u if i == o else _zeros(other) for i, other in enumerate(outputs)) \
                    if isinstance(value, tuple) else u
                pulled = reverse(*args, cotangent, **kwargs)
            rows.append((pulled,) if single else tuple(pulled))
        per_wrt = [_assemble_rows([r[i] for r in rows], np.shape(out), np.shape(x), like=x) for i, x in enumerate(xs)]
        result.append(per_wrt[0] if single else tuple(per_wrt))
    return tuple(result) if isinstance(value, tuple) else result[0]


def _choose(forward: Callable, reverse: Callable, fn: Callable, args: tuple, kwargs: dict, xs: list,
            single: bool) -> tuple[str, str, Any, dict]:
    """mode="auto": forward or reverse for these arguments, why, the value, and the sweeps timed."""
    n = sum(_size(x) for x in xs)
    start = time.perf_counter()
    tangents = tuple(next(iter(_basis(x))) if i == 0 else _zeros(x) for i, x in enumerate(xs))
    column = forward(*args, *tangents, **kwargs)
    forward_time = time.perf_counter() - start
    value = column[0]
    outputs = value if isinstance(value, tuple) else (value,)
    m = sum(_size(out) for out in outputs)
    if max(n, m) >= 4 * min(n, m):
        chosen = "forward" if n < m else "reverse"
        return chosen, f"{n} inputs, {m} outputs: {n if chosen == 'forward' else m} sweeps of {chosen} mode", \
            value, {}
    cotangent = tuple(next(iter(_basis(out))) if i == 0 else _zeros(out) for i, out in enumerate(outputs)) \
        if isinstance(value, tuple) else next(iter(_basis(value)))
    start = time.perf_counter()
    row = reverse(*args, cotangent, **kwargs)
    reverse_time = time.perf_counter() - start
    chosen = "forward" if n * forward_time <= m * reverse_time else "reverse"
    reason = (f"{n} inputs x {forward_time * 1e6:.0f} us per jvp against {m} outputs x "
              f"{reverse_time * 1e6:.0f} us per vjp")
    return chosen, reason, value, {"row": row}


def _assemble_rows(rows: list, out_shape: tuple, x_shape: tuple, like: Any) -> Any:
    """Rows (each shaped like x) one under the other: out_shape + x_shape."""
    stacked = np.stack([_array(r, like) for r in rows], axis=0)
    return np.reshape(stacked, tuple(out_shape) + tuple(x_shape))


def _array(value: Any, like: Any) -> Any:
    """A result part as an array of like's array type (a Python float becomes a 0-d array)."""
    if hasattr(value, "shape"):
        return value
    return np.asarray(value, dtype=getattr(like, "dtype", float), like=like if hasattr(like, "shape") else None) \
        if hasattr(like, "__array_function__") else np.asarray(value)


def _basis(x: Any):
    """The unit directions of x's elements, each shaped like x, in C order (1.0 for a Python number)."""
    if not hasattr(x, "__array_function__"):  # a Python number or a numpy scalar
        yield x.dtype.type(1) if hasattr(x, "dtype") else 1.0
        return
    n = _size(x)
    dtype = x.dtype if getattr(x.dtype, "kind", "f") in "fc" else float
    eye = np.eye(n, dtype=dtype, like=x)
    for i in range(n):
        yield np.reshape(eye[i], x.shape)


def _zeros(x: Any) -> Any:
    return np.zeros_like(x) if hasattr(x, "shape") else 0.0


def _size(x: Any) -> int:
    return int(np.prod(np.shape(x), dtype=int)) if hasattr(x, "shape") else 1


def _positions(fn: Callable, wrt: Any, count: int) -> list[int]:
    """The positions among the caller's arguments of the wrt parameters (names or indices)."""
    items = list(wrt) if isinstance(wrt, (tuple, list)) else [wrt]
    names = [p.name for p in inspect.signature(fn).parameters.values()
             if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    found = []
    for item in items:
        if isinstance(item, str):
            if item not in names:
                raise BadWrt(f"wrt={item!r}: the function has no positional parameter of that name; its parameters "
                             f"are {tuple(names)}")
            item = names.index(item)
        if not 0 <= item < count:
            raise BadWrt(f"wrt={item} is out of range for the {count} arguments given")
        found.append(item)
    return found
