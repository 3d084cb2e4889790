"""The public contract: grad, value_and_grad, vjp, jvp, source, wrt conventions, caching."""

import numpy as np
import numpy
from numpy import sin as s

import tangent_src as ts
from strict_array import StrictArray, unwrap, wrap

SCALE = 2.0


def f(x, y):
    return np.sin(x + y**2)


def two_outputs(x, y):
    a = x * y
    return np.sum(a), a.T


def with_default(x, scale=3.0):
    return np.sum(scale * x**2)


def keyword_only(x, *, scale=3.0):
    return np.sum(scale * x**2)


def uses_global(x):
    return np.sum(SCALE * x)


def aliased(x):
    return numpy.sum(s(x))


def updates_argument(x, y):
    x += y
    x *= 2.0
    return np.sum(x * y)


def reuses(x):
    y = x * x
    z = y + x
    w = np.exp(z) * y
    return np.mean(w + x)


def unpack(x):
    n, m = x.shape
    a, b = x.T, x * 2.0
    return np.sum(a.T * b) / (n * m)


def returns_parameter(x, y):
    return x, x * y


def constant_output(x):
    return 3.0


def make_closure(c):
    def inner(x):
        return np.sum(c * np.tanh(x))

    return inner


def test_issue_example():
    gx, gy = ts.grad(f, wrt=(0, 1))(0.7, -1.3)
    v = 0.7 + 1.3**2
    assert np.isclose(gx, np.cos(v)) and np.isclose(gy, np.cos(v) * 2 * -1.3)
    value, tangent = ts.jvp(f, wrt=0)(0.7, -1.3, 1.0)
    assert np.isclose(value, np.sin(v)) and np.isclose(tangent, np.cos(v))
    text = ts.source(ts.grad(f, wrt=(0, 1)))
    assert "def grad_f(x, y):" in text and '"""' in text and "bx" in text


def test_wrt_as_index_name_and_tuple():
    x, y = 0.3, 0.4
    assert np.isclose(ts.grad(f, wrt="y")(x, y), ts.grad(f, wrt=1)(x, y))
    both = ts.grad(f, wrt=("x", 1))(x, y)
    assert isinstance(both, tuple) and len(both) == 2
    one = ts.grad(f, wrt=(1,))(x, y)
    assert isinstance(one, tuple) and len(one) == 1 and np.isclose(one[0], both[1])


def test_value_and_grad():
    value, g = ts.value_and_grad(f)(0.3, 0.4)
    assert np.isclose(value, f(0.3, 0.4)) and np.isclose(g, ts.grad(f)(0.3, 0.4))


def test_vjp_and_jvp_with_tuple_outputs():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    u = (0.7, rng.standard_normal((3, 2)))
    bx, by = ts.vjp(two_outputs, wrt=(0, 1))(x, y, u)
    assert np.allclose(bx, u[0] * y + u[1].T * y) and np.allclose(by, u[0] * x + u[1].T * x)
    (v1, v2), (t1, t2) = ts.jvp(two_outputs, wrt=0)(x, y, np.ones_like(x))
    assert np.isclose(v1, np.sum(x * y)) and np.allclose(t2, y.T) and np.isclose(t1, np.sum(y))
    assert ts.check_grad(two_outputs, (x, y), wrt=(0, 1)) < (1e-6, 1e-6)


def test_defaults_and_keyword_only_parameters_are_constants():
    x = np.arange(3.0)
    assert np.allclose(ts.grad(with_default)(x), 6.0 * x)
    assert np.allclose(ts.grad(with_default)(x, 1.0), 2.0 * x)
    assert np.allclose(ts.grad(keyword_only)(x, scale=0.5), x)
    assert np.allclose(ts.grad(keyword_only)(x), 6.0 * x)


def test_globals_are_read_live():
    global SCALE
    g = ts.grad(uses_global)
    assert np.allclose(g(np.ones(2)), 2.0)
    SCALE = 5.0
    try:
        assert np.allclose(g(np.ones(2)), 5.0)
    finally:
        SCALE = 2.0


