"""CS231n-style recurrent layers (rnn_layers.py), each with its own backward pass.

Steps and sequences of a vanilla RNN and an LSTM (the caches of a sequence
kept per timestep in a list), the numerically stable sigmoid with its masked
writes, word embeddings with `np.add.at` in the backward pass, the temporal
affine layer and the masked temporal softmax loss returning `(loss, dx)` with
`if verbose: print(...)` on one line. The backward functions are the oracles.
"""

import numpy as np

from .harness import Case

CASES = []


def _case(**kwargs):
    CASES.append(Case(**kwargs))


# ------------------------------------------------------------------ rnn_layers.py


def sigmoid(x):
    """A numerically stable version of the logistic sigmoid function."""
    pos_mask = x >= 0
    neg_mask = x < 0
    z = np.zeros_like(x)
    z[pos_mask] = np.exp(-x[pos_mask])
    z[neg_mask] = np.exp(x[neg_mask])
    top = np.ones_like(x)
    top[neg_mask] = z[neg_mask]
    return top / (1 + z)


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h, cache = None, None
    next_h = np.tanh(x.dot(Wx) + prev_h.dot(Wh) + b)
    cache = (x, prev_h, Wx, Wh, next_h)
    return next_h, cache


def rnn_step_backward(dnext_h, cache):
    dx, dprev_h, dWx, dWh, db = None, None, None, None, None
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1 - next_h ** 2)
    dx = da.dot(Wx.T)
    dprev_h = da.dot(Wh.T)
    dWx = x.T.dot(da)
    dWh = prev_h.T.dot(da)
    db = np.sum(da, axis=0)
    return dx, dprev_h, dWx, dWh, db


def rnn_step_score(x, prev_h, Wx, Wh, b, dnext_h):
    next_h, _ = rnn_step_forward(x, prev_h, Wx, Wh, b)
    return np.sum(next_h * dnext_h)


def _rnn_step_args(r, N=3, D=4, H=5):
    return (r.standard_normal((N, D)), r.standard_normal((N, H)), r.standard_normal((D, H)) * 0.5,
            r.standard_normal((H, H)) * 0.5, r.standard_normal(H) * 0.1, r.standard_normal((N, H)))


_case(name="course_rnn_step_cache", fn=rnn_step_score, make_args=_rnn_step_args, wrt=(0, 1, 2, 3, 4),
      oracle=lambda x, h, Wx, Wh, b, d: rnn_step_backward(d, rnn_step_forward(x, h, Wx, Wh, b)[1]))


def rnn_forward(x, h0, Wx, Wh, b):
    h, cache = None, None
    N, T, D = x.shape
    _, H = h0.shape
    h = np.zeros((N, T, H))
    cache = []
    prev_h = h0
    for t in range(T):
        next_h, cache_t = rnn_step_forward(x[:, t, :], prev_h, Wx, Wh, b)
        h[:, t, :] = next_h
        cache.append(cache_t)
        prev_h = next_h
    return h, cache


def rnn_backward(dh, cache):
    dx, dh0, dWx, dWh, db = None, None, None, None, None
    N, T, H = dh.shape
    D = cache[0][0].shape[1]
    dx = np.zeros((N, T, D))
    dWx = np.zeros((D, H))
    dWh = np.zeros((H, H))
    db = np.zeros(H)
    dprev_h = np.zeros((N, H))
    for t in reversed(range(T)):
        dx_t, dprev_h, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t, :] + dprev_h, cache[t])
        dx[:, t, :] = dx_t
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    dh0 = dprev_h
    return dx, dh0, dWx, dWh, db


def rnn_hidden_states(x, h0, Wx, Wh, b):
    """All hidden states of the sequence (differentiated with vjp)."""
    h, _ = rnn_forward(x, h0, Wx, Wh, b)
    return h


def _rnn_args(r, N=2, T=5, D=3, H=4):
    return (r.standard_normal((N, T, D)), r.standard_normal((N, H)), r.standard_normal((D, H)) * 0.5,
            r.standard_normal((H, H)) * 0.4, r.standard_normal(H) * 0.1)


