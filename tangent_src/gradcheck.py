"""Finite-difference checks of generated derivatives.

`check_grad(f, args, wrt)` compares a derivative made by tangent_src with
finite differences along each element x_i, by the scheme asked for (differences.py: forward,
central (the default), five-point, Richardson's extrapolation, or the complex step), the step h
chosen from the machine epsilon and the magnitude of x_i. A function with a non-scalar
result is reduced to the scalar <u, f(x)> with a fixed random u, so the same
check covers vector-valued functions. It runs on numpy inputs (float64 is best).
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

import numpy as np

from . import api, differences


def check_grad(fn: Callable, args: tuple, wrt: Any = 0, *, mode: str = "reverse", seed: int = 0,
               scheme: str = "central", step: float | None = None) -> Any:
    """Largest relative error of the derivative per `wrt` argument (a tuple for a tuple wrt).

    mode="reverse" checks vjp (grad); mode="forward" checks jvp, one basis
    direction at a time. scheme: "forward", "central", "five-point", "richardson" or
    "complex-step" (f run on complex inputs; a ValueError says where f does not allow it);
    step: the relative step h (default: the scheme's best, from the machine epsilon; see
    tangent_src/differences.py for each and why).
    """
    differences.check_scheme(scheme)
    single = not isinstance(wrt, (tuple, list))
    indices = [_index(fn, w) for w in ([wrt] if single else wrt)]
    value = fn(*_copies(args))
    rng = np.random.default_rng(seed)
    u = _like(value, rng)

    def phi(*xs: Any) -> float:
        return _inner(u, fn(*_copies(xs)))  # copies: a function may update its arguments in place

    if mode == "reverse":
        found = api.vjp(fn, wrt)(*_copies(args), u)
        found = [found] if single else list(found)
    elif mode == "forward":
        found = [_jvp_gradient(fn, wrt, args, indices, k, u) for k in range(len(indices))]
    else:
        raise ValueError("mode must be 'reverse' or 'forward'")
    scale = max(1.0, abs(phi(*args)))
    errors = tuple(_tree_error(g, phi, args, i, scale, scheme, step) for g, i in zip(found, indices))
    return errors[0] if single else errors


def _leaves(x: Any) -> list[tuple[Any, ...]]:
    """Paths to the arrays inside a tuple, list or dict of arrays (() for an array itself)."""
    if isinstance(x, dict):
        return [(k, *rest) for k in x for rest in _leaves(x[k])]
    if isinstance(x, (tuple, list)):
        return [(k, *rest) for k in range(len(x)) for rest in _leaves(x[k])]
    return [()]


def _get(x: Any, path: tuple) -> Any:
    for key in path:
        x = x[key]
    return x


def _put(x: Any, path: tuple, value: Any) -> Any:
    """x with the leaf at path replaced (containers rebuilt, never changed)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(x, dict):
        return {**x, head: _put(x[head], rest, value)}
    items = list(x)
    items[head] = _put(items[head], rest, value)
    return type(x)(items) if isinstance(x, list) else tuple(items)


def _tree_error(found: Any, phi: Callable, args: tuple, i: int, scale: float, scheme: str,
                step: float | None) -> float:
    """The largest relative error over the arrays of a (possibly structured) argument."""
    worst = 0.0
    for path in _leaves(args[i]):
        def phi_leaf(*xs: Any, path: tuple = path) -> float:
            return phi(*_replace(xs, i, _put(args[i], path, xs[i])))

        leaf_args = _replace(args, i, _get(args[i], path))
        expected = _fd(phi_leaf, leaf_args, i, scheme, step)
        worst = max(worst, _relative_error(np.asarray(_get(found, path), dtype=float), expected, scale))
    return worst


def _copies(args: tuple) -> tuple:
    return tuple(_tree_map(lambda a: a.copy() if isinstance(a, np.ndarray) else a, a) for a in args)


def _index(fn: Callable, w: int | str) -> int:
    names = list(inspect.signature(fn).parameters)
    return w if isinstance(w, int) else names.index(w)


def _like(value: Any, rng: np.random.Generator) -> Any:
    if isinstance(value, tuple):
        return tuple(_like(v, rng) for v in value)
    shape = np.shape(value)
    return rng.standard_normal(shape) if shape else float(rng.standard_normal())


