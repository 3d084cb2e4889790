"""User functions in a module of their own, imported by the tests to check calls into another module.

tests/test_functions_and_data.py imports these with `from user_helpers import ...`
and calls them from the functions it differentiates; each helper must then be
differentiated into its own jvp_/vjp_ function, read from this file.
"""

import numpy as np


def softplus(x):
    """log(1 + exp(x)), written the stable way."""
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0.0)


def layer(x, W, b, act="tanh", scale=1.0):
    """A dense layer with a choice of activation (a string that selects a branch) and a default scale."""
    z = scale * (W @ x + b)
    if act == "tanh":
        y = np.tanh(z)
    elif act == "softplus":
        y = softplus(z)
    else:
        y = z
    return y


def moments(x):
    """The mean and the (biased) variance: a helper that returns a tuple."""
    m = np.mean(x)
    s = np.mean((x - m) ** 2)
    return m, s


def squash(x):
    """A helper that calls another helper of this module."""
    return np.tanh(softplus(x)) * x
