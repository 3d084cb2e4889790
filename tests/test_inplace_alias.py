"""In-place updates (`a += v`, `y[i] = v`, `xs.append(v)`) and the names that share their array.

The generated code never updates an array in place; Python does, and every other name holding
that array (a copy `s = a`, a view `r = y[0]`) made before the update shows the change. What
Python runs is differentiated as Python runs it: a copy made in the same block follows the update
(for `s += v` only where s holds an array or a list, which the generated code tests; a number is
rebound instead), a view or copy made after the update or a name rebound since does not share,
and what cannot be followed is refused naming the user's variable, never a temporary. Each
accepted case is checked against central differences in both modes, by the dot-product test, and
against Python's own value, for float and for array arguments.
"""

from __future__ import annotations

import numpy as np
import pytest

import tangent_src as ts
from helpers import assert_not_mutated, copy_value, dot_product_check, make_function

TOLERANCE = 1e-6
SEED = 20261203

ACCEPTED = {
    # refused before as "also changes `out`": the update rebinds a float; the copy made for the
    # return comes after it
    "add_items_into_a_float_parameter": ("""
def f(a, x):
    for i in range(3):
        a += x[i]
    return a
""", [(1.3, "x3"), ("a3", "x3")], (0, 1)),
    # `s = a; s += 1.0`: with a float, a keeps its value; with an array, a changes with s
    "copy_then_update": ("""
def f(a):
    s = a
    s += 1.0
    return np.sum(s * a)
""", [(1.3,), ("a3",)], 0),
    "copy_then_update_twice_in_a_loop": ("""
def f(a, x):
    for i in range(2):
        s = a
        s *= x[i]
        a = a + s
    return np.sum(a * s)
""", [(0.7, "x3"), ("a3", "x3")], (0, 1)),
    # refused before as "also changes `t3`": y[0] is read after the loop that filled y
    "read_an_item_after_filling_in_a_loop": ("""
def f(x):
    y = np.zeros(3)
    for i in range(3):
        y[i] = x[i] * 2
    return y[0] + np.sum(y)
""", [("x3",)], 0),
    "read_items_after_updating_them_in_a_loop": ("""
def f(x):
    y = np.zeros_like(x)
    for i in range(3):
        y[i] += np.sin(x[i])
        y[i] *= x[i]
    return y[0] * y[2] + np.sum(y)
""", [("x3",)], 0),
    # `z = y; z[0] = ...`: Python's y changes too (always: an item write is in place)
    "write_through_a_copy": ("""
def f(x):
    y = np.zeros(3)
    z = y
    z[0] = x[0] * x[1]
    return np.sum(y * x)
""", [("x3",)], 0),
    "append_through_a_copy": ("""
def f(x):
    hs = []
    alias = hs
    hs.append(np.tanh(x))
    return np.sum(alias[0] * x)
""", [("x3",)], 0),
    "view_made_after_the_update": ("""
def f(x):
    y = x * 2.0
    y += 1.0
    r = y[0]
    return np.sum(r * y)
""", [("x23",)], 0),
}


def _value(spec, rng):
    if spec == "x3" or spec == "a3":
        return rng.standard_normal(3) * 0.8
    if spec == "x23":
        return rng.standard_normal((2, 3))
    return spec


def _python_value(f, args):
    return f(*copy_value(args))  # Python's own semantics, in place updates included


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_accepted_updates_both_modes(name):
    source, inputs, wrt = ACCEPTED[name]
    f = make_function(source)
    rng = np.random.default_rng(SEED)
    for spec in inputs:
        args = tuple(_value(s, rng) for s in spec)
        for mode in ("reverse", "forward"):
            errors = ts.check_grad(f, args, wrt, mode=mode)
            assert max(np.atleast_1d(errors)) < TOLERANCE, (spec, mode, errors)
        dot_product_check(f, args, wrt, rng)
        value, _ = assert_not_mutated(ts.jvp(f, wrt), args + tuple(
            _value(s, rng) if isinstance(s, str) else 1.0 for s in (spec[i] for i in np.atleast_1d(wrt))))
        np.testing.assert_allclose(value, _python_value(f, args), rtol=1e-12)
        assert_not_mutated(ts.grad(f, wrt) if np.ndim(_python_value(f, args)) == 0 else ts.vjp(f, wrt),
                           args if np.ndim(_python_value(f, args)) == 0 else args + (1.0,))


def test_a_copy_follows_an_array_update_but_not_a_float_one():
    f = make_function(ACCEPTED["copy_then_update"][0])
    a = np.array([1.0, 2.0])
    np.testing.assert_allclose(ts.grad(f)(a), 2 * (a + 1))  # sum((a + 1) * (a + 1))
    assert ts.grad(f)(1.5) == pytest.approx(2 * 1.5 + 1)  # (a + 1) * a


def test_running_sum_course_style():
    """A weighted sum accumulated the way tutorials write it, and a gradient array filled item by item."""
    f = make_function("""
def f(w, x):
    total = 0.0
    for i in range(len(x)):
        total += w[i] * x[i]
    scores = np.zeros_like(x)
    for i in range(len(x)):
        scores[i] = total * x[i]
    scores[0] += 1.0
    first = scores[0]
    return first + np.sum(scores ** 2)
""")
    rng = np.random.default_rng(SEED)
    args = (rng.standard_normal(4), rng.standard_normal(4))
    for mode in ("reverse", "forward"):
        assert max(ts.check_grad(f, args, (0, 1), mode=mode)) < TOLERANCE
    dot_product_check(f, args, (0, 1), rng)


REFUSED = {
    # Python shows the update through r (y[0] of a 2-D y is a view): refused, naming r
    "view_read_after_the_update": ("""
def f(x):
    y = x * 2.0
    r = y[0]
    y += 1.0
    return np.sum(r) + np.sum(y)
""", "`r`"),
    # a copy made in another block (before the loop): whether it still shares is not known
    "copy_from_before_a_loop": ("""
def f(a, x):
    s = a
    for i in range(2):
        s += x[i]
    return np.sum(s * a)
""", "`a`"),
    "rows_of_an_array_updated_while_walked": ("""
def f(y):
    for row in y:
        y += row
    return np.sum(y)
""", "`y`"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_updates_name_the_users_variable(name):
    source, shown = REFUSED[name]
    f = make_function(source)
    with pytest.raises(ts.TransformError) as err:
        ts.grad(f)(np.ones((2, 3)))
    message = str(err.value)
    assert shown in message and "shares the array" in message
    assert ":" in message.splitlines()[0] and "^" in message  # file:line:col and a caret
    for word in message.replace("`", " ").split():
        assert not (word.startswith("t") and word[1:].isdigit()), message  # no temporary t3


def test_a_refusal_names_the_variable_not_its_renaming():
    """x is renamed where the branches join (x_2, x_3 inside); the message says `x` (campaign seed 901816)."""
    f = make_function("def f(x):\n    if np.sum(x) > 0:\n        x = x * 2.0\n    else:\n        x = np.tanh(x)\n"
                      "    v = x[0, 1]\n    v += np.sin(v)\n    return np.sum(x) + v\n")
    with pytest.raises(ts.TransformError) as info:
        ts.grad(f)(np.ones((2, 3)))
    message = str(info.value).splitlines()[0]
    assert "`x`" in message and "x_" not in message, message
