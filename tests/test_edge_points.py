"""Elementwise rules at their edge points: zeros, ones, integer exponents, ties and kinks.

The rule tests (tests/rules) sample inputs away from kinks; here every elementwise rule of
the table is evaluated on a grid of edge values (0, +-1, +-0.5, 2, 3) in every argument, as
Python floats and as 0-d arrays, in both modes. At each point and for each argument:

* where numpy's (or math's) function is differentiable there (its one-sided differences
  agree), the derivative must match central finite differences;
* where it is not (abs at 0, maximum at a tie, a jump of fmod), the rule's value must lie
  between the one-sided slopes (a one-sided derivative or a subgradient; each rule's
  docstring or comments say which it chooses);
* a Python float input never raises (no ZeroDivisionError) where the function itself runs
  and is finite, except where the slope is infinite (x ** 0.5 at x = 0.0 raises, as Python's
  own 0.0 ** -0.5 does; np.log(0.0) = -inf is outside the domain).

Then the same for integer exponents (x ** 0, x ** 1, x ** 2, x ** 3, x ** -1, 0 ** y), and
the final-sum shortcut (grad of np.sum(rule(x))) must give a float gradient of the
argument's dtype with the value of the full reverse sweep (a mask is not a gradient).
"""

from __future__ import annotations

import functools
import itertools
import math
import warnings
from typing import Any, Callable

import numpy as np
import pytest

import tangent_src as ts
from helpers import make_function
from tangent_src.rules.registry import Rule, all_rules, real

EDGES = (0.0, 1.0, -1.0, 0.5, -0.5, 2.0, 3.0)
H = 1e-6
SYMBOLS = {"add": "x + y", "sub": "x - y", "mul": "x * y", "truediv": "x / y", "pow": "x ** y", "neg": "-x",
           "pos": "+x"}


def expression(rule: Rule) -> str | None:
    """The rule's primitive called the way users write it, over its own parameter names."""
    module, _, name = rule.key.rpartition(".")
    args = ", ".join(rule.params)
    if module == "operator":
        return SYMBOLS[name]
    prefix = {"numpy": "np", "math": "math", "scipy.special": "scipy.special"}.get(module)
    if prefix is None or (prefix == "scipy.special" and not _has_scipy()):
        return None
    return f"{prefix}.{name}({args})"


def _has_scipy() -> bool:
    import importlib.util

    return importlib.util.find_spec("scipy") is not None


RULES = [r for r in all_rules() if r.elementwise and r.origin.startswith("tangent_src.") and expression(r)]


def _call(f: Callable, point: tuple) -> float:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return float(f(*point))
        except (ValueError, ZeroDivisionError, OverflowError, TypeError):
            return math.nan  # outside the real domain (math.log(0.0), 0.0 ** -1.0, (-1.0) ** 0.5)


def one_sided(f: Callable, point: tuple, i: int) -> tuple[float, float, float]:
    """(left, central, right) difference quotients of f in argument i at point."""
    def at(step: float) -> float:
        moved = list(point)
        moved[i] = point[i] + step
        return _call(f, tuple(moved))

    here, up, down = at(0.0), at(H), at(-H)
    return (here - down) / H, (up - down) / (2 * H), (up - here) / H


def _quiet(fn: Callable, *args: Any) -> Any:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return fn(*args)


def _slopes(f: Callable, point: tuple, i: int) -> tuple[float, float, float, bool]:
    """(left, central, right) at step H, and whether each one-sided slope is the same at step 4 H
    (false at a jump or an infinite slope, where the quotients grow as the step shrinks)."""
    global H
    try:
        left, central, right = one_sided(f, point, i)
        H *= 4
        left4, _, right4 = one_sided(f, point, i)
    finally:
        H = 1e-6
    scale = max(1.0, abs(central))
    steady = abs(left - left4) <= 1e-3 * scale and abs(right - right4) <= 1e-3 * scale
    return left, central, right, steady


