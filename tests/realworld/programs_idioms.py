"""numpy idioms one finds in notebooks: one-hot with np.eye(C)[y], relu by mask assignment into a copy,
defaults left out of the call, polynomials evaluated at an exact 0 (x ** 0), tuple results pulled back
with a tuple cotangent, wrt by name, reversed(range(T)) in the forward code, inner break in nested
loops, np.hstack / np.tile / broadcasting with None, det / inv, cumsum, builtin max/abs on floats."""

import numpy as np

from .harness import Case

CASES = []


def _case(**kwargs):
    CASES.append(Case(**kwargs))


def one_hot_cross_entropy(W, X, y):
    C = W.shape[1]
    Y = np.eye(C)[y]
    Z = X @ W
    Z = Z - Z.max(axis=1, keepdims=True)
    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    return -np.sum(Y * np.log(np.maximum(P, 1e-300))) / X.shape[0]


def _one_hot_grad(W, X, y):
    Z = X @ W
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    return (X.T @ (P - np.eye(W.shape[1])[y]) / X.shape[0],)


_case(name="one_hot_np_eye_indexing", fn=one_hot_cross_entropy,
      make_args=lambda r: (r.standard_normal((3, 4)), r.standard_normal((6, 3)), r.integers(0, 4, 6)), wrt=(0,),
      oracle=_one_hot_grad)


def relu_by_mask_assignment(x, w):
    h = x @ w
    h = h.copy()
    h[h < 0] = 0
    return np.sum(h ** 2)


def _mask_args(r):
    while True:
        x, w = r.standard_normal((4, 3)), r.standard_normal((3, 5))
        if np.min(np.abs(x @ w)) > 0.02:
            return x, w


def _mask_grad(x, w):
    z = x @ w
    dz = 2 * np.maximum(z, 0)
    return dz @ w.T, x.T @ dz


_case(name="relu_by_mask_assignment_on_copy", fn=relu_by_mask_assignment, make_args=_mask_args, wrt=(0, 1),
      oracle=_mask_grad)


def ridge_loss(w, X, y, reg=0.1, fit_intercept=False):
    pred = X @ w
    if fit_intercept:
        pred = pred + 1.0
    return np.mean((pred - y) ** 2) + reg * np.sum(w * w)


_case(name="defaults_left_out_of_the_top_level_call", fn=ridge_loss,
      make_args=lambda r: (r.standard_normal(3), r.standard_normal((6, 3)), r.standard_normal(6)), wrt=(0,),
      oracle=lambda w, X, y: (2 * X.T @ (X @ w - y) / len(y) + 0.2 * w,))


def polynomial_at_zero(coeffs, x):
    """sum_k c_k x**k at points including an exact 0.0 (d/dx x**0 is 0 there, d/dx x**1 is 1)."""
    total = np.zeros_like(x)
    for k in range(len(coeffs)):
        total = total + coeffs[k] * x ** k
    return np.sum(total ** 2)


def _poly_zero_grad(c, x):
    p = sum(c[k] * x ** k for k in range(len(c)))
    dp = sum(k * c[k] * x ** (k - 1) for k in range(1, len(c)))
    return np.array([np.sum(2 * p * x ** k) for k in range(len(c))]), 2 * p * dp


_case(name="polynomial_x_pow_k_at_exact_zero", fn=polynomial_at_zero,
      make_args=lambda r: (r.standard_normal(4), np.array([0.0, r.standard_normal(), 1.5, 0.0])), wrt=(0, 1),
      oracle=_poly_zero_grad)


def polar_pair(r, theta):
    """Two results, pulled back with a tuple cotangent."""
    return r * np.cos(theta), r * np.sin(theta)


def _polar_vjp(r, theta, u):
    ux, uy = u
    return ux * np.cos(theta) + uy * np.sin(theta), -ux * r * np.sin(theta) + uy * r * np.cos(theta)


_case(name="tuple_result_tuple_cotangent", fn=polar_pair, scalar=False,
      make_args=lambda r: (r.uniform(0.5, 2, 4), r.uniform(-3, 3, 4)), wrt=(0, 1), oracle=_polar_vjp)


def backward_smoother(x, alpha):
    """A recursion run backwards in time with reversed(range(T)), then a forward pass."""
    T = x.shape[0]
    s = np.zeros_like(x)
    acc = 0.0
    for t in reversed(range(T)):
        acc = alpha * acc + (1 - alpha) * x[t]
        s[t] = acc
    return np.sum(s ** 2)


def _smoother_grad(x, alpha):
    T = x.shape[0]
    M = np.zeros((T, T))
    dM = np.zeros((T, T))
    for t in range(T):
        for k in range(t, T):
            M[t, k] = (1 - alpha) * alpha ** (k - t)
            dM[t, k] = -alpha ** (k - t) + (1 - alpha) * (k - t) * alpha ** (k - t - 1) if k > t else -1.0
    s = M @ x
    return 2 * M.T @ s, 2 * s @ (dM @ x)


_case(name="reversed_range_smoother", fn=backward_smoother,
      make_args=lambda r: (r.standard_normal(5), float(r.uniform(0.2, 0.8))), wrt=(0, 1), oracle=_smoother_grad)


def backward_smoother_range(x, alpha):
    """The same recursion with range(T - 1, -1, -1)."""
    T = x.shape[0]
    s = np.zeros_like(x)
    acc = 0.0
    for t in range(T - 1, -1, -1):
        acc = alpha * acc + (1 - alpha) * x[t]
        s[t] = acc
    return np.sum(s ** 2)


