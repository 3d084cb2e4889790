"""Tuples, lists and dicts of arrays, in both modes: course-assignment code and the minimal programs.

Layer helpers return `(out, cache)` with cache a tuple of arrays (or a tuple of caches); losses
loop over `Ws[:-1]`, `Ws[1:]`, `Ws[::-1]` or `Ws[i]` with layers of unequal sizes; per-step
values go into lists; numpy functions take Python lists of numbers or of arrays. Every case is
checked against central differences in both modes (ts.check_grad), by the dot-product test
<u, J v> == <J^T u, v> on its tree of arguments, and, for the layers, against a backward pass
written by hand the way the assignments ask for it (`affine_backward(dout, cache)`).
"""

from __future__ import annotations

import numpy as np
import pytest

import tangent_src as ts
from helpers import make_function

TOLERANCE = 1e-6
SEED = 20261202


# ------------------------------------------------------------------ the course's layers


def affine_forward(x, w, b):
    """out = x w + b, x flattened to rows; the cache holds the inputs."""
    out = x.reshape(x.shape[0], -1) @ w + b
    cache = (x, w, b)
    return out, cache


def relu_forward(x):
    out = np.maximum(0, x)
    cache = x
    return out, cache


def affine_relu_forward(x, w, b):
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    cache = (fc_cache, relu_cache)
    return out, cache


def two_layer_loss(X, W1, b1, W2, b2):
    """A two-layer net; both caches are unused."""
    h, cache1 = affine_relu_forward(X, W1, b1)
    scores, cache2 = affine_forward(h, W2, b2)
    return np.sum(scores**2) / X.shape[0]


def affine_out(x, w, b):
    """The layer's output, its cache ignored (a vector result: vjp and jvp)."""
    out, cache = affine_forward(x, w, b)
    return out


def affine_relu_out(x, w, b):
    out, cache = affine_relu_forward(x, w, b)
    return out


# the oracle: the backward passes a student writes


def affine_backward(dout, cache):
    x, w, b = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = np.sum(dout, axis=0)
    return dx, dw, db


def relu_backward(dout, cache):
    return dout * (cache > 0)


def affine_relu_backward(dout, cache):
    fc_cache, relu_cache = cache
    return affine_backward(relu_backward(dout, relu_cache), fc_cache)


def two_layer_backward(X, W1, b1, W2, b2):
    h, cache1 = affine_relu_forward(X, W1, b1)
    scores, cache2 = affine_forward(h, W2, b2)
    dscores = 2 * scores / X.shape[0]
    dh, dW2, db2 = affine_backward(dscores, cache2)
    _, dW1, db1 = affine_relu_backward(dh, cache1)
    return dW1, db1, dW2, db2


# ------------------------------------------------------------------ lists of layers and of steps


def mlp_but_last(x, Ws):
    h = x
    for W in Ws[:-1]:
        h = np.tanh(W @ h)
    return np.sum((Ws[-1] @ h) ** 2)


def mlp_skip_first(x, Ws):
    h = Ws[0] @ x
    for W in Ws[1:]:
        h = np.tanh(W @ h)
    return np.sum(h**2)


def mlp_reversed(x, Ws):
    h = x
    for W in Ws[::-1]:
        h = np.tanh(W.T @ h)
    return np.sum(h**2)


def mlp_indexed(x, Ws):
    h = x
    for i in range(len(Ws)):
        h = np.tanh(Ws[i] @ h)
    return np.sum(h**2)


def mlp_layers(x, layers):
    """`layers` is a list of (W, b) pairs of unequal sizes."""
    h = x
    for W, b in layers[:-1]:
        h = np.tanh(W @ h + b)
    W, b = layers[-1]
    return np.sum(W @ h + b)


