"""Adjoints of items are added in place only into objects the generated code owns.

A loop that reads x[i] on every trip would, with `bx = bx + unindex(...)`, make a whole
array of zeros per read (O(n) per trip); `add_at` adds into bx itself, an array, a list or
a dict of adjoints (codegen/inplace.py decides where: bx is made by the code, and no other
name read afterwards holds it). These tests check where it is used, that the derivatives
stay right (finite differences), and that no argument and no other adjoint is changed by it.
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


def items_of_a_list(xs, w):
    s = 0.0
    for i in range(len(xs)):
        s = s + np.sum(np.tanh(w * xs[i]) * xs[i - 1])
    return s


def items_of_a_dict(x):
    d = {}
    for k in range(4):
        d[k] = x * (k + 1.0)
    s = 0.0
    for k in range(4):
        s = s + np.sum(np.sin(d[k]) * d[3 - k])
    return s


def test_a_list_or_dict_adjoint_takes_its_items_in_place():
    rng = np.random.default_rng(4)
    xs, w = [rng.standard_normal(3) for _ in range(4)], rng.standard_normal(3)
    code = ts.source(ts.grad(items_of_a_list, wrt=(0, 1)))
    assert "bxs = add_at(bxs," in code and "+ unindex(" not in code
    before = [x.copy() for x in xs]
    bxs, _ = ts.grad(items_of_a_list, wrt=(0, 1))(xs, w)
    assert isinstance(bxs, list) and len(bxs) == len(xs)
    assert all(np.array_equal(a, b) for a, b in zip(xs, before))
    for mode in ("reverse", "forward"):
        assert max(ts.check_grad(items_of_a_list, (xs, w), wrt=(0, 1), mode=mode)) < 1e-6, mode
    x = rng.standard_normal(3)
    code = ts.source(ts.grad(items_of_a_dict))
    assert "= add_at(bd" in code and "+ unindex(" not in code
    for mode in ("reverse", "forward"):
        assert ts.check_grad(items_of_a_dict, (x,), mode=mode) < 1e-6, mode
