"""Bound methods and objects: `ts.grad(model.loss)`, calls of methods of objects known when the
derivative is made, objects with `__call__`, and `wrt="self.params"` (an attribute differentiated
as an argument, its gradient shaped like it).

Derivatives with respect to arguments are checked by test_functions_as_values.check_derivatives
(forward mode against central differences in float64, reverse mode by the dot-product identity,
nothing mutated); those with respect to an attribute by `check_attribute`, which moves the
attribute of a fresh object along a random direction for the finite differences.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import tangent_src as ts
from tangent_src.errors import BadWrt, TransformError, UnsupportedSyntax
from test_functions_as_values import (DOT_RTOL, FD_RTOL, STEP, check_derivatives, tree_close, tree_copy,
                                      tree_equal, tree_inner, tree_map, tree_random)


class Net:
    """A model in the course-assignment style: a params dict, a regularization strength, methods."""

    def __init__(self, params, reg=0.1):
        self.params = params
        self.reg = reg

    def forward(self, X):
        W1, b1 = self.params["W1"], self.params["b1"]
        hidden = np.tanh(X @ W1 + b1)
        return hidden @ self.params["W2"]

    def loss(self, X, y):
        scores = self.forward(X)
        loss = 0.5 * np.sum((scores - y) ** 2) / X.shape[0]
        loss += 0.5 * self.reg * (np.sum(self.params["W1"] ** 2) + np.sum(self.params["W2"] ** 2))
        return loss

    def __call__(self, X):
        return np.sum(self.forward(X) ** 2)


class TwoLayerNet:
    """cs231n's TwoLayerNet: loss returns (loss, grads), the gradients written by hand."""

    def __init__(self, params, reg=0.05):
        self.params = params
        self.reg = reg

    def loss(self, X, y=None):
        W1, b1 = self.params["W1"], self.params["b1"]
        W2, b2 = self.params["W2"], self.params["b2"]
        z = X.dot(W1) + b1
        hidden = np.maximum(0, z)
        scores = hidden.dot(W2) + b2
        if y is None:
            return scores
        shifted = scores - np.max(scores, axis=1, keepdims=True)
        log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
        N = X.shape[0]
        loss = -np.sum(log_probs[np.arange(N), y]) / N
        loss += 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        dscores = np.exp(log_probs)
        dscores[np.arange(N), y] -= 1
        dscores /= N
        dhidden = dscores.dot(W2.T) * (z > 0)
        grads = {"W1": X.T.dot(dhidden) + self.reg * W1, "b1": np.sum(dhidden, axis=0),
                 "W2": hidden.T.dot(dscores) + self.reg * W2, "b2": np.sum(dscores, axis=0)}
        return loss, grads


class Affine:
    def __init__(self, W):
        self.W = W

    def __call__(self, x):
        return np.tanh(x @ self.W)


class Stack:
    """An object whose attributes are callable objects: `self.layer1(x)`."""

    def __init__(self, W1, W2):
        self.layer1 = Affine(W1)
        self.layer2 = Affine(W2)

    def run(self, x):
        return np.sum(self.layer2(self.layer1(x)) ** 2)


class Deep:
    """The differentiated attribute (`self.layer1.W`) read in other methods and in a module-level helper."""

    def __init__(self, W1, W2):
        self.layer1 = Affine(W1)
        self.layer2 = Affine(W2)

    def hidden(self, x):
        return np.tanh(x @ self.layer1.W)

    def run(self, x):
        return np.sum(self.layer2(self.hidden(x)) ** 2)

    def through_helper(self, x):
        return deep_helper(self, x) + np.sum(layer_helper(self.layer1, x))


def deep_helper(model, x):
    return np.sum(model.layer1(x) * 2.0)


def layer_helper(layer, x):
    return np.sin(x @ layer.W)


def predict(model, X):
    """An object passed as an argument: its method is resolved at the first call."""
    return model.forward(X)


def l2_of(model, X):
    return np.sum(model(X)) + 0.0 * np.sum(X)


RNG = np.random.default_rng(3)
X = RNG.standard_normal((5, 4))
Y = RNG.standard_normal((5, 3))
LABELS = RNG.integers(0, 3, size=5)


def net_params(rng=RNG):
    return {"W1": rng.standard_normal((4, 6)), "b1": rng.standard_normal(6), "W2": rng.standard_normal((6, 3))}


def two_layer_params(rng=RNG):
    return {"W1": rng.standard_normal((4, 6)), "b1": rng.standard_normal(6),
            "W2": rng.standard_normal((6, 3)), "b2": rng.standard_normal(3)}


MODEL = Net(net_params())


def global_model_loss(X):
    """A module-level object's method."""
    return MODEL.loss(X, Y)


