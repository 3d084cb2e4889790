"""Functions as values: functions passed as arguments, nested defs and lambdas, functools.partial,
lambdas and primitives given to ts.grad, @differentiate functions given to ts.grad.

Every derivative is checked by `check_derivatives`: forward mode (ts.jvp) against central
differences in float64 along a random direction, reverse mode (ts.vjp, and ts.grad for a scalar
result) by the dot-product identity <u, J v> == <J^T u, v> against that tangent, jvp's value
against the function's, gradients shaped like their arguments, and no argument changed by any
derivative call.
"""

from __future__ import annotations

import functools
import inspect

import numpy as np
import pytest

import tangent_src as ts
from tangent_src.errors import TransformError, UnsupportedSyntax

STEP = 1e-6
FD_RTOL = 1e-6
DOT_RTOL = 1e-9


# ------------------------------------------------------------------ checking, on trees of arrays


def tree_map(fn, *trees):
    first = trees[0]
    if isinstance(first, dict):
        return {k: tree_map(fn, *(t[k] for t in trees)) for k in first}
    if isinstance(first, (tuple, list)):
        return type(first)(tree_map(fn, *items) for items in zip(*trees, strict=True))
    return fn(*trees)


def leaves(tree):
    found = []
    tree_map(found.append, tree)
    return found


def tree_copy(tree):
    return tree_map(lambda a: a.copy() if isinstance(a, np.ndarray) else a, tree)


def tree_random(tree, rng):
    return tree_map(lambda a: rng.standard_normal(np.shape(a)) if isinstance(a, np.ndarray)
                    else float(rng.standard_normal()), tree)


def tree_inner(a, b):
    return sum(float(np.sum(np.asarray(u, float) * np.asarray(v, float)))
               for u, v in zip(leaves(a), leaves(b), strict=True))


def tree_equal(a, b):
    return all(np.shape(u) == np.shape(v) and np.array_equal(u, v) for u, v in zip(leaves(a), leaves(b), strict=True))


def tree_close(found, expected, rtol):
    scale = max([1e-12] + [float(np.max(np.abs(e))) for e in leaves(expected) if np.size(e)])
    gaps = [float(np.max(np.abs(np.asarray(f, float) - np.asarray(e, float)))) for f, e in
            zip(leaves(found), leaves(expected), strict=True) if np.size(e)]
    return max(gaps, default=0.0) <= rtol * scale


def indices(fn, wrt):
    names = list(inspect.signature(fn).parameters)
    items = wrt if isinstance(wrt, tuple) else (wrt,)
    return [w if isinstance(w, int) else names.index(w) for w in items]


def called(derivative, args, extra=()):
    """derivative(*args, *extra) on copies of args, which must come back unchanged."""
    copies = tree_copy(args)
    result = derivative(*copies, *extra)
    assert tree_equal(copies, args), "a derivative changed one of its arguments"
    return result


def directional(fn, args, where, v):
    def at(t):
        moved = list(tree_copy(args))
        for i, d in zip(where, v):
            moved[i] = tree_map(lambda a, b: a + t * b, moved[i], d)
        return fn(*moved)

    return tree_map(lambda a, b: (a - b) / (2 * STEP), at(STEP), at(-STEP))


