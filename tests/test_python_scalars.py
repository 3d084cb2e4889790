"""Scalar Python as people write it: the math module, builtins, comprehensions, early returns.

Every function in CASES is checked against central differences in reverse and
forward mode (ts.check_grad, float64), for the dot-product identity between
jvp and vjp, and for leaving its arguments unchanged. Inputs are Python floats
(or small arrays where the code indexes), chosen away from every branch
threshold and kink; functions with a branch appear once per side. The tests
after the table check what a table cannot: that two spellings of one function
have one gradient, print and assert kept, and the constructs that are refused
with a location and a hint.
"""

import math
import re

import numpy as np
import pytest

import tangent_src as ts
from helpers import assert_not_mutated, copy_value, dot_product_check

TOLERANCE = 1e-6
SEED = 20240613


# ------------------------------------------------------------------ the math module and builtins


def math_functions(x, y):
    a = math.sin(x) * math.exp(y) + math.log(x * x + 1.0)
    b = math.sqrt(y * y + 2.0) * math.tanh(x - y)
    return a + b * math.pi + math.cos(x) ** 2


def builtins_two_values(x, y):
    """abs, min and max of two values; which side each picks depends on the inputs."""
    return abs(x - y) * min(x, y) + max(x * y, 0.5) + abs(y)


def sum_of_names(x, y):
    a = x * y
    b = math.sin(x)
    return sum([a, b, y])


def rosenbrock_generator(x):
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(len(x) - 1))


def rosenbrock_loop(x):
    s = 0.0
    for i in range(len(x) - 1):
        s += 100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2
    return s


def comprehension_sum(x):
    return sum([math.exp(-x[i]) * x[i] for i in range(len(x))])


def comprehension_array(x, w):
    v = np.array([w * x[i] ** 2 for i in range(3)])
    return np.sum(np.sin(v))


# ------------------------------------------------------------------ conditionals and early returns


def conditional_expressions(x, y):
    z = x * y if x > y else x - y
    return z * z + (math.sin(x) if y > 0 else math.cos(x))


def early_returns(x, c):
    """A return in every branch of an if/elif/else."""
    if c > 1.0:
        return math.exp(x) * c
    elif c > 0.0:
        y = x * c
        return math.sin(y)
    else:
        return x**3 - c


def early_return_then_more(x, c):
    """A return in the if only: the rest of the function is the else."""
    if x > 2.0:
        return c * x
    y = math.tanh(x) * c
    y = y * y + x
    return y


def return_from_loop(x, w):
    """A return inside a loop: leaves at the first trip where the value passes 4."""
    for i in range(4):
        x = x * w + 0.5
        if x > 4.0:
            return x * x
    return x


def first_large(x):
    """A return inside a loop over an array."""
    for i in range(len(x)):
        if x[i] > 1.0:
            return x[i] * math.exp(x[i])
    return math.sin(x[0])


def while_true(x):
    y = x
    while True:
        y = y * 1.3 + 0.1
        if y > 5.0:
            break
    return y * y


def chatty(x):
    print("x is", x)
    assert x > 0, "chatty takes a positive x"
    return math.log(x) * x


def string_mode(x, y):
    """String values that never touch a differentiated value."""
    mode = "fast"
    label = "product"
    if mode == "fast":
        z = x * y
    else:
        z = x + y
    print(label)
    return z * math.sin(z)


def string_argument(x, kind):
    """A string argument selects the formula."""
    if kind == "square":
        y = x * x
    elif kind == "exp":
        y = math.exp(x)
    else:
        y = x
    return y * math.cos(x)


def modulo_branch(x):
    s = 0.0
    for i in range(len(x)):
        if i % 3 == 0:
            s = s + x[i] ** 2
        else:
            s = s + math.sin(x[i])
    return s


# ------------------------------------------------------------------ the table


def _vec(rng, n):
    return rng.standard_normal(n)


