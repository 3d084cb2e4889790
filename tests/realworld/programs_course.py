"""CS231n-style layers (layers.py), each with its own backward pass; rnn_layers.py is programs_course_rnn.py.

Written the way the assignments have students write them: every forward
function returns `(out, cache)`, every backward function takes
`(dout, cache)`; placeholders `out, cache = None, None`; parameter dicts read
with `bn_param.get('eps', 1e-5)`, `'seed' in dropout_param`, and written
back (`bn_param['running_mean'] = running_mean`); naive loops over windows.
The backward functions are the oracles (the harness checks them by finite
differences too); the models that use these layers are in
programs_course_models.py.
"""

import numpy as np

from .harness import Case

CASES = []


def _case(**kwargs):
    CASES.append(Case(**kwargs))


# ------------------------------------------------------------------ layers.py


def affine_forward(x, w, b):
    out = None
    N = x.shape[0]
    x_row = x.reshape(N, -1)
    out = x_row.dot(w) + b
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    x, w, b = cache
    dx, dw, db = None, None, None
    N = x.shape[0]
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(N, -1).T.dot(dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db


def relu_forward(x):
    out = None
    out = np.maximum(0, x)
    cache = x
    return out, cache


def relu_backward(dout, cache):
    dx, x = None, cache
    dx = dout.copy()
    dx[x <= 0] = 0
    return dx


def softmax_loss(x, y):
    loss, dx = None, None
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


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)

    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))

    out, cache = None, None
    if mode == "train":
        sample_mean = x.mean(axis=0)
        sample_var = x.var(axis=0)
        std = np.sqrt(sample_var + eps)
        x_centered = x - sample_mean
        x_norm = x_centered / std
        out = gamma * x_norm + beta
        cache = (x_norm, x_centered, std, gamma)

        running_mean = momentum * running_mean + (1 - momentum) * sample_mean
        running_var = momentum * running_var + (1 - momentum) * sample_var
    elif mode == "test":
        x_norm = (x - running_mean) / np.sqrt(running_var + eps)
        out = gamma * x_norm + beta
    else:
        raise ValueError('Invalid forward batchnorm mode "%s"' % mode)

    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache


def batchnorm_backward(dout, cache):
    """Through the computational graph, one node at a time."""
    dx, dgamma, dbeta = None, None, None
    x_norm, x_centered, std, gamma = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x_norm, axis=0)
    dx_norm = dout * gamma
    dx_centered = dx_norm / std
    dstd = -np.sum(dx_norm * x_centered / std ** 2, axis=0)
    dvar = dstd / (2 * std)
    dx_centered += 2 * x_centered * dvar / N
    dmean = -np.sum(dx_centered, axis=0)
    dx = dx_centered + dmean / N
    return dx, dgamma, dbeta


def batchnorm_score(x, gamma, beta, dout, bn_param):
    """One training step of the layer, the caller's bn_param updated with the running averages."""
    out, cache = batchnorm_forward(x, gamma, beta, bn_param)
    return np.sum(out * dout)


def _bn_oracle(x, gamma, beta, dout, bn_param):
    _, cache = batchnorm_forward(x, gamma, beta, dict(bn_param))
    return batchnorm_backward(dout, cache)


def _bn_args(r, N=6, D=4):
    bn_param = {"mode": "train", "momentum": 0.8, "running_mean": r.standard_normal(D),
                "running_var": r.random(D) + 0.5}
    return (r.standard_normal((N, D)) * 2 + 1, r.standard_normal(D), r.standard_normal(D),
            r.standard_normal((N, D)), bn_param)


_case(name="course_batchnorm_bn_param_cache", fn=batchnorm_score, make_args=_bn_args, wrt=(0, 1, 2),
      oracle=_bn_oracle, mutates=(4,),
      note="the caller's bn_param gets the running mean and variance, in the derivatives as in the program")


def batchnorm_train_then_test(x, x_val, gamma, beta, dout, dout_val):
    """A training step, then the validation batch through the running averages that step left in bn_param."""
    bn_param = {"mode": "train", "momentum": 0.5}
    out, cache = batchnorm_forward(x, gamma, beta, bn_param)
    bn_param["mode"] = "test"
    out_val, _ = batchnorm_forward(x_val, gamma, beta, bn_param)
    return np.sum(out * dout) + np.sum(out_val * dout_val)


