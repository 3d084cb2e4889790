"""Calls of the user's own functions, structured parameters, subscript writes and lists, in both modes.

Every function in CASES is checked against central differences in reverse and
forward mode (ts.check_grad, float64), for the dot-product identity
<u, J v> == <J^T u, v> between jvp and vjp, and for leaving its arguments
unchanged under grad, vjp and jvp. Arguments may be tuples, lists or dicts of
arrays: the dot-product and mutation checks here walk such structures leaf by
leaf (helpers.dot_product_check takes plain arrays and scalars only).

The tests after the table check what a table cannot: that each called user
function is emitted once as its own derivative function and called from the
caller's, which parameters a callee is differentiated in, that gradients come
back in the structure of the argument, and the cases that do not work yet
(each was a strict xfail until fixed).
"""

import numpy as np
import pytest

import tangent_src as ts
from helpers import assert_not_mutated, copy_value, dot_product_check
from user_helpers import layer, moments, softplus, squash

TOLERANCE = 1e-6
SEED = 20240612


# ------------------------------------------------------------------ calls of the user's own functions


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def lstm_cell(W, b, x, h, c):
    """One LSTM step: the four gates are slices of one product with the concatenated input and state."""
    n = h.shape[0]
    z = W @ np.concatenate([x, h]) + b
    i = sigmoid(z[:n])
    f = sigmoid(z[n : 2 * n])
    o = sigmoid(z[2 * n : 3 * n])
    g = np.tanh(z[3 * n :])
    c_next = f * c + i * g
    h_next = o * np.tanh(c_next)
    return np.sum(h_next**2) + np.sum(c_next * c_next)


def lstm_hidden(W, b, x, h, c):
    """The same cell, returning the next hidden state itself (a vector result)."""
    n = h.shape[0]
    z = W @ np.concatenate([x, h]) + b
    i = sigmoid(z[:n])
    f = sigmoid(z[n : 2 * n])
    o = sigmoid(z[2 * n : 3 * n])
    g = np.tanh(z[3 * n :])
    return o * np.tanh(f * c + i * g)


def lstm_inputs(rng, hidden=3, inputs=2):
    W = rng.standard_normal((4 * hidden, inputs + hidden)) / np.sqrt(inputs + hidden)
    b = 0.1 * rng.standard_normal(4 * hidden)
    return W, b, rng.standard_normal(inputs), rng.standard_normal(hidden), rng.standard_normal(hidden)


def two_layers(x, W1, b1, W2, b2):
    """Helpers from another module: keyword arguments, a default left out, strings choosing each branch."""
    h = layer(x, W1, b1, act="tanh")
    y = layer(h, W2, b2, act="softplus", scale=0.5)
    return np.sum(softplus(y)) + np.sum(layer(y, W2.T, b1, act="linear") ** 2)


def two_layer_inputs(rng):
    return (rng.standard_normal(3), rng.standard_normal((4, 3)), rng.standard_normal(4),
            rng.standard_normal((2, 4)), rng.standard_normal(2))


def standardized_cubes(x):
    """A helper returning a tuple, unpacked by the caller."""
    m, s = moments(x)
    return np.sum(((x - m) / np.sqrt(s + 1e-3)) ** 3)


def variance_only(x, w):
    """A tuple-returning helper with one of its results unused."""
    m, s = moments(x * w)
    return s * s


FIXED = np.array([[0.5, -0.3, 0.2], [0.1, 0.4, -0.6]])


def affine(a, W, c):
    return W @ a + c


def affine_twice(x, W):
    """A helper called with some arguments constant: a local array, a module constant, a literal."""
    bias = np.ones(3)
    y = affine(x, W, bias)
    z = affine(y, FIXED, 0.5)
    return np.sum(np.tanh(z))


def swish(v):
    """A helper that calls another helper of this module."""
    return v * sigmoid(v)


def nested_helpers(x, w):
    """Helpers calling helpers: swish calls sigmoid; squash (another module) calls softplus."""
    return np.sum(swish(x * w) + squash(x) * sigmoid(w))


def leaky(v):
    if np.sum(v) > 0:
        y = v
    else:
        y = 0.1 * v
    return y


def leaky_loop(s, n):
    """A loop calling a helper that branches on the data."""
    for t in range(n):
        s = leaky(s) + np.sin(s)
    return np.sum(s**2)


def leaky_loop_sums(s, n):
    """np.sum(v) at each call of leaky in leaky_loop, in plain Python."""
    sums = []
    for t in range(n):
        sums.append(float(np.sum(s)))
        s = (s if np.sum(s) > 0 else 0.1 * s) + np.sin(s)
    return sums


