"""CS231n assignments 2 and 3 style: naive convolution and pooling loops, RNN/LSTM steps, embeddings,
fully connected nets with a params dict (`self.params['W%d' % i]`) and their tuple-of-layers variants."""

import numpy as np

from .harness import Case

CASES = []


def _case(**kwargs):
    CASES.append(Case(**kwargs))


# ------------------------------------------------------------------ convolution, naive loops


def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    h_start = i * stride
                    w_start = j * stride
                    window = x_pad[n, :, h_start:h_start + HH, w_start:w_start + WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    cache = (x, w, b, conv_param)
    return out, cache


def conv_score(x, w, b, dout):
    out, _ = conv_forward_naive(x, w, b, {"stride": 2, "pad": 1})
    return np.sum(out * dout)


def conv_forward_plain(x, w, b, stride=1, pad=0):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    h0 = i * stride
                    w0 = j * stride
                    out[n, f, i, j] = np.sum(x_pad[n, :, h0:h0 + HH, w0:w0 + WW] * w[f]) + b[f]
    return out, (x, w, b, stride, pad)


def conv_score_plain(x, w, b, dout):
    out, _ = conv_forward_plain(x, w, b, stride=2, pad=1)
    return np.sum(out * dout)


def conv_backward_naive(dout, x, w, stride, pad):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    db = dout.sum(axis=(0, 2, 3))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    hs, ws = i * stride, j * stride
                    dw[f] += x_pad[n, :, hs:hs + HH, ws:ws + WW] * dout[n, f, i, j]
                    dx_pad[n, :, hs:hs + HH, ws:ws + WW] += w[f] * dout[n, f, i, j]
    return dx_pad[:, :, pad:pad + H, pad:pad + W], dw, db


def _conv_args(r):
    x = r.standard_normal((2, 2, 5, 5))
    w = r.standard_normal((3, 2, 3, 3))
    b = r.standard_normal(3)
    dout = r.standard_normal((2, 3, 3, 3))
    return x, w, b, dout


_case(name="cs231n_conv_naive_conv_param", fn=conv_score, make_args=_conv_args, wrt=(0, 1, 2),
      oracle=lambda x, w, b, d: conv_backward_naive(d, x, w, 2, 1), seeds=(0,))
_case(name="cs231n_conv_naive_plain", fn=conv_score_plain, make_args=_conv_args, wrt=(0, 1, 2),
      oracle=lambda x, w, b, d: conv_backward_naive(d, x, w, 2, 1), seeds=(0,))


def max_pool_forward_naive(x, pool_height, pool_width, stride):
    N, C, H, W = x.shape
    H_out = 1 + (H - pool_height) // stride
    W_out = 1 + (W - pool_width) // stride
    out = np.zeros((N, C, H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            hs = i * stride
            ws = j * stride
            out[:, :, i, j] = np.max(x[:, :, hs:hs + pool_height, ws:ws + pool_width], axis=(2, 3))
    return out, (x, pool_height, pool_width, stride)


def max_pool_score(x, dout):
    out, _ = max_pool_forward_naive(x, 2, 2, 2)
    return np.sum(out * dout)


def max_pool_backward_naive(x, dout):
    dx = np.zeros_like(x)
    N, C, H_out, W_out = dout.shape
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    window = x[n, c, 2 * i:2 * i + 2, 2 * j:2 * j + 2]
                    k = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, 2 * i + k[0], 2 * j + k[1]] += dout[n, c, i, j]
    return (dx,)


_case(name="cs231n_max_pool_naive", fn=max_pool_score,
      make_args=lambda r: (r.permutation(2 * 2 * 4 * 4).reshape(2, 2, 4, 4) * 0.1, r.standard_normal((2, 2, 2, 2))),
      wrt=(0,), oracle=max_pool_backward_naive, step=1e-3)


# ------------------------------------------------------------------ recurrent networks (assignment 3)


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x.dot(Wx) + prev_h.dot(Wh) + b)
    cache = (x, prev_h, Wx, Wh, next_h)
    return next_h, cache


def rnn_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H))
    prev_h = h0
    cache = []
    for t in range(T):
        prev_h, step_cache = rnn_step_forward(x[:, t, :], prev_h, Wx, Wh, b)
        h[:, t, :] = prev_h
        cache.append(step_cache)
    return h, cache