def per_step_states(xs, W):
    """A recurrence over a list of inputs; its states collected in a list, then summed."""
    h = np.zeros(W.shape[0])
    hs = []
    for x in xs:
        h = np.tanh(W @ h + x)
        hs.append(h)
    loss = 0.0
    for h in hs:
        loss = loss + np.sum(h**2)
    return loss


def scalar_list(a):
    b = [1.0, a * a, 2.0]
    return np.sum(b) + np.mean(b)


def array_list(a, c):
    b = [a, a * c, c]
    return np.sum(np.stack(b) ** 2) + np.sum(np.mean(b, axis=0)) + np.sum(np.array(b)[1])


def mlp_backward(x, Ws):
    """The hand-written gradient of mlp_but_last with respect to Ws (the oracle)."""
    hs = [x]
    for W in Ws[:-1]:
        hs.append(np.tanh(W @ hs[-1]))
    y = Ws[-1] @ hs[-1]
    dy = 2 * y
    grads = [None] * len(Ws)
    grads[-1] = np.outer(dy, hs[-1])
    dh = Ws[-1].T @ dy
    for k in range(len(Ws) - 2, -1, -1):
        da = dh * (1 - hs[k + 1] ** 2)
        grads[k] = np.outer(da, hs[k])
        dh = Ws[k].T @ da
    return grads


# ------------------------------------------------------------------ inputs and checks


def _rng():
    return np.random.default_rng(SEED)


def _layer_inputs():
    rng = _rng()
    X = rng.standard_normal((4, 3))
    W1, b1 = rng.standard_normal((3, 5)), rng.standard_normal(5) + 0.3
    W2, b2 = rng.standard_normal((5, 2)), rng.standard_normal(2)
    return X, W1, b1, W2, b2


def _weights():
    rng = _rng()
    return [rng.standard_normal((4, 3)), rng.standard_normal((5, 4)), rng.standard_normal((2, 5))]


def _tree_random(x, rng):
    if isinstance(x, (list, tuple)):
        return type(x)(_tree_random(v, rng) for v in x)
    return rng.standard_normal(np.shape(x)) if np.ndim(x) else float(rng.standard_normal())


def _tree_inner(a, b):
    if isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), f"{type(b)} is not structured like {type(a)}"
        return sum(_tree_inner(u, v) for u, v in zip(a, b))
    assert np.shape(a) == np.shape(b), f"shape {np.shape(b)} where {np.shape(a)} was expected"
    return float(np.sum(np.asarray(a) * np.asarray(b)))


def _dot_product(f, args, wrt):
    rng = np.random.default_rng(SEED + 1)
    indices = wrt if isinstance(wrt, tuple) else (wrt,)
    value = f(*args)
    v = [_tree_random(args[i], rng) for i in indices]
    u = _tree_random(value, rng)
    _, jv = ts.jvp(f, wrt)(*args, *v)
    pulled = ts.vjp(f, wrt)(*args, u)
    pulled = pulled if isinstance(wrt, tuple) else (pulled,)
    left = _tree_inner(u, jv)
    right = sum(_tree_inner(t, g) for t, g in zip(v, pulled))  # also checks each gradient's structure
    assert abs(left - right) <= 1e-9 * max(abs(left), abs(right), 1e-12)


def _check_both_modes(f, args, wrt):
    for mode in ("reverse", "forward"):
        errors = ts.check_grad(f, args, wrt, mode=mode)
        assert max(np.atleast_1d(errors)) < TOLERANCE, (mode, errors)
    _dot_product(f, args, wrt)