LEAKY_START = np.array([2.0, -2.5])


# ------------------------------------------------------------------ structured parameters


def mlp_loss(params, X, Y):
    """A two-layer tanh MLP with a softmax cross-entropy loss; params is a tuple (W1, b1, W2, b2)."""
    W1, b1, W2, b2 = params
    H = np.tanh(X @ W1 + b1)
    logits = H @ W2 + b2
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.sum(Y * log_probs) / X.shape[0]


def mlp_inputs(rng, n=5, d=3, hidden=6, classes=4):
    params = (rng.standard_normal((d, hidden)) / np.sqrt(d), 0.1 * rng.standard_normal(hidden),
              rng.standard_normal((hidden, classes)) / np.sqrt(hidden), 0.1 * rng.standard_normal(classes))
    X = rng.standard_normal((n, d))
    Y = np.eye(classes)[rng.integers(0, classes, size=n)]
    return params, X, Y


def list_of_layers(layers, x):
    """A list of weight matrices, unpacked."""
    A, B = layers
    return np.sum(np.tanh(B @ np.tanh(A @ x)))


def dict_params(p, x):
    """A dict of arrays, read by constant keys."""
    return np.sum(np.sin(p["W"] @ x + p["b"]) ** 2)


def indexed_tuple(params, x):
    """A tuple of arrays, read by index."""
    W = params[0]
    b = params[1]
    return np.sum((W @ x + b) ** 2) + np.sum(params[1] * x[:2])


def nested_layers(params, x):
    """Layers as pairs, unpacked in one nested assignment, as people write it."""
    (W1, b1), (W2, b2) = params
    return np.sum((W2 @ np.tanh(W1 @ x + b1) + b2) ** 2)


def layers_loop(layers, x):
    """`for W, b in layers`: each item unpacked by the loop; x (not in wrt) is carried."""
    for W, b in layers:
        x = np.tanh(W @ x + b)
    return np.sum(x**2)


def layers_zip_enumerate(layers, scales, x):
    """Nested loop targets: `for (W, b), c in zip(...)` and `for k, (W, b) in enumerate(...)`."""
    for (W, b), c in zip(layers, scales):
        x = np.tanh(W @ x + b) * c
    for k, (W, b) in enumerate(layers):
        x = np.sin(W @ x) * (k + 1) + b
    return np.sum(x**2)


def masked_copy(x, y):
    """Indexing by a mask copies: writing into the copy leaves x alone (not refused)."""
    v = x[y > 0.2]
    v[0] = np.tanh(v[0])
    return np.sum(v**2) + np.sum(x)


def listed_copy(x):
    """Indexing by a list copies, also beside a slice: in-place updates of the copy."""
    v = x[[0, 1]]
    v *= np.sin(x[[2, 2]])
    w = np.reshape(x, (1, 3))[:, [0, 2]]
    w[0, 0] = 3.0
    return np.sum(v) + np.sum(x**2) + np.sum(w * x[:2])


def predict(params, x):
    W, b = params
    return np.tanh(W @ x + b)


def structure_to_helper(params, x):
    """A tuple of arrays passed whole to a helper."""
    return np.sum(predict(params, x) ** 2)


# ------------------------------------------------------------------ subscript writes


def conv1d(x, w):
    """A valid 1-D correlation, one output element per loop trip."""
    k = w.shape[0]
    n = x.shape[0] - k + 1
    out = np.zeros(n)
    for i in range(n):
        out[i] = np.sum(x[i : i + k] * w)
    return out


def conv1d_loss(x, w):
    return np.sum(np.tanh(conv1d_inline(x, w)))


def conv1d_inline(x, w):
    k = w.shape[0]
    n = x.shape[0] - k + 1
    out = np.zeros(n)
    for i in range(n):
        out[i] = np.sum(x[i : i + k] * w)
    return out


def scatter_add(x):
    """y[i] += v with a repeating index i % 3."""
    y = np.zeros(3)
    for i in range(x.shape[0]):
        y[i % 3] += x[i] ** 2
    return np.sum(np.sin(y))


def running_sum(x, w):
    """y[i] += v reading the element written on the trip before."""
    y = x * 1.0
    for i in range(1, x.shape[0]):
        y[i] += w * np.tanh(y[i - 1])
    return np.sum(y * y)


def slice_writes(x, weights):
    """y[a:b] = v."""
    y = np.zeros(6)
    y[1:4] = np.sin(x)
    y[4:] = x[:2] * x[1:]
    return np.sum(y * weights)


def column_writes(A, x):
    """Writing a column y[:, j] in a loop."""
    Y = np.zeros((A.shape[0], x.shape[0]))
    for j in range(x.shape[0]):
        Y[:, j] = A[:, j] * np.tanh(x[j])
    return np.sum(Y**2)


