"""Classic optimization test functions and the small functions of other AD tools' test suites
(autograd's and JAX's habits: np.tanh/np.dot compositions, logsumexp, softplus written out, a Newton
iteration in a while loop, piecewise functions with if/else), each with its closed-form gradient."""

import math

import numpy as np

from .harness import Case

CASES = []


def _case(**kwargs):
    CASES.append(Case(**kwargs))


# ------------------------------------------------------------------ optimization test functions


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2.0) ** 2.0 + (1 - x[:-1]) ** 2.0)


def rosenbrock_der(x):
    xm = x[1:-1]
    xm_m1 = x[:-2]
    xm_p1 = x[2:]
    der = np.zeros_like(x)
    der[1:-1] = 200 * (xm - xm_m1 ** 2) - 400 * (xm_p1 - xm ** 2) * xm - 2 * (1 - xm)
    der[0] = -400 * x[0] * (x[1] - x[0] ** 2) - 2 * (1 - x[0])
    der[-1] = 200 * (x[-1] - x[-2] ** 2)
    return (der,)


_case(name="rosenbrock_vectorized", fn=rosenbrock, make_args=lambda r: (r.standard_normal(6),), wrt=(0,),
      oracle=rosenbrock_der)


def rosenbrock_loop(x):
    total = 0.0
    for i in range(len(x) - 1):
        total += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return total


_case(name="rosenbrock_loop", fn=rosenbrock_loop, make_args=lambda r: (r.standard_normal(5),), wrt=(0,),
      oracle=rosenbrock_der)


def beale(x, y):
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2 + (2.625 - x + x * y ** 3) ** 2


def beale_grad(x, y):
    a, b, c = 1.5 - x + x * y, 2.25 - x + x * y ** 2, 2.625 - x + x * y ** 3
    dx = 2 * a * (y - 1) + 2 * b * (y ** 2 - 1) + 2 * c * (y ** 3 - 1)
    dy = 2 * a * x + 2 * b * 2 * x * y + 2 * c * 3 * x * y ** 2
    return dx, dy


_case(name="beale_python_floats", fn=beale, make_args=lambda r: (float(r.uniform(-1, 1)), float(r.uniform(-1, 1))),
      wrt=(0, 1), oracle=beale_grad)


def ackley(x):
    a, b, c = 20.0, 0.2, 2 * np.pi
    d = x.shape[0]
    sum1 = np.sum(x ** 2)
    sum2 = np.sum(np.cos(c * x))
    term1 = -a * np.exp(-b * np.sqrt(sum1 / d))
    term2 = -np.exp(sum2 / d)
    return term1 + term2 + a + np.exp(1)


def ackley_grad(x):
    d = x.shape[0]
    r = np.sqrt(np.sum(x ** 2) / d)
    e1 = np.exp(-0.2 * r)
    e2 = np.exp(np.sum(np.cos(2 * np.pi * x)) / d)
    return (20 * 0.2 * e1 * x / (d * r) + e2 * 2 * np.pi * np.sin(2 * np.pi * x) / d,)


_case(name="ackley", fn=ackley, make_args=lambda r: (r.uniform(-2, 2, 4),), wrt=(0,), oracle=ackley_grad)


def himmelblau(p):
    x, y = p[0], p[1]
    return (x ** 2 + y - 11) ** 2 + (x + y ** 2 - 7) ** 2


def himmelblau_grad(p):
    x, y = p
    a, b = x ** 2 + y - 11, x + y ** 2 - 7
    return (np.array([4 * x * a + 2 * b, 2 * a + 4 * y * b]),)


_case(name="himmelblau", fn=himmelblau, make_args=lambda r: (r.uniform(-4, 4, 2),), wrt=(0,), oracle=himmelblau_grad)


def styblinski_tang(x):
    return np.sum(x ** 4 - 16 * x ** 2 + 5 * x) / 2


_case(name="styblinski_tang", fn=styblinski_tang, make_args=lambda r: (r.uniform(-4, 4, 5),), wrt=(0,),
      oracle=lambda x: ((4 * x ** 3 - 32 * x + 5) / 2,))


def rastrigin_math(x):
    """Python-scalar style with math and a loop over the items of a list."""
    total = 10.0 * len(x)
    for xi in x:
        total += xi * xi - 10.0 * math.cos(2 * math.pi * xi)
    return total


_case(name="rastrigin_list_of_floats", fn=rastrigin_math,
      make_args=lambda r: ([float(v) for v in r.uniform(-2, 2, 3)],), wrt=(0,),
      oracle=lambda x: ([2 * v + 20 * math.pi * math.sin(2 * math.pi * v) for v in x],))


# ------------------------------------------------------------------ autograd / JAX style


def tanh_net(W, x):
    return np.tanh(np.dot(W, np.tanh(np.dot(W, x))))


def _tanh_net_vjp(W, x, u):
    h1 = np.tanh(W @ x)
    h2 = np.tanh(W @ h1)
    d2 = u * (1 - h2 ** 2)
    d1 = (W.T @ d2) * (1 - h1 ** 2)
    return np.outer(d2, h1) + np.outer(d1, x), W.T @ d1


_case(name="autograd_tanh_dot_composition", fn=tanh_net, scalar=False,
      make_args=lambda r: (r.standard_normal((3, 3)) * 0.7, r.standard_normal(3)), wrt=(0, 1), oracle=_tanh_net_vjp)


def logsumexp(x):
    max_x = np.max(x)
    return max_x + np.log(np.sum(np.exp(x - max_x)))