def test_numpy_aliases_and_closures():
    x = np.linspace(-1, 1, 4)
    assert np.allclose(ts.grad(aliased)(x), np.cos(x))
    assert "np.cos" in ts.source(ts.grad(aliased)) or "numpy" in ts.source(ts.grad(aliased))
    inner = make_closure(1.5)
    assert np.allclose(ts.grad(inner)(x), 1.5 * (1 - np.tanh(x) ** 2))


def test_caching_returns_the_same_function():
    assert ts.grad(f, wrt=0) is ts.grad(f, wrt=0)
    assert ts.grad(f, wrt=0) is not ts.grad(f, wrt=1)
    assert ts.grad(f, wrt=(0, 1)) is ts.grad(f, wrt=(0, 1))


def test_derivatives_never_mutate_arguments_even_when_the_function_does():
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal(4), rng.standard_normal(4)
    x0, y0 = x.copy(), y.copy()
    ts.grad(updates_argument, wrt=(0, 1))(x, y)
    ts.jvp(updates_argument, wrt=(0, 1))(x, y, x0, y0)
    ts.vjp(updates_argument, wrt=(0, 1))(x, y, 1.0)
    assert np.array_equal(x, x0) and np.array_equal(y, y0)
    assert max(ts.check_grad(updates_argument, (x, y), wrt=(0, 1))) < 1e-6


def test_value_used_several_times_accumulates():
    x = np.random.default_rng(3).standard_normal(5)
    for mode in ("reverse", "forward"):
        assert ts.check_grad(reuses, (x,), mode=mode) < 1e-6
    text = ts.source(ts.grad(reuses))
    assert "bx = bx + " in text


def test_unpacking_shapes_and_attributes():
    x = np.random.default_rng(4).standard_normal((2, 3))
    assert ts.check_grad(unpack, (x,)) < 1e-6
    assert ts.check_grad(unpack, (x,), mode="forward") < 1e-6


def test_returned_parameter_and_constant_output():
    bx, by = ts.vjp(returns_parameter, wrt=(0, 1))(2.0, 3.0, (1.0, 1.0))
    assert np.isclose(bx, 1.0 + 3.0) and np.isclose(by, 2.0)
    assert ts.grad(constant_output)(np.ones(2)).tolist() == [0.0, 0.0]
    value, tangent = ts.jvp(constant_output)(np.ones(2), np.ones(2))
    assert value == 3.0 and tangent == 0.0


def test_output_is_deterministic():
    first = ts.source(ts.vjp(reuses))
    ts.api._CACHE.clear()
    assert ts.source(ts.vjp(reuses)) == first


def test_inactive_arguments_get_no_derivative_code():
    text = ts.source(ts.grad(f, wrt=0))
    assert "by =" not in text and "dy" not in text and "unbroadcast(bt2, like=t1)" not in text
    text = ts.source(ts.jvp(f, wrt=0))
    assert "dy" not in text and "dt1" not in text  # y**2 is a constant for wrt=x


def test_strict_array_runs_without_numpy_fallback():
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((2, 3)), rng.standard_normal(3)
    gx, gy = ts.grad(lambda_free_loss, wrt=(0, 1))(wrap(x), wrap(y))
    assert isinstance(gx, StrictArray) and isinstance(gy, StrictArray)
    ex, ey = ts.grad(lambda_free_loss, wrt=(0, 1))(x, y)
    assert np.allclose(unwrap(gx), ex) and np.allclose(unwrap(gy), ey)
    _, t = ts.jvp(lambda_free_loss, wrt=(0, 1))(wrap(x), wrap(y), wrap(np.ones_like(x)), wrap(np.ones_like(y)))
    assert isinstance(t, StrictArray)


def lambda_free_loss(x, y):
    z = np.tanh(x * y + 1.0)
    m = np.max(z, axis=1, keepdims=True)
    return np.mean((z - m) ** 2) + np.sum(x.T @ x) / x.size


def test_source_of_something_else_is_a_type_error():
    try:
        ts.source(f)
    except TypeError as err:
        assert "tangent_src" in str(err)
    else:
        raise AssertionError("expected TypeError")