def check_point(f: Callable, point: tuple, i: int, derivatives: dict[str, Callable], what: str) -> None:
    left, central, right, steady = _slopes(f, point, i)
    try:
        found = {mode: float(_quiet(derivative)) for mode, derivative in derivatives.items()}
    except ZeroDivisionError:
        # allowed only where the slope is infinite, for Python floats, as Python's own
        # 0.0 ** -0.5 raises (x ** 0.5 at x = 0.0); never where a finite derivative exists
        assert not steady or not math.isfinite(central), f"{what} at {point}, argument {i}: ZeroDivisionError"
        return
    if not all(math.isfinite(v) for v in (left, central, right)) or not steady:
        return  # outside the domain, a jump or an infinite slope: no finite derivative to compare with
    scale = max(1.0, abs(central))
    for mode, got in found.items():
        if abs(left - right) <= 1e-4 * scale:  # differentiable here
            assert abs(got - central) <= 1e-4 * scale, (
                f"{what} at {point}, argument {i}, {mode}: {got}, finite differences {central}")
        else:  # a kink or a jump: a one-sided slope or a value between them
            low, high = min(left, right), max(left, right)
            assert low - 1e-4 * scale <= got <= high + 1e-4 * scale, (
                f"{what} at {point}, argument {i}, {mode}: {got}, not between the one-sided slopes {left}, {right}")


def derivative_functions(f: Callable, i: int, n: int, array: bool) -> dict[str, Callable]:
    grad = ts.grad(f, i)
    jvp = ts.jvp(f, i)

    def forward(*point: Any) -> Any:
        return jvp(*point, np.ones(()) if array else 1.0)[1]

    return {"reverse": grad, "forward": forward}


def bound(derivatives: dict[str, Callable], args: tuple) -> dict[str, Callable]:
    """Each derivative with its arguments given: called with none."""
    return {mode: functools.partial(derivative, *args) for mode, derivative in derivatives.items()}


def _points(rule: Rule) -> list[tuple]:
    points = list(itertools.product(EDGES, repeat=len(rule.params)))
    if rule.key == "numpy.clip":  # numpy does not check a_min <= a_max ("no check is performed")
        points = [p for p in points if p[1] <= p[2]]
    return points


@pytest.mark.parametrize("as_array", [False, True], ids=["float", "0d"])
@pytest.mark.parametrize("rule", RULES, ids=[r.key for r in RULES])
def test_rule_at_edge_points(rule: Rule, as_array: bool):
    if as_array and rule.key.startswith("math."):
        pytest.skip("math functions take Python floats")
    body = expression(rule)
    f = make_function(f"def f({', '.join(rule.params)}):\n    return {body}\n")
    for i, name in enumerate(rule.params):
        if name not in rule.diff:
            continue
        derivatives = derivative_functions(f, i, len(rule.params), as_array)
        for point in _points(rule):
            if not math.isfinite(_call(f, point)):
                continue  # outside the domain, or the function itself infinite (np.log(0.0))
            args = tuple(np.array(p) for p in point) if as_array else point
            check_point(f, point, i, bound(derivatives, args), f"{rule.key} `{body}`")


INTEGER_POWERS = ["x ** 0", "x ** 1", "x ** 2", "x ** 3", "x ** -1", "x ** -2", "x ** 0.0", "x ** 1.0",
                  "x ** 2.0", "x ** 0.5", "np.power(x, 2)", "np.power(x, 0)", "np.float_power(x, 2)",
                  "np.float_power(x, 0)", "np.square(x)", "np.sqrt(x) ** 2"]
BASES = ["0.0 ** y", "1.0 ** y", "2.0 ** y", "np.power(0.0, y)", "np.float_power(0.0, y)"]


@pytest.mark.parametrize("as_array", [False, True], ids=["float", "0d"])
@pytest.mark.parametrize("body", INTEGER_POWERS + BASES)
def test_powers_at_edge_points(body: str, as_array: bool):
    name = "y" if body in BASES else "x"
    f = make_function(f"def f({name}):\n    return {body}\n")
    derivatives = derivative_functions(f, 0, 1, as_array)
    for value in EDGES + (4.0, -2.0):
        if not math.isfinite(_call(f, (value,))):
            continue
        arg = np.array(value) if as_array else value
        check_point(f, (value,), 0, bound(derivatives, (arg,)), body)


