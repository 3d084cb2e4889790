"""Neural-network layers written the way the CS231n assignments have students write them.

Each layer returns `(out, cache)`; the losses call them and ignore what they
do not need. The `*_backward` functions are the hand-written backward passes a
student writes; they are the oracles (test_realworld.py checks them against
finite differences too). Nothing here is copied from a solution: it follows
the assignments' habits (caches, `dx[np.arange(N), y] -= 1`, naive loops with
`continue`, `bn_param` / `conv_param` dicts, `self.params['W%d' % i]`).
"""

import numpy as np

from .harness import Case

CASES = []


def _case(**kwargs):
    CASES.append(Case(**kwargs))


def _labels(rng, n, c):
    return rng.integers(0, c, size=n)


# ------------------------------------------------------------------ affine / relu


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1).dot(w) + b
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    x, w, b = cache
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T.dot(dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db


def relu_forward(x):
    out = np.maximum(0, x)
    cache = x
    return out, cache


def relu_backward(dout, cache):
    x = cache
    dx = dout * (x > 0)
    return dx


def affine_relu_forward(x, w, b):
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    cache = (fc_cache, relu_cache)
    return out, cache


def affine_relu_backward(dout, cache):
    fc_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)
    return affine_backward(da, fc_cache)


def affine_relu_score(x, w, b, dout):
    """The layer's output weighted by an upstream gradient: sum(out * dout)."""
    out, _ = affine_relu_forward(x, w, b)
    return np.sum(out * dout)


def _affine_relu_oracle(x, w, b, dout):
    _, cache = affine_relu_forward(x, w, b)
    return affine_relu_backward(dout, cache)


_case(name="cs231n_affine_relu", fn=affine_relu_score,
      make_args=lambda r: (r.standard_normal((4, 2, 3)), r.standard_normal((6, 5)), r.standard_normal(5),
                           r.standard_normal((4, 5))),
      wrt=(0, 1, 2), oracle=_affine_relu_oracle)


def affine_relu_vector(x, w, b):
    """The layer's output itself (vjp)."""
    out, cache = affine_relu_forward(x, w, b)
    return out


_case(name="cs231n_affine_relu_vjp", fn=affine_relu_vector,
      make_args=lambda r: (r.standard_normal((4, 6)), r.standard_normal((6, 3)), r.standard_normal(3)),
      wrt=(0, 1, 2), scalar=False,
      oracle=lambda x, w, b, u: affine_relu_backward(u, affine_relu_forward(x, w, b)[1]))


# ------------------------------------------------------------------ softmax and SVM losses (vectorized)


def softmax_loss(x, y):
    shifted_logits = x - np.max(x, axis=1, keepdims=True)
    Z = np.sum(np.exp(shifted_logits), axis=1, keepdims=True)
    log_probs = shifted_logits - np.log(Z)
    probs = np.exp(log_probs)
    N = x.shape[0]
    loss = -np.sum(log_probs[np.arange(N), y]) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
    return loss, dx


def softmax_loss_value(x, y):
    loss, _ = softmax_loss(x, y)
    return loss


_case(name="cs231n_softmax_loss", fn=softmax_loss_value,
      make_args=lambda r: (r.standard_normal((5, 4)), _labels(r, 5, 4)),
      wrt=(0,), oracle=lambda x, y: (softmax_loss(x, y)[1],))

_case(name="cs231n_softmax_loss_has_aux", fn=softmax_loss, has_aux=True,
      make_args=lambda r: (r.standard_normal((5, 4)), _labels(r, 5, 4)),
      wrt=(0,), oracle=lambda x, y: (softmax_loss(x, y)[1],))


def svm_loss(x, y):
    N = x.shape[0]
    correct_class_scores = x[np.arange(N), y]
    margins = np.maximum(0, x - correct_class_scores[:, np.newaxis] + 1.0)
    margins[np.arange(N), y] = 0
    loss = np.sum(margins) / N
    return loss


def svm_loss_backward(x, y):
    N = x.shape[0]
    correct_class_scores = x[np.arange(N), y]
    margins = np.maximum(0, x - correct_class_scores[:, np.newaxis] + 1.0)
    margins[np.arange(N), y] = 0
    num_pos = np.sum(margins > 0, axis=1)
    dx = np.zeros_like(x)
    dx[margins > 0] = 1
    dx[np.arange(N), y] -= num_pos
    dx /= N
    return (dx,)


def _scores_away_from_kinks(r, n, c):
    """Scores whose margins x_j - x_y + 1 stay at least 0.05 away from 0 (finite differences never cross)."""
    while True:
        x = r.standard_normal((n, c))
        y = _labels(r, n, c)
        m = x - x[np.arange(n), y][:, None] + 1.0
        m[np.arange(n), y] = 1.0
        if np.min(np.abs(m)) > 0.05:
            return x, y


