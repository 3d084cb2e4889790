"""Loops and control flow that users write and fuzzers generate (issue 10, points 3, 7, 10-14, 17).

Each case is a function's source, its inputs and the differentiated arguments. It is
checked as the fuzzers check programs (tests/fuzz/check.py): jvp against a central
finite difference in float64, jvp against vjp/grad by the dot-product test, every
derivative shaped like its argument, jvp's value equal to f's, no input modified;
and reverse mode against finite differences too (ts.check_grad). Each point has the
shrunk program that failed and a readable case written the way a user writes numpy.
"""

from __future__ import annotations

import numpy as np
import pytest

import tangent_src as ts

from fuzz.check import check_source, forget_module, write_module
from helpers import inner, random_like

R = np.random.default_rng(20261202)


def _v(*shape):
    return R.standard_normal(shape)


CASES = {
    # ---- a loop over a constant tuple whose variable a branch rebinds to a differentiated value
    "constant_items_rebound_in_a_branch": ("""
def f(x, v):
    for item in (0.07, 0.2):
        if item > 0.09:
            item = x * v[1]
    return x * item
""", [0.5, _v(3)], (0, 1)),
    # ---- point 3: one loop variable reused by two loops over layers of unequal shapes
    "reused_loop_variable_minimal": ("""
def f(x, Ws):
    for W in Ws:
        x = np.tanh(W @ x)
    loss = np.sum(x)
    for W in Ws:
        loss = loss + np.sum(W * W)
    return loss
""", [_v(3), (_v(4, 3), _v(2, 4))], (0, 1)),
    "reused_loop_variable_parameters": ("""
def f(x0, x1, x2):
    Ws = [x1, x2]
    h = x0
    for W in Ws:
        h = np.tanh(W @ h)
    loss = 0.0
    for W in Ws:
        loss = loss + np.sum(np.sin(W))
    return loss + np.sum(h ** 2)
""", [_v(2), _v(3, 2), _v(1, 3)], (0, 1, 2)),
    "mlp_with_weight_decay": ("""
def f(Ws, bs, x, y):
    h = x
    for W, b in zip(Ws, bs):
        h = np.tanh(W @ h + b)
    loss = 0.5 * np.sum((h - y) ** 2)
    for W, b in zip(Ws, bs):
        loss = loss + 1e-2 * np.sum(W * W) + 1e-3 * np.sum(b * b)
    return loss
""", [(_v(5, 3), _v(4, 5), _v(2, 4)), (_v(5), _v(4), _v(2)), _v(3), _v(2)], (0, 1)),
    # ---- points 7 / 10: continue and break in one loop, at several depths
    "continue_then_break_minimal": ("""
def f(x):
    s = 0.0
    for i in range(10):
        if i % 3 == 0:
            continue
        s = s + x * i
        if i > 7:
            break
    return s
""", [1.5], (0,)),
    "search_loop_with_continue_and_break": ("""
def f(w, X):
    total = 0.0
    for i in range(X.shape[0]):
        score = np.tanh(X[i] @ w)
        if i % 2 == 1:
            continue
        total = total + score ** 2
        if i >= 4:
            break
    return total
""", [_v(3), _v(8, 3)], (0, 1)),
    "break_nested_two_ifs_deep": ("""
def f(x):
    for i in range(3):
        if i > 0:
            if i > 1:
                break
        x = x * 2.0 + np.sin(x)
    return x
""", [0.3], (0,)),
    "break_and_continue_under_elif": ("""
def f(x, w):
    s = 0.0 * x
    for i in range(6):
        if i == 1:
            s = s + w
        elif i % 2 == 0:
            if i == 4:
                break
            continue
        s = np.sin(s) * x + w
    return np.sum(s * s)
""", [_v(3), _v(3)], (0, 1)),
    "continue_and_break_in_a_while_loop": ("""
def f(x):
    k = 0
    s = x
    while k < 9:
        k = k + 1
        if k % 2 == 0:
            if k == 6:
                break
            continue
        s = np.tanh(s) + 0.5 * x
    return s
""", [0.4], (0,)),
    "break_in_inner_loop_continue_in_outer": ("""
def f(x):
    s = x
    for i in range(4):
        if i == 1:
            continue
        for j in range(5):
            if j > i:
                break
            s = np.sin(s) + x * j
    return s
""", [0.7], (0,)),
    "break_on_a_flag_the_loop_sets_later": ("""
def f(x):
    s = 0.0
    flag = False
    for i in range(5):
        s = s + x * (i + 1)
        if flag:
            break
        flag = i > 2
    return s
""", [1.5], (0,)),
    "fuzz_nested_loops_with_continue_and_break": ("""
def f(x, v, M):
    for u in M:
        u5 = (M @ np.sin((u) * (u)))
    for item in (0.5 * (x), np.sum(v),):
        for w in (u[0], (np.sum(v) * v[0]),):
            for i in range(1):
                u = ((u - (np.sum(v) * x)) + item)
            for n, item in enumerate(np.array([w, 0.5, u[2]])):
                if n % 2 == 0:
                    continue
                if i % 3 == 1:
                    break
    return np.sin(u[2])
""", [0.3, _v(3), _v(3, 3)], (0, 1, 2)),
    # ---- point 11: for over a tuple or a list of values
    "for_over_tuple_minimal": ("""
def f(a, b):
    s = 0.0
    for w in (a, b, a * b):
        s = s + w
    return s
""", [0.5, 0.7], (0, 1)),
    "for_over_tuple_read_after_the_loop": ("""
def f(x0, x1):
    s = 0.0
    for w in (x0, x1, x0 * x1):
        s = s * w
    s = s + w
    return np.sum(s)
""", [0.24, 0.3], (0, 1)),
    "for_over_list_display_of_arrays": ("""
def f(x0, x1, x2):
    Ws = [x1, x2]
    h = x0
    for W in Ws:
        h = np.tanh(W @ h)
    loss = 0.0
    for W in [x0, h]:
        loss = loss + np.sum(np.exp(0.3 * W))
    return loss + np.sum(np.tanh(h))
""", [_v(3), _v(3, 3), _v(2, 3)], (0, 1, 2)),
    "for_over_list_built_before_with_zip_and_enumerate": ("""
def f(a, b):
    terms = [a, np.sin(b), a * b]
    weights = [1.0, 2.0, 3.0]
    s = 0.0
    for t, c in zip(terms, weights):
        s = s + c * t ** 2
    for k, t in enumerate(terms):
        s = s + k * t
    return s
""", [0.5, 0.7], (0, 1)),
    "loop_variable_of_a_tuple_mixed_after": ("""
def f(x, v):
    for w in (np.cos(v[1]), v[1]):
        s1 = x
    return x * w + s1
""", [0.3, _v(3)], (0, 1)),
    # ---- point 12: an array made inside a loop body
    "array_made_in_loop_minimal": ("""
def f(b):
    for j in range(2):
        u = np.zeros(3)
        u[j] = b
    return np.sum(u * u)
""", [1.5], (0,)),
    "per_layer_arrays_filled_in_a_loop": ("""
def f(x, scales):
    total = 0.0
    for k in range(3):
        layer = np.zeros(4)
        for j in range(4):
            layer[j] = scales[k] * np.sin(x[j] + k)
        total = total + np.sum(layer ** 2)
    return total + np.sum(layer)
""", [_v(4), _v(3)], (0, 1)),
    # ---- point 13: a loop variable unbound before the loop
    "enumerate_variable_read_after": ("""
def f(q):
    for k, item in enumerate(q):
        pass
    return item * item
""", [_v(2)], (0,)),
    "row_variable_read_after": ("""
def f(q, x):
    for row in q:
        x = x * np.tanh(row)
    return np.sum(row * x)
""", [_v(3, 2), _v(2)], (0, 1)),
    # ---- point 14: an inner loop's variable read after it, inside an outer loop
    "inner_loop_variable_read_in_outer_minimal": ("""
def f(x):
    for t in range(2):
        for item in x:
            pass
        x = 0.5 * x + np.sin(item)
    return np.sum(x)
""", [_v(2)], (0,)),
    "last_row_feeds_the_next_sweep": ("""
def f(W, x):
    for sweep in range(3):
        for row in W:
            x = np.tanh(row * x)
        x = x + 0.1 * np.cos(row)
    return np.sum(x ** 2)
""", [_v(2, 3), _v(3)], (0, 1)),
    # ---- point 17: return from an elif (and deeper) inside loops
    "return_from_elif_in_loop": ("""
def f(x):
    for i in range(3):
        if i > 5:
            x = x + 1
        elif i > 1:
            return x * 2
    return x
""", [0.4], (0,)),
    "return_from_nested_loops_inside_an_if": ("""
def f(x, w):
    s = x
    if np.sum(w) > -100.0:
        for i in range(3):
            for j in range(3):
                s = np.sin(s) * w + x
                if j == 1:
                    if i == 1:
                        return np.sum(s * s)
    return np.sum(s)
""", [_v(3), _v(3)], (0, 1)),
    "two_loops_that_may_return": ("""
def f(x, w):
    s = 0.0 * x
    for i in range(2):
        if i == 2:
            return np.sum(x)
        s = np.cos(s) + w
    for i in range(3):
        if i == 1:
            return np.sum(w * s)
    return np.sum(s * s) + np.sum(x * w)
""", [0.3, 0.4], (0, 1)),
    "a_pair_returned_from_a_loop": ("""
def f(x0, x1):
    v = x0 * x1
    loss = np.sum(v)
    for i in range(2):
        v = np.tanh(v + x0)
        if i == 5:
            return loss, np.mean(v)
    return np.sum(v), np.mean(v)
""", [_v(3), _v(3)], (0, 1), False),
    # ---- found by the control-flow fuzzer (findings A, B)
    "self_assignment": ("""
def f(x):
    x = x
    return x * x
""", [0.3], (0,)),
    "swap_in_a_loop": ("""
def f(a, b):
    for i in range(3):
        a, b = b, a * b
    return a + 2.0 * b
""", [0.3, 0.7], (0, 1)),
    "dead_code_after_return": ("""
def f(a):
    if a < 0.42:
        return 2 * a
        a = a * 5
    return np.sin(a)
""", [0.3], (0,)),
    "variable_bound_in_one_branch_then_joined_again": ("""
def f(x):
    for i in range(2):
        if i == 0:
            y = np.sin(x)
    if x > 100.0:
        y = x
    return y * x
""", [0.3], (0,)),
    # ---- an adjoint first defined inside a reverse loop that may make no trip (cf_fuzz seed 100548)
    "adjoint_first_defined_in_a_loop_of_no_trips": ("""
def f(x, v):
    for item in np.array([np.sum(v), 0.5, x]):
        for k in range(0):
            for j in range(2):
                x = x * item
    return 0.5 * item
""", [0.5, _v(3)], (0, 1)),
    # ---- control-flow fuzzer seed 101874: a name first bound in an if that may return, in a
    # while, is read by a later loop of the same trip (its tape read it unbound)
    "first_bound_in_an_exiting_if_minimal": ("""
def f(x, v, M):
    c2 = 0
    while c2 < 1:
        c2 += 1
        if c2 % 2 == 0:
            for m, item in enumerate(np.tanh(v)):
                return 0.5 * np.sin(np.cos(item))
        for row in M:
            for n, item in enumerate(v):
                x = x * x
                return np.tanh(item) + np.sum(row)
    return np.sin(x)
""", [0.3, _v(3), _v(3, 3)], (0, 1, 2)),
    "early_return_from_a_search_in_an_iteration": ("""
def f(scores, x, threshold):
    step = 0
    while step < 3:
        step += 1
        if step == 2:
            for k, s in enumerate(np.tanh(scores * x)):
                if s > threshold:
                    return s * x
        for row in scores.reshape(2, 2):
            for s in row:
                best = s * x
        x = x * 0.9
    return best + x
""", [_v(4), 0.7, 5.0], (0, 1)),
    # ---- control-flow fuzzer seed 101601: the carried value's zero at the end of a reverse trip
    # of a while nested in loops was 0.0, and the matmul adjoint of the next trip read it
    "carried_zero_of_an_inner_while_minimal": ("""
def f(x, v, M):
    u1 = np.tanh(np.sin(v))
    for m, w in enumerate(np.array([x, 0.5, x]) + v[1]):
        for n, w in enumerate(u1):
            u1 = v * v
            c4 = 0
            while c4 < 2:
                c4 += 1
                u1 = M @ v
    return np.tanh(w * x)
""", [0.3, _v(3), _v(3, 3)], (0, 1, 2)),
    "power_iteration_restarted_per_layer": ("""
def f(W1, W2, x):
    h = x
    for W in (W1, W2):
        u = np.ones(W.shape[1])
        it = 0
        while it < 3:
            it += 1
            u = W.T @ (W @ x)
            u = u / np.sqrt(np.sum(u * u))
        h = np.tanh(W @ h) + np.sum(u)
    return np.sum(h * h)
""", [_v(3, 3), _v(3, 3), _v(3)], (0, 1, 2)),
}