def overwrite_after_read(x):
    """An element read (through z) before it is overwritten with a constant."""
    y = x * 2.0
    z = np.sum(y * y)
    y[0] = 5.0
    return z + np.sum(np.sin(y))


def relu_by_mask(x):
    """A write under a mask computed from the array itself."""
    y = x * 1.0
    y[y < 0] = 0.0
    return np.sum(y**2 * x)


def masked_replace(x, w):
    """A masked write of a differentiated value."""
    y = np.sin(x)
    m = x > 0
    y[m] = w[m] * x[m]
    return np.sum(y**2)


# ------------------------------------------------------------------ lists


def rnn_stacked(W, U, xs, h0):
    """The hidden states of an RNN appended to a list, stacked into H; the loss reads every row."""
    h = h0
    hs = []
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t])
        hs.append(h)
    H = np.stack(hs)
    return np.sum(H**2 * np.cos(H))


def rnn_stacked_inputs(rng, T=4, hidden=3, inputs=2):
    return (rng.standard_normal((hidden, hidden)) / np.sqrt(hidden), rng.standard_normal((hidden, inputs)),
            rng.standard_normal((T, inputs)), 0.5 * rng.standard_normal(hidden))


def concatenate_appended(x, w):
    """np.concatenate of a list built by .append."""
    parts = []
    for i in range(3):
        parts.append(np.sin(x * w[i]))
    return np.sum(np.concatenate(parts) ** 2)


def stack_display(a, b):
    """A list display of names passed to np.stack."""
    p = a * b
    q = np.tanh(a)
    M = np.stack([p, q])
    return np.sum(M @ b)


def concatenate_display(x, h):
    """A list display of parameters passed to np.concatenate."""
    return np.sum(np.concatenate([x, h]) ** 3)


def array_of_scalars(x1, x2):
    """np.array of Python scalars."""
    v = np.array([x1, x2])
    return np.sum(np.exp(v) * v) + v[0] * v[1]


def array_of_mixed(x, s):
    """np.array of computed scalars and a parameter."""
    v = np.array([x[0] * x[1], np.sin(x[2]), s * s, s])
    return np.sum(v * v) + v[0] * v[3]


# ------------------------------------------------------------------ the table


def _vec(rng, n):
    return rng.standard_normal(n)


def _mat(rng, *shape):
    return rng.standard_normal(shape)