def batchnorm_test_backward(dout, x, gamma, running_mean, running_var, eps=1e-5):
    """Test mode: dx, dgamma, dbeta, and the gradients of the running averages used."""
    std = np.sqrt(running_var + eps)
    x_norm = (x - running_mean) / std
    dx = dout * gamma / std
    dgamma = np.sum(dout * x_norm, axis=0)
    dbeta = np.sum(dout, axis=0)
    drunning_mean = -np.sum(dx, axis=0)
    drunning_var = -0.5 * np.sum(dout * gamma * x_norm, axis=0) / (running_var + eps)
    return dx, dgamma, dbeta, drunning_mean, drunning_var


def _train_then_test_oracle(x, x_val, gamma, beta, dout, dout_val):
    N = x.shape[0]
    bn_param = {"mode": "train", "momentum": 0.5}
    _, cache = batchnorm_forward(x, gamma, beta, bn_param)
    dx, dgamma, dbeta = batchnorm_backward(dout, cache)
    dx_val, dgamma_val, dbeta_val, dmean, dvar = batchnorm_test_backward(
        dout_val, x_val, gamma, bn_param["running_mean"], bn_param["running_var"])
    # running_mean = 0.5 * 0 + 0.5 * mean(x); running_var = 0.5 * var(x)
    dx = dx + 0.5 * dmean / N + 0.5 * dvar * 2 * (x - x.mean(axis=0)) / N
    return dx, dx_val, dgamma + dgamma_val, dbeta + dbeta_val


_case(name="course_batchnorm_running_averages_train_then_test", fn=batchnorm_train_then_test,
      make_args=lambda r: (r.standard_normal((6, 3)) * 2 + 1, r.standard_normal((4, 3)), r.standard_normal(3),
                           r.standard_normal(3), r.standard_normal((6, 3)), r.standard_normal((4, 3))),
      wrt=(0, 1, 2, 3), oracle=_train_then_test_oracle)


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    out, cache = None, None
    N, C, H, W = x.shape
    x_flat = x.transpose(0, 2, 3, 1).reshape(-1, C)
    out_flat, cache = batchnorm_forward(x_flat, gamma, beta, bn_param)
    out = out_flat.reshape(N, H, W, C).transpose(0, 3, 1, 2)
    return out, cache


def spatial_batchnorm_backward(dout, cache):
    dx, dgamma, dbeta = None, None, None
    N, C, H, W = dout.shape
    dout_flat = dout.transpose(0, 2, 3, 1).reshape(-1, C)
    dx_flat, dgamma, dbeta = batchnorm_backward(dout_flat, cache)
    dx = dx_flat.reshape(N, H, W, C).transpose(0, 3, 1, 2)
    return dx, dgamma, dbeta


def spatial_batchnorm_score(x, gamma, beta, dout):
    bn_param = {"mode": "train", "eps": 1e-5}
    out, _ = spatial_batchnorm_forward(x, gamma, beta, bn_param)
    return np.sum(out * dout)


def _spatial_bn_oracle(x, gamma, beta, dout):
    _, cache = spatial_batchnorm_forward(x, gamma, beta, {"mode": "train", "eps": 1e-5})
    return spatial_batchnorm_backward(dout, cache)


_case(name="course_spatial_batchnorm", fn=spatial_batchnorm_score,
      make_args=lambda r: (r.standard_normal((2, 3, 2, 2)) + 0.5, r.standard_normal(3), r.standard_normal(3),
                           r.standard_normal((2, 3, 2, 2))),
      wrt=(0, 1, 2), oracle=_spatial_bn_oracle)


def layernorm_forward(x, gamma, beta, ln_param):
    out, cache = None, None
    eps = ln_param.get("eps", 1e-5)
    mu = np.mean(x, axis=1, keepdims=True)
    var = np.var(x, axis=1, keepdims=True)
    std = np.sqrt(var + eps)
    x_norm = (x - mu) / std
    out = gamma * x_norm + beta
    cache = (x_norm, std, gamma)
    return out, cache


def layernorm_backward(dout, cache):
    """The simplified closed form (batchnorm_backward_alt's, along the other axis)."""
    dx, dgamma, dbeta = None, None, None
    x_norm, std, gamma = cache
    D = dout.shape[1]
    dgamma = np.sum(dout * x_norm, axis=0)
    dbeta = np.sum(dout, axis=0)
    dx_norm = dout * gamma
    dx = (D * dx_norm - np.sum(dx_norm, axis=1, keepdims=True)
          - x_norm * np.sum(dx_norm * x_norm, axis=1, keepdims=True)) / (D * std)
    return dx, dgamma, dbeta