def check_derivatives(fn, args, wrt, seed=0, scalar=True):
    """jvp against finite differences, vjp and grad by the dot-product identity; nothing mutated."""
    rng = np.random.default_rng(seed)
    where = indices(fn, wrt)
    value = fn(*tree_copy(args))
    v = [tree_random(args[i], rng) for i in where]
    fd = directional(fn, args, where, v)
    jvp_value, tangent = called(ts.jvp(fn, wrt), args, v)
    assert tree_close(jvp_value, value, 1e-12), "jvp's value differs from the function's"
    assert tree_close(tangent, fd, FD_RTOL), f"forward mode differs from finite differences: {tangent} {fd}"
    u = tree_random(value, rng)
    pulled = called(ts.vjp(fn, wrt), args, (u,))
    pulled = pulled if isinstance(wrt, tuple) else (pulled,)
    for g, i in zip(pulled, where, strict=True):
        assert tree_map(np.shape, g) == tree_map(np.shape, args[i]), "a gradient is not shaped like its argument"
    left, right = tree_inner(u, tangent), sum(tree_inner(g, d) for g, d in zip(pulled, v))
    assert abs(left - right) <= DOT_RTOL * max(abs(left), abs(right), 1e-12), (left, right)
    if scalar:
        grads = called(ts.grad(fn, wrt), args)
        grads = grads if isinstance(wrt, tuple) else (grads,)
        along = sum(tree_inner(g, d) for g, d in zip(grads, v))
        assert abs(along - float(fd)) <= FD_RTOL * max(1.0, abs(float(fd))), (along, fd)
    return value


# ------------------------------------------------------------------ 1. a function passed as an argument


def pendulum(y, t, theta):
    return np.array([y[1], -theta[0] * np.sin(y[0]) - theta[1] * y[1]])


def decay(y, t, theta):
    return -theta[0] * y + 0.0 * t


def rk4_step(f, y, t, dt, theta):
    k1 = f(y, t, theta)
    k2 = f(y + dt / 2 * k1, t + dt / 2, theta)
    k3 = f(y + dt / 2 * k2, t + dt / 2, theta)
    k4 = f(y + dt * k3, t + dt, theta)
    return y + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


def integrate(f, theta, y0):
    """A function argument passed on to a helper that calls it."""
    y = y0
    for _ in range(5):
        y = rk4_step(f, y, 0.0, 0.05, theta)
    return y


def simulate(theta, y0):
    """The helper called with a module-level function: made for it when the caller is derived."""
    y = y0
    for _ in range(5):
        y = rk4_step(pendulum, y, 0.0, 0.05, theta)
    return y


def squared_error(x, data):
    return np.sum((x - data) ** 2)


def sgd_objective(loss_fn, x, data):
    """word2vec's sgd_wrapper style: the loss function is given."""
    return loss_fn(x, data) + 0.1 * np.sum(x ** 2)


def apply_twice(f, x):
    return f(f(x))


THETA, Y0 = np.array([7.0, 0.3]), np.array([0.5, -0.2])


def test_rk4_step_with_the_function_given_at_call_time():
    check_derivatives(rk4_step, (pendulum, Y0, 0.0, 0.05, THETA), (1, 4), scalar=False)


def test_a_helper_called_with_a_module_level_function():
    check_derivatives(simulate, (THETA, Y0), (0, 1), scalar=False)


def test_a_function_argument_passed_on_to_a_helper():
    check_derivatives(integrate, (pendulum, THETA, Y0), (1, 2), scalar=False)


def test_another_function_makes_another_derivative():
    derivative = ts.vjp(rk4_step, wrt=1)
    u = np.array([1.0, -2.0])
    first = derivative(pendulum, Y0, 0.0, 0.05, THETA, u)
    assert "vjp_pendulum" in ts.source(derivative)
    second = derivative(decay, Y0, 0.0, 0.05, THETA, u)
    assert "vjp_decay" in ts.source(derivative)
    again = derivative(pendulum, Y0, 0.0, 0.05, THETA, u)
    assert "vjp_pendulum" in ts.source(derivative)
    assert np.array_equal(first, again) and not np.allclose(first, second)
    check_derivatives(rk4_step, (decay, Y0, 0.0, 0.05, THETA), (1, 4), scalar=False)


def test_the_loss_function_given_to_an_sgd_wrapper():
    rng = np.random.default_rng(1)
    check_derivatives(sgd_objective, (squared_error, rng.standard_normal(4), rng.standard_normal(4)), 1)
    check_derivatives(sgd_objective, (lambda x, d: np.sum(np.sin(x) * d), rng.standard_normal(4),
                                      rng.standard_normal(4)), 1)


