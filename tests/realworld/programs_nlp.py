"""CS224n word2vec, Karpathy's min-char-rnn and a micrograd-like MLP, written in their authors' habits.

word2vec's loss functions return `(loss, gradCenterVec, gradOutsideVecs)`:
their own gradients are the oracle. Negative sampling draws its samples in a
helper (`getNegativeSamples`), seeded once by the caller. min-char-rnn keeps
per-timestep dicts `xs, hs, ys, ps = {}, {}, {}, {}` with `hs[-1] = np.copy(hprev)`;
its list variant keeps the same steps in lists.
"""

import numpy as np

from .harness import Case

CASES = []


def _case(**kwargs):
    CASES.append(Case(**kwargs))


# ------------------------------------------------------------------ word2vec


def sigmoid(x):
    s = 1.0 / (1.0 + np.exp(-x))
    return s


def softmax(x):
    x = x - np.max(x)
    e = np.exp(x)
    return e / np.sum(e)


def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    y_hat = softmax(outsideVectors.dot(centerWordVec))
    loss = -np.log(y_hat[outsideWordIdx])
    delta = y_hat.copy()
    delta[outsideWordIdx] -= 1
    gradCenterVec = outsideVectors.T.dot(delta)
    gradOutsideVecs = np.outer(delta, centerWordVec)
    return loss, gradCenterVec, gradOutsideVecs


def naive_softmax_loss(centerWordVec, outsideVectors, outsideWordIdx):
    loss, _, _ = naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, None)
    return loss


def _naive_oracle(c, U, o):
    _, gc, gU = naiveSoftmaxLossAndGradient(c, o, U, None)
    return gc, gU


_case(name="cs224n_naive_softmax", fn=naive_softmax_loss,
      make_args=lambda r: (r.standard_normal(3), r.standard_normal((5, 3)), 2), wrt=(0, 1), oracle=_naive_oracle)


def getNegativeSamples(outsideWordIdx, K, vocab_size):
    negSampleWordIndices = [None] * K
    for k in range(K):
        newidx = np.random.randint(vocab_size)
        while newidx == outsideWordIdx:
            newidx = np.random.randint(vocab_size)
        negSampleWordIndices[k] = newidx
    return negSampleWordIndices


def negSamplingLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, K=4):
    negSampleWordIndices = getNegativeSamples(outsideWordIdx, K, outsideVectors.shape[0])
    u_o = outsideVectors[outsideWordIdx]
    loss = -np.log(sigmoid(u_o.dot(centerWordVec)))
    for k in negSampleWordIndices:
        loss = loss - np.log(sigmoid(-outsideVectors[k].dot(centerWordVec)))
    return loss


def neg_sampling_loss(centerWordVec, outsideVectors, seed):
    np.random.seed(seed)
    return negSamplingLossAndGradient(centerWordVec, 1, outsideVectors)


def _neg_oracle(c, U, seed):
    np.random.seed(seed)
    idx = getNegativeSamples(1, 4, U.shape[0])
    s = sigmoid(U[1] @ c)
    gc = (s - 1) * U[1]
    gU = np.zeros_like(U)
    gU[1] = (s - 1) * c
    for k in idx:
        t = sigmoid(-U[k] @ c)
        gc = gc + (1 - t) * U[k]
        gU[k] += (1 - t) * c
    return gc, gU


_case(name="cs224n_neg_sampling_random_callee", fn=neg_sampling_loss,
      make_args=lambda r: (r.standard_normal(3), r.standard_normal((6, 3)), 5), wrt=(0, 1), oracle=_neg_oracle)


def neg_sampling_given_indices(centerWordVec, outsideVectors, negSampleWordIndices):
    """The variant with the samples drawn outside (what runs without a draw in the differentiated code)."""
    indices = [1] + negSampleWordIndices
    labels = np.array([1.0] + [-1.0 for _ in negSampleWordIndices])
    vecs = outsideVectors[indices]
    z = sigmoid(vecs.dot(centerWordVec) * labels)
    loss = -np.sum(np.log(z))
    return loss


