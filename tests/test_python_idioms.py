"""Python that numpy code from tutorials and from other AD tools' test suites is written in (issue 11):
a model holding a list of layer objects (`for layer in self.layers: x = layer.forward(x)`, layers
called through `__call__`, `enumerate(reversed(self.layers))`), `f(*args)` and `f(**kwargs)` into a
function of the user's, `map(f, xs)`, `list(...)` and `tuple(...)` of values, `import` inside the
function. Each program is checked against central finite differences in both modes and by the
dot-product test (tests.test_data_model's check); the models also against their own backward pass.
"""

from __future__ import annotations

import numpy as np
import pytest

import tangent_src as ts
from tangent_src import TransformError
from tests.test_data_model import check

RNG = np.random.default_rng(31)


# ------------------------------------------------------------------ a list of layer objects


class Dense:
    def __init__(self, W, b):
        self.W = W
        self.b = b

    def forward(self, x):
        self.x = x  # kept for a backward pass, as tutorials do
        return x @ self.W + self.b

    def backward(self, grad):
        return grad @ self.W.T


class ReLU:
    def forward(self, x):
        self.mask = x > 0
        return x * self.mask

    def backward(self, grad):
        return grad * self.mask


class Sequential:
    def __init__(self, layers):
        self.layers = layers

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def loss(self, x, y):
        return 0.5 * np.sum((self.forward(x) - y) ** 2)

    def input_gradient(self, x, y):
        """The tutorial's own backward pass: the oracle."""
        grad = self.forward(x) - y
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return grad


def _sequential():
    return Sequential([Dense(RNG.standard_normal((3, 4)), RNG.standard_normal(4)), ReLU(),
                       Dense(RNG.standard_normal((4, 2)), RNG.standard_normal(2))])


def test_a_model_looping_over_its_layers_against_its_own_backward_pass():
    model = _sequential()
    x, y = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 2))
    check(model.loss, (x, y), wrt=0)
    np.testing.assert_allclose(ts.grad(model.loss)(x, y), model.input_gradient(x, y), rtol=1e-10)


class Linear:
    def __init__(self, n_in, n_out, rng):
        self.W = rng.standard_normal((n_in, n_out)) * 0.5
        self.b = rng.standard_normal(n_out) * 0.1

    def __call__(self, x):
        return x @ self.W + self.b


class Tanh:
    def __call__(self, x):
        return np.tanh(x)


class MLP:
    def __init__(self, sizes, seed=0):
        rng = np.random.default_rng(seed)
        self.layers = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            self.layers.append(Linear(a, b, rng))
            self.layers.append(Tanh())

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def loss(self, x, y):
        return np.mean((self(x) - y) ** 2)

    def odd_layers_backwards(self, x):
        for i, layer in enumerate(reversed(self.layers)):
            x = layer(x) if i % 2 == 0 else x * 1.5
        return np.sum(x)


@pytest.mark.parametrize("method", ["loss", "odd_layers_backwards"])
def test_layers_called_through_call_and_enumerate_reversed(method):
    model = MLP([3, 3, 3])
    fn = getattr(model, method)
    args = (RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))) if method == "loss" \
        else (RNG.standard_normal((4, 3)),)
    check(fn, args, wrt=0)


# ------------------------------------------------------------------ * and ** into functions of the user's


def saxpy(a, b, c):
    return a * b + c


def unpacking_args_saxpy(abc):
    return np.sum(saxpy(*abc))


def unpacking_kwargs_saxpy(x):
    kw = {"a": x, "b": 2.0}
    kw["c"] = np.sin(x)
    return np.sum(saxpy(**kw))


def star_in_the_middle(x, rest):
    return np.sum(saxpy(x, *rest))


@pytest.mark.parametrize("fn, args", [
    (unpacking_args_saxpy, lambda: ((RNG.standard_normal(3), RNG.standard_normal(3), RNG.standard_normal(3)),)),
    (unpacking_kwargs_saxpy, lambda: (RNG.standard_normal(3),)),
    (star_in_the_middle, lambda: (RNG.standard_normal(3), [RNG.standard_normal(3), RNG.standard_normal(3)])),
])
def test_star_arguments_into_a_function_of_the_users(fn, args):
    values = args()
    check(fn, values, wrt=0)
    if fn is unpacking_kwargs_saxpy:
        x = values[0]
        np.testing.assert_allclose(ts.grad(fn)(x), 2.0 + np.cos(x), rtol=1e-12)