_case(name="cs231n_svm_loss", fn=svm_loss, make_args=lambda r: _scores_away_from_kinks(r, 6, 4),
      wrt=(0,), oracle=svm_loss_backward)


# ------------------------------------------------------------------ naive loops (assignment 1)


def svm_loss_naive(W, X, y, reg):
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
    loss /= num_train
    loss += reg * np.sum(W * W)
    return loss


def svm_loss_naive_backward(W, X, y, reg):
    num_classes = W.shape[1]
    num_train = X.shape[0]
    dW = np.zeros(W.shape)
    for i in range(num_train):
        scores = X[i].dot(W)
        for j in range(num_classes):
            if j != y[i] and scores[j] - scores[y[i]] + 1 > 0:
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    return (dW / num_train + 2 * reg * W,)


def _svm_naive_args(r):
    while True:
        W = r.standard_normal((3, 4))
        X = r.standard_normal((5, 3))
        y = _labels(r, 5, 4)
        s = X @ W
        m = s - s[np.arange(5), y][:, None] + 1.0
        m[np.arange(5), y] = 1.0
        if np.min(np.abs(m)) > 0.05:
            return W, X, y, 0.1


_case(name="cs231n_svm_loss_naive", fn=svm_loss_naive, make_args=_svm_naive_args, wrt=(0,),
      oracle=svm_loss_naive_backward)


def softmax_loss_naive(W, X, y, reg):
    loss = 0.0
    num_train = X.shape[0]
    for i in range(num_train):
        scores = X[i].dot(W)
        scores -= np.max(scores)
        loss += -scores[y[i]] + np.log(np.sum(np.exp(scores)))
    loss /= num_train
    loss += 0.5 * reg * np.sum(W * W)
    return loss


def softmax_loss_naive_backward(W, X, y, reg):
    scores = X.dot(W)
    p = np.exp(scores - scores.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(X.shape[0]), y] -= 1
    return (X.T.dot(p) / X.shape[0] + reg * W,)


_case(name="cs231n_softmax_loss_naive", fn=softmax_loss_naive,
      make_args=lambda r: (r.standard_normal((3, 4)), r.standard_normal((5, 3)), _labels(r, 5, 4), 0.3),
      wrt=(0,), oracle=softmax_loss_naive_backward)


# ------------------------------------------------------------------ batch normalization


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))
    out, cache = None, None
    if mode == "train":
        sample_mean = np.mean(x, axis=0)
        sample_var = np.var(x, axis=0)
        x_hat = (x - sample_mean) / np.sqrt(sample_var + eps)
        out = gamma * x_hat + beta
        cache = (x_hat, gamma, sample_var, eps)
        running_mean = momentum * running_mean + (1 - momentum) * sample_mean
        running_var = momentum * running_var + (1 - momentum) * sample_var
    elif mode == "test":
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
    else:
        raise ValueError('Invalid forward batchnorm mode "%s"' % mode)
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache


def batchnorm_score(x, gamma, beta, dout):
    bn_param = {"mode": "train"}
    out, _ = batchnorm_forward(x, gamma, beta, bn_param)
    return np.sum(out * dout)


def batchnorm_backward_alt(dout, x, gamma, eps=1e-5):
    N = x.shape[0]
    var = np.var(x, axis=0)
    x_hat = (x - np.mean(x, axis=0)) / np.sqrt(var + eps)
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    dx = (N * dx_hat - np.sum(dx_hat, axis=0) - x_hat * np.sum(dx_hat * x_hat, axis=0)) / (N * np.sqrt(var + eps))
    return dx, dgamma, dbeta


def _bn_args(r):
    return r.standard_normal((6, 3)) * 2 + 1, r.standard_normal(3), r.standard_normal(3), r.standard_normal((6, 3))


_case(name="cs231n_batchnorm_bn_param", fn=batchnorm_score, make_args=_bn_args, wrt=(0, 1, 2),
      oracle=lambda x, g, b, d: batchnorm_backward_alt(d, x, g))


def batchnorm_forward_plain(x, gamma, beta, eps=1e-5):
    """The variant within what is supported: eps an argument with a default, the cache returned."""
    mu = x.mean(axis=0)
    xmu = x - mu
    var = np.mean(xmu ** 2, axis=0)
    sqrtvar = np.sqrt(var + eps)
    ivar = 1.0 / sqrtvar
    xhat = xmu * ivar
    out = gamma * xhat + beta
    cache = (xhat, gamma, xmu, ivar, sqrtvar, var, eps)
    return out, cache


def batchnorm_score_plain(x, gamma, beta, dout):
    out, cache = batchnorm_forward_plain(x, gamma, beta)
    return np.sum(out * dout)