CASES = {
    "two_layer_loss": (two_layer_loss, _layer_inputs, (1, 2, 3, 4)),
    "affine_out": (affine_out, lambda: _layer_inputs()[:3], (0, 1, 2)),
    "affine_relu_out": (affine_relu_out, lambda: _layer_inputs()[:3], (0, 1, 2)),
    "mlp_but_last": (mlp_but_last, lambda: (_rng().standard_normal(3), _weights()), 1),
    "mlp_but_last_x": (mlp_but_last, lambda: (_rng().standard_normal(3), _weights()), (0, 1)),
    "mlp_skip_first": (mlp_skip_first, lambda: (_rng().standard_normal(3), _weights()), 1),
    "mlp_reversed": (mlp_reversed, lambda: (_rng().standard_normal(2), _weights()), 1),
    "mlp_indexed": (mlp_indexed, lambda: (_rng().standard_normal(3), _weights()), (0, 1)),
    "mlp_layers": (mlp_layers, lambda: (_rng().standard_normal(3), [(W, np.ones(W.shape[0])) for W in _weights()]),
                   1),
    "per_step_states": (per_step_states, lambda: ([_rng().standard_normal(3) * k for k in (1, 2, 3)],
                                                  _rng().standard_normal((3, 3)) * 0.5), (0, 1)),
    "scalar_list": (scalar_list, lambda: (1.3,), 0),
    "array_list": (array_list, lambda: (_rng().standard_normal(3), _rng().standard_normal(3) + 1), (0, 1)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_course_code_both_modes(name):
    f, inputs, wrt = CASES[name]
    _check_both_modes(f, inputs(), wrt)


def test_layers_against_the_hand_written_backward_pass():
    args = _layer_inputs()
    expected = two_layer_backward(*args)
    found = ts.grad(two_layer_loss, wrt=(1, 2, 3, 4))(*args)
    for e, g in zip(expected, found):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12)
    # the layer on its own, by vjp, against affine_relu_backward
    x, w, b = args[:3]
    dout = _rng().standard_normal((4, 5))
    _, cache = affine_relu_forward(x, w, b)
    for e, g in zip(affine_relu_backward(dout, cache), ts.vjp(affine_relu_out, (0, 1, 2))(x, w, b, dout)):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12)
    _, cache = affine_forward(x, w, b)
    for e, g in zip(affine_backward(dout[:, :5], cache), ts.vjp(affine_out, (0, 1, 2))(x, w, b, dout[:, :5])):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12)


def test_layer_list_against_the_hand_written_backward_pass():
    x, Ws = _rng().standard_normal(3), _weights()
    found = ts.grad(mlp_but_last, wrt=1)(x, Ws)
    assert isinstance(found, list) and len(found) == 3
    for e, g in zip(mlp_backward(x, Ws), found):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12)


def test_list_of_numbers_to_numpy_functions():
    a = 1.3
    assert ts.grad(scalar_list)(a) == pytest.approx(2 * a + 2 * a / 3, rel=1e-12)
    _, tangent = ts.jvp(scalar_list)(a, 1.0)
    assert tangent == pytest.approx(2 * a + 2 * a / 3, rel=1e-12)


# ------------------------------------------------------------------ the minimal programs