def test_a_star_argument_of_the_wrong_length_fails_as_python_does():
    with pytest.raises(ValueError):
        ts.grad(unpacking_args_saxpy)((np.ones(3), np.ones(3)))


def with_defaults(x, y=2.0):
    return x * y


def star_into_defaults(x, pair):
    return np.sum(with_defaults(*pair))


def test_a_star_argument_filling_parameters_with_defaults_is_refused():
    with pytest.raises(TransformError) as caught:
        ts.grad(star_into_defaults, wrt=0)(np.ones(3), (np.ones(3),))
    assert "`*` arguments" in str(caught.value) and "test_python_idioms.py:" in str(caught.value)


# ------------------------------------------------------------------ map, list, tuple, import


def lambda_map(x):
    f = lambda v: np.sin(v) * 2  # noqa: E731
    return np.sum(list(map(f, [x, x * 2]))[1])


def map_two_sequences(xs, ys):
    return sum(map(lambda a, b: np.sum(a * b), xs, ys))


def rows_as_a_list(X):
    rows = list(X)
    return np.sum(rows[0] * rows[2]) + np.sum(np.stack(tuple(rows)) ** 2)


def imports_inside(x):
    import math
    from numpy.linalg import norm
    return math.pi * norm(x) + math.sqrt(2.0) * np.sum(x)


@pytest.mark.parametrize("fn, args", [
    (lambda_map, lambda: (RNG.standard_normal(3),)),
    (map_two_sequences, lambda: ([RNG.standard_normal(3), RNG.standard_normal(3)],
                                 [RNG.standard_normal(3), RNG.standard_normal(3)])),
    (rows_as_a_list, lambda: (RNG.standard_normal((3, 4)),)),
    (imports_inside, lambda: (RNG.standard_normal(4),)),
])
def test_map_list_tuple_and_imports(fn, args):
    values = args()
    check(fn, values, wrt=0)
    if fn is rows_as_a_list:  # by hand
        X = values[0]
        expected = 2 * X
        expected[0] += X[2]
        expected[2] += X[0]
        np.testing.assert_allclose(ts.grad(fn)(X), expected, rtol=1e-12)


# ------------------------------------------------------------------ statistics code: order statistics, pairs


def pairwise_energy(X):
    """Pairwise distances as tutorials write them, the upper triangle only, a median-scaled kernel."""
    diffs = X[:, None, :] - X[None, :, :]
    D = np.sqrt(np.sum(diffs ** 2, axis=-1) + 1e-9)
    d = D[np.triu_indices(X.shape[0], 1)]
    scale = np.median(d)
    return np.sum(np.exp(-d / scale)) + np.percentile(d, 75.0) - np.quantile(X[:, 0], 0.4)


def outer_products(x, y):
    return np.sum(np.multiply.outer(x, y) ** 2) + np.sum(np.subtract.outer(x, y) ** 2) + np.sum(np.add.outer(x, x))


def median_absolute_deviation(r):
    return np.median(np.abs(r - np.median(r)))


@pytest.mark.parametrize("fn, args", [
    (pairwise_energy, lambda: (RNG.standard_normal((5, 2)),)),
    (outer_products, lambda: (RNG.standard_normal(3), RNG.standard_normal(4))),
    (median_absolute_deviation, lambda: (RNG.standard_normal(7),)),
])
def test_order_statistics_and_outer_ufuncs(fn, args):
    check(fn, args(), wrt=0)


def test_the_median_by_hand():
    r = np.array([3.0, -1.0, 2.5, 0.5, 7.0, 1.0])  # sorted: -1, 0.5, 1, 2.5, 3, 7: the mean of 1 and 2.5
    expected = np.zeros(6)
    expected[[2, 5]] = 0.5
    np.testing.assert_allclose(ts.grad(np.median)(r), expected, rtol=0, atol=0)
    np.testing.assert_allclose(ts.grad(lambda v: np.percentile(v, 20.0))(r), [0, 0.0, 0, 1.0, 0, 0])


# ------------------------------------------------------------------ lists joined and repeated