_case(name="course_rnn_forward_backward_sequence", fn=rnn_hidden_states, make_args=_rnn_args,
      wrt=(0, 1, 2, 3, 4), scalar=False,
      oracle=lambda x, h0, Wx, Wh, b, dh: rnn_backward(dh, rnn_forward(x, h0, Wx, Wh, b)[1]))


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    next_h, next_c, cache = None, None, None
    H = prev_h.shape[1]
    a = x.dot(Wx) + prev_h.dot(Wh) + b
    i = sigmoid(a[:, :H])
    f = sigmoid(a[:, H:2 * H])
    o = sigmoid(a[:, 2 * H:3 * H])
    g = np.tanh(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    cache = (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c)
    return next_h, next_c, cache


def lstm_step_backward(dnext_h, dnext_c, cache):
    dx, dprev_h, dprev_c, dWx, dWh, db = None, None, None, None, None, None
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c = cache
    tanh_c = np.tanh(next_c)
    do = dnext_h * tanh_c
    dc = dnext_c + dnext_h * o * (1 - tanh_c ** 2)
    di = dc * g
    df = dc * prev_c
    dg = dc * i
    dprev_c = dc * f
    da = np.hstack((di * i * (1 - i), df * f * (1 - f), do * o * (1 - o), dg * (1 - g ** 2)))
    dx = da.dot(Wx.T)
    dprev_h = da.dot(Wh.T)
    dWx = x.T.dot(da)
    dWh = prev_h.T.dot(da)
    db = np.sum(da, axis=0)
    return dx, dprev_h, dprev_c, dWx, dWh, db


def lstm_step_score(x, prev_h, prev_c, Wx, Wh, b, dnext_h, dnext_c):
    next_h, next_c, _ = lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)
    return np.sum(next_h * dnext_h) + np.sum(next_c * dnext_c)


def _lstm_step_oracle(x, prev_h, prev_c, Wx, Wh, b, dnext_h, dnext_c):
    _, _, cache = lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)
    return lstm_step_backward(dnext_h, dnext_c, cache)


def _lstm_step_args(r, N=3, D=4, H=3):
    return (r.standard_normal((N, D)), r.standard_normal((N, H)), r.standard_normal((N, H)),
            r.standard_normal((D, 4 * H)) * 0.5, r.standard_normal((H, 4 * H)) * 0.5, r.standard_normal(4 * H),
            r.standard_normal((N, H)), r.standard_normal((N, H)))


_case(name="course_lstm_step_cache", fn=lstm_step_score, make_args=_lstm_step_args, wrt=(0, 1, 2, 3, 4, 5),
      oracle=_lstm_step_oracle)


def lstm_forward(x, h0, Wx, Wh, b):
    h, cache = None, None
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H))
    cache = []
    prev_h = h0
    prev_c = np.zeros_like(h0)
    for t in range(T):
        prev_h, prev_c, cache_t = lstm_step_forward(x[:, t, :], prev_h, prev_c, Wx, Wh, b)
        h[:, t, :] = prev_h
        cache.append(cache_t)
    return h, cache