MINIMAL = {
    # reverse mode called np.zeros_like(cache) on the unused tuple (x, w, b): inhomogeneous shape
    "unused_cache": ("""
def layer(x, w, b):
    out = x @ w + b
    cache = (x, w, b)
    return out, cache

def f(x, w, b):
    out, cache = layer(x, w, b)
    return np.sum(out)
""", lambda rng: (rng.standard_normal((2, 3)), rng.standard_normal((3, 4)), rng.standard_normal(4)), (0, 1, 2)),
    # np.zeros_like(Ws[:-1]), a list of arrays of unequal shapes
    "loop_over_a_slice_of_a_list": ("""
def f(x, Ws):
    for W in Ws[:-1]:
        x = np.tanh(W @ x)
    return np.sum(x)
""", lambda rng: (rng.standard_normal(3), [rng.standard_normal((4, 3)), rng.standard_normal((2, 4)),
                                          rng.standard_normal((1, 2))]), 1),
    # IndexError on a 0-d array: the adjoint of the list was made with shape ()
    "sum_of_a_list_of_numbers": ("""
def f(a):
    b = [1, a * a, 2]
    return np.sum(b)
""", lambda rng: (1.5,), 0),
    "mean_of_a_list_of_numbers": ("""
def f(a):
    b = [1, a * a, 2]
    return np.mean(b)
""", lambda rng: (1.5,), 0),
    "sum_of_a_list_of_arrays_with_an_axis": ("""
def f(a, c):
    b = [a, np.sin(c), a * c]
    return np.sum(np.sum(b, axis=0) ** 2) + np.max(b)
""", lambda rng: (rng.standard_normal(3), rng.standard_normal(3)), (0, 1)),
    "list_through_an_elementwise_function": ("""
def f(a):
    b = [a, a * a]
    return np.sum(np.sin(b) + np.add(b, 1.0))
""", lambda rng: (0.7,), 0),
    "helper_result_read_as_a_tuple": ("""
def pair(x, w):
    return x * w, (x, w)

def f(x, w):
    out, cache = pair(x, w)
    x2, w2 = cache
    return np.sum(out * x2)
""", lambda rng: (rng.standard_normal(3), rng.standard_normal(3)), (0, 1)),
    "cache_of_caches_unused": ("""
def inner(x, w):
    return np.tanh(x * w), (x, w, np.ones(3))

def outer(x, w):
    a, c1 = inner(x, w)
    out, c2 = inner(a, w)
    return out, (c1, c2)

def f(x, w):
    out, cache = outer(x, w)
    return np.sum(out)
""", lambda rng: (rng.standard_normal(3), rng.standard_normal(3)), (0, 1)),
    "item_of_a_list_parameter": ("""
def f(x, Ws):
    y = Ws[1] @ np.tanh(Ws[0] @ x)
    return np.sum(y ** 2)
""", lambda rng: (rng.standard_normal(3), [rng.standard_normal((4, 3)), rng.standard_normal((2, 4)),
                                          rng.standard_normal((7,))]), (0, 1)),
}


@pytest.mark.parametrize("name", sorted(MINIMAL))
def test_minimal_programs_both_modes(name):
    source, inputs, wrt = MINIMAL[name]
    f = make_function(source)
    _check_both_modes(f, inputs(np.random.default_rng(SEED)), wrt)


def test_zero_of_an_unused_list_item_has_the_items_structure():
    f = make_function(MINIMAL["loop_over_a_slice_of_a_list"][0])
    x, Ws = MINIMAL["loop_over_a_slice_of_a_list"][1](np.random.default_rng(SEED))
    found = ts.grad(f, wrt=1)(x, Ws)
    assert [np.shape(g) for g in found] == [(4, 3), (2, 4), (1, 2)]
    assert not np.any(found[2])  # the last layer is not used


# ------------------------------------------------------------------ one-element unpacking (RW2)
# `out, = layer(x)` / `(a,) = t`: the item of a 1-tuple, not the tuple itself (it was read as
# `a = t`: a silently wrong gradient, or a crash)

def relu_layer(x, w):
    out = np.maximum(x @ w, 0.0)
    return out,  # the habit of returning a 1-tuple


def one_tuple_layer_loss(x, w):
    out, = relu_layer(x, w)
    (scores,) = (out * 2.0,)
    [total] = [np.sum(scores ** 2)]
    return total


ONE_TUPLE_PROGRAMS = {
    "display": "def f(x):\n    t = (x * 3.0,)\n    (a,) = t\n    return np.sum(a * a)\n",
    "helper": "def g(x):\n    return x * 3.0,\n\n\ndef f(x):\n    a, = g(x)\n    return np.sum(a * a)\n",
}


@pytest.mark.parametrize("name", sorted(ONE_TUPLE_PROGRAMS))
def test_one_element_unpacking(name):
    f = make_function(ONE_TUPLE_PROGRAMS[name])
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(ts.grad(f)(x), 18.0 * x, rtol=1e-12)  # d/dx sum(9 x^2)
    _check_both_modes(f, (x,), 0)


