"""Second and third derivatives by composing the transforms, and hvp / hessian / jacobian.

The four compositions (forward-over-reverse jvp(grad f), reverse-over-reverse grad(grad f) and
vjp(grad f), reverse-over-forward vjp(jvp f), forward-over-forward jvp(jvp f)) and third order
grad(grad(grad f)) are checked against central differences of the derivative one order down, on
functions with loops, branches, while loops, helper calls and in-place writes, written as people
write numpy; hessian and jacobian also against Hessians and Jacobians worked out by hand.
"""

from __future__ import annotations

import numpy as np
import pytest

import tangent_src as ts
from helpers import check_derivative_of
from strict_array import unwrap, wrap

TOLERANCE = 1e-5  # central differences of a derivative, float64


# ---------------------------------------------------------------- functions under test


def smooth_penalty(x):
    return np.sum(np.log1p(x**2))


def loop_branch_helper(x, w):
    """A small recurrent loop with a data-dependent branch per step and a helper call."""
    h = x.copy()
    total = 0.0
    for i in range(3):
        h = np.tanh(w * h + 0.1 * i)
        if np.sum(h) > 0:
            total = total + np.sum(h**2)
        else:
            total = total - np.sum(np.sin(h))
    return total + smooth_penalty(x)


def while_decay(x):
    s = 0.0
    k = 0
    while k < 4:
        s = s + np.sum(np.exp(-x * x * (k + 1)))
        k += 1
    return s


def inplace_writes(x):
    y = np.zeros_like(x)
    for i in range(x.shape[0]):
        y[i] = x[i] ** 3 + x[i - 1] * x[i]
    y[0] += 2 * x[1]
    return np.sum(y * y)


def affine_forward(x, w, b):
    """Course-assignment style: (out, cache)."""
    out = x @ w + b
    cache = (x, w, b)
    return out, cache


def two_layer_loss(params, X, y):
    """A param dict, an (out, cache) layer, a softmax loss."""
    h, _ = affine_forward(X, params["W1"], params["b1"])
    h = np.maximum(h, 0.0) + 0.1 * np.minimum(h, 0.0)  # leaky ReLU
    scores, _ = affine_forward(h, params["W2"], params["b2"])
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.mean(log_probs[np.arange(X.shape[0]), y])


def scalar_chain(a):
    b = a
    for i in range(3):
        b = np.sin(b) * a + 0.5 * b
    if b > 0:
        b = b * b
    return b


