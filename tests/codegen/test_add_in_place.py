"""Adjoints of array elements are added in place only into buffers the generated code owns.

A loop that reads x[i] on every trip would, with `bx = bx + unindex(...)`, make a whole
array of zeros per read (O(n) per trip); `add_at` adds into bx itself. These tests
check where it is used, that the derivatives stay right (finite differences), and that
no argument and no other adjoint is changed by it.
"""

import numpy as np

import tangent_src as ts
from tangent_src.runtime import add_at


def rosenbrock(x):
    total = 0.0
    for i in range(len(x) - 1):
        total = total + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return total


def reads_whole_and_items(x):
    s = 0.0
    for i in range(3):
        s = s + x[i] * np.sum(x ** 2)
    return s


def repeated_indices(x):
    s = 0.0
    for k in range(2):
        s = s + np.sum(x[[0, 0, 2]] ** 2) * (k + 1)
    return s


def two_arguments(x, y):
    s = 0.0
    for i in range(len(x)):
        s = s + x[i] * y[i]
    return s


def item_then_whole(x):
    z = x[0] * 3.0
    w = np.sum(x * z)
    return w + x[1] ** 2


def test_a_loop_of_element_reads_adds_in_place():
    code = ts.source(ts.grad(rosenbrock))
    assert "add_at(bx," in code and "unindex" not in code
    x = np.random.default_rng(0).uniform(-1, 1, 7)
    before = x.copy()
    assert ts.check_grad(rosenbrock, (x,)) < 1e-6
    assert np.array_equal(x, before)


def test_derivatives_are_right_where_an_adjoint_is_also_read_as_a_whole():
    x = np.random.default_rng(1).standard_normal(4)
    for fn in (reads_whole_and_items, repeated_indices, item_then_whole):
        before = x.copy()
        assert ts.check_grad(fn, (x,)) < 1e-6, fn.__name__
        assert ts.check_grad(fn, (x,), mode="forward") < 1e-6, fn.__name__
        assert np.array_equal(x, before)


def test_each_argument_gets_its_own_buffer():
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal(5), rng.standard_normal(5)
    bx, by = ts.grad(two_arguments, wrt=(0, 1))(x, y)
    np.testing.assert_allclose(bx, y)
    np.testing.assert_allclose(by, x)
    assert not np.shares_memory(bx, by)


def test_add_at_adds_as_unindex_would():
    b = np.zeros(4)
    assert add_at(b, 2.0, like=np.ones(4), index=1) is b and b[1] == 2.0
    add_at(b, np.array([1.0, 1.0]), like=np.ones(4), index=[3, 3])  # repeated indices add up
    assert b[3] == 2.0
    narrow = np.zeros(3, dtype=np.float32)
    added = add_at(narrow, np.float64(1.5), like=narrow, index=0)  # g is wider than b: added out of place
    assert added is not narrow and narrow[0] == 0.0 and added[0] == 1.5
    assert np.array_equal(add_at(0.0, 1.0, like=np.ones(2), index=1), [0.0, 1.0])


def gates(W, U, xs, h0):
    """An LSTM-like loop: z's adjoint starts anew each trip from its four rows."""
    h = h0
    for x in xs:
        z = W @ x + U * h
        h = np.tanh(z[0]) * (1 / (1 + np.exp(-z[1]))) + np.tanh(z[2]) * z[3]
    return np.sum(h**2)


def test_an_adjoint_started_anew_each_trip_adds_in_place():
    rng = np.random.default_rng(3)
    W, U = rng.standard_normal((4, 2)) * 0.5, rng.standard_normal(4) * 0.5
    xs, h0 = rng.standard_normal((5, 2)), 0.3
    code = ts.source(ts.grad(gates))
    assert "bz = unindex(" in code and "bz = add_at(bz," in code
    before = W.copy()
    assert max(ts.check_grad(gates, (W, U, xs, h0), wrt=(0, 1))) < 1e-6
    assert np.array_equal(W, before)
