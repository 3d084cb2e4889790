"""Finite-difference checks of generated derivatives.

`check_grad(f, args, wrt)` compares a derivative made by tangent_src with
central differences (f(x + h e_i) - f(x - h e_i)) / 2h, the step h scaled from
sqrt(machine epsilon) and the magnitude of x_i. A function with a non-scalar
result is reduced to the scalar <u, f(x)> with a fixed random u, so the same
check covers vector-valued functions. It runs on numpy inputs (float64 is best).
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

import numpy as np

from . import api


def check_grad(fn: Callable, args: tuple, wrt: Any = 0, *, mode: str = "reverse", seed: int = 0) -> Any:
    """Largest relative error of the derivative per `wrt` argument (a tuple for a tuple wrt).

    mode="reverse" checks vjp (grad); mode="forward" checks jvp, one basis
    direction at a time.
    """
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
    errors = tuple(_relative_error(np.asarray(g, dtype=float), _fd(phi, args, i), scale)
                   for g, i in zip(found, indices))
    return errors[0] if single else errors


def _copies(args: tuple) -> tuple:
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


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
    return float(np.sum(np.asarray(u) * np.asarray(value)))


def _replace(args: tuple, i: int, x: Any) -> tuple:
    return args[:i] + (x,) + args[i + 1:]


def _fd(phi: Callable, args: tuple, i: int) -> np.ndarray:
    x = np.array(args[i], dtype=float)
    scalar = np.ndim(args[i]) == 0 and not isinstance(args[i], np.ndarray)
    grad = np.zeros_like(x)
    eps = np.sqrt(np.finfo(float).eps)
    for k in np.ndindex(x.shape):
        h = eps * max(1.0, abs(x[k]))
        plus, minus = x.copy(), x.copy()
        plus[k] += h
        minus[k] -= h
        xp = float(plus) if scalar else plus
        xm = float(minus) if scalar else minus
        grad[k] = (phi(*_replace(args, i, xp)) - phi(*_replace(args, i, xm))) / (2 * h)
    return grad


def _jvp_gradient(fn: Callable, wrt: Any, args: tuple, indices: list[int], k: int, u: Any) -> np.ndarray:
    derivative = api.jvp(fn, wrt)
    x = np.array(args[indices[k]], dtype=float)
    grad = np.zeros_like(x)
    for pos in np.ndindex(x.shape):
        tangents = [np.zeros_like(np.array(args[i], dtype=float)) for i in indices]
        tangents[k][pos] = 1.0
        tangents = [t if np.ndim(args[i]) or isinstance(args[i], np.ndarray) else float(t)
                    for t, i in zip(tangents, indices)]
        _, tangent = derivative(*_copies(args), *tangents)
        grad[pos] = _inner(u, tangent)
    return grad


def _relative_error(found: np.ndarray, expected: np.ndarray, scale: float) -> float:
    if found.shape != expected.shape:
        return float("inf")
    denominator = max(float(np.max(np.abs(expected), initial=0.0)), float(np.max(np.abs(found), initial=0.0)),
                      1e-6 * scale)
    return float(np.max(np.abs(found - expected), initial=0.0) / denominator)
