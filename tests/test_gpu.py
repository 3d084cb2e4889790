"""The same derivative code on a CUDA GPU through cupy (skipped where there is none).

The per-rule cases run on cupy in tests/rules; these run whole programs with
loops, branches, calls and structured parameters, and check that the results
stay on the device and agree with numpy.
"""

import numpy as np
import pytest

import tangent_src as ts

pytestmark = pytest.mark.gpu


def _cupy():
    try:
        import cupy
    except ImportError:
        pytest.skip("cupy is not installed")
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            pytest.skip("no CUDA device")
    except Exception as err:  # noqa: BLE001
        pytest.skip(f"no usable CUDA device: {err}")
    return cupy


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def rnn(params, xs, h0):
    W, U, b = params
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t] + b)
        if np.sum(h) > 100.0:
            break
    return np.sum(sigmoid(h) ** 2)


def conv1d(x, w):
    n = x.shape[0] - w.shape[0] + 1
    out = np.zeros_like(x[:n])
    for i in range(n):
        out[i] = np.sum(x[i:i + w.shape[0]] * w)
    return np.sum(out**2)


def _inputs(rng):
    params = (0.5 * rng.standard_normal((6, 6)), rng.standard_normal((6, 3)), rng.standard_normal((6, 1)))
    return params, rng.standard_normal((5, 3, 4)), rng.standard_normal((6, 4))


def test_rnn_with_branch_and_helper_on_gpu():
    cupy = _cupy()
    params, xs, h0 = _inputs(np.random.default_rng(0))
    expected = ts.grad(rnn, (0, 2))(params, xs, h0)
    on_device = tuple(cupy.asarray(p) for p in params), cupy.asarray(xs), cupy.asarray(h0)
    found = ts.grad(rnn, (0, 2))(*on_device)
    for e, f in zip(expected[0] + (expected[1],), found[0] + (found[1],)):
        assert isinstance(f, cupy.ndarray)
        np.testing.assert_allclose(cupy.asnumpy(f), e, rtol=1e-10, atol=1e-12)
    value, tangent = ts.jvp(rnn, 2)(*on_device, cupy.ones_like(on_device[2]))
    assert isinstance(tangent, cupy.ndarray)


def test_conv1d_writes_on_gpu():
    cupy = _cupy()
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal(9), rng.standard_normal(3)
    expected = ts.grad(conv1d, (0, 1))(x, w)
    found = ts.grad(conv1d, (0, 1))(cupy.asarray(x), cupy.asarray(w))
    for e, f in zip(expected, found):
        assert isinstance(f, cupy.ndarray)
        np.testing.assert_allclose(cupy.asnumpy(f), e, rtol=1e-10)