CASES = {
    "lstm_cell": (lstm_cell, lstm_inputs, (0, 1, 2, 3, 4)),
    "lstm_hidden": (lstm_hidden, lstm_inputs, (0, 1, 2, 3, 4)),
    "two_layers": (two_layers, two_layer_inputs, (0, 1, 2, 3, 4)),
    "two_layers_first_weights": (two_layers, two_layer_inputs, (1, 2)),
    "standardized_cubes": (standardized_cubes, lambda rng: (_vec(rng, 5),), 0),
    "variance_only": (variance_only, lambda rng: (_vec(rng, 5), 0.7), (0, 1)),
    "affine_twice": (affine_twice, lambda rng: (_vec(rng, 2), _mat(rng, 3, 2)), (0, 1)),
    "affine_twice_x": (affine_twice, lambda rng: (_vec(rng, 2), _mat(rng, 3, 2)), 0),
    "nested_helpers": (nested_helpers, lambda rng: (_vec(rng, 4), 0.8), (0, 1)),
    "leaky_loop": (leaky_loop, lambda rng: (LEAKY_START.copy(), 4), 0),
    "mlp_loss": (mlp_loss, mlp_inputs, 0),
    "mlp_loss_and_inputs": (mlp_loss, mlp_inputs, (0, 1)),
    "list_of_layers": (list_of_layers, lambda rng: ([_mat(rng, 4, 3), _mat(rng, 2, 4)], _vec(rng, 3)), (0, 1)),
    "dict_params": (dict_params, lambda rng: ({"W": _mat(rng, 2, 3), "b": _vec(rng, 2)}, _vec(rng, 3)), (0, 1)),
    "indexed_tuple": (indexed_tuple, lambda rng: ((_mat(rng, 2, 3), _vec(rng, 2)), _vec(rng, 3)), (0, 1)),
    "nested_layers": (nested_layers, lambda rng: (((_mat(rng, 3, 2), _vec(rng, 3)), (_mat(rng, 2, 3), _vec(rng, 2))),
                                                  _vec(rng, 2)), (0, 1)),
    "layers_loop": (layers_loop, lambda rng: (((_mat(rng, 3, 3), _vec(rng, 3)), (_mat(rng, 3, 3), _vec(rng, 3))),
                                              _vec(rng, 3)), 0),
    "layers_zip_enumerate": (layers_zip_enumerate,
                             lambda rng: ([(0.5 * _mat(rng, 3, 3), _vec(rng, 3)),
                                           (0.5 * _mat(rng, 3, 3), _vec(rng, 3))], (0.8, 1.2), _vec(rng, 3)),
                             (0, 1)),
    "masked_copy": (masked_copy, lambda rng: (np.array([0.5, 1.5, -0.3]), np.array([0.5, 0.1, 0.9])), 0),
    "listed_copy": (listed_copy, lambda rng: (_vec(rng, 3),), 0),
    "structure_to_helper": (structure_to_helper, lambda rng: ((_mat(rng, 3, 2), _vec(rng, 3)), _vec(rng, 2)),
                            (0, 1)),
    "conv1d": (conv1d, lambda rng: (_vec(rng, 7), _vec(rng, 3)), (0, 1)),
    "conv1d_loss": (conv1d_loss, lambda rng: (_vec(rng, 7), _vec(rng, 3)), (0, 1)),
    "scatter_add": (scatter_add, lambda rng: (_vec(rng, 7),), 0),
    "running_sum": (running_sum, lambda rng: (_vec(rng, 5), 0.6), (0, 1)),
    "slice_writes": (slice_writes, lambda rng: (_vec(rng, 3), np.arange(1.0, 7.0)), 0),
    "column_writes": (column_writes, lambda rng: (_mat(rng, 3, 4), _vec(rng, 4)), (0, 1)),
    "overwrite_after_read": (overwrite_after_read, lambda rng: (_vec(rng, 4),), 0),
    "relu_by_mask": (relu_by_mask, lambda rng: (_vec(rng, 6),), 0),
    "masked_replace": (masked_replace, lambda rng: (_vec(rng, 6), _vec(rng, 6)), (0, 1)),
    "rnn_stacked": (rnn_stacked, rnn_stacked_inputs, (0, 1, 3)),
    "concatenate_appended": (concatenate_appended, lambda rng: (_vec(rng, 2), _vec(rng, 3)), (0, 1)),
    "stack_display": (stack_display, lambda rng: (_vec(rng, 2), _vec(rng, 2)), (0, 1)),
    "concatenate_display": (concatenate_display, lambda rng: (_vec(rng, 2), _vec(rng, 3)), (0, 1)),
    "array_of_scalars": (array_of_scalars, lambda rng: (0.3, -0.8), (0, 1)),
    "array_of_mixed": (array_of_mixed, lambda rng: (_vec(rng, 3), 0.7), (0, 1)),
}

STRUCTURED = {"mlp_loss", "mlp_loss_and_inputs", "list_of_layers", "dict_params", "indexed_tuple",
              "structure_to_helper", "nested_layers", "layers_loop", "layers_zip_enumerate"}


def case(name):
    fn, make, wrt = CASES[name]
    return fn, tuple(make(np.random.default_rng(SEED))), wrt


def as_tuple(wrt):
    return wrt if isinstance(wrt, tuple) else (wrt,)


# ------------------------------------------------------------------ structures, leaf by leaf


def leaves(x):
    """The arrays and scalars inside a tuple, list or dict (in key order), or [x] itself."""
    if isinstance(x, dict):
        return [leaf for key in x for leaf in leaves(x[key])]
    if isinstance(x, (tuple, list)):
        return [leaf for item in x for leaf in leaves(item)]
    return [x]


def tree_map(fn, x):
    if isinstance(x, dict):
        return {key: tree_map(fn, value) for key, value in x.items()}
    if isinstance(x, (tuple, list)):
        return type(x)(tree_map(fn, item) for item in x)
    return fn(x)


def tree_copy(x):
    return tree_map(lambda v: v.copy() if isinstance(v, np.ndarray) else v, x)


def tree_random(x, rng):
    """Standard normal values in x's structure: arrays for arrays, floats for scalars."""
    return tree_map(lambda v: rng.standard_normal(np.shape(v)) if isinstance(v, np.ndarray)
                    else float(rng.standard_normal()), x)


def tree_inner(a, b):
    pairs = zip(leaves(a), leaves(b), strict=True)
    return sum(float(np.sum(np.asarray(u, dtype=float) * np.asarray(v, dtype=float))) for u, v in pairs)


