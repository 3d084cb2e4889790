"""The benchmark workloads: each a plain numpy function, written the way people write it,
and the gradient a skilled engineer would write for it by hand.

Every workload gives `make(rng, small)`, which returns the arguments (small sizes for the
smoke test, the issue's sizes otherwise); the gradient is taken with respect to argument 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

# ---------------------------------------------------------------- sum(sin(x + y**2))


def sin_sum(x, y):
    return np.sum(np.sin(x + y**2))


def sin_sum_grad(x, y):
    return np.cos(x + y**2)


def make_sin_sum(rng, small=False):
    n = 7 if small else 1000
    return rng.standard_normal(n), rng.standard_normal(n)


# ---------------------------------------------------------------- logistic regression


def logistic(w, X, y):
    z = X @ w
    p = 1 / (1 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def logistic_grad(w, X, y):
    p = 1 / (1 + np.exp(-(X @ w)))
    return X.T @ (p - y) / len(y)


def make_logistic(rng, small=False):
    N, d = (20, 4) if small else (10000, 100)
    X = rng.standard_normal((N, d)) / np.sqrt(d)
    y = (rng.random(N) < 0.5).astype(float)
    return 0.1 * rng.standard_normal(d), X, y


# ---------------------------------------------------------------- MLP, softmax cross-entropy


def mlp(params, X, Y):
    W1, b1, W2, b2, W3, b3 = params
    h1 = np.tanh(X @ W1 + b1)
    h2 = np.tanh(h1 @ W2 + b2)
    logits = h2 @ W3 + b3
    m = np.max(logits, axis=1, keepdims=True)
    shifted = logits - m
    logp = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.sum(Y * logp) / X.shape[0]


def mlp_grad(params, X, Y):
    W1, b1, W2, b2, W3, b3 = params
    h1 = np.tanh(X @ W1 + b1)
    h2 = np.tanh(h1 @ W2 + b2)
    logits = h2 @ W3 + b3
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    g3 = (p * Y.sum(axis=1, keepdims=True) - Y) / X.shape[0]
    g2 = (g3 @ W3.T) * (1 - h2**2)
    g1 = (g2 @ W2.T) * (1 - h1**2)
    return (X.T @ g1, g1.sum(axis=0), h1.T @ g2, g2.sum(axis=0), h2.T @ g3, g3.sum(axis=0))


def make_mlp(rng, small=False, sizes=(784, 256, 256, 10), batch=64, dtype=np.float64):
    if small:
        sizes, batch = (5, 4, 3, 3), 2
    params = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        params += [rng.standard_normal((a, b)) / np.sqrt(a), 0.1 * rng.standard_normal(b)]
    X = rng.standard_normal((batch, sizes[0]))
    Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], batch)]
    return tuple(p.astype(dtype) for p in params), X.astype(dtype), Y.astype(dtype)


# ---------------------------------------------------------------- vanilla tanh RNN


def rnn(params, xs, h0):
    W, U, b, V = params
    h = h0
    for x in xs:
        h = np.tanh(h @ W + x @ U + b)
    return np.sum((h @ V) ** 2)


def rnn_grad(params, xs, h0):
    W, U, b, V = params
    hs = [h0]
    for x in xs:
        hs.append(np.tanh(hs[-1] @ W + x @ U + b))
    out = hs[-1] @ V
    gV = hs[-1].T @ (2 * out)
    gh = (2 * out) @ V.T
    gW, gU, gb = np.zeros_like(W), np.zeros_like(U), np.zeros_like(b)
    for t in range(len(xs) - 1, -1, -1):
        ga = gh * (1 - hs[t + 1] ** 2)
        gW += hs[t].T @ ga
        gU += xs[t].T @ ga
        gb += ga.sum(axis=0)
        gh = ga @ W.T
    return gW, gU, gb, gV


def make_rnn(rng, small=False):
    T, H, D, B = (4, 3, 2, 2) if small else (50, 128, 32, 16)
    params = (rng.standard_normal((H, H)) / np.sqrt(H), rng.standard_normal((D, H)) / np.sqrt(D),
              0.1 * rng.standard_normal(H), rng.standard_normal((H, 1)) / np.sqrt(H))
    return params, rng.standard_normal((T, B, D)), np.zeros((B, H))


# ---------------------------------------------------------------- single-head attention


def attention(Wq, X, Wk, Wv):
    Q = X @ Wq
    K = X @ Wk
    V = X @ Wv
    s = Q @ K.T / math.sqrt(Q.shape[1])  # a Python float: float32 stays float32
    e = np.exp(s - np.max(s, axis=1, keepdims=True))
    a = e / np.sum(e, axis=1, keepdims=True)
    return np.sum((a @ V) ** 2)


def attention_grad(Wq, X, Wk, Wv):
    Q, K, V = X @ Wq, X @ Wk, X @ Wv
    scale = 1 / math.sqrt(Q.shape[1])
    s = (Q @ K.T) * scale
    e = np.exp(s - s.max(axis=1, keepdims=True))
    a = e / e.sum(axis=1, keepdims=True)
    go = 2 * (a @ V)
    ga = go @ V.T
    gs = a * (ga - np.sum(ga * a, axis=1, keepdims=True)) * scale
    return X.T @ (gs @ K)


def make_attention(rng, small=False, n=128, d=64, dtype=np.float64):
    if small:
        n, d = 5, 3
    X = rng.standard_normal((n, d))
    Ws = [rng.standard_normal((d, d)) / np.sqrt(d) for _ in range(3)]
    return tuple(a.astype(dtype) for a in (Ws[0], X, Ws[1], Ws[2]))


# ---------------------------------------------------------------- Rosenbrock as a scalar loop


def rosenbrock(x):
    total = 0.0
    for i in range(len(x) - 1):
        total = total + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return total


def rosenbrock_grad(x):
    g = np.zeros_like(x)
    d = x[1:] - x[:-1] ** 2
    g[:-1] = -400.0 * x[:-1] * d - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * d
    return g


def rosenbrock_loop_grad(x):
    """The same gradient written by hand as a scalar loop, as the function is written."""
    g = np.zeros_like(x)
    for i in range(len(x) - 1):
        d = x[i + 1] - x[i] ** 2
        g[i] += -400.0 * x[i] * d - 2.0 * (1.0 - x[i])
        g[i + 1] += 200.0 * d
    return g


def make_rosenbrock(rng, small=False):
    return (rng.uniform(-1.0, 1.0, 6 if small else 100),)


# ---------------------------------------------------------------- the list


@dataclass(frozen=True)
class Workload:
    name: str
    function: Callable
    hand: Callable
    make: Callable[..., tuple]
    description: str
    small_operations: bool = False  # a target: faster than autograd and torch eager
    hand_loop: Callable | None = None  # the gradient by hand written as the function is (a scalar loop)


WORKLOADS: list[Workload] = [
    Workload("sin_sum", sin_sum, sin_sum_grad, make_sin_sum, "sum(sin(x + y**2)), n = 1000"),
    Workload("logistic", logistic, logistic_grad, make_logistic, "logistic regression, N = 10000, d = 100"),
    Workload("mlp", mlp, mlp_grad, make_mlp, "784-256-256-10 tanh MLP, softmax cross-entropy, batch 64"),
    Workload("rnn", rnn, rnn_grad, make_rnn, "tanh RNN, T = 50, hidden 128, input 32, batch 16",
             small_operations=True),
    Workload("attention", attention, attention_grad, make_attention, "single-head attention, n = 128, d = 64"),
    Workload("rosenbrock", rosenbrock, rosenbrock_grad, make_rosenbrock,
             "Rosenbrock, Python loop over 100 scalars (hand: vectorized; hand loop: a scalar loop, by hand)",
             small_operations=True, hand_loop=rosenbrock_loop_grad),
]

BY_NAME: dict[str, Workload] = {w.name: w for w in WORKLOADS}


def arguments(workload: Workload, seed: int = 0, small: bool = False) -> tuple[Any, ...]:
    return workload.make(np.random.default_rng(seed), small)


# ---------------------------------------------------------------- character-level RNN (min-char-rnn)
#
# Karpathy's min-char-rnn: the loss keeps its per-step values in dicts keyed by the step
# (`hs[t - 1]` reads the previous state; hs[-1] is the state passed in), and its own
# backward pass, written by hand, is the baseline. The gradient is taken with respect to
# hprev and the five parameters (arguments 2 to 7); the sequence length T varies.


def char_rnn_loss(inputs, targets, hprev, Wxh, Whh, Why, bh, by):
    vocab_size = Why.shape[0]
    xs, hs, ys, ps = {}, {}, {}, {}
    hs[-1] = np.copy(hprev)
    loss = 0
    for t in range(len(inputs)):
        xs[t] = np.zeros((vocab_size, 1))  # encode in 1-of-k representation
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)  # hidden state
        ys[t] = np.dot(Why, hs[t]) + by  # unnormalized log probabilities for next chars
        ps[t] = np.exp(ys[t]) / np.sum(np.exp(ys[t]))  # probabilities for next chars
        loss += -np.log(ps[t][targets[t], 0])  # softmax (cross-entropy loss)
    return loss


def char_rnn_loss_lists(inputs, targets, hprev, Wxh, Whh, Why, bh, by):
    """The same loss with the per-step states in a list."""
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


def char_rnn_grad(inputs, targets, hprev, Wxh, Whh, Why, bh, by):
    """min-char-rnn's forward and backward pass (without its gradient clipping)."""
    vocab_size = Why.shape[0]
    xs, hs, ps = {}, {}, {}
    hs[-1] = np.copy(hprev)
    for t in range(len(inputs)):
        xs[t] = np.zeros((vocab_size, 1))
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)
        y = np.dot(Why, hs[t]) + by
        ps[t] = np.exp(y) / np.sum(np.exp(y))
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    dhnext = np.zeros_like(hs[0])
    for t in reversed(range(len(inputs))):
        dy = np.copy(ps[t])
        dy[targets[t]] -= 1  # backprop into y
        dWhy += np.dot(dy, hs[t].T)
        dby += dy
        dh = np.dot(Why.T, dy) + dhnext  # backprop into h
        dhraw = (1 - hs[t] * hs[t]) * dh  # backprop through tanh nonlinearity
        dbh += dhraw
        dWxh += np.dot(dhraw, xs[t].T)
        dWhh += np.dot(dhraw, hs[t - 1].T)
        dhnext = np.dot(Whh.T, dhraw)
    return dhnext, dWxh, dWhh, dWhy, dbh, dby


