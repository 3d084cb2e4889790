"""Textbook algorithms written in numpy: a swap recurrence `a, b = b, a + x * b`, scatter-add in a loop,
matrix power by repeated squaring (integer control flow), Horner's rule, modified Gram-Schmidt (columns
written and read back in nested loops), a top-k loss through argsort, z-scores with std(ddof=1), an
elif chain with an early return inside a loop, conditional expressions on arrays."""

import numpy as np

from .harness import Case

CASES = []


def _case(**kwargs):
    CASES.append(Case(**kwargs))


def swap_recurrence(x, n):
    a, b = 1.0, x
    for _ in range(n):
        a, b = b, a + x * b
    return b


def _swap_grad(x, n):
    a, b, da, db = 1.0, x, 0.0, 1.0
    for _ in range(n):
        a, b, da, db = b, a + x * b, db, da + b + x * db
    return (db,)


_case(name="tuple_swap_recurrence", fn=swap_recurrence, make_args=lambda r: (float(r.uniform(-1, 1)), 6), wrt=(0,),
      oracle=_swap_grad)


def soft_histogram(w, x, idx, K):
    """out[k] += w[i] * x[i] for the bin k of each sample, repeated bins included."""
    out = np.zeros(K)
    for i in range(x.shape[0]):
        k = idx[i]
        out[k] += w[i] * x[i]
    return np.sum(out ** 2)


def _hist_grad(w, x, idx, K):
    out = np.zeros(K)
    np.add.at(out, idx, w * x)
    g = 2 * out[idx]
    return g * x, g * w


_case(name="scatter_add_loop_repeated_bins", fn=soft_histogram,
      make_args=lambda r: (r.standard_normal(7), r.standard_normal(7), r.integers(0, 3, 7), 3), wrt=(0, 1),
      oracle=_hist_grad)


def matrix_power_by_squaring(A, n):
    result = np.eye(A.shape[0])
    base = A
    while n > 0:
        if n % 2 == 1:
            result = result @ base
        base = base @ base
        n = n // 2
    return np.trace(result)


_case(name="matrix_power_repeated_squaring", fn=matrix_power_by_squaring,
      make_args=lambda r: (r.standard_normal((3, 3)) * 0.6, 5), wrt=(0,),
      oracle=lambda A, n: (n * np.linalg.matrix_power(A, n - 1).T,))


def horner(coeffs, x):
    result = 0.0
    for c in reversed(coeffs):
        result = result * x + c
    return result


def _horner_vjp(c, x, u):
    n = len(c)
    dc = np.array([np.sum(u * x ** k) for k in range(n)])
    dx = u * sum(k * c[k] * x ** (k - 1) for k in range(1, n))
    return dc, dx


_case(name="horner_reversed_coefficients", fn=horner, scalar=False,
      make_args=lambda r: (list(r.standard_normal(4)), r.standard_normal(3)), wrt=(1,),
      oracle=lambda c, x, u: (_horner_vjp(c, x, u)[1],))


def gram_schmidt(A):
    """Modified Gram-Schmidt: Q's columns written in the outer loop and read back in the inner one."""
    m, n = A.shape
    Q = np.zeros((m, n))
    for j in range(n):
        v = A[:, j]
        for i in range(j):
            v = v - np.dot(Q[:, i], v) * Q[:, i]
        Q[:, j] = v / np.linalg.norm(v)
    return Q


def _qr_vjp(A, dQ):
    """The adjoint of the thin QR decomposition (Q with R's diagonal positive), for dR = 0."""
    Q, R = np.linalg.qr(A)
    s = np.sign(np.diag(R))
    Q, R = Q * s, R * s[:, None]
    M = -dQ.T @ Q
    copyltu = np.tril(M) + np.tril(M, -1).T
    return (np.linalg.solve(R, (dQ + Q @ copyltu).T).T,)


_case(name="modified_gram_schmidt_columns", fn=gram_schmidt, scalar=False,
      make_args=lambda r: (r.standard_normal((4, 3)),), wrt=(0,), oracle=_qr_vjp)


def top_k_loss(scores, k):
    """Mean of the k largest scores through argsort (the order is locally constant)."""
    order = np.argsort(scores)
    top = scores[order[-k:]]
    return np.mean(top ** 2)