def test_a_primitive_a_bound_method_and_a_partial_as_the_argument():
    x = np.array([0.3, -0.7, 1.1])
    check_derivatives(apply_twice, (np.tanh, x), 1, scalar=False)
    check_derivatives(apply_twice, (functools.partial(np.multiply, 1.5), x), 1, scalar=False)
    check_derivatives(apply_twice, (Scaler(np.array([0.5, 2.0, -1.0])).apply, x), 1, scalar=False)


def test_a_plain_value_where_a_function_is_called_is_refused_at_the_call():
    derivative = ts.grad(sgd_objective, wrt=1)
    with pytest.raises(UnsupportedSyntax) as info:
        derivative(np.ones(3), np.ones(3), np.ones(3))
    assert "`loss_fn`" in str(info.value) and "ndarray" in str(info.value)
    with pytest.raises(TypeError, match="first call"):
        ts.source(ts.grad(apply_twice, wrt=1))


class Scaler:
    def __init__(self, a):
        self.a = a

    def apply(self, x):
        return np.sin(x) * self.a


# ------------------------------------------------------------------ 2. nested defs and lambdas


def two_layers(x, W1, W2):
    act = lambda z: np.maximum(z, 0)  # noqa: E731

    def layer(h, W):
        return np.tanh(h @ W)

    h = act(layer(x, W1))
    return np.sum(layer(h, W2) ** 2)


def closure_over_a_derivative(x, w):
    scale = w * 2.0
    shift = lambda z: z * scale + w  # noqa: E731
    return np.sum(shift(x) ** 2)


def late_binding(x, w):
    g = lambda z: z * w  # noqa: E731
    w = w + 1.0  # Python reads w when g is called
    return np.sum(g(x))


def nested_with_control_flow(x, n):
    def clipped(v, limit=1.0):
        if np.sum(v) > limit:
            return v / np.sum(v)
        out = v
        for i in range(n):
            out = out * 0.5 + np.sin(out)
        return out

    return clipped(x) + clipped(x * 2.0, limit=0.5)


def nested_calling_nested(x, W):
    act = lambda z: np.tanh(z)  # noqa: E731

    def layer(h, W):  # its W is its own; act is the enclosing function's
        return act(h @ W)

    def block(W):
        return layer(x, W) + layer(x, W * W)

    return np.sum(block(W))


def nested_in_a_loop(x, W):
    def step(h):
        return np.tanh(h @ W) + h

    h = x
    for _ in range(3):
        h = step(h)
    return h


def nested_returning_a_pair(x, y):
    def stats(v):
        m = np.mean(v)
        return m, np.sum((v - m) ** 2)

    mx, sx = stats(x)
    my, sy = stats(y)
    return mx * sy + my * sx


def nested_appending_to_a_list(x):
    outs = []

    def record(v):
        outs.append(v * 2.0)
        return v

    a = record(np.sin(x))
    _ = record(a * a)
    return np.sum(outs[0] * outs[1]) + np.sum(a)


def partial_made_inside(x, W):
    def affine(W, b, v):
        return v @ W + b

    step = functools.partial(affine, W, 1.0)
    return np.sum(np.tanh(step(x)) * step(x * 2))


def keyword_and_default_arguments(x, w):
    def f(a, b=2.0, *, c=1.0):
        return a * b + c

    return np.sum(f(x) + f(x, w, c=w))


def lambda_per_trip(x, w):
    total = 0.0
    for i in range(3):
        weight = lambda z: z * w[i]  # noqa: E731, B023  (called in the trip: this trip's w[i])
        total = total + np.sum(weight(x) ** 2)
    return total


def nested_def_in_a_loop(x, w):
    out = x
    for i in range(2):
        def step(v):
            return np.sin(v * w) + i  # noqa: B023  (called in the trip)

        out = step(out)
    return np.sum(out)


RNG = np.random.default_rng(7)
X3, W33, W32 = RNG.standard_normal(3), RNG.standard_normal((3, 3)), RNG.standard_normal((3, 2))