def _inner(u: Any, value: Any) -> float:
    if isinstance(u, tuple):
        return sum(_inner(a, b) for a, b in zip(u, value))
    total = np.sum(np.asarray(u) * np.asarray(value))
    return complex(total) if np.iscomplexobj(total) else float(total)


def _replace(args: tuple, i: int, x: Any) -> tuple:
    return args[:i] + (x,) + args[i + 1:]


def _fd(phi: Callable, args: tuple, i: int, scheme: str, step: float | None) -> np.ndarray:
    x = np.array(args[i], dtype=float)
    scalar = np.ndim(args[i]) == 0 and not isinstance(args[i], np.ndarray)
    grad = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        def along(t: float | complex, k: tuple = k) -> float | complex:
            if scalar:
                return phi(*_replace(args, i, t))
            moved = x.astype(complex) if isinstance(t, complex) else x.copy()
            moved[k] = t
            return phi(*_replace(args, i, moved))

        if scheme == "complex-step":
            grad[k] = _complex_step(along, float(x[k]), i, k, step)
        else:
            grad[k] = differences.derivative(along, float(x[k]), scheme, step)
    return grad


def _complex_step(along: Callable, x: float, i: int, k: tuple, step: float | None) -> float:
    """The complex step at one element, refused where f does not run on complex numbers or is not
    analytic (abs, maximum, comparisons: the step's imaginary part is lost, the derivative wrong)."""
    where = f"argument {i}" + (f" at {k}" if k else "")
    try:
        found = differences.derivative(along, x, "complex-step", step)
    except (TypeError, ValueError) as error:
        raise ValueError(f"scheme='complex-step' runs the function on complex inputs, and it refused them "
                         f"({where}): {error}. Use scheme='central' or 'richardson'.") from None
    central = differences.derivative(along, x, "central")
    if abs(found - central) > 1e-5 * max(1.0, abs(central)):
        raise ValueError(f"scheme='complex-step': the function is not analytic in {where} (the complex step "
                         f"gives {found:.6g}, central differences {central:.6g}: abs, np.maximum, comparisons "
                         f"or .real drop the step's imaginary part). Use scheme='central' or 'richardson'.")
    return found


def _jvp_gradient(fn: Callable, wrt: Any, args: tuple, indices: list[int], k: int, u: Any) -> Any:
    """The gradient of <u, f> with respect to argument k, one jvp per element."""
    derivative = api.jvp(fn, wrt)
    zeros = [_tree_map(_zero_tangent, args[i]) for i in indices]
    found = zeros[k]
    for path in _leaves(args[indices[k]]):
        leaf = np.array(_get(args[indices[k]], path), dtype=float)
        grad = np.zeros_like(leaf)
        for pos in np.ndindex(leaf.shape):
            basis = np.zeros_like(leaf)
            basis[pos] = 1.0
            direction = basis if _is_array(_get(args[indices[k]], path)) else float(basis)
            tangents = list(zeros)
            tangents[k] = _put(zeros[k], path, direction)
            _, tangent = derivative(*_copies(args), *tangents)
            grad[pos] = _inner(u, tangent)
        found = _put(found, path, grad)
    return found


def _is_array(x: Any) -> bool:
    return isinstance(x, np.ndarray) or np.ndim(x) > 0


def _zero_tangent(x: Any) -> Any:
    return np.zeros_like(np.asarray(x, dtype=float)) if _is_array(x) else 0.0


def _tree_map(fn: Callable, x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _tree_map(fn, v) for k, v in x.items()}
    if isinstance(x, (tuple, list)):
        return type(x)(_tree_map(fn, v) for v in x) if isinstance(x, list) else tuple(_tree_map(fn, v) for v in x)
    return fn(x)


def _relative_error(found: np.ndarray, expected: np.ndarray, scale: float) -> float:
    if found.shape != expected.shape:
        return float("inf")
    denominator = max(float(np.max(np.abs(expected), initial=0.0)), float(np.max(np.abs(found), initial=0.0)),
                      1e-6 * scale)
    return float(np.max(np.abs(found - expected), initial=0.0) / denominator)