def rnn_score(x, h0, Wx, Wh, b, dh):
    h, _ = rnn_forward(x, h0, Wx, Wh, b)
    return np.sum(h * dh)


def rnn_backward_oracle(x, h0, Wx, Wh, b, dh):
    N, T, D = x.shape
    hs = [h0]
    for t in range(T):
        hs.append(np.tanh(x[:, t, :] @ Wx + hs[-1] @ Wh + b))
    dx, dWx, dWh, db = np.zeros_like(x), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    dprev = np.zeros_like(h0)
    for t in reversed(range(T)):
        da = (dh[:, t, :] + dprev) * (1 - hs[t + 1] ** 2)
        dx[:, t, :] = da @ Wx.T
        dWx += x[:, t, :].T @ da
        dWh += hs[t].T @ da
        db += da.sum(axis=0)
        dprev = da @ Wh.T
    return dx, dprev, dWx, dWh, db


def _rnn_args(r, N=2, T=4, D=3, H=5):
    return (r.standard_normal((N, T, D)), r.standard_normal((N, H)), r.standard_normal((D, H)) * 0.5,
            r.standard_normal((H, H)) * 0.4, r.standard_normal(H) * 0.1, r.standard_normal((N, T, H)))


_case(name="cs231n_rnn_forward_cache_list", fn=rnn_score, make_args=_rnn_args, wrt=(0, 1, 2, 3, 4),
      oracle=rnn_backward_oracle)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
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


def lstm_score(x, prev_h, prev_c, Wx, Wh, b, dh, dc):
    next_h, next_c, _ = lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)
    return np.sum(next_h * dh) + np.sum(next_c * dc)


def lstm_step_backward_oracle(x, prev_h, prev_c, Wx, Wh, b, dh, dc):
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b
    s = 1 / (1 + np.exp(-a[:, :3 * H]))
    i, f, o = s[:, :H], s[:, H:2 * H], s[:, 2 * H:]
    g = np.tanh(a[:, 3 * H:])
    c = f * prev_c + i * g
    tc = np.tanh(c)
    dc_total = dc + dh * o * (1 - tc ** 2)
    da = np.concatenate([dc_total * g * i * (1 - i), dc_total * prev_c * f * (1 - f), dh * tc * o * (1 - o),
                         dc_total * i * (1 - g ** 2)], axis=1)
    return da @ Wx.T, da @ Wh.T, dc_total * f, x.T @ da, prev_h.T @ da, da.sum(axis=0)


def _lstm_args(r, N=2, D=3, H=4):
    return (r.standard_normal((N, D)), r.standard_normal((N, H)), r.standard_normal((N, H)),
            r.standard_normal((D, 4 * H)) * 0.5, r.standard_normal((H, 4 * H)) * 0.5, r.standard_normal(4 * H) * 0.1,
            r.standard_normal((N, H)), r.standard_normal((N, H)))


_case(name="cs231n_lstm_step", fn=lstm_score, make_args=_lstm_args, wrt=(0, 1, 2, 3, 4, 5),
      oracle=lstm_step_backward_oracle)


def word_embedding_forward(x, W):
    out = W[x, :]
    cache = (x, W)
    return out, cache


def temporal_affine_forward(x, w, b):
    N, T, D = x.shape
    M = b.shape[0]
    out = x.reshape(N * T, D).dot(w).reshape(N, T, M) + b
    cache = x, w, b, out
    return out, cache


def temporal_softmax_loss(x, y, mask):
    N, T, V = x.shape
    x_flat = x.reshape(N * T, V)
    y_flat = y.reshape(N * T)
    mask_flat = mask.reshape(N * T)
    probs = np.exp(x_flat - np.max(x_flat, axis=1, keepdims=True))
    probs /= np.sum(probs, axis=1, keepdims=True)
    loss = -np.sum(mask_flat * np.log(probs[np.arange(N * T), y_flat])) / N
    return loss