def _neg_given_oracle(c, U, idx):
    np.random.seed(0)
    gc = np.zeros_like(c)
    gU = np.zeros_like(U)
    for k, lab in zip([1] + idx, [1.0] + [-1.0] * len(idx)):
        s = sigmoid(lab * U[k] @ c)
        gc = gc - (1 - s) * lab * U[k]
        gU[k] -= (1 - s) * lab * c
    return gc, gU


_case(name="cs224n_neg_sampling_given_indices", fn=neg_sampling_given_indices,
      make_args=lambda r: (r.standard_normal(3), r.standard_normal((6, 3)), [3, 0, 3, 5]), wrt=(0, 1),
      oracle=_neg_given_oracle)


def skipgram(centerWordVectors, outsideVectors, currentCenterWordIdx, outsideWordIndices):
    loss = 0.0
    centerWordVec = centerWordVectors[currentCenterWordIdx]
    for outsideWordIdx in outsideWordIndices:
        lossk, gc, go = naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, None)
        loss += lossk
    return loss


def _skipgram_oracle(V, U, c, outs):
    gV, gU = np.zeros_like(V), np.zeros_like(U)
    for o in outs:
        _, gc, go = naiveSoftmaxLossAndGradient(V[c], o, U, None)
        gV[c] += gc
        gU += go
    return gV, gU


_case(name="cs224n_skipgram_loop", fn=skipgram,
      make_args=lambda r: (r.standard_normal((5, 3)), r.standard_normal((5, 3)), 2, [0, 4, 1, 0]), wrt=(0, 1),
      oracle=_skipgram_oracle)


# ------------------------------------------------------------------ min-char-rnn


def lossFun(inputs, targets, hprev, Wxh, Whh, Why, bh, by):
    vocab_size = Why.shape[0]
    xs, hs, ys, ps = {}, {}, {}, {}
    hs[-1] = np.copy(hprev)
    loss = 0
    for t in range(len(inputs)):
        xs[t] = np.zeros((vocab_size, 1))
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)
        ys[t] = np.dot(Why, hs[t]) + by
        ps[t] = np.exp(ys[t]) / np.sum(np.exp(ys[t]))
        loss += -np.log(ps[t][targets[t], 0])
    return loss


def lossFun_lists(inputs, targets, hprev, Wxh, Whh, Why, bh, by):
    """min-char-rnn with lists for the per-step values."""
    vocab_size = Why.shape[0]
    hs = [np.copy(hprev)]
    loss = 0
    for t in range(len(inputs)):
        x = np.zeros((vocab_size, 1))
        x[inputs[t]] = 1
        h = np.tanh(np.dot(Wxh, x) + np.dot(Whh, hs[-1]) + bh)
        hs.append(h)
        y = np.dot(Why, h) + by
        p = np.exp(y) / np.sum(np.exp(y))
        loss += -np.log(p[targets[t], 0])
    return loss


def char_rnn_backward(inputs, targets, hprev, Wxh, Whh, Why, bh, by):
    """Karpathy's backward pass, as in min-char-rnn."""
    vocab_size = Why.shape[0]
    xs, hs, ps = {}, {}, {}
    hs[-1] = np.copy(hprev)
    for t in range(len(inputs)):
        xs[t] = np.zeros((vocab_size, 1))
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(Wxh @ xs[t] + Whh @ hs[t - 1] + bh)
        y = Why @ hs[t] + by
        ps[t] = np.exp(y) / np.sum(np.exp(y))
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    dhnext = np.zeros_like(hs[0])
    for t in reversed(range(len(inputs))):
        dy = np.copy(ps[t])
        dy[targets[t]] -= 1
        dWhy += dy @ hs[t].T
        dby += dy
        dh = Why.T @ dy + dhnext
        dhraw = (1 - hs[t] * hs[t]) * dh
        dbh += dhraw
        dWxh += dhraw @ xs[t].T
        dWhh += dhraw @ hs[t - 1].T
        dhnext = Whh.T @ dhraw
    return dhnext, dWxh, dWhh, dWhy, dbh, dby


