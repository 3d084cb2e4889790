"""Accumulation into arrays the function made itself, the way course code writes it.

`dW[:, j] += X[i]`, `out[n, f, i, j] = np.sum(...)`, `grad[ix] += ...`, `dx[mask] -= ...` and a
row written through a view of it (`row = out[i]; row[:] = ...`) into a buffer made by np.zeros,
np.zeros_like, np.empty, np.ones or x.copy() that nobody else holds: each is differentiated as
Python runs it, checked against central differences in float64 in both modes, by the
dot-product test, against Python's own value, and with the inputs left as they were. What
really shares the buffer (a view held in a name and read after the buffer is updated, a
helper writing into its caller's array) stays refused, naming the user's variable.
"""

from __future__ import annotations

import numpy as np
import pytest

import tangent_src as ts
from helpers import assert_not_mutated, copy_value, dot_product_check, make_function

TOLERANCE = 1e-6
SEED = 20261207

PROGRAMS = {
    # the naive SVM loss of course assignments: a gradient accumulated column by column
    "svm_loss_naive": ("""
def f(W, X, y, reg):
    dW = np.zeros(W.shape)
    num_classes = W.shape[1]
    num_train = X.shape[0]
    loss = 0.0
    for i in range(num_train):
        scores = X[i].dot(W)
        correct_class_score = scores[y[i]]
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - correct_class_score + 1
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    loss /= num_train
    dW /= num_train
    loss += reg * np.sum(W * W)
    dW += 2 * reg * W
    return loss + np.sum(dW * dW)
""", lambda r: (r.standard_normal((4, 3)), r.standard_normal((5, 4)), np.array([0, 1, 2, 1, 0]), 0.1), (0, 1)),
    "softmax_loss_naive": ("""
def f(W, X, y):
    dW = np.zeros_like(W)
    loss = 0.0
    for i in range(X.shape[0]):
        scores = X[i].dot(W)
        scores -= np.max(scores)
        p = np.exp(scores)
        p /= np.sum(p)
        loss += -np.log(p[y[i]])
        for j in range(W.shape[1]):
            dW[:, j] += (p[j] - (j == y[i])) * X[i]
    return loss / X.shape[0] + np.sum(dW ** 2)
""", lambda r: (r.standard_normal((4, 3)), r.standard_normal((5, 4)), np.array([0, 1, 2, 1, 0])), (0, 1)),
    # naive convolution forward: every output element written by index
    "conv_forward_naive": ("""
def f(x, w, b):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    Ho = H + 2 - HH + 1
    Wo = W + 2 - WW + 1
    out = np.zeros((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    out[n, f, i, j] = np.sum(xp[n, :, i:i + HH, j:j + WW] * w[f]) + b[f]
    return np.sum(out ** 2)
""", lambda r: (r.standard_normal((2, 2, 3, 3)), r.standard_normal((2, 2, 2, 2)), r.standard_normal(2)), (0, 1, 2)),
    # naive convolution backward: windows of dx and whole filters of dw accumulated
    "conv_backward_naive": ("""
def f(x, w, dout):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    dx = np.zeros_like(x)
    dw = np.zeros_like(w)
    for n in range(N):
        for f in range(F):
            for i in range(H - HH + 1):
                for j in range(W - WW + 1):
                    dx[n, :, i:i + HH, j:j + WW] += w[f] * dout[n, f, i, j]
                    dw[f] += x[n, :, i:i + HH, j:j + WW] * dout[n, f, i, j]
    return np.sum(dx ** 2) + np.sum(dw * w)
""", lambda r: (r.standard_normal((1, 2, 3, 3)), r.standard_normal((2, 2, 2, 2)), r.standard_normal((1, 2, 2, 2))),
        (0, 1, 2)),
    # max pooling: a slice of the output (all channels at once) per window
    "max_pool_forward_naive": ("""
def f(x):
    N, C, H, W = x.shape
    out = np.empty((N, C, H // 2, W // 2))
    for n in range(N):
        for i in range(H // 2):
            for j in range(W // 2):
                out[n, :, i, j] = np.max(x[n, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2], axis=(1, 2))
    return np.sum(out ** 2)
""", lambda r: (r.standard_normal((2, 3, 4, 4)),), 0),
    # a numerical-gradient style loop: an item of the buffer per index tuple
    "numerical_style_loop": ("""
def f(x):
    grad = np.zeros_like(x)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            ix = (i, j)
            grad[ix] += np.sin(x[ix]) * x[i, j]
    return np.sum(grad * x)
""", lambda r: (r.standard_normal((3, 2)),), 0),
    # ReLU backward: a copy, with the masked entries taken down
    "relu_backward_mask": ("""
def f(x, dout):
    dx = dout.copy()
    mask = x <= 0
    dx[mask] -= 0.5 * dout[mask]
    dx[x > 1.0] = 0.0
    return np.sum(dx * x)
""", lambda r: (r.standard_normal(6), r.standard_normal(6)), (0, 1)),
    # a buffer of ones scaled and shifted by slices
    "ones_scaled_by_slices": ("""
def f(x):
    g = np.ones((3, 2))
    g[:, 0] *= x[:, 0]
    g[1] -= x[1] ** 2
    g[1:, :] += np.tanh(x[:2])
    return np.sum(g * x)
""", lambda r: (r.standard_normal((3, 2)),), 0),
    # a row of the buffer written through a view of it, then updated through the view
    "rows_written_through_a_view": ("""
def f(x):
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        row = out[i]
        row[:] = x[i] * x[i]
        row += np.sin(x[i])
    return np.sum(out * x)
""", lambda r: (r.standard_normal((3, 2)),), 0),
    # the rnn forward of course code: a time step of the hidden states per trip, read back
    "rnn_hidden_states": ("""
def f(x, h0, Wx, Wh):
    N, T, D = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    prev_h = h0
    for t in range(T):
        h[:, t, :] = np.tanh(x[:, t, :] @ Wx + prev_h @ Wh)
        prev_h = h[:, t, :]
    return np.sum(h ** 2)
""", lambda r: (r.standard_normal((2, 3, 2)), r.standard_normal((2, 3)), r.standard_normal((2, 3)),
                r.standard_normal((3, 3)) * 0.5), (0, 1, 2, 3)),
    # a buffer made in each trip, filled and summed there
    "buffer_made_in_each_trip": ("""
def f(x):
    total = 0.0
    for k in range(2):
        buf = np.zeros_like(x)
        buf[k] = x[k] * 3.0
        buf[:, 0] += x[:, 1]
        total = total + np.sum(buf * x)
    return total
""", lambda r: (r.standard_normal((3, 2)),), 0),
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_accumulation_into_an_own_buffer(name):
    source, make_args, wrt = PROGRAMS[name]
    f = make_function(source)
    rng = np.random.default_rng(SEED)
    args = make_args(rng)
    for mode in ("reverse", "forward"):
        errors = ts.check_grad(f, args, wrt, mode=mode)
        assert max(np.atleast_1d(errors)) < TOLERANCE, (mode, errors)
    dot_product_check(f, args, wrt, rng)
    indices = (wrt,) if isinstance(wrt, int) else wrt
    tangents = tuple(rng.standard_normal(np.shape(args[i])) for i in indices)
    value, _ = assert_not_mutated(ts.jvp(f, wrt), args + tangents)
    np.testing.assert_allclose(value, f(*copy_value(args)), rtol=1e-12)
    assert_not_mutated(ts.grad(f, wrt), args)


REFUSED = {
    # Python shows `buf[0] += ...` through `first`, a view held in a name and read after it
    "view_read_after_the_buffer_is_updated": ("""
def f(x):
    buf = np.zeros((3, 2))
    first = buf[0]
    buf[0] += x[0]
    return np.sum(first * x[1])
""", "`first`", "shares the array"),
    # the view is made before the loop and updated inside it: not followed, and buf is read
    "view_made_before_a_loop_updated_in_it": ("""
def f(x):
    buf = x * 1.0
    row = buf[0]
    for k in range(2):
        row *= 2.0
    return np.sum(buf * x)
""", "`buf`", "shares the array"),
    # an index that may copy (an integer array): whether buf changes is not known
    "index_that_may_copy": ("""
def f(x, idx):
    buf = x * 1.0
    part = buf[idx]
    part *= 2.0
    return np.sum(buf * x)
""", "`buf`", "shares the array", (np.ones((3, 2)), np.array([0, 2]))),
    # a helper writing into the array its caller passed
    "helper_writes_into_its_argument": ("""
def h(p, q):
    p[0] = q[1]
    return np.sum(p * q)

def f(x):
    return h(x * 1.0, np.sin(x))
""", "h", "writes into its argument"),
    # a helper updating the rows of its argument (which its caller reads afterwards): p may be a
    # list holding one array twice, its rows are not followed
    "helper_updates_rows_of_its_argument": ("""
def h(p):
    for row in p:
        row *= 2.0
    return np.sum(p)

def f(x):
    c = x * 1.0
    return h(c) + np.sum(c * x)
""", "`p`", "shares the array"),
    # a helper updating its argument in place, which its caller reads afterwards
    "helper_updates_its_argument_its_caller_reads": ("""
def h(p):
    p *= 2.0
    return np.sum(p)

def f(x):
    c = x * 1.0
    return h(c) + np.sum(c * x)
""", "`c`", "in place"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_real_sharing_stays_refused(name):
    source, shown, what, *given = REFUSED[name]
    f = make_function(source)
    args = given[0] if given else (np.ones((3, 2)),)
    with pytest.raises(ts.TransformError) as err:
        ts.grad(f)(*args)
    message = str(err.value)
    assert shown in message and what in message, message
    assert ":" in message.splitlines()[0] and "^" in message  # file:line:col and a caret
    for word in message.replace("`", " ").split():
        assert not (word.startswith("t") and word[1:].isdigit()), message  # no temporary t3