def _holds_tuples(inputs):
    return any(isinstance(a, tuple) for a in inputs)


def _along(x, t, h):
    if isinstance(x, tuple):
        return tuple(_along(a, b, h) for a, b in zip(x, t))
    return x + h * t


def _same_structure(g, x):
    if isinstance(x, tuple):
        assert isinstance(g, tuple) and len(g) == len(x)
        for a, b in zip(g, x):
            _same_structure(a, b)
    else:
        assert np.shape(g) == np.shape(x)


def _check_tuples(source, inputs, wrt):
    """For arguments that are tuples of arrays: the dot-product test, and jvp against a
    central difference along the same random direction."""
    module = write_module(source)
    try:
        rng = np.random.default_rng(7)
        spec = wrt[0] if len(wrt) == 1 else wrt
        tangents = [random_like(inputs[i], rng) for i in wrt]
        _, jv = ts.jvp(module.f, spec)(*inputs, *tangents)
        u = random_like(module.f(*inputs), rng)
        pulled = ts.vjp(module.f, spec)(*inputs, u)
        pulled = [pulled] if len(wrt) == 1 else list(pulled)
        for g, i in zip(pulled, wrt):
            _same_structure(g, inputs[i])
        right = sum(inner(g, t) for g, t in zip(pulled, tangents))
        assert inner(u, jv) == pytest.approx(right, rel=1e-9)
        h = 1e-5
        shifted = [list(inputs), list(inputs)]
        for i, t in zip(wrt, tangents):
            shifted[0][i], shifted[1][i] = _along(inputs[i], t, h), _along(inputs[i], t, -h)
        fd = (module.f(*shifted[0]) - module.f(*shifted[1])) / (2 * h)
        np.testing.assert_allclose(jv, fd, rtol=1e-6, atol=1e-8)
    finally:
        forget_module(module)