def assert_same_structure(found, like):
    """found has like's container kinds, keys, lengths and leaf shapes."""
    if isinstance(like, dict):
        assert isinstance(found, dict) and list(found) == list(like), (type(found), found)
        for key in like:
            assert_same_structure(found[key], like[key])
    elif isinstance(like, (tuple, list)):
        assert isinstance(found, list if isinstance(like, list) else tuple), (type(found), found)
        assert len(found) == len(like)
        for f, v in zip(found, like):
            assert_same_structure(f, v)
    else:
        assert np.shape(found) == np.shape(like), (np.shape(found), np.shape(like))


def structured_dot_product_check(fn, args, wrt, rng, rtol=1e-9):
    """<u, J v> == <J^T u, v> with v and J^T u walked leaf by leaf through tuples, lists and dicts."""
    indices = as_tuple(wrt)
    value = fn(*tree_copy(args))
    tangents = [tree_random(args[i], rng) for i in indices]
    cotangent = tree_random(value, rng)
    jvp_value, jv = ts.jvp(fn, wrt)(*tree_copy(args), *tangents)
    np.testing.assert_allclose(jvp_value, value, rtol=1e-12)
    assert np.shape(jv) == np.shape(value)
    pulled = ts.vjp(fn, wrt)(*tree_copy(args), cotangent)
    pulled = pulled if isinstance(wrt, tuple) else (pulled,)
    for g, i in zip(pulled, indices, strict=True):
        assert_same_structure(g, args[i])
    left = tree_inner(cotangent, jv)
    right = sum(tree_inner(g, t) for g, t in zip(pulled, tangents))
    assert abs(left - right) <= rtol * max(abs(left), abs(right), 1e-12), (left, right)


def assert_tree_not_mutated(derivative, args):
    before = tree_copy(args)
    derivative(*args)
    for k, (b, a) in enumerate(zip(before, args)):
        assert all(np.array_equal(u, v) for u, v in zip(leaves(b), leaves(a), strict=True)), f"argument {k} changed"


# ------------------------------------------------------------------ the table's tests


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("name", list(CASES))
def test_matches_finite_differences(name, mode):
    fn, args, wrt = case(name)
    errors = as_tuple(ts.check_grad(fn, args, wrt, mode=mode))
    assert max(errors) < TOLERANCE, f"relative errors per wrt argument: {errors}"


@pytest.mark.parametrize("name", list(CASES))
def test_dot_product_identity(name):
    fn, args, wrt = case(name)
    rng = np.random.default_rng(SEED + 1)
    if name in STRUCTURED:
        structured_dot_product_check(fn, args, wrt, rng)
    else:
        dot_product_check(fn, args, wrt, rng)


@pytest.mark.parametrize("name", list(CASES))
def test_derivatives_leave_arguments_unchanged(name):
    fn, args, wrt = case(name)
    rng = np.random.default_rng(SEED + 2)
    value = fn(*tree_copy(args))
    derivatives = [(ts.vjp(fn, wrt), (tree_random(value, rng),)),
                   (ts.jvp(fn, wrt), tuple(tree_random(args[i], rng) for i in as_tuple(wrt)))]
    if np.ndim(value) == 0:
        derivatives.append((ts.grad(fn, wrt), ()))
    for derivative, extra in derivatives:
        if name in STRUCTURED:
            assert_tree_not_mutated(derivative, args + extra)
        else:
            assert_not_mutated(derivative, args + extra)


@pytest.mark.parametrize("name", [name for name in CASES if name not in ("conv1d", "lstm_hidden")])
def test_value_and_grad_agrees_with_grad(name):
    fn, args, wrt = case(name)
    value, gradient = ts.value_and_grad(fn, wrt)(*tree_copy(args))
    assert value == pytest.approx(fn(*tree_copy(args)), rel=1e-13)
    for found, expected in zip(leaves(gradient), leaves(ts.grad(fn, wrt)(*tree_copy(args))), strict=True):
        np.testing.assert_allclose(found, expected, rtol=1e-13)


# ------------------------------------------------------------------ derivative functions of callees


def test_each_callee_is_emitted_once_and_called():
    for kind, prefix in [("grad", "vjp"), ("vjp", "vjp"), ("value_and_grad", "vjp"), ("jvp", "jvp")]:
        text = ts.source(getattr(ts, kind)(lstm_cell, (0, 1, 2, 3, 4)))
        assert text.count(f"def {prefix}_sigmoid(") == 1, text
        assert text.count(f"{prefix}_sigmoid(") == 4, text  # the def and the three gates


def test_helpers_from_another_module_get_their_own_derivatives():
    text = ts.source(ts.grad(two_layers, (0, 1, 2, 3, 4)))
    for name in ["vjp_layer", "vjp_softplus"]:
        assert f"def {name}" in text, text
    # the keyword arguments and the default are passed on to the callee's derivative as written
    assert 'act="softplus", scale=0.5' in text, text
    assert text.count("def vjp_softplus(") == 1, text
    # a helper calling a helper: squash (another module) calls softplus, swish calls sigmoid
    text = ts.source(ts.grad(nested_helpers, (0, 1)))
    for name in ["vjp_squash", "vjp_softplus", "vjp_swish", "vjp_sigmoid"]:
        assert text.count(f"def {name}(") == 1, text