def displays_joined_and_repeated(x):
    a = [x, x * 2] + [x ** 2]
    b = [np.sin(x)] * 2
    return np.sum(a[2] + a[1] * b[1])


def test_displays_joined_with_plus_and_repeated_with_times():
    x = RNG.standard_normal(3)
    check(displays_joined_and_repeated, (x,), wrt=0)
    np.testing.assert_allclose(ts.grad(displays_joined_and_repeated)(x),
                               2 * x + 2 * np.sin(x) + 2 * x * np.cos(x), rtol=1e-12)


def joins_an_argument(a, x):
    b = a + [x]
    return np.sum(b[-1] * b[0])


def repeats_an_argument(a, x):
    b = a * 2
    return np.sum(b[1] * x)


@pytest.mark.parametrize("fn", [joins_an_argument, repeats_an_argument])
def test_lists_joined_or_repeated_at_run_time_raise_rather_than_give_a_wrong_gradient(fn):
    x = RNG.standard_normal(3)
    with pytest.raises(TypeError, match="tangent_src"):
        ts.grad(fn, wrt=(0, 1))([x * 2], x)


def any_and_all(x):
    if any(v > 0 for v in x) and not all(v > 5 for v in x):
        return np.sum(x ** 2)
    return np.sum(x)


def test_any_and_all():
    check(any_and_all, (RNG.standard_normal(4),), wrt=0)


def out_into_another_array(x):
    y = np.zeros_like(x)
    np.multiply(x, 2.0, out=y)
    z = np.empty_like(x)
    np.clip(x * 3.0, -1.0, 1.0, out=z)
    return np.sum(y * x) + np.sum(z ** 2)


def test_out_into_an_array_other_than_the_first_argument():
    x = np.array([0.1, -0.2, 0.5, -0.6])  # 3x clipped at 0.5 and -0.6 only, away from the bounds
    check(out_into_another_array, (x,), wrt=0)
    expected = 4 * x + np.where(np.abs(3 * x) < 1, 18 * x, 0.0)
    np.testing.assert_allclose(ts.grad(out_into_another_array)(x), expected, rtol=1e-12)


def enumerate_from_one(xs):
    total = 0.0
    for i, x in enumerate(xs, 1):
        total = total + i * np.sum(x ** 2)
    for j, x in enumerate(xs, start=-1):
        total = total + j * np.sum(x)
    return total


def test_enumerate_with_a_start():
    xs = [RNG.standard_normal(3), RNG.standard_normal(3)]
    check(enumerate_from_one, (xs,), wrt=0)
    g = ts.grad(enumerate_from_one)(xs)
    np.testing.assert_allclose(g[0], 2 * xs[0] - 1.0, rtol=1e-12)
    np.testing.assert_allclose(g[1], 4 * xs[1], rtol=1e-12)


def index_tricks_and_nested_arrays(theta, x):
    full = np.r_[0.0, theta[1:]]  # the regularized part of theta, as course code writes it
    Xb = np.c_[np.ones(3), x, x ** 2]
    M = np.array([[theta[0], theta[1]], [theta[2] * 2, 1.0]])
    return np.sum(full ** 2) + np.sum(Xb @ theta) + np.sum(M ** 2)


@pytest.mark.parametrize("wrt", [0, 1])
def test_r_and_c_and_nested_displays_in_np_array(wrt):
    check(index_tricks_and_nested_arrays, (RNG.standard_normal(3), RNG.standard_normal(3)), wrt=wrt)


def starred_unpacking(x, xs):
    first, *rest = x
    a, *mid, z = xs
    return first * 2.0 + np.sum(np.array(rest) ** 2) + np.sum(a * z) + sum(np.sum(m ** 2) for m in mid)


@pytest.mark.parametrize("wrt", [0, 1])
def test_starred_unpacking(wrt):
    check(starred_unpacking, (RNG.standard_normal(4), [RNG.standard_normal(2) for _ in range(4)]), wrt=wrt)


def test_starred_unpacking_of_too_few_items_raises_as_python_does():
    with pytest.raises(ValueError, match="not enough values to unpack"):
        ts.grad(starred_unpacking, wrt=1)(RNG.standard_normal(4), [RNG.standard_normal(2)])