def test_python_float_powers_never_raise():
    """x ** 0.0 at 0 (the template once wrote 0.0 * 0.0 ** -1.0) and d/dy 0.0 ** y."""
    f = make_function("def f(x, y):\n    return x ** y\n")
    assert ts.grad(f, 0)(0.0, 0.0) == 0.0
    assert ts.grad(f, 1)(0.0, 2.0) == 0.0
    assert ts.grad(f, (0, 1))(0.0, 1.0) == (1.0, 0.0)
    assert ts.jvp(f, 0)(0.0, 0.0, 1.0)[1] == 0.0
    assert ts.jvp(f, 1)(0.0, 2.0, 1.0)[1] == 0.0


def test_integer_array_base():
    """x ** 2 for an integer array x: the derivative, 2 x, by both modes."""
    f = make_function("def f(x):\n    return np.sum(x ** 2)\n")
    x = np.array([0, 1, -2, 3])
    np.testing.assert_allclose(ts.grad(f)(x), 2.0 * x)
    np.testing.assert_allclose(ts.jvp(f)(x, np.ones(4))[1], np.sum(2.0 * x))


# ------------------------------------------------------------------ the final-sum shortcut: dtype and value

DTYPE_CASES = [(r, name, dtype) for r in RULES if not r.key.startswith("math.") for name in r.diff
               for dtype in ("float64", "float32")]


@pytest.mark.parametrize("rule, name, dtype", DTYPE_CASES, ids=[f"{r.key}-{n}-{d}" for r, n, d in DTYPE_CASES])
def test_final_sum_gradient_is_a_float_array(rule: Rule, name: str, dtype: str):
    """grad of np.sum(rule(...)) uses the rule's partial derivative as the gradient itself: it must
    be a float array of the argument's dtype, with the value the full reverse sweep gives."""
    f = make_function(f"def f({', '.join(rule.params)}):\n    return np.sum({expression(rule)})\n")
    rng = np.random.default_rng(0)
    args = tuple(np.asarray(rule.domain.get(p, real)(rng, (2, 3)), dtype=dtype) for p in rule.params)
    i = rule.params.index(name)
    gradient = _quiet(ts.grad(f, i), *args)
    dtype = _quiet(f, *args).dtype.name  # float_power computes in float64 whatever its inputs
    assert isinstance(gradient, np.ndarray) and gradient.dtype == np.dtype(dtype), (
        f"grad of np.sum({expression(rule)}) for `{name}` is {type(gradient).__name__} "
        f"{getattr(gradient, 'dtype', '')}, not {dtype}: {gradient!r}")
    full = _quiet(ts.vjp(f, i), *args, np.ones((), dtype=dtype))
    np.testing.assert_allclose(gradient, full, rtol=1e-6)


def test_final_sum_of_a_minimum_of_a_stack():
    """issue 10, point 16: the gradient was the boolean mask [True, True, True]."""
    f = make_function("def f(x):\n    return np.sum(np.minimum(np.stack([x, x]), 0.5))\n")
    x = np.array([0.1, 0.2, 0.9])
    gradient = ts.grad(f)(x)
    assert gradient.dtype == np.float64
    np.testing.assert_array_equal(gradient, [2.0, 2.0, 0.0])
    np.testing.assert_array_equal(ts.jvp(f)(x, np.ones(3))[1], 4.0)


def test_final_sum_user_style_relu_loss():
    """A ReLU hinge loss written the way course code writes it: grad and jvp agree with the math."""
    f = make_function(
        "def hinge(scores, margin):\n"
        "    return np.sum(np.maximum(0.0, scores - margin))\n", "hinge")
    scores = np.array([[0.3, -1.0, 2.0], [0.9, 0.1, -0.2]])
    expected = (scores - 0.5 > 0).astype(float)
    gradient = ts.grad(f)(scores, 0.5)
    assert gradient.dtype == np.float64
    np.testing.assert_array_equal(gradient, expected)
    assert ts.jvp(f)(scores, 0.5, np.ones((2, 3)))[1] == expected.sum()