def _char_rnn_args(r, V=5, H=4, T=6):
    inputs = [int(i) for i in r.integers(0, V, size=T)]
    targets = inputs[1:] + [int(r.integers(0, V))]
    return (inputs, targets, r.standard_normal((H, 1)) * 0.5, r.standard_normal((H, V)) * 0.5,
            r.standard_normal((H, H)) * 0.5, r.standard_normal((V, H)) * 0.5, np.zeros((H, 1)) + 0.1,
            np.zeros((V, 1)) - 0.1)


_case(name="karpathy_min_char_rnn_dicts", fn=lossFun, make_args=_char_rnn_args, wrt=(2, 3, 4, 5, 6, 7),
      oracle=char_rnn_backward)
_case(name="karpathy_min_char_rnn_lists", fn=lossFun_lists, make_args=_char_rnn_args, wrt=(2, 3, 4, 5, 6, 7),
      oracle=char_rnn_backward)


# ------------------------------------------------------------------ micrograd-like MLP


def mlp_scores(layers, X):
    out = X
    for k, (W, b) in enumerate(layers):
        out = out @ W + b
        if k != len(layers) - 1:
            out = np.maximum(out, 0.0)
    return out


def micrograd_loss(layers, X, y, alpha):
    """micrograd's demo: a max-margin loss on an MLP's scores plus L2 regularization over every parameter."""
    scores = mlp_scores(layers, X)[:, 0]
    losses = np.maximum(0.0, 1.0 - y * scores)
    data_loss = np.sum(losses) / len(losses)
    reg_loss = alpha * sum(np.sum(p * p) for layer in layers for p in layer)
    return data_loss + reg_loss


def _micrograd_oracle(layers, X, y, alpha):
    acts, zs = [X], []
    for k, (W, b) in enumerate(layers):
        zs.append(acts[-1] @ W + b)
        acts.append(np.maximum(zs[-1], 0.0) if k != len(layers) - 1 else zs[-1])
    scores = acts[-1][:, 0]
    d = np.zeros_like(acts[-1])
    d[:, 0] = -y * (1.0 - y * scores > 0) / len(y)
    grads = [None] * len(layers)
    for k in reversed(range(len(layers))):
        W, b = layers[k]
        grads[k] = (acts[k].T @ d + 2 * alpha * W, d.sum(axis=0) + 2 * alpha * b)
        if k > 0:
            d = (d @ W.T) * (zs[k - 1] > 0)
    return (grads,)


def _micrograd_args(r):
    sizes = [2, 8, 8, 1]
    while True:
        layers = [(r.standard_normal((a, b)) / np.sqrt(a), r.standard_normal(b) * 0.1)
                  for a, b in zip(sizes, sizes[1:])]
        X = r.standard_normal((6, 2))
        y = np.where(r.random(6) > 0.5, 1.0, -1.0)
        acts = [X]
        zs = []
        for k, (W, b) in enumerate(layers):
            zs.append(acts[-1] @ W + b)
            acts.append(np.maximum(zs[-1], 0) if k < 2 else zs[-1])
        margin = 1.0 - y * acts[-1][:, 0]
        if min(np.min(np.abs(z)) for z in zs[:-1]) > 0.02 and np.min(np.abs(margin)) > 0.02:
            return layers, X, y, 1e-3


_case(name="micrograd_mlp_max_margin", fn=micrograd_loss, make_args=_micrograd_args, wrt=(0,),
      oracle=_micrograd_oracle, step=1e-4)


def micrograd_loss_loops(layers, X, y, alpha):
    """The same loss with the regularization summed in a plain loop over the layers."""
    scores = mlp_scores(layers, X)[:, 0]
    losses = np.maximum(0.0, 1.0 - y * scores)
    data_loss = np.sum(losses) / len(losses)
    reg_loss = 0.0
    for W, b in layers:
        reg_loss = reg_loss + alpha * (np.sum(W * W) + np.sum(b * b))
    return data_loss + reg_loss


_case(name="micrograd_mlp_max_margin_loops", fn=micrograd_loss_loops, make_args=_micrograd_args, wrt=(0,),
      oracle=_micrograd_oracle, step=1e-4)
