"""`for k in d` where d is an argument (issue 11): the loop's items are d's keys when the body
reads `d[k]`, whatever kind of value d turns out to be when the derivative is called; a dict an
object holds (`for k in self.params`) is known to be one. Before, such a loop was read as a loop
over a sequence's items (`d[0]`, `d[1]`, ...): string keys crashed inside the generated code, and
integer keys 0..n-1 gave the values where Python gives the keys.

Each program is checked against central finite differences in both modes (tests.test_data_model's
check) and with respect to a dict argument, whose gradient is a dict of the same keys."""

from __future__ import annotations

import numpy as np
import pytest

import tangent_src as ts
from tests.helpers import make_function
from tests.test_data_model import check

RNG = np.random.default_rng(5)
X3 = RNG.standard_normal(3)


def _params(keys):
    return {k: RNG.standard_normal(3) for k in keys}


SUM_OVER_KEYS = """
def f(params, x):
    s = 0.0
    for k in params:
        s = s + np.sum(np.tanh(params[k]) * x)
    return s
"""

L2_PENALTY = """
def f(params, x, reg):
    loss = np.sum(params["W1"] * x) ** 2
    for name in params:
        if name.startswith("W"):
            loss += 0.5 * reg * np.sum(params[name] * params[name])
    return loss
"""


@pytest.mark.parametrize("keys", [("a", "b"), (0, 1, 2), (2, 0), ("W1", 3)])
@pytest.mark.parametrize("wrt", [0, 1])
def test_loop_over_the_keys_of_a_dict_argument(keys, wrt):
    f = make_function(SUM_OVER_KEYS)
    check(f, (_params(keys), X3.copy()), wrt=wrt)


def test_integer_keys_give_keys_not_values():
    f = make_function(SUM_OVER_KEYS)
    params = {1: RNG.standard_normal(3), 0: RNG.standard_normal(3)}
    g = ts.grad(f, wrt=1)(params, X3.copy())
    np.testing.assert_allclose(g, np.tanh(params[0]) + np.tanh(params[1]), rtol=1e-12)


@pytest.mark.parametrize("wrt", [0, 1])
def test_regularization_over_the_weights_of_a_params_dict(wrt):
    f = make_function(L2_PENALTY)
    params = {"W1": RNG.standard_normal(3), "b1": RNG.standard_normal(3), "W2": RNG.standard_normal(3)}
    check(f, (params, X3.copy(), 0.3), wrt=wrt)
    if wrt == 0:  # the course's own backward: d/dW = 2 s x + reg W for W1, reg W for W2, nothing for b1
        g = ts.grad(f)(params, X3.copy(), 0.3)
        s = np.sum(params["W1"] * X3)
        np.testing.assert_allclose(g["W1"], 2 * s * X3 + 0.3 * params["W1"], rtol=1e-10)
        np.testing.assert_allclose(g["W2"], 0.3 * params["W2"], rtol=1e-10)
        np.testing.assert_allclose(g["b1"], 0.0, atol=0)


def test_a_list_argument_read_by_its_items_as_indices_is_unchanged():
    f = make_function("""
def f(order, x):
    s = 0.0
    for i in order:
        s = s + x[order[i]] * x[i]
    return s
""")
    check(f, ([2, 0, 1], X3.copy()), wrt=1)


class Model:
    def __init__(self):
        self.params = {"W": RNG.standard_normal(3), "b": RNG.standard_normal(3)}

    def loss(self, x):
        total = 0.0
        for k in self.params:
            total = total + np.sum(self.params[k] * x) ** 2
        return total


def test_loop_over_the_keys_of_an_objects_params_dict():
    model = Model()
    x = X3.copy()
    g = ts.grad(model.loss, wrt="self.params")(x)
    for k in model.params:  # the hand-written backward: d/dp (p.x)^2 = 2 (p.x) x
        np.testing.assert_allclose(g[k], 2 * np.sum(model.params[k] * x) * x, rtol=1e-10)
    gx = ts.grad(model.loss)(x)
    np.testing.assert_allclose(gx, sum(2 * np.sum(p * x) * p for p in model.params.values()), rtol=1e-10)
    _, t = ts.jvp(model.loss)(x, np.ones(3))
    np.testing.assert_allclose(t, np.sum(gx), rtol=1e-10)