def layernorm_score(x, gamma, beta, dout, ln_param):
    out, _ = layernorm_forward(x, gamma, beta, ln_param)
    return np.sum(out * dout)


_case(name="course_layernorm_ln_param_cache", fn=layernorm_score,
      make_args=lambda r: (r.standard_normal((3, 5)), r.standard_normal(5), r.standard_normal(5),
                           r.standard_normal((3, 5)), {"eps": 1e-4}),
      wrt=(0, 1, 2), oracle=lambda x, g, b, d, p: layernorm_backward(d, layernorm_forward(x, g, b, p)[1]))


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


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    mode = dropout_param["mode"]
    dx = None
    if mode == "train":
        dx = dout * mask
    elif mode == "test":
        dx = dout
    return dx


def dropout_score(x, dout, dropout_param):
    out, _ = dropout_forward(x, dropout_param)
    return np.sum(out * dout)


_case(name="course_dropout_seed_in_param_cache", fn=dropout_score,
      make_args=lambda r: (r.standard_normal((4, 5)), r.standard_normal((4, 5)),
                           {"mode": "train", "p": 0.7, "seed": 42}),
      wrt=(0,), oracle=lambda x, d, p: (dropout_backward(d, dropout_forward(x, p)[1]),))


def conv_forward_naive(x, w, b, conv_param):
    out = None
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    x_padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    window = x_padded[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    cache = (x, w, b, conv_param)
    return out, cache


def conv_backward_naive(dout, cache):
    dx, dw, db = None, None, None
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    x_padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    dx_padded = np.zeros_like(x_padded)
    dw = np.zeros_like(w)
    db = np.zeros_like(b)
    for n in range(N):
        for f in range(F):
            db[f] += np.sum(dout[n, f])
            for i in range(H_out):
                for j in range(W_out):
                    hs, ws = i * stride, j * stride
                    dw[f] += x_padded[n, :, hs:hs + HH, ws:ws + WW] * dout[n, f, i, j]
                    dx_padded[n, :, hs:hs + HH, ws:ws + WW] += w[f] * dout[n, f, i, j]
    dx = dx_padded[:, :, pad:pad + H, pad:pad + W]
    return dx, dw, db


def conv_score(x, w, b, dout, conv_param):
    out, _ = conv_forward_naive(x, w, b, conv_param)
    return np.sum(out * dout)


_case(name="course_conv_naive_conv_param_cache", fn=conv_score,
      make_args=lambda r: (r.standard_normal((2, 2, 5, 5)), r.standard_normal((3, 2, 3, 3)), r.standard_normal(3),
                           r.standard_normal((2, 3, 3, 3)), {"stride": 2, "pad": 1}),
      wrt=(0, 1, 2), oracle=lambda x, w, b, d, p: conv_backward_naive(d, conv_forward_naive(x, w, b, p)[1]),
      seeds=(0,))


def max_pool_forward_naive(x, pool_param):
    out = None
    N, C, H, W = x.shape
    pool_height = pool_param["pool_height"]
    pool_width = pool_param["pool_width"]
    stride = pool_param["stride"]
    H_out = 1 + (H - pool_height) // stride
    W_out = 1 + (W - pool_width) // stride
    out = np.zeros((N, C, H_out, W_out))
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    hs = i * stride
                    ws = j * stride
                    out[n, c, i, j] = np.max(x[n, c, hs:hs + pool_height, ws:ws + pool_width])
    cache = (x, pool_param)
    return out, cache


def max_pool_backward_naive(dout, cache):
    dx = None
    x, pool_param = cache
    N, C, H, W = x.shape
    pool_height, pool_width, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    _, _, H_out, W_out = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    hs, ws = i * stride, j * stride
                    window = x[n, c, hs:hs + pool_height, ws:ws + pool_width]
                    mask = window == np.max(window)
                    dx[n, c, hs:hs + pool_height, ws:ws + pool_width] += mask * dout[n, c, i, j]
    return dx


def max_pool_score(x, dout, pool_param):
    out, _ = max_pool_forward_naive(x, pool_param)
    return np.sum(out * dout)


_case(name="course_max_pool_naive_pool_param_cache", fn=max_pool_score,
      make_args=lambda r: (r.permutation(2 * 2 * 4 * 4).reshape(2, 2, 4, 4) * 0.1, r.standard_normal((2, 2, 2, 2)),
                           {"pool_height": 2, "pool_width": 2, "stride": 2}),
      wrt=(0,), oracle=lambda x, d, p: (max_pool_backward_naive(d, max_pool_forward_naive(x, p)[1]),))
