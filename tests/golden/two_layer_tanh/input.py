"""Golden case: a two-layer tanh network with a softmax cross-entropy loss.

The log-softmax subtracts each row's maximum before exponentiating, so that
exp never overflows; Y holds one-hot labels.
"""

import numpy as np


def loss(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    logp = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.mean(np.sum(Y * logp, axis=1))


WRT = (0, 1, 2, 3)  # the parameters W1, b1, W2, b2; the data X, Y are constants


def example_inputs(rng):
    """W1 (3, 4), b1 (4,), W2 (4, 3), b2 (3,), X (5, 3), one-hot Y (5, 3)."""
    n, d, hidden, classes = 5, 3, 4, 3
    W1 = rng.standard_normal((d, hidden))
    b1 = rng.standard_normal(hidden)
    W2 = rng.standard_normal((hidden, classes))
    b2 = rng.standard_normal(classes)
    X = rng.standard_normal((n, d))
    Y = np.eye(classes)[rng.integers(0, classes, size=n)]
    return W1, b1, W2, b2, X, Y
