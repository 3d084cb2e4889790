"""Golden case: a vanilla tanh RNN over T time steps, differentiated by backpropagation through time.

h_t = tanh(W h_{t-1} + U x_t + b), starting from h0; the loss is the squared
norm of the last hidden state. The derivative is taken with respect to the
weights W, U, b; the inputs xs (one row per time step) and h0 are data. The
reverse sweep records each time step on the tape and replays the steps newest
first.
"""

import numpy as np


def loss(W, U, b, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t] + b)
    return np.sum(h**2)


WRT = (0, 1, 2)  # the weights W, U, b; the inputs xs and the initial state h0 are constants


def example_inputs(rng):
    """W (4, 4), U (4, 3), b (4,), xs (T=5, 3), h0 (4,)."""
    T, hidden, inputs = 5, 4, 3
    W = rng.standard_normal((hidden, hidden)) / np.sqrt(hidden)
    U = rng.standard_normal((hidden, inputs)) / np.sqrt(inputs)
    b = 0.1 * rng.standard_normal(hidden)
    xs = rng.standard_normal((T, inputs))
    h0 = 0.5 * rng.standard_normal(hidden)
    return W, U, b, xs, h0