def lstm_backward(dh, cache):
    dx, dh0, dWx, dWh, db = None, None, None, None, None
    N, T, H = dh.shape
    D = cache[0][0].shape[1]
    dx = np.zeros((N, T, D))
    dWx = np.zeros((D, 4 * H))
    dWh = np.zeros((H, 4 * H))
    db = np.zeros(4 * H)
    dprev_h = np.zeros((N, H))
    dprev_c = np.zeros((N, H))
    for t in range(T - 1, -1, -1):
        dx[:, t, :], dprev_h, dprev_c, dWx_t, dWh_t, db_t = lstm_step_backward(
            dh[:, t, :] + dprev_h, dprev_c, cache[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    dh0 = dprev_h
    return dx, dh0, dWx, dWh, db


def lstm_sequence_score(x, h0, Wx, Wh, b, dh):
    h, _ = lstm_forward(x, h0, Wx, Wh, b)
    return np.sum(h * dh)


def _lstm_args(r, N=2, T=4, D=3, H=3):
    return (r.standard_normal((N, T, D)), r.standard_normal((N, H)), r.standard_normal((D, 4 * H)) * 0.5,
            r.standard_normal((H, 4 * H)) * 0.5, r.standard_normal(4 * H) * 0.5, r.standard_normal((N, T, H)))


_case(name="course_lstm_forward_backward_sequence", fn=lstm_sequence_score, make_args=_lstm_args,
      wrt=(0, 1, 2, 3, 4),
      oracle=lambda x, h0, Wx, Wh, b, dh: lstm_backward(dh, lstm_forward(x, h0, Wx, Wh, b)[1]))


def word_embedding_forward(x, W):
    out, cache = None, None
    out = W[x]
    cache = (x, W)
    return out, cache


def word_embedding_backward(dout, cache):
    dW = None
    x, W = cache
    dW = np.zeros_like(W)
    np.add.at(dW, x, dout)
    return dW


def embedding_vectors(W, x):
    out, _ = word_embedding_forward(x, W)
    return out


_case(name="course_word_embedding_cache", fn=embedding_vectors,
      make_args=lambda r: (r.standard_normal((6, 3)), r.integers(0, 6, size=(2, 5))), wrt=(0,), scalar=False,
      oracle=lambda W, x, u: (word_embedding_backward(u, word_embedding_forward(x, W)[1]),))


def temporal_affine_forward(x, w, b):
    N, T, D = x.shape
    M = b.shape[0]
    out = x.reshape(N * T, D).dot(w).reshape(N, T, M) + b
    cache = x, w, b, out
    return out, cache


def temporal_affine_backward(dout, cache):
    x, w, b, out = cache
    N, T, D = x.shape
    M = b.shape[0]
    dx = dout.reshape(N * T, M).dot(w.T).reshape(N, T, D)
    dw = dout.reshape(N * T, M).T.dot(x.reshape(N * T, D)).T
    db = dout.sum(axis=(0, 1))
    return dx, dw, db


def temporal_softmax_loss(x, y, mask, verbose=False):
    N, T, V = x.shape

    x_flat = x.reshape(N * T, V)
    y_flat = y.reshape(N * T)
    mask_flat = mask.reshape(N * T)

    probs = np.exp(x_flat - np.max(x_flat, axis=1, keepdims=True))
    probs /= np.sum(probs, axis=1, keepdims=True)
    loss = -np.sum(mask_flat * np.log(probs[np.arange(N * T), y_flat])) / N
    dx_flat = probs.copy()
    dx_flat[np.arange(N * T), y_flat] -= 1
    dx_flat /= N
    dx_flat *= mask_flat[:, None]

    if verbose: print("dx_flat: ", dx_flat.shape)  # noqa: E701 (the course writes it on one line)

    dx = dx_flat.reshape(N, T, V)

    return loss, dx


def _temporal_softmax_args(r, N=3, T=4, V=5):
    return r.standard_normal((N, T, V)), r.integers(0, V, size=(N, T)), r.random((N, T)) > 0.3


_case(name="course_temporal_softmax_loss_loss_and_dx", fn=temporal_softmax_loss, has_aux=True,
      make_args=_temporal_softmax_args, wrt=(0,), oracle=lambda x, y, mask: (temporal_softmax_loss(x, y, mask)[1],),
      note="returns (loss, dx): differentiated with has_aux=True, dx is the oracle")


def temporal_affine_softmax_loss(h, w, b, y, mask):
    scores, _ = temporal_affine_forward(h, w, b)
    loss, _ = temporal_softmax_loss(scores, y, mask)
    return loss


def _temporal_affine_oracle(h, w, b, y, mask):
    scores, cache = temporal_affine_forward(h, w, b)
    _, dscores = temporal_softmax_loss(scores, y, mask)
    return temporal_affine_backward(dscores, cache)


_case(name="course_temporal_affine_then_softmax", fn=temporal_affine_softmax_loss,
      make_args=lambda r: (r.standard_normal((3, 4, 2)), r.standard_normal((2, 5)), r.standard_normal(5),
                           *_temporal_softmax_args(r)[1:]),
      wrt=(0, 1, 2), oracle=_temporal_affine_oracle)