def rosenbrock(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s = s + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2
    return s


def rosenbrock_hessian(x):
    """By hand: d2/dx2 of sum 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2."""
    n = x.shape[0]
    H = np.zeros((n, n))
    for i in range(n - 1):
        H[i, i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
        H[i + 1, i + 1] += 200
        H[i, i + 1] -= 400 * x[i]
        H[i + 1, i] -= 400 * x[i]
    return H


def logistic_loss(w, X, y):
    z = X @ w
    return np.mean(np.logaddexp(0.0, z) - y * z)


def residuals(p, t):
    """Residuals of a decaying oscillation fitted to samples at times t (for Gauss-Newton)."""
    a, k, f = p[0], p[1], p[2]
    return a * np.exp(-k * t) * np.cos(f * t) - np.sin(t)


def _inputs(rng):
    params = {"W1": 0.5 * rng.standard_normal((4, 5)), "b1": 0.1 * rng.standard_normal(5),
              "W2": 0.5 * rng.standard_normal((5, 3)), "b2": 0.1 * rng.standard_normal(3)}
    return {
        "loop_branch_helper": (loop_branch_helper, (rng.standard_normal(4), 0.8), (0, 1)),
        "while_decay": (while_decay, (rng.standard_normal(3),), (0,)),
        "inplace_writes": (inplace_writes, (rng.standard_normal(5),), (0,)),
        "two_layer_loss": (two_layer_loss, (params, rng.standard_normal((6, 4)), rng.integers(0, 3, 6)), (0,)),
        "rosenbrock": (rosenbrock, (rng.standard_normal(4),), (0,)),
    }


CASES = _inputs(np.random.default_rng(0))


# ---------------------------------------------------------------- the four compositions


@pytest.mark.parametrize("name", list(CASES))
def test_forward_and_reverse_over_reverse(name):
    """jvp(grad f) and vjp(grad f), both checked by check_derivative_of: grad differentiated again."""
    f, args, wrt = CASES[name]
    check_derivative_of(ts.grad(f, wrt), args, wrt, TOLERANCE, f"grad({name})")


@pytest.mark.parametrize("name", list(CASES))
def test_forward_and_reverse_over_forward(name):
    """jvp(jvp f) and vjp(jvp f): the jvp, with its tangents as inputs too, differentiated again."""
    f, args, wrt = CASES[name]
    rng = np.random.default_rng(3)
    tangents = tuple(_random(args[i], rng) for i in wrt)
    arguments = args + tangents
    varied = tuple(wrt) + tuple(range(len(args), len(arguments)))
    check_derivative_of(ts.jvp(f, wrt), arguments, varied, TOLERANCE, f"jvp({name})")


def test_reverse_over_reverse_of_a_scalar_function():
    a = 0.7
    second = ts.grad(ts.grad(scalar_chain))
    h = 1e-5
    first = ts.grad(scalar_chain)
    expected = (first(a + h) - first(a - h)) / (2 * h)
    assert abs(second(a) - expected) < 1e-6 * max(1.0, abs(expected))


def test_third_order():
    a = 0.7
    third = ts.grad(ts.grad(ts.grad(scalar_chain)))
    second = ts.grad(ts.grad(scalar_chain))
    h = 1e-4
    expected = (second(a + h) - second(a - h)) / (2 * h)
    assert abs(third(a) - expected) < 1e-5 * max(1.0, abs(expected))
    _, by_forward = ts.jvp(second)(a, 1.0)  # forward over reverse over reverse
    assert abs(by_forward - third(a)) < 1e-9 * max(1.0, abs(expected))


def test_third_order_against_calculus():
    """f(x) = sum(x**4): the third derivative along v is 24 x v**2 (elementwise)."""

    x = np.random.default_rng(4).standard_normal(3)
    v = np.random.default_rng(5).standard_normal(3)
    hvp = ts.hvp(quartic)
    _, third = ts.jvp(hvp, (0,))(x, v, v)
    np.testing.assert_allclose(third, 24 * x * v**2, rtol=1e-12)


def quartic(x):
    return np.sum(x**4)


# ---------------------------------------------------------------- hvp, hessian


def test_hessian_of_rosenbrock_against_the_one_by_hand():
    x = np.random.default_rng(6).standard_normal(5)
    H = ts.hessian(rosenbrock)(x)
    np.testing.assert_allclose(H, rosenbrock_hessian(x), rtol=1e-12, atol=1e-10)
    v = np.random.default_rng(7).standard_normal(5)
    np.testing.assert_allclose(ts.hvp(rosenbrock)(x, v), rosenbrock_hessian(x) @ v, rtol=1e-12, atol=1e-10)


def test_hessian_of_logistic_regression_is_the_analytic_one():
    rng = np.random.default_rng(8)
    X, y, w = rng.standard_normal((40, 3)), (rng.random(40) > 0.5).astype(float), rng.standard_normal(3)
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    analytic = X.T @ (X * (p * (1 - p))[:, None]) / X.shape[0]
    H = ts.hessian(logistic_loss)(w, X, y)
    np.testing.assert_allclose(H, analytic, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(H, H.T, rtol=1e-12, atol=1e-14)


def test_hessian_blocks_for_a_tuple_wrt():
    f, args, _ = CASES["loop_branch_helper"]
    x, w = args
    blocks = ts.hessian(f, wrt=(0, 1))(x, w)
    assert blocks[0][0].shape == (4, 4) and blocks[0][1].shape == (4,) and blocks[1][1].shape == ()
    h = 1e-5
    gradient = ts.grad(f, wrt=(0, 1))
    for j, e in enumerate([np.eye(4)[0], 1.0]):
        plus = gradient(x + h * e, w) if j == 0 else gradient(x, w + h)
        minus = gradient(x - h * e, w) if j == 0 else gradient(x, w - h)
        column = [(p - m) / (2 * h) for p, m in zip(plus, minus)]
        found0 = blocks[0][0][:, 0] if j == 0 else blocks[0][1]
        found1 = blocks[1][0][0] if j == 0 else blocks[1][1]
        np.testing.assert_allclose(found0, column[0], rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(found1, column[1], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(blocks[0][1], blocks[1][0], rtol=1e-10, atol=1e-12)  # symmetric


def test_hvp_with_a_dict_of_parameters():
    f, (params, X, y), _ = CASES["two_layer_loss"]
    rng = np.random.default_rng(9)
    v = {k: rng.standard_normal(p.shape) for k, p in params.items()}
    found = ts.hvp(f)(params, X, y, v)
    h = 1e-5
    gradient = ts.grad(f)
    plus = gradient({k: p + h * v[k] for k, p in params.items()}, X, y)
    minus = gradient({k: p - h * v[k] for k, p in params.items()}, X, y)
    for k in params:
        np.testing.assert_allclose(found[k], (plus[k] - minus[k]) / (2 * h), rtol=1e-5, atol=1e-7)


def test_hvp_on_arrays_that_refuse_numpy_conversion():
    x = np.random.default_rng(10).standard_normal(4)
    v = np.random.default_rng(11).standard_normal(4)
    found = ts.hvp(rosenbrock)(wrap(x), wrap(v))
    np.testing.assert_allclose(unwrap(found), rosenbrock_hessian(x) @ v, rtol=1e-12, atol=1e-10)
    H = ts.hessian(logistic_loss)(wrap(x[:3]), wrap(np.ones((5, 3))), wrap(np.ones(5)))
    assert type(H).__name__ == "StrictArray"


# ---------------------------------------------------------------- jacobian


def tanh_layer(x, W):
    return np.tanh(W @ x)


def test_jacobian_in_every_mode_against_the_one_by_hand():
    rng = np.random.default_rng(12)
    x, W = rng.standard_normal(5), rng.standard_normal((3, 5))
    expected = (1 - np.tanh(W @ x) ** 2)[:, None] * W
    for make in (ts.jacobian, ts.jacfwd, ts.jacrev, lambda f: ts.jacobian(f, mode="forward"),
                 lambda f: ts.jacobian(f, mode="reverse")):
        np.testing.assert_allclose(make(tanh_layer)(x, W), expected, rtol=1e-12, atol=1e-14)
    for_w = ts.jacobian(tanh_layer, wrt=1)(x, W)
    assert for_w.shape == (3, 3, 5)
    np.testing.assert_allclose(for_w[1, 1], (1 - np.tanh(W @ x)[1] ** 2) * x, rtol=1e-12)
    np.testing.assert_allclose(for_w[1, 0], 0.0)


def wide(x):
    return np.array([np.sum(x**2), np.sum(np.sin(x)), np.prod(x[:3])])


def tall(x):
    return np.concatenate([np.sin(x[0] * np.arange(20.0)), np.cos(x[1] * np.arange(20.0)), x[2] * np.ones(20)])


def test_auto_mode_chooses_by_the_shape_and_reports_it():
    x = np.random.default_rng(13).standard_normal(60)
    jacobian_wide = ts.jacobian(wide)  # 60 inputs, 3 outputs: reverse
    J = jacobian_wide(x)
    assert jacobian_wide.mode == "reverse" and "60 inputs" in jacobian_wide.reason
    np.testing.assert_allclose(J, ts.jacfwd(wide)(x), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(J[0], 2 * x, rtol=1e-12)
    jacobian_tall = ts.jacobian(tall)  # 3 inputs, 60 outputs: forward
    z = np.array([0.3, -0.2, 1.5])
    J = jacobian_tall(z)
    assert jacobian_tall.mode == "forward" and J.shape == (60, 3)
    np.testing.assert_allclose(J, ts.jacrev(tall)(z), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(J[:20, 0], np.arange(20.0) * np.cos(z[0] * np.arange(20.0)), rtol=1e-12)
    assert "mode" in ts.jacobian(tall).__doc__
    assert "Last call: forward mode" in jacobian_tall.__doc__


def test_gauss_newton_from_the_jacobian_of_residuals():
    """The exact Hessian of 0.5 |r|^2 is J^T J (Gauss-Newton) plus sum_i r_i H(r_i): checked exactly."""
    t = np.linspace(0.0, 3.0, 25)
    p = np.array([1.2, 0.4, 1.1])
    J = ts.jacobian(residuals)(p, t)
    assert J.shape == (25, 3)
    r = residuals(p, t)
    np.testing.assert_allclose(J[:, 0], np.exp(-p[1] * t) * np.cos(p[2] * t), rtol=1e-12, atol=1e-15)
    exact = ts.hessian(half_squares)(p, t)
    curvature = sum(r[i] * ts.hessian(residual_component)(p, t, i) for i in range(t.shape[0]))
    np.testing.assert_allclose(exact, J.T @ J + curvature, rtol=1e-10, atol=1e-12)
    assert np.all(np.linalg.eigvalsh(J.T @ J) > 0)  # Gauss-Newton's matrix is positive definite here


def half_squares(p, t):
    q = residuals(p, t)
    return 0.5 * np.sum(q * q)


def residual_component(p, t, i):
    return residuals(p, t)[i]


def test_jacobian_of_a_tuple_result_and_a_tuple_wrt():
    rng = np.random.default_rng(14)
    x, w, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 4)), rng.standard_normal(4)

    def layer(x, w, b):
        out, _ = affine_forward(x, w, b)
        return out, np.sum(out)

    for mode in ("forward", "reverse"):
        (J_out_x, J_out_w, J_out_b), (J_sum_x, _, _) = ts.jacobian(layer, wrt=(0, 1, 2), mode=mode)(x, w, b)
        assert J_out_x.shape == (2, 4, 2, 3) and J_out_w.shape == (2, 4, 3, 4) and J_sum_x.shape == (2, 3)
        np.testing.assert_allclose(J_out_b, np.broadcast_to(np.eye(4), (2, 4, 4)), rtol=1e-12)
        np.testing.assert_allclose(J_out_x[1, 2, 1], w[:, 2], rtol=1e-12)
        np.testing.assert_allclose(J_out_x[1, 2, 0], 0.0)
        np.testing.assert_allclose(J_sum_x, np.broadcast_to(np.sum(w, axis=1), (2, 3)), rtol=1e-12)


def _random(x, rng):
    if isinstance(x, dict):
        return {k: _random(v, rng) for k, v in x.items()}
    if isinstance(x, (tuple, list)):
        return type(x)(_random(v, rng) for v in x)
    return rng.standard_normal(np.shape(x)) if np.shape(x) else float(rng.standard_normal())


# ---------------------------------------------------------------- vector (multi-direction) forward mode


@pytest.mark.parametrize("name", list(CASES))
def test_vector_mode_carries_k_directions_in_one_sweep(name):
    """jvp(f, wrt, directions=k) equals k separate jvps, and central differences along each direction."""
    f, args, wrt = CASES[name]
    rng = np.random.default_rng(15)
    k = 3
    tangents = tuple(_stacked(args[i], k, rng) for i in wrt)
    value, found = ts.jvp(f, wrt, directions=k)(*args, *tangents)
    assert np.shape(found) == (k,)
    for j in range(k):
        one = tuple(_item(t, j) for t in tangents)
        _, expected = ts.jvp(f, wrt)(*args, *one)
        np.testing.assert_allclose(found[j], expected, rtol=1e-12, atol=1e-14)
        h = 1e-6
        plus, minus = list(args), list(args)
        for i, t in zip(wrt, one):
            plus[i], minus[i] = _axpy(args[i], t, h), _axpy(args[i], t, -h)
        assert abs(found[j] - (f(*plus) - f(*minus)) / (2 * h)) < 1e-6 * max(1.0, abs(expected))


def test_vector_mode_of_an_array_result_and_its_source():
    rng = np.random.default_rng(16)
    x, W = rng.standard_normal(5), rng.standard_normal((3, 5))
    directions = np.eye(5)
    _, found = ts.jvp(tanh_layer, 0, directions=5)(x, W, directions)
    np.testing.assert_allclose(found.T, (1 - np.tanh(W @ x) ** 2)[:, None] * W, rtol=1e-12)
    text = ts.source(ts.jvp(broadcasting, (0, 1), directions=2))
    assert "lift(" in text and "direction_count(" in text
    a, b = rng.standard_normal((3, 1)), rng.standard_normal(4)
    da, db = rng.standard_normal((2, 3, 1)), rng.standard_normal((2, 4))
    _, found = ts.jvp(broadcasting, (0, 1), directions=2)(a, b, da, db)
    for j in range(2):
        np.testing.assert_allclose(found[j], ts.jvp(broadcasting, (0, 1))(a, b, da[j], db[j])[1], rtol=1e-12)
    with pytest.raises(ValueError, match="3 directions"):
        ts.jvp(tanh_layer, 0, directions=2)(x, W, np.ones((3, 5)))


def broadcasting(a, b):
    """a (3, 1) against b (4,): the tangents broadcast to (3, 4), with a sum over one axis."""
    c = a * b + a
    return np.sum(c * c, axis=0) + np.sum(np.sin(c))


def test_vector_mode_on_arrays_that_refuse_numpy_conversion():
    x = np.random.default_rng(17).standard_normal(4)
    _, found = ts.jvp(rosenbrock, 0, directions=4)(wrap(x), wrap(np.eye(4)))
    np.testing.assert_allclose(unwrap(found), ts.grad(rosenbrock)(x), rtol=1e-12)


def _stacked(x, k, rng):
    if isinstance(x, dict):
        return {key: _stacked(v, k, rng) for key, v in x.items()}
    return rng.standard_normal((k,) + np.shape(x))


def _item(t, j):
    return {key: v[j] for key, v in t.items()} if isinstance(t, dict) else t[j]


def _axpy(x, t, h):
    if isinstance(x, dict):
        return {key: x[key] + h * t[key] for key in x}
    return x + h * t


@pytest.mark.parametrize("name", ["loop_branch_helper", "inplace_writes", "rosenbrock"])
def test_vector_mode_code_differentiates_again(name):
    """The helpers of vector mode (lift, direction, stack_directions, take_directions, ...) have rules too."""
    f, args, wrt = CASES[name]
    rng = np.random.default_rng(18)
    tangents = tuple(_stacked(args[i], 2, rng) for i in wrt)
    arguments = args + tangents
    varied = tuple(wrt) + tuple(range(len(args), len(arguments)))
    check_derivative_of(ts.jvp(f, wrt, directions=2), arguments, varied, TOLERANCE, f"jvp({name}, directions=2)")
