"""Programs the differential fuzzer found wrong, shrunk, kept as regression tests.

Each case is the shrunk program as the fuzzer printed it (names as generated),
with its inputs; it is checked the way the fuzzer checks programs: reverse mode
against forward mode by the dot-product test, forward mode against finite
differences, shapes, and no input modified.
"""

from __future__ import annotations

import numpy as np
import pytest

import tangent_src as ts

from .check import check_source, write_module

CASES = {
    # Fuzz bug 1. `for r in x: x = ...` iterated over the rebound x: Python reads the sequence
    # once, before the first trip, but the rows were taken as x[i] of the carried x.
    # Symptom: jvp_f's value (and both derivatives) differed from f's value.
    "loop_over_rows_of_a_rebound_sequence": (
        """
def f(x0, x1):
    for r1 in x1:
        x1 = x1 + r1
    return np.sum(x1)
""",
        [0.4108850619643629, np.array([-0.69063986, -1.37707943, -1.45041709])], (0,), True,
    ),
    "loop_over_rows_of_a_rebound_sequence_wrt_it": (
        """
def f(x0, x1):
    for r1 in x1:
        x1 = x1 + r1
    return np.sum(x1)
""",
        [0.4108850619643629, np.array([-0.69063986, -1.37707943, -1.45041709])], (0, 1), True,
    ),
    "loop_over_rows_rebinding_what_it_walks": (
        """
def f(x0, x1):
    v3 = np.tanh(x0)
    for r4 in v3:
        v3 = np.tanh(v3 + r4)
    v12 = np.where(x0 > 0, v3, v3)
    return np.sum(v12 ** 2)
""",
        [np.array([[0.90973961, -0.77472873, -0.19496763], [1.42400447, -0.69226294, 1.12075725]]),
         np.array([[-0.42830961], [0.11264845]])], (0,), True,
    ),
    # Fuzz bug 2. A value a loop carries, read in a trip only for its shape, was recorded as its
    # shape; but the reverse sweep needs it whole after the loop (the adjoint of tanh before the
    # loop reads it) and at the start of the previous trip. Symptom: wrong gradients (reverse mode
    # only), e.g. a relative error of 1.6 for the first case.
    "carried_value_read_after_the_loop": (
        """
def f(x1, x2):
    v1 = np.tanh(x1)
    for i in range(3):
        v1 = v1 + x1
    return np.sum(v1 ** 2)
""",
        [np.array([0.12573022, -0.13210486, 0.64042265]), np.array([0.10490012, -0.53566937, 0.36159505])],
        (0,), True,
    ),
    "carried_value_in_a_loop_over_rows": (
        """
def f(x0, x1, x2):
    v1 = np.tanh(x1)
    for r2 in x2:
        v1 = np.tanh(v1 + x1)
    return v1
""",
        [np.array([[0.57260083], [-1.3892885]]),
         np.array([[-0.19212756, -1.34876855, -0.12921005], [0.93481095, -0.24009093, -1.44797999]]),
         np.array([1.19078204, 0.54836394, 0.53882478])], (1,), False,
    ),
    "carried_value_read_by_the_previous_trip": (
        """
def f(x0):
    v1 = scipy.special.log_softmax(x0, axis=-1)
    v3 = x0[1:]
    for r4 in v3:
        v1 = 0.5 * v1 + np.sin(v3)
    return np.sum(np.tanh(v1))
""",
        [np.array([-0.97904616, -0.32968685])], (0,), True,
    ),
    "carried_value_through_a_helper_and_nested_loop": (
        """
def h0(p0, p1):
    return p1


def f(x0):
    v1 = np.dot(x0, x0)
    v2 = h0(v1, x0)
    for r5 in v2:
        v6 = math.sqrt(r5 ** 2 + 1.0)
        for k in range(1):
            r5 = r5 + v6
        v2 = v2 + r5
    return v2.sum()
""",
        [np.array([1.06148327, -0.45964849])], (0,), True,
    ),
    "carried_value_whole_for_the_next_trip_only": (
        """
def f(x1, x2):
    v1 = x1 + 0.0
    for i in range(3):
        v1 = np.tanh(v1 + x1)
    return np.sum(v1 * 2.0)
""",
        [np.array([0.12573022, -0.13210486, 0.64042265]), np.array([0.10490012, -0.53566937, 0.36159505])],
        (0,), True,
    ),
    # Fuzz bug 3. A parameter outside wrt that a loop carries, read before the loop: jvp_f read
    # its tangent before any was made (NameError: dx1). Fixed in forward mode by the commit
    # "Forward mode: a parameter outside wrt that a loop carries gets a zero tangent".
    "parameter_outside_wrt_carried_read_before_the_loop": (
        """
def f(x0, x1):
    v1 = np.dot(x0, x1)
    for r4 in v1:
        v5 = x1.dot(r4)
        x1 = x1 * np.cos(v5)
    return v1
""",
        [np.array([[-1.42827779], [0.3603373]]), np.array([[1.05763016, 0.22654895, 0.64540085]])], (0,), False,
    ),
    # Fuzz bug 4. A value made from a constant by a rule whose tangent calls a method of the
    # tangent (`da.flatten()`), carried by a loop that makes it vary: the tangent of the constant
    # was left as the template's zero marker (NameError: __zero__).
    "method_of_a_zero_tangent": (
        """
def f(x0, x1, x2):
    v1 = x1 @ x1
    v10 = x2.flatten()
    for j in range(0, 1):
        v10 = 0.5 * v10 + np.sin(v1)
    return np.mean(np.sin(v10))
""",
        [np.array([[-1.33885852, -0.91316857], [0.62575929, -1.21901426], [-0.77989569, 1.38752743]]),
         np.array([-0.49646602, -0.99668142, -1.11485066]),
         np.array([[0.01885294, 1.46794357], [-1.39577281, -0.72289565], [0.24717095, -1.18771688]])], (1,), True,
    ),
    # Fuzz bug 5. Early returns: on the path that returns x1, the adjoint of v1 (returned on
    # another path) was filled with 0.0, as for a value that may be unbound; but v1 is bound
    # there, and the adjoint of concatenate cannot split 0.0 (vjp_f raised TypeError).
    "zero_adjoint_of_a_bound_value_at_an_early_return": (
        """
def f(x0, x1):
    if np.mean(x1) > 0.5:
        return x1
    v1 = np.concatenate([x0, x0], axis=0)
    if np.sum(x0) > 0.0:
        return v1
    return x1
""",
        [np.array([[-0.40741993, -1.12795963, 0.0089528]]), np.array([[0.05222948], [0.77410581]])], (0,), False,
    ),
    # Fuzz bug 6. A parameter that a loop rebinds counted as "may be unbound" (only the
    # statements' targets were counted as bound), so on the path that returns early its gradient
    # was filled with 0.0, not zeros shaped like it (the gradient of x0 had shape ()).
    "gradient_of_a_rebound_parameter_on_an_early_return": (
        """
def f(x0, x1, x2):
    if np.sum(x2) > 0.0:
        return x2
    for r1 in x0:
        v2 = np.prod(x2)
        x0 = x0 - 0.1 * v2
    return x0
""",
        [np.array([1.05162239, 0.55838341, 0.650412]),
         np.array([[1.13729005, -1.41526394], [-0.77728542, -0.23796744], [-1.35144045, -0.61715121]]),
         np.array([1.44252061, -0.89603368])], (0,), False,
    ),
    # Fuzz bug 7. A call of a helper none of whose arguments varies, whose result a loop then
    # carries into a varying value: forward mode asked for the helper's derivative with respect
    # to no parameter (refused: "wrt names no parameter").
    "helper_call_with_no_varying_argument_carried_by_a_loop": (
        """
def h0(p0, p1):
    v6 = np.tanh(p0)
    return v6


def f(x0, x1, x2):
    v3 = x2[:, 1:]
    v4 = np.take(x2, [0, 0, 1], axis=1)
    v5 = h0(v4, v3)
    for i in range(3):
        v5 = v5 * np.cos(x1)
    return x2, v5
""",
        [np.array([[0.56199864, -0.30534859, -0.48720065]]), 1.1509821007418939,
         np.array([[0.66869091, -1.49202001], [-0.67649201, 1.15144988], [1.42418613, 0.16698517]])], (1,), False,
    ),
    # Fuzz bug 9 (campaign of 10 000, seeds 300590, 300753, 300975). An inner loop carrying a
    # name that the outer loop also carries (`x0 = x0_2` written back by the inner loop): the
    # outer reverse loop set the name's adjoint to zero at every trip instead of carrying it from
    # the trip after. Symptom: wrong gradients in reverse mode (dot-product test off by 2x, or
    # a gradient of almost 0).
    "inner_loop_carrying_what_the_outer_loop_carries": (
        """
def f(x0, x1):
    for j in range(3):
        w1 = x0 * 1.0
        for k in range(0, 2):
            v2 = x0 + w1
            x0 = x0 - 0.1 * v2
        x1 = x1 + w1
    return np.sum(np.tanh(x1))
""",
        [np.array([[0.87115468, 1.18329844, -1.10020337], [0.5651322, -0.63913442, -0.86622409]]),
         np.array([[1.41517247, -0.39216378, 1.47849404], [1.41870895, 0.41831901, -1.31933577]])], (0,), True,
    ),
    "inner_loops_over_rows_carrying_outer_values": (
        """
def f(x0, x1, x2):
    for r3 in x0:
        for j in range(0, 3):
            x1 = 0.5 * x1 + np.sin(x1)
        for r4 in x0:
            x2 = np.tanh(x2 + x1)
        x2 = 0.5 * x2 + np.sin(r3)
    v14 = np.maximum(x2, 0.0)
    return np.mean(np.sin(v14))
""",
        [np.array([0.30887254, 1.36929062, 0.6505535]), -0.20127135967795873,
         np.array([0.08480104, 0.44657053, 1.49010518])], (1,), True,
    ),
    "inner_loop_over_rows_of_a_carried_value": (
        """
def h0(p0, p1):
    return p0


def h1(p0):
    return p0


def f(x0):
    v2 = h0(x0, x0)
    v6 = h1(v2)
    for i in range(3):
        v11 = 3.0 * v6
        for r12 in v6:
            v6 = 0.5 * v6 + np.sin(v11)
        x0 = np.tanh(x0 + v11)
    v15 = x0[0, 2]
    v16 = np.tanh(v15)
    return v16 * 1.0
""",
        [np.array([[-0.32248654, 0.4821053, -1.42198147], [0.25867705, -1.36457505, -0.16577517]])], (0,), True,
    ),
    # Not a tangent_src bug (campaign seed 406434): the derivative was right (central differences
    # in long double converge to it as the step shrinks: 13266.1, 13263.909, 13263.8865 for
    # h = 1e-6, 1e-7, 1e-8, against 13263.8863), but the checker's steps were too coarse for a
    # function this curved. The checker now also tries a step of STEP / 512.
    "checker_steps_fine_enough_for_a_steep_function": (
        """
def f(x0):
    for k in range(3):
        v2 = x0 * x0 + x0
        v2 *= np.sin(v2)
        x0 = x0 + v2
    for i in range(3):
        v12 = np.cumsum(x0, axis=0)
        x0 = 0.5 * x0 + np.sin(v12)
    return np.sum(x0)
""",
        [np.array([[-0.09865722], [0.96129771]])], (0,), True,
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_fuzz_regression(name):
    source, inputs, wrt, scalar = CASES[name]
    check_source(source.strip() + "\n", inputs, wrt, scalar)


def test_fuzz_regression_in_place_write_refused_with_a_clear_error():
    """Fuzz bug 8. A write into an array in a branch, when the refusal of an in-place update that
    shares an array named the subscript: the error itself crashed (InternalError: AttributeError
    'Subscript' object has no attribute 'target'). It is refused with a TransformError now."""
    module = write_module("""
def f(x0):
    v2 = np.stack([x0, x0])
    if np.mean(v2) > 0.5:
        v2[1:] = x0 * 2.0
    else:
        v2[0] += np.tanh(x0)
    return np.sum(v2)
""")
    try:
        ts.grad(module.f, 0)
    except ts.TransformError as e:
        assert type(e).__name__ != "InternalError", str(e)


# Programs of the construct families (tests/fuzz/constructs.py) that failed, kept as drawn or
# shrunk: (source, inputs, wrt, mode, reseed); mode as in check_function ("scalar", "array",
# "aux", "refuse"), reseed: the checker seeds numpy's and Python's random state before each call.
CONSTRUCT_CASES = {
    # Issue 10 point 7/10: `break` and `continue` in nested `while True` loops with an `elif` that
    # returns from the inner loop: InternalError in the normalize stage (`_flagged()` TypeError).
    "while_true_loops_with_break_continue_and_elif_return": (
        """
def f(x0, x1):
    s = np.arctan(x0)
    i = 0
    while True:
        i += 1
        if i > 4:
            break
        if i >= 2:
            break
        s = 0.5 * s + np.sin(x1[i % 4])
        j = 0
        while True:
            j += 1
            if j > 3:
                break
            s = np.tanh(s + x1[j % 4])
            if j == 0:
                s = np.sin(s)
            elif j == 0:
                return np.mean(np.sin(s)) * 2.0
            s = s * np.cos(x1[j % 4])
            if j >= 3:
                break
        if i % 3 == 0:
            continue
        s = np.tanh(s + x1[i % 4])
    return np.sum(s * 0.5)
""",
        [np.array([[-0.1707961, 0.73049934, -0.12475346], [0.37786774, 0.21272093, -0.35645696]]),
         np.array([[-0.56212738, -0.82009253, 0.28232362], [-0.69399761, 0.73474065, -0.02281893],
                   [-0.90680527, 0.40197927, -0.10236947], [-0.6098264, -0.45946679, -0.61192602]])],
        (0, 1), "scalar", False,
    ),
    # Issue 10 point 8: a nested tuple result (the aux of a pair) made jvp call np.zeros_like on
    # a tuple of arrays of unequal shapes: ValueError (inhomogeneous shape) inside jvp_f.
    "pair_result_with_a_nested_tuple_of_unequal_shapes": (
        """
def h(a):
    w = np.cos(a)
    return np.sum(w * 0.5), w


def f(x0, x1):
    l, w = h(0.5 * x0 + np.sin(x1))
    loss = l * 2.0
    return loss, ((w, 2.0 * loss))
""",
        [np.array([[-0.8841471, -0.2938785, 0.109016], [-0.93802605, -0.73334478, 0.62110139]]),
         np.array([0.2375527, 0.48454296, 0.01100369])], (0,), "aux", False,
    ),
    # Finding F1 (issue 10 point 3): one loop variable `W` reused by two loops over a list of
    # matrices of unequal shapes: the second loop's adjoint of W was carried into the first loop's
    # reverse sweep. grad raised ValueError (operands could not be broadcast, (1, 3) and (3, 2)).
    "loop_variable_reused_by_two_loops_over_unequal_shapes": (
        """
def f(x0, x1, x2):
    Ws = [x1, x2]
    h = x0
    for W in Ws:
        h = np.tanh(W @ h)
    loss = 0.0
    for W in Ws:
        loss = loss + np.sum(np.sin(W))
    return loss + np.sum(h ** 2)
""",
        [np.array([-0.32148418, 0.26567737]),
         np.array([[-0.95184395, -0.10781776], [0.67741946, -0.98915094], [0.65432341, -0.99848846]]),
         np.array([[-0.62008267, 0.93326534, -0.82706329]])], (0, 1, 2), "scalar", False,
    ),
    # Finding F2 (point 11): `for W in [x0, h]`, a list display of differentiated values after a
    # loop that rebinds h: jvp and grad both wrong (0.659 against 0.857 by finite differences).
    "loop_over_a_list_display_of_differentiated_values": (
        """
def f(x0, x1, x2):
    Ws = [x1, x2]
    h = x0
    for W in Ws:
        h = np.tanh(W @ h)
    loss = 0.0
    for W in [x0, h]:
        loss = loss + np.sum(np.exp(0.3 * W))
    return loss + np.sum(np.tanh(h))
""",
        [np.array([0.35258215, 0.31392518, -0.1225519]),
         np.array([[0.75390152, -0.91580733, -0.62593827], [0.46895247, -0.0386204, 0.57147779],
                   [0.22900867, -0.26772515, -0.07995824]]),
         np.array([[-0.20434304, -0.23950443, 0.56910089], [0.45770044, -0.22977017, 0.91489989]])],
        (0, 1, 2), "scalar", False,
    ),
    # Finding F2 (point 11): a tuple display's last value read after the loop: a zero derivative.
    "loop_over_a_tuple_display_its_variable_read_after": (
        """
def f(x0, x1):
    s = 0.0
    for w in (x0, x1, x0 * x1):
        s = s * w
    s = s + w
    return np.sum(s)
""",
        [0.24025576785551195, 0.300805416816079], (0, 1), "scalar", False,
    ),
    # Finding F3a (point 17): writing y[i] in a loop into an array made before it was refused as
    # an alias, naming the temporary `t4`.
    "write_into_an_array_made_before_the_loop": (
        """
def f(x0, x1):
    y = np.zeros(3)
    for i in range(3):
        y[i] = x1[i] * x1[i]
    return y[0] * y[2] + np.mean(np.sin(y))
""",
        [0.1299368288733198, np.array([0.67622656, -0.1584512, 0.31910956])], (0, 1), "scalar", False,
    ),
    # Finding F3c (point 8): a helper returning a list holding a tuple of arrays of unequal shapes
    # was refused (NonDifferentiableInput naming `t1` and `list.display2`).
    "helper_returning_a_list_holding_a_tuple": (
        """
def parts(x, w):
    a = x @ w
    return [a, (np.sin(a), w)]


def f(x0, x1):
    p = parts(x0, x1)
    a = p[0]
    s, ww = p[1]
    return np.sum(np.tanh(a)) + np.sum(s * s) + np.sum(ww)
""",
        [np.array([[-0.24695868, -0.04637933, -0.61831763], [0.09633996, 0.09084457, -0.02347852]]),
         np.array([[0.35612856, 0.81455816], [0.71643313, -0.32727136], [0.31521302, 0.03124374]])],
        (0, 1), "scalar", False,
    ),
    # Finding F4 (point 14): an inner loop's variable read in the outer loop after the inner loop:
    # reverse mode used its last value at every outer trip (dot-product test -0.631 vs -0.534).
    "inner_loop_variable_read_in_the_outer_loop": (
        """
def f(x0, x1):
    for t in range(2):
        for item in x1:
            pass
        x1 = 0.5 * x1 + np.sin(item)
    return x1.sum()
""",
        [np.array([[-0.60983529, -0.6666626, -0.99899637], [-0.23081883, 0.08475926, 0.06687141]]),
         np.array([0.11497035, 0.46093181, -0.54837376])], (0, 1), "scalar", False,
    ),
    # Finding F3b (point 17): `t_ = s; t_ *= 2.0` updates the array both names hold (Python runs
    # it correctly); it was refused, naming the SSA rename `s_2`.
    "in_place_update_through_a_second_name": (
        """
def f(x0, x1):
    s = x1 * 1.0
    s += x0
    t_ = s
    t_ *= 2.0
    return np.sum(s) + np.sum(t_ ** 2)
""",
        [0.11028782049938957, np.array([-0.70785903, 0.97855239, 0.53726832])], (0, 1), "scalar", False,
    ),
    # Finding F7 (points 1 and 17): a pair returned from inside a loop and a pair at the end were
    # refused as "the returns of this function give different numbers of values" (grad with
    # has_aux, vjp and jvp alike).
    "pair_returned_from_inside_a_loop_with_has_aux": (
        """
def f(x0, x1):
    v = x0 * x1
    loss = np.sum(v)
    for i in range(2):
        v = np.tanh(v + x0)
        if i == 5:
            return loss, np.mean(v)
    return np.sum(v), np.mean(v)
""",
        [np.array([0.3, -0.2, 0.5]), 0.7], (0, 1), "aux", False,
    ),
    # Finding F10 (point 4): np.arange with a differentiated start: first a wrong value (jvp 0.43
    # against 0.14 by finite differences), later refused; arange is linear in start.
    "arange_with_a_differentiated_start": (
        """
def f(x0, x2):
    t = np.arange(x0, x0 + 1.5)
    return np.sum((t + 1.0) ** 2 * x2)
""",
        [-0.6221456763991271, np.array([0.38577869, -0.66902841])], (0, 1), "scalar", False,
    ),
    # Finding F11 (point 8): np.mean of a tuple display of floats: reverse mode indexed the 0-d
    # adjoint of the tuple (IndexError: invalid index to scalar variable).
    "mean_of_a_tuple_display_of_floats": (
        """
def f(x0, x1):
    v = (x0, 2.0 * x0)
    return np.mean(v) * np.sum(x1 ** 2)
""",
        [0.4, np.array([0.3, -0.2])], (0, 1), "scalar", False,
    ),
    # Finding F12 (points 8 and 17): the CS231n forward pass keeping `(h, z)` caches in a list
    # was refused (NonDifferentiableInput naming the SSA rename `z_2`).
    "caches_appended_as_tuples_in_a_loop": (
        """
def f(x0, x1, x2):
    caches = []
    h = x0
    for W in [x1, x2]:
        z = h @ W
        caches.append((h, z))
        h = np.tanh(z)
    loss = np.sum(h * 0.5)
    for hh, z in caches:
        loss = loss + 0.01 * np.sum(z * z)
    return loss
""",
        [np.array([[-0.67, -0.21, -0.69], [-0.89, -0.62, -0.25]]),
         np.array([[-0.84, -0.42, -0.76], [-0.12, 0.45, 0.66], [0.35, 0.93, -0.69]]),
         np.array([[0.47, -0.33], [0.09, 0.19], [-0.25, -0.095]])], (0, 1, 2), "scalar", False,
    ),
}


@pytest.mark.parametrize("name", sorted(CONSTRUCT_CASES))
def test_fuzz_construct_regression(name):
    source, inputs, wrt, mode, reseed = CONSTRUCT_CASES[name]
    check_source(source.strip() + "\n", inputs, wrt, mode, reseed=reseed)