def make_char_rnn(rng, small=False, T=25, vocab=65, hidden=100):
    """A sequence of T characters (and the next ones as targets), min-char-rnn's initial weights."""
    if small:
        T, vocab, hidden = min(T, 6), 5, 4
    chars = [int(c) for c in rng.integers(0, vocab, size=T + 1)]
    scale = 0.5 if small else 0.01  # (larger weights at the small size, for finite differences)
    return (chars[:-1], chars[1:], scale * rng.standard_normal((hidden, 1)),
            scale * rng.standard_normal((hidden, vocab)), scale * rng.standard_normal((hidden, hidden)),
            scale * rng.standard_normal((vocab, hidden)), np.zeros((hidden, 1)), np.zeros((vocab, 1)))


@dataclass(frozen=True)
class Scaling:
    """A workload measured at several sizes: the gradient with respect to `wrt`, at each T."""

    name: str
    function: Callable
    hand: Callable
    make: Callable[..., tuple]
    sizes: tuple[int, ...]
    wrt: tuple[int, ...]
    description: str


CHAR_RNN_LENGTHS = (25, 100, 400, 1600)
SCALING: list[Scaling] = [
    Scaling("char_rnn", char_rnn_loss, char_rnn_grad, make_char_rnn, CHAR_RNN_LENGTHS, (2, 3, 4, 5, 6, 7),
            "min-char-rnn, per-step dicts (xs, hs, ys, ps = {}, {}, {}, {}), vocabulary 65, hidden 100"),
    Scaling("char_rnn_lists", char_rnn_loss_lists, char_rnn_grad, make_char_rnn, CHAR_RNN_LENGTHS,
            (2, 3, 4, 5, 6, 7), "min-char-rnn with the states in a list (hs.append(h)), same sizes"),
]