def check_attribute(make, params, args, method="loss", path="self.params", scalar=True, seed=0):
    """Derivatives with respect to an attribute of the object: jvp against finite differences (the
    attribute moved on fresh objects), vjp (and grad) by the dot-product identity; nothing mutated."""
    rng = np.random.default_rng(seed)
    bound = getattr(make(params), method)
    v = tree_random(params, rng)
    before = tree_copy(params)

    def at(t):
        return getattr(make(tree_map(lambda a, d: a + t * d, params, v)), method)(*tree_copy(args))

    fd = tree_map(lambda a, b: (a - b) / (2 * STEP), at(STEP), at(-STEP))
    value, tangent = ts.jvp(bound, wrt=path)(*tree_copy(args), v)
    assert tree_close(value, bound(*tree_copy(args)), 1e-12)
    assert tree_close(tangent, fd, FD_RTOL), (tangent, fd)
    u = tree_random(value, rng)
    pulled = ts.vjp(bound, wrt=path)(*tree_copy(args), u)
    assert tree_map(np.shape, pulled) == tree_map(np.shape, params), "the gradient is not shaped like the attribute"
    left, right = tree_inner(u, tangent), tree_inner(pulled, v)
    assert abs(left - right) <= DOT_RTOL * max(abs(left), abs(right), 1e-12), (left, right)
    if scalar:
        grads = ts.grad(bound, wrt=path)(*tree_copy(args))
        assert tree_close(tree_map(lambda g: g * u, grads), pulled, 1e-12)
    assert tree_equal(params, before), "a derivative changed the attribute"
    return pulled


# ------------------------------------------------------------------ bound methods


def test_grad_of_a_bound_method_takes_the_methods_arguments():
    model = Net(net_params())
    check_derivatives(model.loss, (X, Y), (0, 1))
    derivative = ts.grad(model.loss, wrt=0)
    assert list(inspect.signature(model.loss).parameters) == ["X", "y"]
    assert np.array_equal(derivative(X, y=Y), derivative(X, Y))
    assert ts.grad(model.loss, wrt=0) is derivative  # `model.loss` is a new object each time: cached anyway


def test_wrt_an_attribute_of_self():
    pulled = check_attribute(Net, net_params(), (X, Y))
    assert set(pulled) == {"W1", "b1", "W2"}


def test_wrt_an_attribute_and_an_argument_together():
    model = Net(net_params())
    gX, gparams = ts.grad(model.loss, wrt=(0, "self.params"))(X, Y)
    assert np.allclose(gX, ts.grad(model.loss, wrt=0)(X, Y), rtol=1e-12)
    assert tree_close(gparams, ts.grad(model.loss, wrt="self.params")(X, Y), 1e-12)


def test_the_attribute_is_read_at_each_call():
    model = Net(net_params())
    derivative = ts.grad(model.loss, wrt="self.params")
    first = derivative(X, Y)
    model.params = net_params(np.random.default_rng(11))
    model.reg = 2.0
    assert tree_close(derivative(X, Y), Net(model.params, 2.0) and ts.grad(Net(model.params, 2.0).loss,
                                                                          wrt="self.params")(X, Y), 1e-12)
    assert not tree_close(derivative(X, Y), first, 1e-3)


def test_two_layer_net_loss_and_its_hand_written_gradients():
    """has_aux: the gradients the method writes by hand come back as aux; ours must equal them."""
    model = TwoLayerNet(two_layer_params())
    grads, by_hand = ts.grad(model.loss, wrt="self.params", has_aux=True)(X, LABELS)
    assert tree_close(grads, by_hand, 1e-9)
    (loss, _), same = ts.value_and_grad(model.loss, wrt="self.params", has_aux=True)(X, LABELS)
    assert loss == pytest.approx(model.loss(X, LABELS)[0], rel=1e-12) and tree_close(same, grads, 1e-12)

    def first(params):
        return TwoLayerNet(params)

    check = two_layer_params()
    rng = np.random.default_rng(5)
    v = tree_random(check, rng)
    at = [first(tree_map(lambda a, d, t=t: a + t * d, check, v)).loss(X, LABELS)[0] for t in (STEP, -STEP)]
    fd = (at[0] - at[1]) / (2 * STEP)
    grads, _ = ts.grad(first(check).loss, wrt="self.params", has_aux=True)(X, LABELS)
    assert tree_inner(grads, v) == pytest.approx(fd, rel=FD_RTOL)


def test_a_loss_method_that_returns_the_scores_when_y_is_none():
    """`if y is None: return scores`: the derivative is made for the kind of y given (the branch it takes)."""
    check_attribute(TwoLayerNet, two_layer_params(), (X,), scalar=False)
    check_derivatives(TwoLayerNet(two_layer_params()).loss, (X,), 0, scalar=False)
    derivative = ts.grad(TwoLayerNet(two_layer_params()).loss, wrt="self.params", has_aux=True)
    with pytest.raises((TransformError, ValueError), match="scalar|pair"):
        derivative(X)  # no labels: the method returns the scores, not (loss, grads)
    assert set(derivative(X, LABELS)[0]) == {"W1", "b1", "W2", "b2"}


# ------------------------------------------------------------------ methods and objects called in the function


