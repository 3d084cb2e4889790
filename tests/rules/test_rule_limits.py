"""What the registry-driven cases cannot check by central differences in float64.

* np.float32 rounds its argument: its derivative is checked against differences in float32's
  precision (a step of 1e-3, a tolerance of 1e-3), in both modes.
* reversed(): forward mode against finite differences; reverse mode needs the front end to read
  `reversed(seq)` as a sequence (the result is an iterator, which the forward sweep may use up
  before the adjoints read it), which it now does (reversed(xs) in an expression is xs[::-1]).
* the run-time refusals of the decompositions (a case numpy computes but the rule does not cover)
  and the refusal of a differentiated spacing of np.gradient or replacement value of nan_to_num.
"""

from __future__ import annotations

import numpy as np
import pytest

import tangent_src as ts
from helpers import make_function
from tangent_src.errors import TransformError
from tangent_src.runtime import unreversed


@pytest.mark.parametrize("body", ["np.float32(x) * y", "np.float32(x * y) ** 2", "x * np.float32(x)"])
def test_float32_derivative_in_float32_precision(body: str):
    f = make_function(f"def f(x, y):\n    return {body}\n")
    x, y, h = 0.8125, 1.375, 1e-3  # exactly representable in float32
    expected = [(f(x + h, y) - f(x - h, y)) / (2 * h), (f(x, y + h) - f(x, y - h)) / (2 * h)]
    grads = ts.grad(f, (0, 1))(x, y)
    tangents = [ts.jvp(f, (0, 1))(x, y, 1.0, 0.0)[1], ts.jvp(f, (0, 1))(x, y, 0.0, 1.0)[1]]
    np.testing.assert_allclose(np.array(grads, dtype=float), expected, rtol=1e-3)
    np.testing.assert_allclose(np.array(tangents, dtype=float), expected, rtol=1e-3)


REVERSED = [
    ("def f(x, y):\n    return sum(reversed([x, 2.0 * y]))\n", (3,)),
    ("def f(x, y):\n    a, b = reversed([x, y * x])\n    return a * 3.0 + b\n", (2,)),
    ("def f(x, y):\n    a, b = reversed((x, y))\n    return a * np.sin(b)\n", ()),
]


def _arguments(shape: tuple) -> tuple:
    rng = np.random.default_rng(0)
    return rng.standard_normal(shape), rng.standard_normal(shape)


@pytest.mark.parametrize("source, shape", REVERSED)
def test_reversed_forward_mode(source: str, shape: tuple):
    f = make_function(source)
    errors = ts.check_grad(f, _arguments(shape), (0, 1), mode="forward")
    assert max(errors) < 1e-6, errors


@pytest.mark.parametrize("source, shape", REVERSED)
def test_reversed_reverse_mode(source: str, shape: tuple):
    f = make_function(source)
    errors = ts.check_grad(f, _arguments(shape), (0, 1), mode="reverse")
    assert max(errors) < 1e-6, errors


def test_reversed_adjoint_refuses_what_it_cannot_read():
    """An adjoint of the iterator made as a whole (not item by item) is refused, never misread."""
    xs = [np.ones(2), np.zeros(2)]
    assert [list(g) for g in unreversed([np.ones(2), 2 * np.ones(2)], like=xs)] == [[2.0, 2.0], [1.0, 1.0]]
    with pytest.raises(TypeError, match=r"seq\[::-1\]"):
        unreversed(np.ones((2, 2)), like=xs)


RUN_TIME_REFUSALS = [
    ("u, s, vh = np.linalg.svd(x)\n    return u", (4, 3), "full_matrices=False"),
    ("u, s, vh = np.linalg.svd(x, hermitian=True)\n    return u", (3, 3), "hermitian=False"),
    ("return np.linalg.pinv(x, hermitian=True)", (3, 3), "hermitian=False"),
    ("w, v = np.linalg.eig(x)\n    return np.real(v)", (3, 3), "complex"),
]


@pytest.mark.parametrize("mode", ["grad", "jvp"])
@pytest.mark.parametrize("body, shape, words", RUN_TIME_REFUSALS)
def test_decompositions_refuse_what_they_do_not_cover(body: str, shape: tuple, words: str, mode: str):
    f = make_function(f"def f(x):\n    {body}\n")
    x = np.array([[0.0, -1.0, 0.5], [1.0, 0.0, 0.2], [0.3, 0.1, 2.0]]) if "eig" in body else np.eye(*shape) + 0.1
    with pytest.raises(ValueError, match=words):
        if mode == "grad":
            ts.vjp(f)(x, np.ones_like(f(x)))
        else:
            ts.jvp(f)(x, np.ones_like(x))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_repeated_singular_values(mode: str):
    """At 2 I every rotation of the singular vectors is as good: a function of the singular values
    alone gets its derivative (a symmetric one: sum(s ** 2) = |x|^2), one through u and vh gets NaN
    (never a silently wrong number, such as the zero a 1 / (s_j - s_i) taken as 0 would give)."""
    of_values = make_function("def f(x):\n    u, s, vh = np.linalg.svd(x)\n    return np.sum(s ** 2)\n")
    of_vectors = make_function("def f(x):\n    u, s, vh = np.linalg.svd(x)\n    return (u * s) @ vh\n")
    x = 2.0 * np.eye(3)
    assert ts.check_grad(of_values, (x,), 0, mode=mode) < 1e-6
    if mode == "reverse":
        found = ts.vjp(of_vectors)(x, np.arange(9.0).reshape(3, 3))
    else:
        found = ts.jvp(of_vectors)(x, np.arange(9.0).reshape(3, 3))[1]
    assert np.isnan(found).any()


def test_symmetric_full_svd_of_a_square_matrix_is_covered():
    f = make_function("def f(x):\n    u, s, vh = np.linalg.svd(x)\n    return np.sum(u * s) + np.sum(vh ** 3)\n")
    x = np.array([[3.0, 0.5, 0.1], [0.2, 2.0, 0.3], [0.1, 0.4, 1.0]])
    assert ts.check_grad(f, (x,), 0, mode="reverse") < 1e-6
    assert ts.check_grad(f, (x,), 0, mode="forward") < 1e-6


@pytest.mark.parametrize("mode", ["grad", "jvp"])
@pytest.mark.parametrize("call", ["np.gradient(y, x)", "np.nan_to_num(y / 0.0, posinf=x)"])
def test_differentiated_constants_are_refused(call: str, mode: str):
    f = make_function(f"def f(x):\n    y = np.ones(4) * 2.0\n    return np.sum({call})\n")
    with pytest.raises(TransformError, match="depends on a differentiated input"):
        ts.grad(f)(0.5) if mode == "grad" else ts.jvp(f)(0.5, 1.0)