@pytest.mark.parametrize("fn, args, wrt, scalar", [
    (two_layers, (X3, W33, W32), (0, 1, 2), True),
    (closure_over_a_derivative, (X3, 0.7), (0, 1), True),
    (late_binding, (X3, 0.7), (0, 1), True),
    (nested_with_control_flow, (np.array([0.2, 0.1, -0.4]), 2), 0, False),
    (nested_with_control_flow, (np.array([0.9, 0.5, 0.4]), 2), 0, False),
    (nested_calling_nested, (X3, W33), (0, 1), True),
    (nested_in_a_loop, (X3, 0.3 * W33), (0, 1), False),
    (nested_returning_a_pair, (X3, RNG.standard_normal(4)), (0, 1), True),
    (keyword_and_default_arguments, (X3, 0.4), (0, 1), True),
    (lambda_per_trip, (X3, RNG.standard_normal(3)), (0, 1), True),
    (nested_def_in_a_loop, (X3, 0.8), (0, 1), True),
], ids=lambda p: getattr(p, "__name__", None))
def test_nested_functions_and_lambdas(fn, args, wrt, scalar):
    check_derivatives(fn, args, wrt, scalar=scalar)


def test_late_binding_reads_the_value_at_the_call():
    assert ts.grad(late_binding, wrt=1)(np.ones(3), 0.5) == pytest.approx(3.0)


def test_a_nested_function_appending_to_an_enclosing_list():
    check_derivatives(nested_appending_to_a_list, (X3,), 0)


def test_a_nested_function_is_inlined_with_readable_names():
    text = ts.source(ts.grad(two_layers, wrt=1))
    assert "np.tanh" in text and "np.maximum" in text and "lambda z" not in text and "layer(" not in text


def returns_a_nested_function(x):
    def g(v):
        return v * x

    return g


def stores_lambdas_in_a_list(x):
    fs = [lambda v: v * x, lambda v: v + x]
    total = 0.0
    for f in fs:
        total = total + np.sum(f(x))
    return total


def recursive_nested(x):
    def fact(v, n):
        return v if n == 0 else fact(v * n, n - 1)

    return np.sum(fact(x, 3))


def passes_a_lambda_on(x, data):
    return sgd_objective(lambda v, d: np.sum(v * d * x), x, data)


def nested_generator(x):
    def gen(v):
        yield v

    return np.sum(gen(x))


@pytest.mark.parametrize("fn, words, fragment", [
    (returns_a_nested_function, "returns a nested function", "def returns_a_nested_function"),
    (stores_lambdas_in_a_list, "not a function known before the call runs", "f(x)"),
    (recursive_nested, "calls itself", "fact(v * n, n - 1)"),
    (passes_a_lambda_on, "passing a nested function", "sgd_objective(lambda"),
    (nested_generator, "generator", "yield v"),
])
def test_what_is_not_supported_is_refused_with_its_place(fn, words, fragment):
    with pytest.raises(UnsupportedSyntax) as info:
        ts.grad(fn)(X3, X3) if "data" in inspect.signature(fn).parameters else ts.grad(fn)(X3)
    text = str(info.value)
    assert words in text and "hint:" in text, text
    assert ".py:" in text and fragment in text, text


# ------------------------------------------------------------------ 3. functools.partial


def weighted_loss(w, x, scale):
    return scale * np.sum(np.tanh(w * x) ** 2)


def test_a_partial_given_to_grad():
    x = np.array([0.3, -1.2, 0.8])
    loss = functools.partial(weighted_loss, scale=1.5)
    check_derivatives(loss, (X3, x), (0, 1))
    bound_first = functools.partial(weighted_loss, X3)
    check_derivatives(bound_first, (x, 0.5), 0)
    assert ts.grad(bound_first)(x, 0.5).shape == (3,)
    with pytest.raises(TransformError):
        ts.grad(loss, wrt="scale")


def test_a_partial_made_inside_the_function():
    check_derivatives(partial_made_inside, (X3, W33), (0, 1))


# ------------------------------------------------------------------ 4. lambdas given to ts.grad / ts.jvp