def _softmax(x):
    e = np.exp(x - np.max(x))
    return e / e.sum()


_case(name="logsumexp_max_trick", fn=logsumexp, make_args=lambda r: (r.standard_normal(5) * 3,), wrt=(0,),
      oracle=lambda x: (_softmax(x),))


def logsumexp_rows(x):
    m = x.max(axis=1, keepdims=True)
    return (m + np.log(np.exp(x - m).sum(axis=1, keepdims=True))).squeeze(1)


def _lse_rows_vjp(x, u):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return (u[:, None] * e / e.sum(axis=1, keepdims=True),)


_case(name="logsumexp_rows_keepdims", fn=logsumexp_rows, scalar=False,
      make_args=lambda r: (r.standard_normal((3, 4)) * 2,), wrt=(0,), oracle=_lse_rows_vjp)


def softplus(x):
    return np.log(1.0 + np.exp(x))


def stable_softplus(x):
    return np.where(x > 0, x + np.log1p(np.exp(-x)), np.log1p(np.exp(x)))


def softplus_losses(x):
    return np.sum(softplus(x)) + np.sum(stable_softplus(x) ** 2)


def _softplus_oracle(x):
    s = 1 / (1 + np.exp(-x))
    return (s + 2 * np.log1p(np.exp(x)) * s,)


_case(name="softplus_written_out", fn=softplus_losses, make_args=lambda r: (r.standard_normal(6) * 2,), wrt=(0,),
      oracle=_softplus_oracle)


def newton_cube_root(a):
    y = a
    while abs(y ** 3 - a) > 1e-13 * a:
        y = y - (y ** 3 - a) / (3 * y ** 2)
    return y


_case(name="newton_cube_root_while", fn=newton_cube_root, make_args=lambda r: (float(r.uniform(0.5, 3.0)),),
      wrt=(0,), oracle=lambda a: (1 / (3 * a ** (2 / 3)),))


def piecewise(x, y):
    if x > y:
        z = x * y
    elif x > 0:
        z = np.sin(x) + y
    else:
        z = x ** 2 - y
    return z * z


def _piecewise_grad(x, y):
    if x > y:
        z = x * y
        return 2 * z * y, 2 * z * x
    if x > 0:
        z = np.sin(x) + y
        return 2 * z * np.cos(x), 2 * z
    z = x ** 2 - y
    return 2 * z * 2 * x, -2 * z


def _piecewise_args(r):
    while True:
        x, y = float(r.uniform(-2, 2)), float(r.uniform(-2, 2))
        if abs(x - y) > 0.05 and abs(x) > 0.05:
            return x, y


_case(name="piecewise_if_elif_else", fn=piecewise, make_args=_piecewise_args, wrt=(0, 1), oracle=_piecewise_grad,
      seeds=(0, 1, 2, 3, 4, 5))


def huber(r, delta=1.0):
    a = np.abs(r)
    return np.where(a <= delta, 0.5 * r ** 2, delta * (a - 0.5 * delta))


def huber_loss(w, X, y):
    return np.mean(huber(X @ w - y))


def _huber_grad(w, X, y):
    r = X @ w - y
    return (X.T @ np.clip(r, -1.0, 1.0) / len(y),)


def _huber_args(r):
    while True:
        w, X, y = r.standard_normal(3), r.standard_normal((8, 3)), r.standard_normal(8)
        res = np.abs(X @ w - y)
        if np.min(np.abs(res - 1.0)) > 0.02 and np.min(res) > 0.02:
            return w, X, y


_case(name="huber_default_argument", fn=huber_loss, make_args=_huber_args, wrt=(0,), oracle=_huber_grad)


def fori_loop_sum(x):
    y = 0.0
    for i in range(5):
        y = y + np.sin(x * i) / (i + 1)
    return y


_case(name="jax_fori_loop_sin", fn=fori_loop_sum, make_args=lambda r: (float(r.standard_normal()),), wrt=(0,),
      oracle=lambda x: (sum(i * np.cos(x * i) / (i + 1) for i in range(5)),))


def poly_generator_sum(coeffs, x):
    return sum(c * x ** k for k, c in enumerate(coeffs))


_case(name="polynomial_generator_expression", fn=poly_generator_sum,
      make_args=lambda r: (r.standard_normal(4), r.standard_normal(3)), scalar=False, wrt=(0, 1),
      oracle=lambda c, x, u: (np.array([np.sum(u * x ** k) for k in range(len(c))]),
                              u * sum(k * c[k] * x ** (k - 1) for k in range(1, len(c)))))


def power_iteration(A, v, n_iter):
    for _ in range(n_iter):
        v = A @ v
        v = v / np.linalg.norm(v)
    return v @ A @ v


def _power_oracle(A, v0, n):
    """Finite-trip power iteration, differentiated by hand (reverse through every normalization)."""
    vs = [v0]
    ws = []
    for _ in range(n):
        w = A @ vs[-1]
        ws.append(w)
        vs.append(w / np.linalg.norm(w))
    v = vs[-1]
    dA = np.outer(v, v)
    dv = (A + A.T) @ v
    for k in reversed(range(n)):
        w = ws[k]
        nw = np.linalg.norm(w)
        dw = dv / nw - w * (w @ dv) / nw ** 3
        dA += np.outer(dw, vs[k])
        dv = A.T @ dw
    return dA, dv


_case(name="power_iteration_rayleigh", fn=power_iteration,
      make_args=lambda r: (r.standard_normal((3, 3)), r.standard_normal(3), 4), wrt=(0, 1), oracle=_power_oracle)