def test_one_element_unpacking_in_course_code():
    rng = _rng()
    x, w = rng.standard_normal((4, 3)), rng.standard_normal((3, 5))
    _check_both_modes(one_tuple_layer_loss, (x, w), (0, 1))
    h = np.maximum(x @ w, 0.0)
    dz = 8.0 * h * (x @ w > 0)  # d sum((2 h)^2) / d(x w)
    bx, bw = ts.grad(one_tuple_layer_loss, wrt=(0, 1))(x, w)
    np.testing.assert_allclose(bx, dz @ w.T, rtol=1e-12)
    np.testing.assert_allclose(bw, x.T @ dz, rtol=1e-12)


def test_a_constant_tuple_result_has_a_zero_tangent_of_its_structure():
    """`return loss, (1.0, np.ones(2))`: the second result does not vary; its tangent is zeros
    shaped like it (jvp crashed on np.zeros_like of the tuple), its cotangent is ignored."""
    f = make_function("def f(x):\n    return np.sum(x ** 2), (1.0, np.ones(2))\n")
    x = np.array([0.5, -1.0, 2.0])
    (value, aux), (dvalue, daux) = ts.jvp(f)(x, np.ones(3))
    assert dvalue == pytest.approx(2 * np.sum(x)) and daux[0] == 0.0 and np.array_equal(daux[1], np.zeros(2))
    np.testing.assert_allclose(ts.vjp(f)(x, (1.0, (5.0, np.ones(2)))), 2 * x)


def product_of_items(params):
    a = params[0]
    b = params[1]
    return np.sum(a * b)


def items_of_a_helpers_tuple(x, y):
    p = pair(x, y)
    return np.sum(p[0] * p[1])


def pair(x, y):
    return x, y


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_items_of_a_tuple_broadcast_against_each_other(mode):
    """params[0] * params[1] with items of unequal shapes: the items of a tuple are not taken to have
    one shape (as the rows of an array have), so the adjoint of the smaller is summed back to it."""
    args = ((np.full(3, 0.5), np.arange(6.0).reshape(2, 3)),)
    grad = ts.grad(product_of_items)(*args)
    assert np.shape(grad[0]) == (3,) and np.shape(grad[1]) == (2, 3)
    np.testing.assert_allclose(grad[0], np.arange(6.0).reshape(2, 3).sum(axis=0))
    assert ts.check_grad(product_of_items, args, 0, mode=mode) < TOLERANCE
    scalar_first = ((2.0, np.ones(3)),)
    assert np.shape(ts.grad(product_of_items)(*scalar_first)[0]) == ()
    two = (np.full(3, 0.5), np.arange(6.0).reshape(2, 3))
    errors = ts.check_grad(items_of_a_helpers_tuple, two, (0, 1), mode=mode)
    assert max(errors) < TOLERANCE


def parts_chosen_by_a_flag(x, y, flag=True):
    g = (x, y, x * y)
    a, b, c = g if flag else (None, g, None)
    return np.sum(a * c) + np.sum(b)


def parts_rebound_in_a_loop(x, y):
    pair = (x, 1.0)
    total = 0.0
    for _ in range(2):
        first, second = pair
        total = total + np.sum(first * second)
        pair = (2.0, y * first)  # the parts that vary change places from one trip to the next
    return total


@pytest.mark.parametrize("fn", [parts_chosen_by_a_flag, parts_rebound_in_a_loop])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_tuple_parts_bound_several_ways_keep_their_derivatives(fn, mode):
    """A name bound to tuples in two branches, or again in a loop: a part varies where it varies in any
    binding (unpacking it gives no silent zero)."""
    rng = np.random.default_rng(SEED)
    args = (rng.standard_normal(3), rng.standard_normal(3))
    assert max(ts.check_grad(fn, args, (0, 1), mode=mode)) < TOLERANCE