@pytest.mark.parametrize("name", sorted(CASES))
def test_both_modes_agree_with_finite_differences(name):
    source, inputs, wrt, *scalar = CASES[name]
    if _holds_tuples(inputs):
        _check_tuples(source, inputs, wrt)
    else:
        check_source(source, inputs, wrt, scalar[0] if scalar else True)


@pytest.mark.parametrize("name", sorted(n for n in CASES if len(CASES[n]) == 3))
def test_reverse_mode_matches_finite_differences(name):
    source, inputs, wrt = CASES[name]
    module = write_module(source)
    try:
        spec = wrt[0] if len(wrt) == 1 else wrt
        simple = [i for i in wrt if isinstance(inputs[i], (float, np.ndarray))]
        if len(simple) != len(wrt):  # lists of arrays: covered by the dot-product test above
            pytest.skip("check_grad perturbs array and float arguments")
        errors = ts.check_grad(module.f, tuple(inputs), wrt=spec)
        assert np.max(errors) < 1e-6, errors
    finally:
        forget_module(module)


def test_continue_and_break_values_match_python():
    """The trips a loop with continue and break makes are Python's (the value, not only the slope)."""
    source = CASES["continue_then_break_minimal"][0]
    module = write_module(source)
    try:
        value, tangent = ts.jvp(module.f)(1.5, 1.0)
        assert value == module.f(1.5) == 1.5 * (1 + 2 + 4 + 5 + 7 + 8)
        assert tangent == pytest.approx(27.0)
        assert ts.grad(module.f)(1.5) == pytest.approx(27.0)
    finally:
        forget_module(module)