def test_a_method_calling_another_method_of_self_with_the_attribute_differentiated():
    source = ts.source(ts.grad(Net(net_params()).loss, wrt="self.params"))
    assert "def vjp_forward" in source  # self.forward is a derivative of its own, taking the params
    check_attribute(Net, net_params(), (X,), method="forward", scalar=False)


def test_an_object_with_call():
    model = Net(net_params())
    check_derivatives(model, (X,), 0)
    check_attribute(Net, net_params(), (X,), method="__call__")


def test_attributes_that_are_callable_objects():
    W1, W2 = 0.5 * RNG.standard_normal((4, 4)), 0.5 * RNG.standard_normal((4, 2))
    stack = Stack(W1, W2)
    check_derivatives(stack.run, (X[0],), 0)

    def make(W):
        return Stack(W, W2)

    check_attribute(make, W1, (X[0],), method="run", path="self.layer1.W")


def test_an_attribute_of_an_attribute_read_in_other_methods():
    W1, W2 = 0.5 * RNG.standard_normal((4, 4)), 0.5 * RNG.standard_normal((4, 2))

    def make(W):
        return Deep(W, W2)

    check_attribute(make, W1, (X[0],), method="run", path="self.layer1.W")


def test_an_object_holding_the_attribute_passed_to_module_level_helpers():
    W1, W2 = 0.5 * RNG.standard_normal((4, 4)), 0.5 * RNG.standard_normal((4, 2))

    def make(W):
        return Deep(W, W2)

    check_attribute(make, W1, (X[0],), method="through_helper", path="self.layer1.W")


def test_an_object_passed_as_an_argument():
    model = Net(net_params())
    check_derivatives(predict, (model, X), 1, scalar=False)
    check_derivatives(l2_of, (model, X), 1)
    other = Net(net_params(np.random.default_rng(8)))
    derivative = ts.grad(l2_of, wrt=1)
    assert not np.allclose(derivative(model, X), derivative(other, X))


def test_a_module_level_objects_method():
    check_derivatives(global_model_loss, (X,), 0)


# ------------------------------------------------------------------ what is refused


class Assigns:
    def __init__(self, params):
        self.params = params

    def loss(self, x):
        self.params = {"w": self.params["w"] * 2}
        return np.sum(self.params["w"] * x)

    def aliased(self, x):
        me = self
        return np.sum(me.params["w"] * x)

    def built(self, x):
        other = Assigns(self.params)
        return other.loss(x)


def test_assigning_the_differentiated_attribute_is_refused():
    model = Assigns({"w": np.ones(3)})
    with pytest.raises(UnsupportedSyntax) as info:
        ts.grad(model.loss, wrt="self.params")
    assert "self.params" in str(info.value) and "hint:" in str(info.value) and ".py:" in str(info.value)


def test_reading_the_differentiated_attribute_through_another_name_is_refused():
    model = Assigns({"w": np.ones(3)})
    with pytest.raises(UnsupportedSyntax) as info:
        ts.grad(model.aliased, wrt="self.params")
    assert "another name" in str(info.value) and "me.params" in str(info.value)


def test_an_object_made_in_the_method_from_its_own_attributes():
    """`other = Assigns(self.params); return other.loss(x)` (refused before issue 11's objects made in the
    function): other.loss assigns other.params = {"w": 2 w}, so the loss is sum(2 w x)."""
    w = np.array([0.5, -1.0, 2.0])
    model = Assigns({"w": w})
    x = np.array([1.5, 0.25, -0.75])
    np.testing.assert_allclose(ts.grad(model.built)(x), 2 * w, rtol=1e-12)
    np.testing.assert_allclose(ts.jvp(model.built)(x, np.ones(3))[1], np.sum(2 * w), rtol=1e-12)
    np.testing.assert_allclose(ts.grad(model.built, wrt="self.params")(x)["w"], 2 * x, rtol=1e-12)
    check_derivatives(model.built, (x,), 0)


def test_a_bad_attribute_path_is_refused():
    with pytest.raises(BadWrt):
        ts.grad(Net(net_params()).loss, wrt="model.params")
    with pytest.raises(BadWrt):
        ts.grad(Net(net_params()).loss, wrt="self")


def test_attribute_derivatives_run_on_strict_arrays():
    from strict_array import unwrap, wrap

    params = net_params()
    on_numpy = ts.grad(Net(params).loss, wrt=(0, "self.params"))(X, Y)
    on_strict = ts.grad(Net(wrap(params)).loss, wrt=(0, "self.params"))(*wrap((X, Y)))
    assert tree_close(unwrap(on_strict), on_numpy, 1e-12)
    _, tangent = ts.jvp(Net(wrap(params)).loss, wrt="self.params")(*wrap((X, Y)), wrap(tree_map(np.ones_like, params)))
    assert np.isclose(float(unwrap(tangent)), float(ts.jvp(Net(params).loss, wrt="self.params")(
        X, Y, tree_map(np.ones_like, params))[1]), rtol=1e-12)