def _topk_grad(s, k):
    g = np.zeros_like(s)
    idx = np.argsort(s)[-k:]
    g[idx] = 2 * s[idx] / k
    return (g,)


_case(name="top_k_through_argsort", fn=top_k_loss, make_args=lambda r: (r.permutation(8) * 0.3 + 0.1, 3), wrt=(0,),
      oracle=_topk_grad)


def zscore_features(X, w):
    Z = (X - X.mean(axis=0)) / X.std(axis=0, ddof=1)
    return np.sum(np.tanh(Z @ w))


def _zscore_grad(X, w):
    N = X.shape[0]
    mu = X.mean(axis=0)
    sd = X.std(axis=0, ddof=1)
    Z = (X - mu) / sd
    t = np.tanh(Z @ w)
    dZ = np.outer(1 - t ** 2, w)
    dX = (dZ - dZ.mean(axis=0) - Z * np.sum(dZ * Z, axis=0) / (N - 1)) / sd
    return dX, Z.T @ (1 - t ** 2)


_case(name="zscore_std_ddof1", fn=zscore_features,
      make_args=lambda r: (r.standard_normal((6, 3)), r.standard_normal(3)), wrt=(0, 1), oracle=_zscore_grad)


def piecewise_cost(xs, c):
    """An elif chain inside a loop with an early return once the cost gets too large."""
    total = 0.0
    for x in xs:
        if x < -1.0:
            total = total + c * (x + 1.0) ** 2
        elif x < 1.0:
            total = total + 0.5 * c * x
        else:
            total = total + np.log(x) * c
        if total > 5.0:
            return total * 2.0
    return total


def _piecewise_cost_grad(xs, c):
    total, dxs, dc = 0.0, np.zeros_like(xs), 0.0
    for k, x in enumerate(xs):
        if x < -1.0:
            total += c * (x + 1.0) ** 2
            dxs[k], dc = 2 * c * (x + 1.0), dc + (x + 1.0) ** 2
        elif x < 1.0:
            total += 0.5 * c * x
            dxs[k], dc = 0.5 * c, dc + 0.5 * x
        else:
            total += np.log(x) * c
            dxs[k], dc = c / x, dc + np.log(x)
        if total > 5.0:
            return 2 * dxs, 2 * dc
    return dxs, dc


def _piecewise_cost_args(r):
    while True:
        xs, c = r.uniform(-3, 4, 6), float(r.uniform(0.5, 2))
        total, partial = 0.0, []
        for x in xs:
            total += c * (x + 1) ** 2 if x < -1 else (0.5 * c * x if x < 1 else np.log(x) * c)
            partial.append(total)
        if np.min(np.abs(np.abs(xs) - 1.0)) > 0.05 and np.min(np.abs(np.array(partial) - 5.0)) > 0.05:
            return xs, c


_case(name="elif_chain_early_return_in_loop", fn=piecewise_cost, make_args=_piecewise_cost_args, wrt=(0, 1),
      oracle=_piecewise_cost_grad, seeds=(0, 1, 2, 3))


def signed_flip(x, w):
    """Conditional expressions choosing between whole arrays."""
    s = x @ w
    y = s if np.sum(s) > 0 else -s
    z = np.exp(y) if np.max(y) < 2.0 else y ** 2
    return np.sum(z)


def _signed_flip_grad(x, w):
    s = x @ w
    sign = 1.0 if np.sum(s) > 0 else -1.0
    y = sign * s
    dy = np.exp(y) if np.max(y) < 2.0 else 2 * y
    ds = sign * dy
    return np.outer(ds, w), x.T @ ds


def _signed_flip_args(r):
    while True:
        x, w = r.standard_normal((4, 3)) * 0.5, r.standard_normal(3) * 0.5
        s = x @ w
        if abs(np.sum(s)) > 0.05 and abs(np.max(s * np.sign(np.sum(s))) - 2.0) > 0.05:
            return x, w


_case(name="conditional_expressions_on_arrays", fn=signed_flip, make_args=_signed_flip_args, wrt=(0, 1),
      oracle=_signed_flip_grad, seeds=(0, 1, 2))