_case(name="backwards_range_smoother", fn=backward_smoother_range,
      make_args=lambda r: (r.standard_normal(5), float(r.uniform(0.2, 0.8))), wrt=(0, 1), oracle=_smoother_grad)


def pairwise_min_distance(X, threshold):
    """Nested loops with a break in the inner one: stop scanning a row at the first near neighbour."""
    n = X.shape[0]
    total = 0.0
    for i in range(n):
        for j in range(n):
            if j == i:
                continue
            d = np.sum((X[i] - X[j]) ** 2)
            total = total + d
            if d < threshold:
                break
    return total


def _pairwise_grad(X, threshold):
    n = X.shape[0]
    g = np.zeros_like(X)
    for i in range(n):
        for j in range(n):
            if j == i:
                continue
            d = np.sum((X[i] - X[j]) ** 2)
            g[i] += 2 * (X[i] - X[j])
            g[j] -= 2 * (X[i] - X[j])
            if d < threshold:
                break
    return (g,)


def _pairwise_args(r):
    while True:
        X = r.standard_normal((5, 2))
        d = np.sum((X[:, None] - X[None]) ** 2, axis=-1)
        if np.min(np.abs(d - 1.0)) > 0.05:
            return X, 1.0


_case(name="nested_loops_inner_break_continue", fn=pairwise_min_distance, make_args=_pairwise_args, wrt=(0,),
      oracle=_pairwise_grad)


def features_hstack_tile(x, w):
    """Polynomial features with np.hstack and a bias column from np.tile, broadcasting with None."""
    n = x.shape[0]
    F = np.hstack([x[:, None], x[:, None] ** 2, np.tile(np.array([1.0]), (n, 1))])
    return np.sum((F @ w) ** 2)


def _features_grad(x, w):
    p = w[0] * x + w[1] * x ** 2 + w[2]
    return 2 * p * (w[0] + 2 * w[1] * x), np.array([np.sum(2 * p * x), np.sum(2 * p * x ** 2), np.sum(2 * p)])


_case(name="hstack_tile_newaxis_features", fn=features_hstack_tile,
      make_args=lambda r: (r.standard_normal(5), r.standard_normal(3)), wrt=(0, 1), oracle=_features_grad)


def log_det_and_inverse(A):
    """np.linalg.det and np.linalg.inv as a user writes them (no slogdet)."""
    return np.log(np.abs(np.linalg.det(A))) + np.trace(np.linalg.inv(A))


def _logdet_inv_grad(A):
    Ai = np.linalg.inv(A)
    return (Ai.T - (Ai @ Ai).T,)


_case(name="det_inv_trace", fn=log_det_and_inverse,
      make_args=lambda r: (r.standard_normal((3, 3)) + 3 * np.eye(3),), wrt=(0,), oracle=_logdet_inv_grad)


def cumulative_returns(log_returns, weights):
    """Portfolio value path with np.cumsum and np.exp; builtin max of two floats for the drawdown floor."""
    path = np.exp(np.cumsum(log_returns @ weights))
    peak = max(path[0], 1.0)
    return np.sum(path) / peak


def _cumret_args(r):
    while True:
        lr, w = 0.05 * r.standard_normal((6, 3)), r.dirichlet(np.ones(3))
        if abs(np.exp(lr[0] @ w) - 1.0) > 0.01:
            return lr, w


_case(name="cumsum_path_builtin_max_float", fn=cumulative_returns, make_args=_cumret_args, wrt=(0, 1),
      oracle=lambda lr, w: _cumret_grad(lr, w))


def _cumret_grad(lr, w):
    r = lr @ w
    path = np.exp(np.cumsum(r))
    peak = max(path[0], 1.0)
    dr = np.cumsum(path[::-1])[::-1] / peak
    if path[0] > 1.0:
        dr[0] -= np.sum(path) / peak ** 2 * path[0]
    return np.outer(dr, w), lr.T @ dr


def scalar_abs_max_math(a, b):
    """Builtins abs and max of Python floats, the way a scalar physics formula is written."""
    return max(abs(a - b), 0.5 * a) ** 2 + abs(b) ** 3


def _scalar_abs_max_grad(a, b):
    if abs(a - b) > 0.5 * a:
        s = np.sign(a - b)
        m = abs(a - b)
        da, db = 2 * m * s, -2 * m * s
    else:
        da, db = 2 * 0.5 * a * 0.5, 0.0
    return da, db + 3 * b ** 2 * np.sign(b)


def _scalar_args(r):
    while True:
        a, b = float(r.uniform(-2, 2)), float(r.uniform(-2, 2))
        if abs(abs(a - b) - 0.5 * a) > 0.05 and abs(a - b) > 0.05 and abs(b) > 0.05:
            return a, b


_case(name="builtin_abs_max_python_floats", fn=scalar_abs_max_math, make_args=_scalar_args, wrt=(0, 1),
      oracle=_scalar_abs_max_grad, seeds=(0, 1, 2, 3))


def named_wrt_loss(W, b, X):
    return np.sum(np.tanh(X @ W + b) ** 2)


def _named_grad(W, b, X):
    h = np.tanh(X @ W + b)
    dz = 2 * h * (1 - h ** 2)
    return X.T @ dz, dz.sum(axis=0)


_case(name="wrt_by_parameter_name", fn=named_wrt_loss,
      make_args=lambda r: (r.standard_normal((3, 2)), r.standard_normal(2), r.standard_normal((4, 3))),
      wrt=("W", "b"), oracle=_named_grad)