def test_for_over_a_tuple_is_not_zero():
    module = write_module(CASES["for_over_tuple_minimal"][0])
    try:
        ga, gb = ts.grad(module.f, wrt=(0, 1))(0.5, 0.7)
        assert (ga, gb) == (pytest.approx(1.7), pytest.approx(1.5))
    finally:
        forget_module(module)


def test_refusals_in_rewritten_loops_name_a_place():
    """A refusal about a construct inside a loop the front end rewrote still names file:line."""
    source = """
def f(x):
    for i in range(3):
        if i > 1:
            return x
        with open("log") as handle:
            pass
    return x
"""
    module = write_module(source)
    try:
        with pytest.raises(ts.TransformError) as info:
            ts.grad(module.f)
        assert info.value.span is not None
        assert "`with`" in str(info.value)
    finally:
        forget_module(module)


def test_a_loop_copying_a_value_into_itself_does_not_recurse():
    """cf_fuzz seed 120164: `v = v` in a while loop made the copies of v a cycle, and the search for the
    objects a name may hold (frontend/functions.py) recursed without end (InternalError)."""
    from helpers import make_function

    f = make_function("""
def f(x, v):
    c = 0
    while c < 2:
        c += 1
        x = x * np.tanh(np.sum(v))
        v = v
    return x * np.sum(v)
""")
    v = np.array([0.3, -0.2, 0.5])
    g = ts.grad(f)(0.7, v)
    eps = 1e-6
    np.testing.assert_allclose(g, (f(0.7 + eps, v) - f(0.7 - eps, v)) / (2 * eps), rtol=1e-6)
    _, t = ts.jvp(f)(0.7, v, 1.0)
    np.testing.assert_allclose(t, g, rtol=1e-9)