def test_callees_are_differentiated_only_in_varying_parameters():
    """A callee's derivative is named after the parameters it differentiates when not all of them."""
    both = ts.source(ts.grad(affine_twice, (0, 1)))
    assert "def vjp_affine_a_W(" in both and "def vjp_affine_a(" in both, both
    assert "vjp_affine_a_W_c" not in both and "_c(" not in both
    only_x = ts.source(ts.grad(affine_twice, 0))
    assert only_x.count("def vjp_affine_a(") == 1 and "vjp_affine_a_W" not in only_x, only_x
    forward = ts.source(ts.jvp(affine_twice, 0))
    assert forward.count("def jvp_affine_a(") == 1, forward
    assert forward.count("jvp_affine_a(") == 3, forward


def test_unused_result_of_a_tuple_returning_helper():
    """variance_only ignores the mean: the pulled-back gradient still matches finite differences,
    and x * w is differentiated through moments in both directions."""
    text = ts.source(ts.grad(variance_only, (0, 1)))
    assert "def vjp_moments(" in text, text
    assert "def jvp_moments(" in ts.source(ts.jvp(variance_only, (0, 1)))


def test_helper_called_in_a_loop_takes_both_sides_of_its_branch():
    sums = leaky_loop_sums(LEAKY_START, 4)
    assert any(s > 0 for s in sums) and any(s < 0 for s in sums), sums
    assert min(abs(s) for s in sums) > 0.05, sums  # far from the threshold for finite differences
    text = ts.source(ts.grad(leaky_loop, 0))
    assert text.count("def vjp_leaky(") == 1, text


def countdown(x, n):
    if n > 0:
        return countdown(np.sin(x), n - 1)
    return x


def calls_countdown(x):
    return np.sum(countdown(x, 3) ** 2)


def ping(x, n):
    if n > 0:
        return pong(x * 2.0, n)
    return x


def pong(x, n):
    return ping(np.tanh(x), n - 1)


@pytest.mark.parametrize("fn", [countdown, calls_countdown, ping])
@pytest.mark.parametrize("kind", ["grad", "vjp", "jvp"])
def test_recursion_is_refused(fn, kind):
    with pytest.raises(ts.TransformError) as info:
        getattr(ts, kind)(fn, 0)
    assert type(info.value).__name__ == "UnsupportedSyntax"
    assert "recursion" in str(info.value)
    assert "loop" in info.value.hint


def test_recursion_error_points_to_the_recursive_call():
    with pytest.raises(ts.TransformError) as info:
        ts.grad(countdown, 0)
    assert info.value.span is not None
    assert "test_functions_and_data.py:" in str(info.value)
    assert "return countdown(np.sin(x), n - 1)" in str(info.value)


# ------------------------------------------------------------------ gradients in the structure of the argument


def test_tuple_parameter_gets_a_tuple_gradient():
    _, args, _ = case("mlp_loss")
    params = args[0]
    g = ts.grad(mlp_loss, 0)(*args)
    assert isinstance(g, tuple) and len(g) == 4
    assert [a.shape for a in g] == [a.shape for a in params]
    pulled = ts.vjp(mlp_loss, 0)(*args, 1.0)
    assert isinstance(pulled, tuple)
    for u, v in zip(g, pulled, strict=True):
        np.testing.assert_array_equal(u, v)
    g_params, g_X = ts.grad(mlp_loss, (0, 1))(*args)
    assert isinstance(g_params, tuple) and g_X.shape == args[1].shape


def test_tangents_are_given_in_the_structure_of_the_argument():
    _, args, _ = case("mlp_loss")
    params = args[0]
    rng = np.random.default_rng(SEED + 3)
    direction = tuple(rng.standard_normal(a.shape) for a in params)
    value, tangent = ts.jvp(mlp_loss, 0)(*args, direction)
    assert value == pytest.approx(mlp_loss(*args), rel=1e-14)
    g = ts.grad(mlp_loss, 0)(*args)
    assert tangent == pytest.approx(tree_inner(g, direction), rel=1e-10)


