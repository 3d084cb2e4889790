"""grad of `return np.sum(t)`, t elementwise: no seed, no ones, no t where the partials do
not need it (the gradient of sum(sin(v)) is cos(v)); where a partial derivative lacks the
full shape, the ones are made and the usual code follows. Checked against central
differences in both modes, with the shapes and dtypes of the arguments."""

import numpy as np
import pytest

import tangent_src as ts


def textbook(x, y):
    return np.sum(np.sin(x + y**2))


def constant_partial(x):
    return np.sum(x * 2.0)


def broadcast_partial(x, y):
    return np.sum(x * y)


def biased(x, b):
    return np.sum(np.tanh(x + b))


def method_form(x):
    return (np.exp(x) * 0.5).sum()


def used_twice(x):
    t = np.tanh(x)
    u = np.sum(t * x)
    return np.sum(t) + u


CASES = {
    "textbook": (textbook, lambda r: (r.standard_normal((3, 4)), r.standard_normal((3, 4))), (0, 1)),
    "constant_partial": (constant_partial, lambda r: (r.standard_normal((3, 4)),), 0),
    "broadcast_partial": (broadcast_partial, lambda r: (r.standard_normal((3, 4)), r.standard_normal(4)), (0, 1)),
    "biased": (biased, lambda r: (r.standard_normal((3, 4)), r.standard_normal(4)), (0, 1)),
    "method_form": (method_form, lambda r: (r.standard_normal(5),), 0),
    "used_twice": (used_twice, lambda r: (r.standard_normal(4),), 0),
}


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_finite_differences(name, mode):
    fn, make, wrt = CASES[name]
    args = make(np.random.default_rng(7))
    error = ts.check_grad(fn, args, wrt, mode=mode)
    assert np.max(error) < 1e-6, error
    grads = ts.grad(fn, wrt)(*args)
    for g, i in zip(grads if isinstance(wrt, tuple) else (grads,), wrt if isinstance(wrt, tuple) else (wrt,)):
        assert np.shape(g) == np.shape(args[i])


def test_textbook_gradient_computes_no_sine_and_no_seed():
    code = ts.source(ts.grad(textbook, wrt=(0, 1)))
    assert "np.sin" not in code and "scalar_seed" not in code and "unreduce" not in code
    assert "bt2 = np.cos(t2)" in code
    x, y = np.linspace(-1, 1, 5), np.linspace(0.5, 2, 5)
    gx, gy = ts.grad(textbook, wrt=(0, 1))(x, y)
    np.testing.assert_allclose(gx, np.cos(x + y**2), rtol=1e-15)
    np.testing.assert_allclose(gy, 2 * y * np.cos(x + y**2), rtol=1e-15)


@pytest.mark.parametrize("fn", [constant_partial, broadcast_partial])
def test_partials_without_the_full_shape_make_the_ones(fn):
    assert "ones_like" in ts.source(ts.grad(fn))


def test_not_applied_when_the_summed_value_is_read_elsewhere():
    assert "scalar_seed" in ts.source(ts.grad(used_twice))


def test_value_and_grad_and_float32_keep_their_value_and_dtype():
    x = np.linspace(-1, 1, 6, dtype=np.float32)
    value, g = ts.value_and_grad(method_form)(x)
    assert value == pytest.approx(np.sum(np.exp(x) * 0.5), rel=1e-6)
    assert g.dtype == np.float32 and ts.grad(textbook)(x, x).dtype == np.float32
    assert ts.grad(constant_partial)(x).dtype == np.float32
