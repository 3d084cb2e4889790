"""Derivative names: bv and dv, or v_bar and v_dot in a function whose own names would clash.

A bias `by` beside a value `y` made the adjoint of y `by_2` (read as a version of by) and the
adjoint of by `bby`. Now such a function spells every adjoint v_bar, and says so in its docstring;
the gradients are those worked out by hand.
"""

import numpy as np

import tangent_src as ts


def layer(W, by, y, x):
    h = np.tanh(W @ x + by)
    return np.sum(h * y)


def euler(x, dt, t):
    for k in range(3):
        x = x + dt * np.sin(x * t)
    return x


def plain(W, b, x):
    return np.sum(np.tanh(W @ x + b))


def test_clashing_names_give_bar_names():
    text = ts.source(ts.grad(layer, (0, 1, 2)))
    assert "by_2" not in text and "bby" not in text and "bh" not in text
    assert "return W_bar, by_bar, y_bar" in text
    assert "written v_bar" in text
    rng = np.random.default_rng(0)
    W, by, y, x = rng.normal(size=(3, 4)), rng.normal(size=3), rng.normal(size=3), rng.normal(size=4)
    gW, gby, gy = ts.grad(layer, (0, 1, 2))(W, by, y, x)
    h = np.tanh(W @ x + by)
    da = (1 - h ** 2) * y
    np.testing.assert_allclose(gW, np.outer(da, x), rtol=1e-12)
    np.testing.assert_allclose(gby, da, rtol=1e-12)
    np.testing.assert_allclose(gy, h, rtol=1e-12)


def test_clashing_tangent_names_give_dot_names():
    """`dt` beside `t`: tangents are x_dot; the jvp takes them by those names."""
    made = ts.jvp(euler, (0, 1))
    text = ts.source(made)
    assert "def jvp_euler(x, dt, t, x_dot, dt_dot):" in text and "written v_dot" in text
    x, dt, t = 0.4, 0.1, 1.3
    eps = 1e-6
    _, tangent = made(x, dt, t, 1.0, 0.5)
    difference = (euler(x + eps, dt + 0.5 * eps, t) - euler(x - eps, dt - 0.5 * eps, t)) / (2 * eps)
    assert abs(tangent - difference) < 1e-8


def test_other_functions_keep_b_and_d():
    text = ts.source(ts.grad(plain, (0, 1)))
    assert "return bW, bb" in text and '"v bar"' in text
    assert "def jvp_plain(W, b, x, dW, db):" in ts.source(ts.jvp(plain, (0, 1)))
