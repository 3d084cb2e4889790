"""Golden case: logistic regression, the mean binary cross-entropy of a linear model.

Written the way the textbook writes it: the sigmoid, then the two logs. (For
|z| beyond about 30 this form loses precision; the example inputs stay small.)
"""

import numpy as np


def loss(w, b, X, y):
    z = X @ w + b
    p = 1 / (1 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


WRT = (0, 1)  # the weights w (d,) and the bias b (a scalar); the data X, y are constants


def example_inputs(rng):
    """w (3,), b a Python float, X (8, 3), y (8,) of zeros and ones."""
    n, d = 8, 3
    w = rng.standard_normal(d)
    b = float(rng.standard_normal())
    X = rng.standard_normal((n, d))
    y = (rng.random(n) < 0.5).astype(float)
    return w, b, X, y
