"""`async def` is refused in user words; Python's `sum(items, start)` differentiates its start."""

from __future__ import annotations

import numpy as np
import pytest

import tangent_src as ts
from tangent_src import TransformError

from helpers import dot_product_check, make_function

MODES = ["grad", "jvp"]

# ------------------------------------------------------------------ async def


def _refusal(source: str, mode: str, name: str = "f") -> TransformError:
    f = make_function(source, name)
    with pytest.raises(TransformError) as caught:
        if mode == "grad":
            ts.grad(f)(np.ones(3))
        else:
            ts.jvp(f)(np.ones(3), np.ones(3))
    return caught.value


ASYNC_BODIES = {
    "plain": """
        async def f(x):
            return np.sum(np.sin(x))
        """,
    "await": """
        async def helper(x):
            return x

        async def f(x):
            y = await helper(x)
            return np.sum(y)
        """,
    "async for": """
        async def f(x):
            s = 0.0
            async for t in x:
                s = s + t
            return s
        """,
    "async with": """
        async def f(x):
            async with x as c:
                y = c * 2.0
            return np.sum(y)
        """,
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", list(ASYNC_BODIES))
def test_async_def_is_refused_in_user_words(kind, mode):
    source = ASYNC_BODIES[kind]
    err = _refusal(source, mode)
    assert isinstance(err, ts.TransformError)
    assert "`async def f`" in err.message and "coroutine" in err.message
    assert "plain `def`" in err.hint
    # the place is the user's file and the line of `async def f`, from its first column
    assert err.span is not None and "_case_" in err.span.path
    text = open(err.span.path, encoding="utf-8").read().splitlines()
    assert text[err.span.line - 1].startswith("async def f(") and err.span.column == 0
    assert err.span.source() == "async def f"
    assert str(err).startswith(f"{err.span.path}:{err.span.line}:")


@pytest.mark.parametrize("mode", MODES)
def test_async_method_is_refused(mode):
    source = """
        class Model:
            async def f(self, x):
                return np.sum(x * 2.0)
        """
    method = make_function(source, "Model")().f
    with pytest.raises(TransformError) as caught:
        if mode == "grad":
            ts.grad(method)(np.ones(3))
        else:
            ts.jvp(method)(np.ones(3), np.ones(3))
    assert "`async def f`" in caught.value.message
    assert caught.value.span is not None and caught.value.span.column == 4


# ------------------------------------------------------------------ sum(items, start)


def _fd_gradient(f, args, i, eps=1e-6):
    """Central differences of the scalar f with respect to args[i] (float64)."""
    args = [np.array(a, dtype=float) for a in args]
    flat = args[i].reshape(-1)
    out = np.zeros_like(flat)
    for k in range(flat.size):
        up = [a.copy() for a in args]
        down = [a.copy() for a in args]
        up[i].reshape(-1)[k] += eps
        down[i].reshape(-1)[k] -= eps
        out[k] = (f(*up) - f(*down)) / (2 * eps)
    return out.reshape(args[i].shape)


SUM_START = {
    # start a differentiated array, the items arrays of the same shape
    "array start": ("""
        def f(x, y):
            return np.sum(np.sin(sum([x, 2.0 * x], y)))
        """, ((3,), (3,))),
    # start a differentiated scalar that broadcasts against the items
    "scalar start": ("""
        def f(x, y):
            return np.sum(np.cos(sum([x * x, x], y)))
        """, ((4,), ())),
    # start a differentiated array the items broadcast against
    "broadcast items": ("""
        def f(x, y):
            return np.sum(np.tanh(sum([x, x ** 2], y)))
        """, ((), (2, 3))),
    # a generator of items and a start computed from the input
    "generator": ("""
        def f(x, y):
            return np.sum(sum((x[i] * y for i in range(3)), y ** 2))
        """, ((3,), (2,))),
}


def _inputs(shapes, seed):
    rng = np.random.default_rng(seed)
    return tuple(rng.uniform(0.2, 0.9, s) if s else float(rng.uniform(0.2, 0.9)) for s in shapes)


@pytest.mark.parametrize("case", list(SUM_START))
def test_sum_start_reverse_against_differences(case):
    source, shapes = SUM_START[case]
    f = make_function(source)
    args = _inputs(shapes, 0)
    grads = ts.grad(f, wrt=(0, 1))(*args)
    for i in (0, 1):
        np.testing.assert_allclose(grads[i], _fd_gradient(f, args, i), rtol=1e-6, atol=1e-8)
        assert np.shape(grads[i]) == np.shape(args[i])


@pytest.mark.parametrize("case", list(SUM_START))
def test_sum_start_forward_against_differences(case):
    source, shapes = SUM_START[case]
    f = make_function(source)
    args = _inputs(shapes, 1)
    rng = np.random.default_rng(2)
    tangents = tuple(rng.normal(size=s) if s else float(rng.normal()) for s in shapes)
    _, jv = ts.jvp(f, wrt=(0, 1))(*args, *tangents)
    expected = sum(np.sum(_fd_gradient(f, args, i) * t) for i, t in enumerate(tangents))
    np.testing.assert_allclose(jv, expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("case", list(SUM_START))
def test_sum_start_dot_product(case):
    source, shapes = SUM_START[case]
    dot_product_check(make_function(source), _inputs(shapes, 3), (0, 1), np.random.default_rng(4))


def test_the_example_of_the_report():
    """def f(x, y): return sum([x, 2*x], y) has d/dy = 1 and d/dx = 3."""
    f = make_function("""
        def f(x, y):
            return sum([x, 2*x], y)
        """)
    assert ts.grad(f, wrt=(0, 1))(0.7, 0.3) == pytest.approx((3.0, 1.0), rel=1e-12)
    value, tangent = ts.jvp(f, wrt=(0, 1))(0.7, 0.3, 0.0, 1.0)
    assert value == pytest.approx(2.4) and tangent == pytest.approx(1.0)
    value, tangent = ts.jvp(f, wrt=(0, 1))(0.7, 0.3, 1.0, 0.0)
    assert tangent == pytest.approx(3.0)


@pytest.mark.parametrize("mode", MODES)
def test_plain_number_start_still_works(mode):
    f = make_function("""
        def f(x):
            return np.sum(sum([x, x * x], 2.5) ** 2)
        """)
    x = _inputs([(3,)], 5)[0]
    expected = _fd_gradient(f, (x,), 0)
    if mode == "grad":
        np.testing.assert_allclose(ts.grad(f)(x), expected, rtol=1e-6)
    else:
        v = np.random.default_rng(6).normal(size=3)
        _, jv = ts.jvp(f)(x, v)
        np.testing.assert_allclose(jv, np.sum(expected * v), rtol=1e-6)
    dot_product_check(f, (x,), 0, np.random.default_rng(7))


@pytest.mark.parametrize("mode", MODES)
def test_start_only_differentiated(mode):
    """Items constant, start differentiated: the result moves one for one with start."""
    f = make_function("""
        def f(x, c):
            return np.sum(sum([c, 2.0 * c], x * x))
        """)
    x, c = _inputs([(3,), (3,)], 8)
    expected = _fd_gradient(f, (x, c), 0)
    np.testing.assert_allclose(expected, 2 * x, rtol=1e-6)  # the differences themselves are right
    if mode == "grad":
        np.testing.assert_allclose(ts.grad(f)(x, c), expected, rtol=1e-6)
    else:
        v = np.random.default_rng(9).normal(size=3)
        np.testing.assert_allclose(ts.jvp(f)(x, c, v)[1], np.sum(expected * v), rtol=1e-6)


@pytest.mark.parametrize("wrt", [0, 1])
def test_scalar_items_widened_by_an_array_start(wrt):
    """sum([x, x], c) with x a number and c an array: every element moves with x (jvp once gave 1/3 of it)."""
    f = make_function("""
        def f(x, c):
            return np.sum(np.sin(sum([x, x * x], c)))
        """)
    args = (0.4, np.random.default_rng(10).uniform(0.2, 0.9, 3))
    expected = _fd_gradient(f, args, wrt)
    np.testing.assert_allclose(ts.grad(f, wrt=wrt)(*args), expected, rtol=1e-6)
    v = np.ones_like(expected)
    np.testing.assert_allclose(ts.jvp(f, wrt=wrt)(*args, v if wrt else 1.0)[1], np.sum(expected * v), rtol=1e-6)
    dot_product_check(f, args, (0, 1), np.random.default_rng(11))


JOINS = {
    "lists": ("def f(x, y):\n    parts = sum([[x], [y * 2.0]], [])\n"
              "    return np.sum(np.stack(parts) ** 2)\n", "[]"),
    "tuples": ("def f(x, y):\n    items = [(x,), (y,)]\n    t = sum(items, ())\n"
               "    return np.sum(t[0] * t[1])\n", "()"),
}


@pytest.mark.parametrize("case", sorted(JOINS))
@pytest.mark.parametrize("mode", ["grad", "jvp"])
def test_sum_joining_lists_is_refused_with_the_comprehension_to_write(case, mode):
    """sum(parts, []) joins lists: its derivative was a crash inside the generated code (0 + [dx])."""
    source, start = JOINS[case]
    err = _refusal(source, mode)
    assert f"`sum(..., {start})` joins" in err.message
    assert err.span is not None and "sum(" in err.span.text and start in err.span.text
    assert "for v in part" in err.hint


@pytest.mark.parametrize("wrt", [0, 1])
def test_the_comprehension_the_refusal_suggests(wrt):
    f = make_function("def f(x, y):\n    items = [[x], [y * 2.0]]\n"
                      "    parts = [v for part in items for v in part]\n    return np.sum(np.stack(parts) ** 2)\n")
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal(3), rng.standard_normal(3)
    expected = 2 * x if wrt == 0 else 8 * y  # d/dy (2y)^2 = 8y
    np.testing.assert_allclose(ts.grad(f, wrt=wrt)(x, y), expected, rtol=1e-12)
    v = rng.standard_normal(3)
    np.testing.assert_allclose(ts.jvp(f, wrt=wrt)(x, y, v)[1], expected @ v, rtol=1e-12)
    dot_product_check(f, (x, y), wrt, rng)