CASES = {
    "math_functions": (math_functions, lambda rng: (0.7, 0.3), (0, 1)),
    "builtins_x_larger": (builtins_two_values, lambda rng: (0.7, 0.3), (0, 1)),
    "builtins_y_larger": (builtins_two_values, lambda rng: (0.2, 0.9), (0, 1)),
    "builtins_negative": (builtins_two_values, lambda rng: (-1.5, -0.6), (0, 1)),
    "sum_of_names": (sum_of_names, lambda rng: (0.7, 0.3), (0, 1)),
    "rosenbrock_generator": (rosenbrock_generator, lambda rng: (_vec(rng, 4),), 0),
    "rosenbrock_loop": (rosenbrock_loop, lambda rng: (_vec(rng, 4),), 0),
    "comprehension_sum": (comprehension_sum, lambda rng: (_vec(rng, 4),), 0),
    "comprehension_array": (comprehension_array, lambda rng: (_vec(rng, 3), 0.4), (0, 1)),
    "conditional_true": (conditional_expressions, lambda rng: (0.7, 0.3), (0, 1)),
    "conditional_false": (conditional_expressions, lambda rng: (0.2, -0.9), (0, 1)),
    "early_return_if": (early_returns, lambda rng: (0.3, 2.0), (0, 1)),
    "early_return_elif": (early_returns, lambda rng: (0.3, 0.5), (0, 1)),
    "early_return_else": (early_returns, lambda rng: (0.3, -0.5), (0, 1)),
    "early_return_taken": (early_return_then_more, lambda rng: (2.5, 0.8), (0, 1)),
    "early_return_not_taken": (early_return_then_more, lambda rng: (0.5, 0.8), (0, 1)),
    "return_from_loop_inside": (return_from_loop, lambda rng: (1.0, 1.7), (0, 1)),
    "return_from_loop_after": (return_from_loop, lambda rng: (0.2, 1.1), (0, 1)),
    "first_large_found": (first_large, lambda rng: (np.array([0.3, -0.5, 1.4, 2.0]),), 0),
    "first_large_none": (first_large, lambda rng: (np.array([0.3, -0.5, 0.4]),), 0),
    "while_true": (while_true, lambda rng: (0.5,), 0),
    "chatty": (chatty, lambda rng: (0.5,), 0),
    "string_mode": (string_mode, lambda rng: (0.5, 0.3), (0, 1)),
    "string_argument_square": (string_argument, lambda rng: (0.5, "square"), 0),
    "string_argument_exp": (string_argument, lambda rng: (0.5, "exp"), 0),
    "string_argument_other": (string_argument, lambda rng: (0.5, "identity"), 0),
    "modulo_branch": (modulo_branch, lambda rng: (_vec(rng, 7),), 0),
}


def case(name):
    fn, make, wrt = CASES[name]
    return fn, tuple(make(np.random.default_rng(SEED))), wrt


def as_tuple(wrt):
    return wrt if isinstance(wrt, tuple) else (wrt,)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("name", list(CASES))
def test_matches_finite_differences(name, mode, capsys):
    fn, args, wrt = case(name)
    errors = as_tuple(ts.check_grad(fn, args, wrt, mode=mode))
    assert max(errors) < TOLERANCE, f"relative errors per wrt argument: {errors}"


@pytest.mark.parametrize("name", list(CASES))
def test_dot_product_identity(name, capsys):
    fn, args, wrt = case(name)
    dot_product_check(fn, args, wrt, np.random.default_rng(SEED + 1))


@pytest.mark.parametrize("name", list(CASES))
def test_derivatives_leave_arguments_unchanged(name, capsys):
    fn, args, wrt = case(name)
    rng = np.random.default_rng(SEED + 2)
    assert_not_mutated(ts.grad(fn, wrt), args)
    assert_not_mutated(ts.vjp(fn, wrt), args + (1.0,))
    tangents = tuple(rng.standard_normal(np.shape(args[i])) if np.ndim(args[i]) else 1.0 for i in as_tuple(wrt))
    assert_not_mutated(ts.jvp(fn, wrt), args + tangents)


@pytest.mark.parametrize("name", list(CASES))
def test_value_and_grad_on_python_scalars(name, capsys):
    fn, args, wrt = case(name)
    value, gradient = ts.value_and_grad(fn, wrt)(*copy_value(args))
    assert value == pytest.approx(fn(*copy_value(args)), rel=1e-14)
    for g, i in zip(as_tuple(gradient) if isinstance(wrt, tuple) else (gradient,), as_tuple(wrt)):
        assert np.shape(g) == np.shape(args[i])


# ------------------------------------------------------------------ one function, two spellings


def test_generator_and_loop_spellings_have_one_gradient():
    x = np.array([0.3, -1.2, 0.8, 1.5, -0.4])
    np.testing.assert_allclose(ts.grad(rosenbrock_generator)(x), ts.grad(rosenbrock_loop)(x), rtol=1e-13)
    _, forward = ts.jvp(rosenbrock_generator)(x, np.ones(5))
    _, forward_loop = ts.jvp(rosenbrock_loop)(x, np.ones(5))
    assert forward == pytest.approx(forward_loop, rel=1e-13)


def test_rosenbrock_minimum_has_zero_gradient():
    np.testing.assert_array_equal(ts.grad(rosenbrock_generator)(np.ones(4)), np.zeros(4))


def test_a_python_list_argument():
    """People pass lists of floats: the gradient has one entry per item."""
    x = [0.3, -0.2, 0.5]
    g = ts.grad(rosenbrock_generator)(x)
    assert len(g) == 3
    np.testing.assert_allclose(g, ts.grad(rosenbrock_generator)(np.array(x)), rtol=1e-14)
    assert max(as_tuple(ts.check_grad(rosenbrock_loop, (x,), 0))) < TOLERANCE


def test_conditional_expression_differentiates_the_side_taken():
    """Inputs on either side of x > y give different gradients, each matching the plain formula's."""
    taken = ts.grad(conditional_expressions, (0, 1))(0.7, 0.3)
    not_taken = ts.grad(conditional_true_side_written_out, (0, 1))(0.7, 0.3)
    np.testing.assert_allclose(taken, not_taken, rtol=1e-14)


