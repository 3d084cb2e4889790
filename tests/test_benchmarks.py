"""The benchmark workloads compute what they claim: a fast smoke test, never timing anything.

For every workload of benchmarks/workloads.py, at small sizes, the hand-written gradient
and the gradient tangent_src generates are compared with central finite differences
(float64), and the forward-mode derivative with the gradient along a random direction.
"""

import numpy as np
import pytest

import tangent_src as ts
from benchmarks.workloads import WORKLOADS, arguments


def _flat(value):
    if isinstance(value, (tuple, list)):
        return np.concatenate([_flat(v) for v in value]) if value else np.zeros(0)
    return np.ravel(np.asarray(value, dtype=float))


def _unflat(flat, like):
    if isinstance(like, tuple):
        out, start = [], 0
        for item in like:
            n = np.size(item)
            out.append(_unflat(flat[start:start + n], item))
            start += n
        return tuple(out)
    return flat.reshape(np.shape(like))


def finite_differences(fn, args, eps=1e-6):
    x0 = _flat(args[0])
    grad = np.zeros_like(x0)
    for k in range(x0.size):
        step = np.zeros_like(x0)
        step[k] = eps
        up = fn(_unflat(x0 + step, args[0]), *args[1:])
        down = fn(_unflat(x0 - step, args[0]), *args[1:])
        grad[k] = (up - down) / (2 * eps)
    return grad


def _copy(value):
    return tuple(_copy(v) for v in value) if isinstance(value, tuple) else np.array(value, copy=True)


@pytest.mark.parametrize("workload", WORKLOADS, ids=[w.name for w in WORKLOADS])
def test_gradients_match_finite_differences(workload):
    args = arguments(workload, seed=3, small=True)
    before = _copy(args)
    expected = finite_differences(workload.function, args)
    hand = _flat(workload.hand(*args))
    generated = _flat(ts.grad(workload.function)(*args))
    scale = max(1.0, np.max(np.abs(expected)))
    np.testing.assert_allclose(hand, expected, rtol=1e-5, atol=1e-6 * scale, err_msg="hand-written gradient")
    np.testing.assert_allclose(generated, expected, rtol=1e-5, atol=1e-6 * scale, err_msg="generated gradient")
    for old, new in zip(_flat(before), _flat(args)):
        assert old == new, "a gradient changed its arguments"


@pytest.mark.parametrize("workload", WORKLOADS, ids=[w.name for w in WORKLOADS])
def test_forward_mode_agrees_with_the_gradient(workload):
    args = arguments(workload, seed=4, small=True)
    rng = np.random.default_rng(5)
    direction = _unflat(rng.standard_normal(_flat(args[0]).size), args[0])
    value, tangent = ts.jvp(workload.function)(*args, direction)
    assert np.isclose(value, workload.function(*args))
    gradient = _flat(workload.hand(*args))
    assert np.isclose(tangent, gradient @ _flat(direction), rtol=1e-8, atol=1e-10)


def test_second_order_workloads_compute_what_they_claim():
    """benchmarks/higher.py's functions: the Hessian by vector mode against differences of the
    gradient, the elementwise Jacobian against its diagonal by hand, auto mode on both shapes."""
    from benchmarks import higher

    rng = np.random.default_rng(0)
    x = rng.standard_normal(6)
    H = ts.hessian(higher.coupled_scalar)(x)
    h = 1e-6
    gradient = ts.grad(higher.coupled_scalar)
    by_differences = np.stack([(gradient(x + h * e) - gradient(x - h * e)) / (2 * h) for e in np.eye(6)], axis=1)
    np.testing.assert_allclose(H, by_differences, rtol=1e-5, atol=1e-5)
    J = ts.jacfwd(higher.elementwise_heavy)(x)
    diagonal = np.array([(higher.elementwise_heavy(x + h * e) - higher.elementwise_heavy(x - h * e))[i] / (2 * h)
                         for i, e in enumerate(np.eye(6))])
    np.testing.assert_allclose(np.diag(J), diagonal, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(J - np.diag(np.diag(J)), 0.0)
    assert ts.jacobian(higher.wide)(rng.standard_normal(60)).shape == (3, 60)
    assert ts.jacobian(higher.tall)(np.array([1.0, 0.5, 2.0])).shape == (60, 3)