# A loop over an argument whose body never reads it by the loop's item: Python gives a dict's
# keys, a list's items. The Python API makes the derivative for the argument given (its type known
# at the first call); the CLI, which cannot know it, writes a check that refuses a dict at run time
# (before, integer keys 0..n-1 gave the dict's values: a wrong gradient with no error).
KEYS_AS_NUMBERS = """
def f(d, x):
    s = 0.0
    for k in d:
        s = s + k * np.sin(x)
    return np.sum(s)
"""


@pytest.mark.parametrize("d", [{0: 7.0, 1: 9.0}, {3: 1.0, 5: 2.0}, [4.0, 6.0], (2.0,), np.array([1.5, -2.0])])
def test_loop_over_an_argument_not_read_by_its_items(d):
    f = make_function(KEYS_AS_NUMBERS)
    check(f, (d, X3.copy()), wrt=1)
    keys = sum(d) if not isinstance(d, dict) else sum(d.keys())
    np.testing.assert_allclose(ts.grad(f, wrt=1)(d, X3.copy()), keys * np.cos(X3), rtol=1e-12)


def test_the_same_derivative_serves_a_dict_then_a_list():
    g = ts.grad(make_function(KEYS_AS_NUMBERS), wrt=1)
    np.testing.assert_allclose(g({0: 7.0, 1: 9.0}, X3.copy()), 1 * np.cos(X3), rtol=1e-12)
    np.testing.assert_allclose(g([7.0, 9.0], X3.copy()), 16 * np.cos(X3), rtol=1e-12)
    np.testing.assert_allclose(g({0: 7.0, 1: 9.0}, X3.copy()), 1 * np.cos(X3), rtol=1e-12)


def test_the_cli_module_refuses_a_dict_where_it_loops_over_a_sequence(tmp_path):
    import importlib.util
    import textwrap

    from tangent_src.cli import main

    (tmp_path / "keys.py").write_text("import numpy as np\n" + textwrap.dedent(KEYS_AS_NUMBERS))
    out = tmp_path / "keys_grad.py"
    assert main(["derive", str(tmp_path / "keys.py"), "f", "--wrt", "x", "--mode", "both", "-o", str(out)]) == 0
    spec = importlib.util.spec_from_file_location("keys_grad", out)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    np.testing.assert_allclose(module.grad_f([4.0, 6.0], X3.copy()), 10 * np.cos(X3), rtol=1e-12)
    np.testing.assert_allclose(module.jvp_f([4.0, 6.0], X3.copy(), np.ones(3))[1], np.sum(10 * np.cos(X3)), rtol=1e-12)
    for derivative in (lambda d: module.grad_f(d, X3.copy()), lambda d: module.jvp_f(d, X3.copy(), np.ones(3))):
        with pytest.raises(TypeError, match="made for `d` as a sequence"):
            derivative({0: 7.0, 1: 9.0})


def sorted_items(params, x):
    loss, order = 0.0, []
    for name, value in sorted(params.items()):
        loss = loss + np.sum(value * x) * (len(order) + 1)
        order.append(name)
    for name in sorted(params):
        loss = loss + np.sum(params[name] ** 2)
    return loss


@pytest.mark.parametrize("wrt", [0, 1])
def test_loops_over_sorted_items_and_keys(wrt):
    params = {"b": RNG.standard_normal(3), "a": RNG.standard_normal(3), "c": RNG.standard_normal(3)}
    check(sorted_items, (params, X3.copy()), wrt=wrt)
    if wrt == 1:  # by hand: the items in the order a, b, c weighted 1, 2, 3
        expected = params["a"] + 2 * params["b"] + 3 * params["c"]
        np.testing.assert_allclose(ts.grad(sorted_items, wrt=1)(params, X3.copy()), expected, rtol=1e-12)
