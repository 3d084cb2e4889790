"""Refusals of the analysis stage say what the user wrote (issue 11, "Messages").

A value that carries a derivative and reaches a place with none (an attribute, an index, the start of
`sum`, an argument a callee updates in place) is refused in the user's own spelling: the expression
as written, never a temporary (`t1`), a renaming (`x_2`) or a rule's parameter (`obj`), with a hint
for that construct. Where the hint says what to write instead, the program written that way is
differentiated here and checked by finite differences in both modes and by the dot-product test.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import tangent_src as ts
from helpers import dot_product_check, make_function
from tangent_src.errors import TransformError

X = np.array([0.5, 0.25, 0.75])
INTERNAL = re.compile(r"\b(?:b|d)?t\d+\b|\b[A-Za-z_]\w*?_\d+\b")  # t1, bt3, x_2


def refusal(source: str, mode: str) -> TransformError:
    """The refusal deriving (and calling) f of `source` in `mode` raises."""
    f = make_function(source)
    with warnings.catch_warnings(), pytest.raises(TransformError) as caught:
        warnings.simplefilter("ignore")
        if mode == "grad":
            ts.grad(f)(X.copy())
        else:
            ts.jvp(f)(X.copy(), np.ones(3))
    err = caught.value
    assert not INTERNAL.findall(err.message) and not INTERNAL.findall(err.hint), str(err)
    assert err.span is not None and "_case_" in err.span.path, str(err)
    return err


def differentiates(source: str) -> None:
    """The program (what a hint says to write) differentiates correctly in both modes."""
    f = make_function(source)
    x = np.random.default_rng(0).uniform(0.2, 0.9, 3)
    assert ts.check_grad(f, (x,), 0, mode="reverse") < 1e-6
    assert ts.check_grad(f, (x,), 0, mode="forward") < 1e-6
    dot_product_check(f, (x,), 0, np.random.default_rng(1))


MODES = ["grad", "jvp"]

# ------------------------------------------------------------------ attributes of a differentiated value


@pytest.mark.parametrize("mode", MODES)
def test_attribute_assignment_names_the_attribute_read(mode):
    err = refusal("""
        def f(x):
            x.flags.writeable = False
            return np.sum(x)
        """, mode)
    assert "`x.flags` reads an attribute of `x`, which carries a derivative" in err.message
    assert "obj" not in err.message and "getattr" not in err.message
    assert "constants" in err.hint and "`.shape`" in err.hint


@pytest.mark.parametrize("mode", MODES)
def test_attribute_of_an_expression_is_spelled_as_written(mode):
    err = refusal("""
        def f(x):
            y = (x * 2).foo
            return np.sum(x)
        """, mode)
    assert "`(x * 2).foo` reads an attribute of `x * 2`" in err.message


@pytest.mark.parametrize("mode", MODES)
def test_getattr_call_is_spelled_as_written(mode):
    err = refusal("""
        def f(x):
            return np.sum(getattr(x * np.ones(3), "my_attribute"))
        """, mode)
    assert '`getattr(x * np.ones(3), "my_attribute")` reads an attribute of `x * np.ones(3)`' in err.message
    assert "obj" not in err.message


# ------------------------------------------------------------------ a display indexed where it is written


@pytest.mark.parametrize("mode", MODES)
def test_list_indexed_where_it_is_written(mode):
    err = refusal("""
        def f(x):
            return np.sum([x * 2, x * 3][0])
        """, mode)
    assert "`[x * 2, x * 3][0]` indexes `[x * 2, x * 3]`" in err.message
    assert "getitem" not in err.message and "argument `a`" not in err.message
    assert "`items = [x * 2, x * 3]`" in err.hint


def test_the_list_given_a_name_differentiates():
    differentiates("""
        def f(x):
            items = [x * 2, x * 3]
            return np.sum(items[0] * items[1])
        """)


# ------------------------------------------------------------------ indices, sum's start, dict keys


@pytest.mark.parametrize("mode", MODES)
def test_index_that_carries_a_derivative(mode):
    err = refusal("""
        def f(x):
            i = (x * 0).astype(int)
            return np.sum(x[i])
        """, mode)
    assert "the index `i` of `x[i]` depends on a differentiated input" in err.message
    assert "getitem" not in err.message
    assert "np.argmax" in err.hint


@pytest.mark.parametrize("mode", MODES)
def test_index_written_into_that_carries_a_derivative(mode):
    err = refusal("""
        def f(x):
            y = x * 1.0
            y[x[0]] = 2.0
            return np.sum(y)
        """, mode)
    assert "the index `x[0]` of `y[x[0]]`" in err.message and "setitem" not in err.message


def test_start_of_sum_differentiates():
    differentiates("""
        def f(x):
            return sum([x[0], x[1]], x[2])
        """)


def test_start_added_after_the_sum_differentiates():
    differentiates("""
        def f(x):
            return sum([x[0] * x[1], x[1] ** 2]) + x[2]
        """)


@pytest.mark.parametrize("mode", MODES)
def test_dict_key_that_carries_a_derivative(mode):
    err = refusal("""
        def f(x):
            d = {"a": x}
            return np.sum(d.get(x[0], x))
        """, mode)
    assert "the key `x[0]` of `d.get(x[0], x)`" in err.message and "dict.get" not in err.message


@pytest.mark.parametrize("mode", MODES)
def test_numpy_argument_names_the_parameter_and_the_users_argument(mode):
    err = refusal("""
        def f(x):
            return np.sum(np.full(3, x[0]))
        """, mode)
    assert "the argument `fill_value` of numpy.full (`x[0]`) depends on a differentiated input" in err.message


# ------------------------------------------------------------------ a callee that updates its argument in place

HELPER = """
def helper(a, b):
    a += b
    return np.sum(a)