def test_list_and_dict_parameters_get_gradients_of_the_same_kind():
    _, args, _ = case("list_of_layers")
    g = ts.grad(list_of_layers, 0)(*args)
    assert isinstance(g, list) and [a.shape for a in g] == [(4, 3), (2, 4)]
    _, args, _ = case("dict_params")
    g = ts.grad(dict_params, 0)(*args)
    assert isinstance(g, dict) and set(g) == {"W", "b"}
    assert g["W"].shape == (2, 3) and g["b"].shape == (2,)
    value, tangent = ts.jvp(dict_params, 0)(*args, {"W": np.zeros((2, 3)), "b": np.ones(2)})
    assert tangent == pytest.approx(np.sum(g["b"]), rel=1e-12)


def test_mlp_gradient_of_unused_class_bias_sums_to_zero():
    """Softmax is invariant to adding a constant to every logit: the b2 gradient sums to 0 (a property,
    not a formula)."""
    _, args, _ = case("mlp_loss")
    g = ts.grad(mlp_loss, 0)(*args)
    assert abs(np.sum(g[3])) < 1e-12


# ------------------------------------------------------------------ lists that do not work yet


def stack_of_temporaries(a, b):
    M = np.stack([a * b, np.tanh(a)])
    return np.sum(M @ b)


def array_of_temporaries(x):
    v = np.array([x[0] * x[1], np.sin(x[2])])
    return np.sum(v**3)


def named_list_of_temporaries(a, b):
    L = [a * b, np.tanh(a)]
    return np.sum(np.stack(L) @ b)


@pytest.mark.parametrize("fn, args", [
    (stack_of_temporaries, (np.array([0.3, -0.7]), np.array([1.1, 0.4]))),
    (array_of_temporaries, (np.array([0.3, -0.7, 1.1]),)),
], ids=["np.stack", "np.array"])
def test_display_of_computed_items_passed_to_a_call(fn, args):
    for mode in ["reverse", "forward"]:
        assert max(as_tuple(ts.check_grad(fn, args, 0, mode=mode))) < TOLERANCE


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_named_display_of_computed_items(mode):
    args = (np.array([0.3, -0.7]), np.array([1.1, 0.4]))
    errors = ts.check_grad(named_list_of_temporaries, args, (0, 1), mode=mode)
    assert max(errors) < TOLERANCE, errors


# ------------------------------------------------------------------ subscript writes, more


def test_writes_leave_the_primal_unchanged():
    """Derivatives of functions that write into their own arrays return the primal's value."""
    for name in ["conv1d", "scatter_add", "running_sum", "overwrite_after_read", "relu_by_mask", "masked_replace"]:
        fn, args, wrt = case(name)
        value, _ = ts.jvp(fn, wrt)(*copy_value(args), *tree_random(tuple(args[i] for i in as_tuple(wrt)),
                                                                 np.random.default_rng(0)))
        np.testing.assert_allclose(value, fn(*copy_value(args)), rtol=1e-14)


def test_overwritten_element_gets_its_gradient_only_from_before_the_write():
    """Element 0 of y is replaced by a constant: sin(y) no longer sees x[0], so only z contributes."""
    x = np.array([0.4, -1.2, 0.9, 0.3])
    g = ts.grad(overwrite_after_read, 0)(x)
    reference = ts.grad(overwrite_after_read_as_sum, 0)(x)
    np.testing.assert_allclose(g, reference, rtol=1e-14)


def overwrite_after_read_as_sum(x):
    y = x * 2.0
    return np.sum(y * y) + np.sin(5.0) + np.sum(np.sin(y[1:]))


# ------------------------------------------------------------------ structured parameters that do not work yet


def tuple_read_in_loop(params, xs):
    s = 0.0
    for t in range(xs.shape[0]):
        W, b = params
        s = s + np.sum(np.tanh(W @ xs[t] + b))
    return s


def tuple_indexed_in_loop(params, xs):
    s = 0.0
    for t in range(xs.shape[0]):
        s = s + np.sum(np.tanh(params[0] @ xs[t] + params[1]))
    return s


def dict_read_in_loop(p, xs):
    s = 0.0
    for t in range(xs.shape[0]):
        s = s + np.sum(np.tanh(p["W"] @ xs[t] + p["b"]))
    return s


def tuple_read_in_a_branch(params, x):
    if np.sum(x) > 0:
        W, b = params
        y = W @ x + b
    else:
        y = x * 2.0
    return np.sum(y**2)


def tuple_unused(params, x):
    return np.sum(x**2)


def _loop_inputs(rng):
    return (rng.standard_normal((2, 3)), rng.standard_normal(2)), rng.standard_normal((4, 3))


