"""Unsupported constructs, unknown functions and bad `wrt` raise TransformError with a location."""

import re

import numpy as np
import pytest

import tangent_src as ts
from tangent_src.errors import BadWrt, MissingRule, NonDifferentiableInput, UnsupportedSyntax

LOCATION = re.compile(r"test_errors\.py:(\d+):(\d+): ")


def unknown_function(x):
    return np.fft.fft(x)


def uses_try(x):
    try:
        y = x * 2.0
    except ValueError:
        y = x
    return y


def uses_with(x):
    with open("f") as handle:  # noqa: F841
        y = x * 2.0
    return y


def uses_global(x):
    global COUNTER
    return x


def generator(x):
    for i in range(3):
        yield x * i
    return x


def countdown(x, n):
    if n > 0:
        x = countdown(x * 2.0, n - 1)
    else:
        x = x + 0.0
    return x


def axis_from_input(x, k):
    return np.sum(x, axis=k)


def aliased_update(x):
    a = x
    for i in range(2):
        x += 1.0
    return a * x


def view_update(x):
    a = x.T
    x += 1.0
    return np.sum(a * x.T)


def vector_output(x):
    return np.sin(x)


def lambda_expression(x):
    g = lambda v: v  # noqa: E731, F841
    return x


def _located(err: ts.TransformError, fragment: str) -> tuple[int, int]:
    text = str(err)
    match = LOCATION.search(text)
    assert match, text
    lines = text.splitlines()
    assert fragment in lines[1], text  # the source line is shown
    caret = lines[2]
    assert set(caret.strip()) == {"^"}, text
    column = int(match.group(2)) - 1
    assert caret.index("^") - 4 == column, text  # the caret sits under the reported column
    assert "\nhint: " in text, text  # and what to do instead
    return int(match.group(1)), column


def test_unknown_function_names_it_and_points_to_rules():
    with pytest.raises(MissingRule) as info:
        ts.grad(unknown_function)
    assert "np.fft.fft" in str(info.value) and "numpy.fft" in str(info.value)
    assert "rule" in info.value.hint
    _located(info.value, "np.fft.fft(x)")


@pytest.mark.parametrize("fn, fragment, words", [
    (uses_try, "try:", "`try`"),
    (uses_with, "with open", "`with`"),
    (uses_global, "global COUNTER", "`global`"),
    (generator, "yield x * i", "`yield`"),
])
def test_unsupported_statements_name_the_construct_with_location(fn, fragment, words):
    with pytest.raises(UnsupportedSyntax) as info:
        ts.grad(fn)
    assert words in str(info.value)
    _located(info.value, fragment)


def test_recursion_is_refused_clearly():
    with pytest.raises(UnsupportedSyntax) as info:
        ts.vjp(countdown)
    assert "countdown" in str(info.value) and "recursion" in str(info.value)
    assert "loop" in info.value.hint


def test_a_lambda_in_the_body_is_inlined_where_called():
    """Issue 11: lambdas are supported (tests/test_functions_as_values.py checks their derivatives);
    one that is bound and never called costs nothing."""
    x = np.array([0.5, -1.0])
    np.testing.assert_allclose(ts.vjp(lambda_expression)(x, np.ones(2)), np.ones(2))


@pytest.mark.parametrize("wrt", ["q", 5, (0, 0), 1.5])
def test_bad_wrt(wrt):
    with pytest.raises(BadWrt) as info:
        ts.grad(vector_output, wrt=wrt)
    _located(info.value, "def vector_output")


def test_bad_wrt_names_the_parameters():
    with pytest.raises(BadWrt) as info:
        ts.grad(vector_output, wrt="q")
    assert "'x'" in str(info.value)


def test_differentiated_value_in_a_nondifferentiable_argument():
    with pytest.raises(NonDifferentiableInput) as info:
        ts.grad(axis_from_input, wrt=(0, 1))
    assert "axis" in str(info.value)
    ts.grad(axis_from_input, wrt=0)  # fine: k is a constant


@pytest.mark.parametrize("fn", [aliased_update, view_update])
def test_inplace_update_of_a_shared_array_is_refused(fn):
    with pytest.raises(UnsupportedSyntax) as info:
        ts.grad(fn)
    assert "shares the array" in str(info.value)
    _located(info.value, "x += 1.0")


def test_grad_of_a_vector_output_is_a_runtime_error():
    with pytest.raises(ValueError, match="scalar output"):
        ts.grad(vector_output)(np.ones(3))
    assert np.allclose(ts.vjp(vector_output)(np.ones(3), np.ones(3)), np.cos(np.ones(3)))


def test_transform_errors_are_transform_error():
    for cls in (BadWrt, MissingRule, NonDifferentiableInput, UnsupportedSyntax):
        assert issubclass(cls, ts.TransformError)


def test_complex_inputs_are_refused_clearly():
    z = np.array([1.0 + 2.0j, 0.5 - 1.0j])
    for derivative, args in [(ts.grad(vector_output_sum), (z,)), (ts.jvp(vector_output_sum), (z, z)),
                             (ts.vjp(vector_output), (z, np.ones(2)))]:
        with pytest.raises(TypeError, match="complex"):
            derivative(*args)
    with pytest.raises(TypeError, match="complex"):
        ts.grad(vector_output_sum)(1.0 + 1.0j)


def vector_output_sum(x):
    return np.sum(np.sin(x))