def conditional_true_side_written_out(x, y):
    z = x * y
    return z * z + math.sin(x)


def test_return_from_loop_takes_the_exit_it_took():
    """The gradient when the loop returns early equals that of the loop cut at that trip."""
    x, w = 1.0, 1.7  # 2.2, 4.24: returns on the second trip
    np.testing.assert_allclose(ts.grad(return_from_loop, (0, 1))(x, w),
                               ts.grad(two_trips_then_square, (0, 1))(x, w), rtol=1e-14)


def two_trips_then_square(x, w):
    x = x * w + 0.5
    x = x * w + 0.5
    return x * x


# ------------------------------------------------------------------ print and assert


@pytest.mark.parametrize("kind", ["grad", "value_and_grad", "vjp", "jvp"])
def test_print_runs_once_per_call(kind, capsys):
    derivative = getattr(ts, kind)(chatty, 0)
    capsys.readouterr()
    derivative(0.5, *{"vjp": (1.0,), "jvp": (1.0,)}.get(kind, ()))
    assert capsys.readouterr().out == "x is 0.5\n"


@pytest.mark.parametrize("kind", ["grad", "vjp", "jvp"])
def test_assert_is_kept(kind, capsys):
    derivative = getattr(ts, kind)(chatty, 0)
    with pytest.raises(AssertionError, match="chatty takes a positive x"):
        derivative(-0.5, *{"vjp": (1.0,), "jvp": (1.0,)}.get(kind, ()))


def test_string_values_stay_as_they_are():
    text = ts.source(ts.grad(string_mode, (0, 1)))
    assert 'mode = "fast"' in text and 'mode == "fast"' in text, text
    assert "dmode" not in text and "bmode" not in text and "blabel" not in text, text


# ------------------------------------------------------------------ lists that do not work yet


def sum_of_computed_items(x, y):
    return sum([x * y, math.sin(x), y**3])


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_sum_of_a_display_of_computed_items(mode):
    assert max(ts.check_grad(sum_of_computed_items, (0.7, 0.3), (0, 1), mode=mode)) < TOLERANCE


# ------------------------------------------------------------------ refused constructs

LOCATION = re.compile(r"test_python_scalars\.py:(\d+):(\d+): ")
COUNT = 0


def uses_try(x):
    try:
        y = math.log(x)
    except ValueError:
        y = 0.0
    return y


def uses_with(x):
    with open(__file__) as handle:  # noqa: F841
        y = x * 2.0
    return y


def uses_yield(x):
    for i in range(3):
        yield x * i
    return x


def uses_yield_only(x):
    for i in range(3):
        yield x * i


def uses_class(x):
    class Box:
        scale = 2.0

    return x * Box.scale


def uses_global(x):
    global COUNT
    COUNT += 1
    return x * 2.0


def uses_lambda(x):
    square = lambda v: v * v  # noqa: E731
    return square(x)


def uses_nested_def(x):
    def square(v):
        return v * v

    return square(x)


def make_counter():
    calls = 0.0

    def uses_nonlocal(x):
        nonlocal calls
        calls = calls + 1.0
        return x * calls

    return uses_nonlocal


uses_nonlocal = make_counter()


def located(err):
    """The reported line and column, after checking the source line, the caret under it and the hint."""
    text = str(err)
    match = LOCATION.search(text)
    assert match, text
    lines = text.splitlines()
    caret = lines[2]
    assert set(caret.strip()) == {"^"}, text
    column = int(match.group(2)) - 1
    assert caret.index("^") - 4 == column, text
    assert "\nhint: " in text and err.hint, text
    return lines[1].strip()


@pytest.mark.parametrize("fn, fragment, words", [
    (uses_try, "try:", "`try`"),
    (uses_with, "with open", "`with`"),
    (uses_yield, "yield x * i", "`yield`"),
    (uses_class, "class Box:", "class"),
    (uses_global, "global COUNT", "`global`"),
    (uses_nonlocal, "nonlocal calls", "`nonlocal`"),
], ids=["try", "with", "yield", "class", "global", "nonlocal"])  # lambdas and nested defs: issue 11 supports them
@pytest.mark.parametrize("kind", ["grad", "jvp"])
def test_unsupported_constructs_are_refused_with_location_and_hint(fn, fragment, words, kind):
    with pytest.raises(ts.TransformError) as info:
        getattr(ts, kind)(fn, 0)
    assert type(info.value).__name__ == "UnsupportedSyntax"
    assert words in str(info.value), str(info.value)
    assert fragment in located(info.value)


def test_generator_without_return_is_refused_with_location():
    with pytest.raises(ts.TransformError) as info:
        ts.grad(uses_yield_only, 0)
    located(info.value)


def test_generator_without_return_names_the_yield():
    with pytest.raises(ts.TransformError) as info:
        ts.grad(uses_yield_only, 0)
    assert "`yield`" in str(info.value)
    assert "yield x * i" in located(info.value)