_case(name="cs231n_batchnorm_plain", fn=batchnorm_score_plain, make_args=_bn_args, wrt=(0, 1, 2),
      oracle=lambda x, g, b, d: batchnorm_backward_alt(d, x, g))


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    mu = np.mean(x, axis=1, keepdims=True)
    var = np.var(x, axis=1, keepdims=True)
    x_hat = (x - mu) / np.sqrt(var + eps)
    out = gamma * x_hat + beta
    return out, (x_hat, gamma, var, eps)


def layernorm_score(x, gamma, beta, dout):
    out, _ = layernorm_forward(x, gamma, beta, {})
    return np.sum(out * dout)


def layernorm_forward_plain(x, gamma, beta, eps=1e-5):
    mu = np.mean(x, axis=1, keepdims=True)
    var = np.var(x, axis=1, keepdims=True)
    x_hat = (x - mu) / np.sqrt(var + eps)
    out = gamma * x_hat + beta
    return out, (x_hat, gamma, var, eps)


def layernorm_score_plain(x, gamma, beta, dout):
    out, _ = layernorm_forward_plain(x, gamma, beta)
    return np.sum(out * dout)


def _layernorm_oracle(x, gamma, beta, dout):
    dxT, dgamma, dbeta = None, None, None
    D = x.shape[1]
    var = np.var(x, axis=1, keepdims=True)
    x_hat = (x - x.mean(axis=1, keepdims=True)) / np.sqrt(var + 1e-5)
    dgamma = np.sum(dout * x_hat, axis=0)
    dbeta = np.sum(dout, axis=0)
    g = dout * gamma
    dxT = (D * g - g.sum(axis=1, keepdims=True) - x_hat * np.sum(g * x_hat, axis=1, keepdims=True))
    return dxT / (D * np.sqrt(var + 1e-5)), dgamma, dbeta


def _ln_args(r):
    return r.standard_normal((3, 5)), r.standard_normal(5), r.standard_normal(5), r.standard_normal((3, 5))


_case(name="cs231n_layernorm_ln_param", fn=layernorm_score, make_args=_ln_args, wrt=(0, 1, 2),
      oracle=_layernorm_oracle)
_case(name="cs231n_layernorm_plain", fn=layernorm_score_plain, make_args=_ln_args, wrt=(0, 1, 2),
      oracle=_layernorm_oracle)


# ------------------------------------------------------------------ dropout


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    out = None
    if mode == "train":
        mask = (np.random.rand(*x.shape) < p) / p
        out = x * mask
    elif mode == "test":
        out = x
    cache = (dropout_param, mask)
    out = out.astype(x.dtype, copy=False)
    return out, cache


def dropout_score(x, dout):
    out, _ = dropout_forward(x, {"p": 0.6, "mode": "train", "seed": 123})
    return np.sum(out * dout)


def _dropout_oracle(x, dout):
    np.random.seed(123)
    mask = (np.random.rand(*x.shape) < 0.6) / 0.6
    return (dout * mask,)


_case(name="cs231n_dropout_param_dict", fn=dropout_score,
      make_args=lambda r: (r.standard_normal((4, 5)), r.standard_normal((4, 5))), wrt=(0,),
      oracle=_dropout_oracle)


def dropout_forward_plain(x, p, seed):
    np.random.seed(seed)
    mask = (np.random.rand(x.shape[0], x.shape[1]) < p) / p
    out = x * mask
    return out, mask


def dropout_score_plain(x, dout):
    out, mask = dropout_forward_plain(x, 0.6, 123)
    return np.sum(out * dout)


_case(name="cs231n_dropout_plain", fn=dropout_score_plain,
      make_args=lambda r: (r.standard_normal((4, 5)), r.standard_normal((4, 5))), wrt=(0,),
      oracle=_dropout_oracle)


def dropout_net(x, w, dout):
    """Seeded once by the caller; the helper draws the mask (a callee with a random draw)."""
    np.random.seed(7)
    h, _ = dropout_unseeded(np.tanh(x @ w), 0.5)
    return np.sum(h * dout)


def dropout_unseeded(x, p):
    mask = (np.random.rand(x.shape[0], x.shape[1]) < p) / p
    return x * mask, mask


def _dropout_net_oracle(x, w, dout):
    np.random.seed(7)
    h = np.tanh(x @ w)
    mask = (np.random.rand(h.shape[0], h.shape[1]) < 0.5) / 0.5
    dz = dout * mask * (1 - h ** 2)
    return x.T @ dz


_case(name="cs231n_dropout_in_callee", fn=dropout_net,
      make_args=lambda r: (r.standard_normal((4, 3)), r.standard_normal((3, 5)), r.standard_normal((4, 5))),
      wrt=(1,), oracle=lambda x, w, d: (_dropout_net_oracle(x, w, d),))
