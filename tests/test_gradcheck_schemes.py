"""check_grad's finite-difference schemes (issue 15): each converges at its order on a smooth
function (the error at h over the error at h/2 is about 2^p while truncation dominates), the
default steps reach the accuracy the textbook predicts, the complex step reaches ~1e-15, and it
refuses functions that do not run on complex numbers or are not analytic there.
The derivative compared is tangent_src's, exact to rounding: the error measured is the scheme's."""

from __future__ import annotations

import numpy as np
import pytest

import tangent_src as ts
from tangent_src import differences


def smooth(x, w):
    return np.sum(np.sin(x * w) * np.exp(x)) + np.sum(w ** 3)


def with_abs(x):
    return np.sum(np.abs(x) * x)


def with_logaddexp(x):
    return np.sum(np.logaddexp(0.0, x))


X, W = np.array([0.3, -0.7, 1.1]), np.array([0.5, 1.5, -0.2])


@pytest.mark.parametrize("scheme, order, h", [("forward", 1, 1e-2), ("central", 2, 1e-2),
                                              ("five-point", 4, 1e-1), ("richardson", 4, 1e-1)])
def test_each_scheme_converges_at_its_order(scheme, order, h):
    for mode in ("reverse", "forward"):
        coarse = ts.check_grad(smooth, (X, W), wrt=(0, 1), scheme=scheme, step=h, mode=mode)
        fine = ts.check_grad(smooth, (X, W), wrt=(0, 1), scheme=scheme, step=h / 2, mode=mode)
        for a, b in zip(coarse, fine):
            assert 2 ** order * 0.8 < a / b < 2 ** order * 1.25, (scheme, a, b)


@pytest.mark.parametrize("scheme, bound", [("forward", 1e-7), ("central", 1e-9), ("five-point", 1e-11),
                                           ("richardson", 1e-11), ("complex-step", 1e-14)])
def test_the_default_steps_reach_the_schemes_accuracy(scheme, bound):
    assert max(ts.check_grad(smooth, (X, W), wrt=(0, 1), scheme=scheme)) < bound


def test_the_complex_step_has_no_rounding_error_at_any_small_step():
    for h in (1e-8, 1e-20, 1e-100):
        assert ts.check_grad(smooth, (X, W), wrt=0, scheme="complex-step", step=h) < 1e-14


@pytest.mark.parametrize("scheme, bound", [("forward", 1e-5), ("central", 1e-8), ("five-point", 1e-9),
                                           ("richardson", 1e-9), ("complex-step", 1e-14)])
def test_each_scheme_against_a_derivative_known_by_hand(scheme, bound):
    for x in (0.0, 0.4, -2.5, 3.0):
        found = differences.derivative(lambda t: np.sin(t) * np.exp(0.1 * t), x, scheme)
        expected = (np.cos(x) + 0.1 * np.sin(x)) * np.exp(0.1 * x)
        assert abs(found - expected) < bound * max(1.0, abs(expected)), (scheme, x, found, expected)


def test_the_complex_step_refuses_what_does_not_run_on_complex_numbers():
    with pytest.raises(ValueError, match="complex inputs.*logaddexp.*scheme='central'"):
        ts.check_grad(with_logaddexp, (X,), scheme="complex-step")


def test_the_complex_step_refuses_functions_that_are_not_analytic():
    with pytest.raises(ValueError, match="not analytic.*abs"):
        ts.check_grad(with_abs, (X,), scheme="complex-step")


def test_an_unknown_scheme_is_refused():
    with pytest.raises(ValueError, match="scheme must be one of"):
        ts.check_grad(smooth, (X, W), scheme="backward")