"""


@pytest.mark.parametrize("mode", MODES)
def test_updated_argument_is_the_users_variable(mode):
    err = refusal(HELPER + """
def f(x):
    x = x * 2
    s = helper(x, x)
    return s + np.sum(x)
""", mode)
    assert "`f` reads that array (`x`) after the call" in err.message
    assert "`helper(x.copy(), x)`" in err.hint


@pytest.mark.parametrize("mode", MODES)
def test_updated_argument_of_a_call_over_lines_and_by_keyword(mode):
    err = refusal(HELPER + """
def f(x):
    x = x * 2
    s = helper(
        b=x * 1.0,
        a=x)
    return s + np.sum(x)
""", mode)
    assert "reads that array (`x`)" in err.message
    assert "`helper(b=x * 1.0, a=x.copy())`" in err.hint


def test_the_copy_the_hint_writes_differentiates():
    differentiates(HELPER + """
def f(x):
    x = x * 2
    s = helper(x.copy(), x)
    return s + np.sum(x * x)
""")


# ------------------------------------------------------------------ a return inside a loop


def test_loop_returns_records_what_its_names_stand_for():
    """The single-exit rewrite keeps the user's words for the names it makes (normalize.py shows them)."""
    from tangent_src.frontend.exits import EXIT_VALUES, loop_returns
    from tangent_src.frontend.source import parse_function

    f = make_function("""
        def f(x):
            for k in range(3):
                if k == 1:
                    return x
                x = x * 0.5
            return x
        """)
    parsed = parse_function(f)
    loop_returns(list(parsed.node.body.body), {"x", "k"}, parsed)
    words = parsed.scratch[EXIT_VALUES]
    assert words["returned_value"] == "the value `return x` returns (line 9)"
    assert "`return`" in words["returned"]

    g = make_function("""
        def f(x):
            for k in range(3):
                if k == 1:
                    return x, x * 2
                if k == 2:
                    return x * 3, x
            return x, x
        """)
    parsed = parse_function(g)
    loop_returns(list(parsed.node.body.body), {"x", "k"}, parsed)
    words = parsed.scratch[EXIT_VALUES]
    assert words["returned_value_2"] == \
        "value 2 of what a `return` in a loop returns (`return x, x * 2`, line 9; `return x * 3, x`, line 11)"
