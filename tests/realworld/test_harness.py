"""The harness's own checks can fail: effects on the arguments, methods differentiated by an attribute.

Each test hands `call_checked` a stand-in for a derivative (a plain function
that does or does not do what the program does to its arguments) and expects
the verdict the harness must give.
"""

import numpy as np
import pytest

from .harness import Case, Target, call_checked


def running_mean(x, bn_param):
    bn_param["running_mean"] = 0.9 * bn_param.get("running_mean", 0.0) + 0.1 * x.mean(axis=0)
    return np.sum(x ** 2)


def sgd_in_place(w, dw):
    w -= 0.1 * dw
    return np.sum(w ** 2)


class Model:
    def __init__(self, params):
        self.params = params
        self.calls = 0

    def loss(self, X):
        self.calls += 1
        return np.sum((X @ self.params["W"]) ** 2)


def _case(fn, mutates=(), wrt=(0,)):
    return Case(name="t", fn=fn, make_args=None, wrt=wrt, oracle=None, mutates=mutates)


def _check(case, args, derivative):
    target = Target(case)
    return call_checked(target, derivative, target.copy(args), (), "grad")


def _bn_args():
    return np.arange(6.0).reshape(3, 2), {"mode": "train", "running_mean": np.ones(2)}


def test_a_derivative_doing_the_programs_dict_write_passes():
    _check(_case(running_mean, mutates=(1,)), _bn_args(), running_mean)


def test_a_derivative_dropping_the_programs_dict_write_is_caught():
    with pytest.raises(AssertionError, match="otherwise than the program"):
        _check(_case(running_mean, mutates=(1,)), _bn_args(), lambda x, p: np.sum(x ** 2))


def test_a_derivative_writing_into_the_callers_array_is_caught():
    def scales_x(x, p):
        x *= 2.0
        return running_mean(x, p)

    with pytest.raises(AssertionError, match="modified an argument's array"):
        _check(_case(running_mean, mutates=(1,)), _bn_args(), scales_x)


def test_a_program_changing_an_unlisted_argument_is_a_test_defect():
    with pytest.raises(AssertionError, match="test defect"):
        _check(_case(running_mean), _bn_args(), running_mean)


def test_an_array_the_program_changes_in_place_must_stay_unchanged_in_the_derivative():
    args = (np.ones(3), np.arange(3.0))
    case = _case(sgd_in_place, mutates=(0,))
    _check(case, args, lambda w, dw: 2 * w)
    with pytest.raises(AssertionError, match="modified an argument's array"):
        _check(case, args, sgd_in_place)


def test_a_method_is_called_on_a_copy_and_moved_along_its_attribute():
    model = Model({"W": np.eye(2)})
    case = _case(Model.loss, wrt=("self.params",))
    target = Target(case)
    args = (model, np.ones((3, 2)))
    assert target.method and target.wrt_values(args) == [model.params]
    moved = target.moved(args, 0.5, [{"W": np.ones((2, 2))}])
    assert np.array_equal(moved[0].params["W"], np.eye(2) + 0.5) and np.array_equal(model.params["W"], np.eye(2))
    assert target.call(args) == 6.0 and model.calls == 0
    # the method's own change (self.calls) must be made by the derivative too
    copies = target.copy(args)
    call_checked(target, copies[0].loss, copies, (), "grad")
    copies = target.copy(args)
    with pytest.raises(AssertionError, match="otherwise than the program"):
        call_checked(target, lambda X: 0.0, copies, (), "grad")