def captioning_loss(W_embed, w_vocab, b_vocab, captions, mask):
    """Embed the words, project them back to the vocabulary, and take the masked temporal softmax loss."""
    emb, _ = word_embedding_forward(captions, W_embed)
    scores, _ = temporal_affine_forward(np.tanh(emb), w_vocab, b_vocab)
    return temporal_softmax_loss(scores, captions, mask)


def _captioning_oracle(W_embed, w_vocab, b_vocab, captions, mask):
    N, T = captions.shape
    V = w_vocab.shape[1]
    emb = W_embed[captions]
    h = np.tanh(emb)
    scores = h @ w_vocab + b_vocab
    p = np.exp(scores - scores.max(axis=2, keepdims=True))
    p /= p.sum(axis=2, keepdims=True)
    ds = p.copy()
    ds[np.arange(N)[:, None], np.arange(T)[None, :], captions] -= 1
    ds *= mask[:, :, None] / N
    dw = h.reshape(N * T, -1).T @ ds.reshape(N * T, V)
    db = ds.sum(axis=(0, 1))
    dh = ds @ w_vocab.T
    demb = dh * (1 - h ** 2)
    dW = np.zeros_like(W_embed)
    np.add.at(dW, captions, demb)
    return dW, dw, db


def _captioning_args(r, N=2, T=5, V=6, D=3):
    captions = r.integers(0, V, size=(N, T))
    mask = (r.random((N, T)) > 0.3).astype(float)
    return r.standard_normal((V, D)), r.standard_normal((D, V)), r.standard_normal(V), captions, mask


_case(name="cs231n_embedding_temporal_softmax", fn=captioning_loss, make_args=_captioning_args, wrt=(0, 1, 2),
      oracle=_captioning_oracle)


# ------------------------------------------------------------------ fully connected nets


class TwoLayerNet:
    def __init__(self, params, reg=0.0):
        self.params = params
        self.reg = reg

    def loss(self, X, y):
        W1, b1 = self.params["W1"], self.params["b1"]
        W2, b2 = self.params["W2"], self.params["b2"]
        hidden = np.maximum(0, X.dot(W1) + b1)
        scores = hidden.dot(W2) + b2
        shifted = scores - np.max(scores, axis=1, keepdims=True)
        log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
        loss = -np.mean(log_probs[np.arange(X.shape[0]), y])
        loss += 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        return loss


def two_layer_net_method(params, X, y):
    model = TwoLayerNet(params, reg=0.1)
    return model.loss(X, y)


def two_layer_loss(params, X, y, reg):
    """The same network as a function of a params dict (what the README says is supported)."""
    W1, b1 = params["W1"], params["b1"]
    W2, b2 = params["W2"], params["b2"]
    hidden = np.maximum(0, X.dot(W1) + b1)
    scores = hidden.dot(W2) + b2
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    loss = -np.mean(log_probs[np.arange(X.shape[0]), y])
    loss += 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    return loss


def _two_layer_backward(params, X, y, reg):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    z = X @ W1 + b1
    hidden = np.maximum(0, z)
    scores = hidden @ W2 + b2
    p = np.exp(scores - scores.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(X.shape[0]), y] -= 1
    p /= X.shape[0]
    dh = p @ W2.T * (z > 0)
    return {"W1": X.T @ dh + reg * W1, "b1": dh.sum(axis=0), "W2": hidden.T @ p + reg * W2, "b2": p.sum(axis=0)}


def _two_layer_args(r, N=5, D=4, H=6, C=3):
    params = {"W1": r.standard_normal((D, H)), "b1": r.standard_normal(H),
              "W2": r.standard_normal((H, C)), "b2": r.standard_normal(C)}
    return params, r.standard_normal((N, D)), r.integers(0, C, size=N), 0.1