def test_a_lambda_given_to_grad_and_jvp():
    x = np.array([0.5, -1.0, 2.0])
    assert np.allclose(ts.grad(lambda x: np.sum(x ** 2))(x), 2 * x)
    value, tangent = ts.jvp(lambda x: np.sin(x) * x)(x, np.ones(3))
    assert np.allclose(tangent, np.cos(x) * x + np.sin(x))
    check_derivatives(lambda x, y: np.sum(np.exp(x) * y), (x, x[::-1].copy()), (0, 1))


def test_two_lambdas_on_one_line_are_told_apart():
    f, g = (lambda x: np.sum(x ** 2)), (lambda x: np.sum(x ** 3))
    x = np.array([0.5, -1.0])
    assert np.allclose(ts.grad(f)(x), 2 * x) and np.allclose(ts.grad(g)(x), 3 * x ** 2)
    assert "grad_lambda_" in ts.source(ts.grad(f))


def test_a_named_lambda_keeps_its_name_and_errors_point_into_it():
    loss = lambda x: np.sum(np.fft.fft(x))  # noqa: E731
    with pytest.raises(TransformError) as info:
        ts.grad(loss)
    text = str(info.value)
    assert "np.fft.fft" in text and "test_functions_as_values.py:" in text and "hint:" in text
    named = lambda x: np.sum(x * x)  # noqa: E731
    assert "def grad_named(" in ts.source(ts.grad(named))


# ------------------------------------------------------------------ 5. @differentiate functions and primitives


@ts.differentiate
def decorated(x):
    return np.sum(np.sin(x) * x)


def test_grad_of_a_differentiate_decorated_function():
    check_derivatives(decorated, (X3,), 0)
    assert np.allclose(ts.grad(decorated)(X3), decorated.grad(X3))


@pytest.mark.parametrize("primitive, args, scalar", [
    (np.sin, (X3,), False), (np.tanh, (X3,), False), (np.sum, (W33,), True),
    (np.linalg.det, (W33,), True), (np.maximum, (X3, X3[::-1] + 0.5), False),
])
def test_a_primitive_of_the_rule_table_itself(primitive, args, scalar):
    check_derivatives(primitive, args, 0, scalar=scalar)


def test_grad_of_a_primitive_is_made_once_and_named_after_it():
    assert ts.grad(np.sin) is ts.grad(np.sin)
    assert ts.grad(np.sin)(0.3) == pytest.approx(np.cos(0.3))
    value, tangent = ts.jvp(np.tanh)(0.3, 1.0)
    assert tangent == pytest.approx(1 - np.tanh(0.3) ** 2)
    assert "def grad_sin(x)" in ts.source(ts.grad(np.sin))


# ------------------------------------------------------------------ on a CuPy stand-in, and on the command line


def test_the_derivatives_run_on_strict_arrays():
    from strict_array import unwrap, wrap

    u = np.array([1.0, -2.0])
    args = (decay, Y0, 0.0, 0.05, THETA)
    on_numpy = ts.vjp(rk4_step, wrt=(1, 4))(*args, u)
    on_strict = ts.vjp(rk4_step, wrt=(1, 4))(decay, *wrap((Y0, 0.0, 0.05, THETA, u)))
    assert tree_close(unwrap(on_strict), on_numpy, 1e-12)
    on_numpy = ts.grad(two_layers, wrt=(0, 1, 2))(X3, W33, W32)
    assert tree_close(unwrap(ts.grad(two_layers, wrt=(0, 1, 2))(*wrap((X3, W33, W32)))), on_numpy, 1e-12)


def test_the_command_line_refuses_a_function_argument_with_its_place():
    from tangent_src.pipeline import derive_all

    with pytest.raises(UnsupportedSyntax) as info:
        derive_all([(rk4_step, "vjp", 1)])
    text = str(info.value)
    assert "k1 = f(y, t, theta)" in text and "Python API" in info.value.hint
    mains, _ = derive_all([(simulate, "vjp", (0, 1))])  # a module-level function passed: derived for it
    assert mains[0].name == "vjp_simulate"