STRUCTURE_ZERO_CASES = {
    "tuple_read_in_loop": (tuple_read_in_loop, _loop_inputs),
    "tuple_indexed_in_loop": (tuple_indexed_in_loop, _loop_inputs),
    "dict_read_in_loop": (dict_read_in_loop,
                          lambda rng: ({"W": rng.standard_normal((2, 3)), "b": rng.standard_normal(2)},
                                       rng.standard_normal((4, 3)))),
    "tuple_read_in_a_branch_not_taken": (tuple_read_in_a_branch,
                                         lambda rng: (_loop_inputs(rng)[0], -np.abs(rng.standard_normal(3)))),
    "tuple_unused": (tuple_unused, _loop_inputs),
}


@pytest.mark.parametrize("name", list(STRUCTURE_ZERO_CASES))
def test_structured_parameter_forward_mode_where_reverse_fails(name):
    """Forward mode; reverse mode is the test below."""
    fn, make = STRUCTURE_ZERO_CASES[name]
    args = make(np.random.default_rng(SEED))
    assert ts.check_grad(fn, args, 0, mode="forward") < TOLERANCE


@pytest.mark.parametrize("name", list(STRUCTURE_ZERO_CASES))
def test_structured_parameter_read_in_a_loop_or_branch_or_unused(name):
    fn, make = STRUCTURE_ZERO_CASES[name]
    args = make(np.random.default_rng(SEED))
    g = ts.grad(fn, 0)(*args)
    assert_same_structure(g, args[0])
    assert ts.check_grad(fn, args, 0, mode="reverse") < TOLERANCE


def equal_shapes_in_loop(params, xs):
    s = 0.0
    for t in range(xs.shape[0]):
        A, B = params
        s = s + np.sum(np.tanh(A @ xs[t]) * (B @ xs[t]))
    return s


def test_tuple_of_equal_shapes_read_in_a_loop_keeps_its_structure():
    rng = np.random.default_rng(SEED)
    args = ((rng.standard_normal((2, 3)), rng.standard_normal((2, 3))), rng.standard_normal((4, 3)))
    assert ts.check_grad(equal_shapes_in_loop, args, 0) < TOLERANCE
    assert isinstance(ts.grad(equal_shapes_in_loop, 0)(*args), tuple)


# ------------------------------------------------------------------ callees that do not work yet


def zero_first(v):
    v[0] = 0.0
    return v


def calls_a_mutating_helper(x):
    y = x * 2.0
    z = zero_first(y)
    return np.sum(y * z) + np.sum(y)


def test_helper_writing_into_its_argument_is_refused_or_right():
    x = np.array([0.3, -0.5, 0.8])
    try:
        value, _ = ts.jvp(calls_a_mutating_helper, 0)(x.copy(), np.ones(3))
    except ts.TransformError:
        return  # refusing it is fine
    assert value == pytest.approx(calls_a_mutating_helper(x.copy()), rel=1e-14)
    assert ts.check_grad(calls_a_mutating_helper, (x,), 0) < TOLERANCE


def scaled(x, *, scale):
    return x * scale


def calls_keyword_only(x, s):
    return np.sum(scaled(x, scale=s) ** 2)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_keyword_only_parameter_of_a_helper(mode):
    args = (np.array([0.3, -0.5, 0.8]), 0.7)
    assert max(ts.check_grad(calls_keyword_only, args, (0, 1), mode=mode)) < TOLERANCE


def layers_by_index(params, xs):
    """A list of (W, b) pairs indexed in a loop: params[i] is unpacked, so params holds pairs."""
    s = 0.0
    for i in range(len(params)):
        W, b = params[i]
        s = s + np.sum(np.tanh(xs @ W + b))
    return s


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_list_of_pairs_indexed_in_a_loop(mode):
    rng = np.random.default_rng(7)
    params = [(rng.standard_normal((3, 2)), rng.standard_normal(2)) for _ in range(2)]
    xs = rng.standard_normal((5, 3))
    assert ts.check_grad(layers_by_index, (params, xs), 0, mode=mode) < 1e-6


def layers_zipped(Ws, bs, X):
    """Lists of weights of different shapes, walked with zip."""
    a = X
    for W, b in zip(Ws, bs):
        a = np.tanh(a @ W + b)
    return np.sum(a**2)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_lists_of_differently_shaped_layers(mode):
    rng = np.random.default_rng(8)
    Ws = [rng.standard_normal((2, 4)), rng.standard_normal((4, 3))]
    bs = [rng.standard_normal(4), rng.standard_normal(3)]
    X = rng.standard_normal((5, 2))
    assert max(ts.check_grad(layers_zipped, (Ws, bs, X), (0, 1), mode=mode)) < 1e-6
    gW, gb = ts.grad(layers_zipped, (0, 1))(Ws, bs, X)
    assert isinstance(gW, list) and [g.shape for g in gW] == [(2, 4), (4, 3)]