_case(name="cs231n_two_layer_net_class", fn=two_layer_net_method, make_args=lambda r: _two_layer_args(r)[:3],
      wrt=(0,), oracle=lambda p, X, y: (_two_layer_backward(p, X, y, 0.1),))
_case(name="cs231n_two_layer_params_dict", fn=two_layer_loss, make_args=_two_layer_args, wrt=(0,),
      oracle=lambda p, X, y, reg: (_two_layer_backward(p, X, y, reg),))


def fc_net_loss(params, X, y, num_layers, reg):
    """FullyConnectedNet.loss: params['W%d' % i] keys, relu hidden layers, softmax loss, L2 over every W."""
    out = X
    for i in range(1, num_layers):
        out = np.maximum(0, out.dot(params["W%d" % i]) + params["b%d" % i])
    scores = out.dot(params["W%d" % num_layers]) + params["b%d" % num_layers]
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    loss = -np.mean(log_probs[np.arange(X.shape[0]), y])
    for i in range(1, num_layers + 1):
        loss += 0.5 * reg * np.sum(params[f"W{i}"] ** 2)
    return loss


def _fc_backward(Ws, bs, X, y, reg):
    acts, zs = [X], []
    for W, b in zip(Ws[:-1], bs[:-1]):
        zs.append(acts[-1] @ W + b)
        acts.append(np.maximum(0, zs[-1]))
    scores = acts[-1] @ Ws[-1] + bs[-1]
    p = np.exp(scores - scores.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(X.shape[0]), y] -= 1
    d = p / X.shape[0]
    dWs, dbs = [None] * len(Ws), [None] * len(Ws)
    for k in reversed(range(len(Ws))):
        dWs[k] = acts[k].T @ d + reg * Ws[k]
        dbs[k] = d.sum(axis=0)
        if k > 0:
            d = (d @ Ws[k].T) * (zs[k - 1] > 0)
    return dWs, dbs


def _fc_dict_args(r):
    sizes = [4, 6, 5, 3]
    params = {}
    for i in range(1, len(sizes)):
        params["W%d" % i] = r.standard_normal((sizes[i - 1], sizes[i])) / np.sqrt(sizes[i - 1])
        params["b%d" % i] = 0.1 * r.standard_normal(sizes[i])
    return params, r.standard_normal((5, 4)), r.integers(0, 3, size=5), 3, 0.05


def _fc_dict_oracle(params, X, y, L, reg):
    dWs, dbs = _fc_backward([params["W%d" % i] for i in range(1, L + 1)],
                            [params["b%d" % i] for i in range(1, L + 1)], X, y, reg)
    grads = {}
    for i in range(1, L + 1):
        grads["W%d" % i], grads["b%d" % i] = dWs[i - 1], dbs[i - 1]
    return ({k: grads[k] for k in params},)


_case(name="cs231n_fc_net_params_W_percent_d", fn=fc_net_loss, make_args=_fc_dict_args, wrt=(0,),
      oracle=_fc_dict_oracle)


def fc_net_layers_loss(layers, X, y, reg):
    """The same net over a list of (W, b) layers; the L2 term loops over the layers again with the same names."""
    out = X
    for W, b in layers[:-1]:
        out = np.maximum(0, out.dot(W) + b)
    W, b = layers[-1]
    scores = out.dot(W) + b
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    loss = -np.mean(log_probs[np.arange(X.shape[0]), y])
    for W, b in layers:
        loss += 0.5 * reg * np.sum(W * W)
    return loss


def _fc_layers_args(r):
    params, X, y, L, reg = _fc_dict_args(r)
    layers = [(params["W%d" % i], params["b%d" % i]) for i in range(1, L + 1)]
    return layers, X, y, reg


def _fc_layers_oracle(layers, X, y, reg):
    dWs, dbs = _fc_backward([W for W, _ in layers], [b for _, b in layers], X, y, reg)
    return ([(dW, db) for dW, db in zip(dWs, dbs)],)


_case(name="cs231n_fc_net_layer_list", fn=fc_net_layers_loss, make_args=_fc_layers_args, wrt=(0,),
      oracle=_fc_layers_oracle)
