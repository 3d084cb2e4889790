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


WORKLOADS: list[Workload] = [
    Workload("sin_sum", sin_sum, sin_sum_grad, make_sin_sum, "sum(sin(x + y**2)), n = 1000"),
    Workload("logistic", logistic, logistic_grad, make_logistic, "logistic regression, N = 10000, d = 100"),
    Workload("mlp", mlp, mlp_grad, make_mlp, "784-256-256-10 tanh MLP, softmax cross-entropy, batch 64"),
    Workload("rnn", rnn, rnn_grad, make_rnn, "tanh RNN, T = 50, hidden 128, input 32, batch 16",
             small_operations=True),
    Workload("attention", attention, attention_grad, make_attention, "single-head attention, n = 128, d = 64"),
    Workload("rosenbrock", rosenbrock, rosenbrock_grad, make_rosenbrock,
             "Rosenbrock, Python loop over 100 scalars (the hand-written gradient is vectorized)",
             small_operations=True),
]

BY_NAME: dict[str, Workload] = {w.name: w for w in WORKLOADS}


def arguments(workload: Workload, seed: int = 0, small: bool = False) -> tuple[Any, ...]:
    return workload.make(np.random.default_rng(seed), small)
