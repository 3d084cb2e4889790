"""Objects the differentiated function makes itself, functions of the user's given a dict they write
into, and loops over a display whose items the body changes in place (issue 11).

`model = TwoLayerNet(params, reg); return model.loss(X, y)`: the object is made as Python makes it
and its methods are inlined with `self` that object, so the derivative follows the values its
attributes hold. `batchnorm_forward(x, gamma, beta, bn_param)` twice on a dict the function made:
the running averages the first call leaves in bn_param reach the second. `for dparam in [dW, db]:
np.clip(dparam, -5, 5, out=dparam)`: one trip per item. Each program is written as course code is,
checked against finite differences in both modes and the dot-product test (tests.test_data_model's
check), and against its own hand-written backward pass where it has one.
"""

from __future__ import annotations

import numpy as np
import pytest

import tangent_src as ts
from tangent_src import TransformError
from tests.test_data_model import check

RNG = np.random.default_rng(23)


# ------------------------------------------------------------------ objects made in the function


class Affine:
    def __init__(self, W, b, scale=1.0):
        self.W = W * scale
        self.b = b
        self.cache = {}

    def forward(self, x):
        out = x @ self.W + self.b
        self.cache["x"] = x
        return out


class Net:
    def __init__(self, params, reg=0.0):
        self.params = params
        self.reg = reg
        self.num_layers = 2

    def scores(self, X):
        h = np.tanh(X @ self.params["W1"] + self.params["b1"])
        self.hidden = h
        return h @ self.params["W2"]

    def loss(self, X, y):
        scores = self.scores(X)
        shifted = scores - np.max(scores, axis=1, keepdims=True)
        log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
        loss = -np.mean(log_probs[np.arange(X.shape[0]), y])
        for i in range(1, self.num_layers + 1):
            W = self.params["W%d" % i]
            loss += 0.5 * self.reg * np.sum(W * W)
        return loss + 0.0 * np.sum(self.hidden)


def net_loss(params, X, y):
    model = Net(params, reg=0.05)
    return model.loss(X, y)


def net_backward(params, X, y, reg=0.05):
    """The course's own backward pass of Net.loss."""
    W1, b1, W2 = params["W1"], params["b1"], params["W2"]
    h = np.tanh(X @ W1 + b1)
    scores = h @ W2
    p = np.exp(scores - scores.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(X.shape[0]), y] -= 1
    p /= X.shape[0]
    dh = p @ W2.T * (1 - h * h)
    return {"W1": X.T @ dh + reg * W1, "b1": dh.sum(axis=0), "W2": h.T @ p + reg * W2}


def _net_args():
    params = {"W1": RNG.standard_normal((4, 5)), "b1": RNG.standard_normal(5), "W2": RNG.standard_normal((5, 3))}
    return params, RNG.standard_normal((6, 4)), RNG.integers(0, 3, size=6)


def test_a_model_made_in_the_function_against_its_own_backward_pass():
    params, X, y = _net_args()
    check(net_loss, (params, X, y), wrt=0)
    g = ts.grad(net_loss)(params, X, y)
    for k, expected in net_backward(params, X, y).items():
        np.testing.assert_allclose(g[k], expected, rtol=1e-10, atol=1e-12)
    check(net_loss, (params, X, y), wrt=1)


def layer_stack(x, W1, b1, W2, b2):
    first = Affine(W1, b1, scale=0.5)
    second = Affine(W2, b2)
    h = np.maximum(0, first.forward(x))
    out = second.forward(h)
    return np.sum(out ** 2) + np.sum(first.cache["x"] * 0.0)


@pytest.mark.parametrize("wrt", [0, 1, 2, 3, 4])
def test_two_objects_of_one_class_keep_their_own_attributes(wrt):
    args = (RNG.standard_normal((3, 4)), RNG.standard_normal((4, 5)), RNG.standard_normal(5),
            RNG.standard_normal((5, 2)), RNG.standard_normal(2))
    check(layer_stack, args, wrt=wrt)
    if wrt == 1:  # by hand: out = relu(x @ (W1 / 2) + b1) @ W2 + b2
        x, W1, b1, W2, b2 = args
        z = x @ (0.5 * W1) + b1
        out = np.maximum(0, z) @ W2 + b2
        dz = (2 * out) @ W2.T * (z > 0)
        np.testing.assert_allclose(ts.grad(layer_stack, wrt=1)(*args), 0.5 * x.T @ dz, rtol=1e-10)


def apply_layer(layer, x):
    return np.tanh(layer.forward(x))


def helper_given_the_object(x, W, b):
    layer = Affine(W, b)
    return np.sum(apply_layer(layer, x))


@pytest.mark.parametrize("wrt", [0, 1, 2])
def test_an_object_made_here_passed_to_a_function_of_the_users(wrt):
    check(helper_given_the_object, (RNG.standard_normal((3, 4)), RNG.standard_normal((4, 2)),
                                    RNG.standard_normal(2)), wrt=wrt)


class Counter:
    count = 0  # a class attribute: a constant

    def __init__(self, w):
        self.w = w

    def step(self, x):
        self.w = self.w * 0.9 + x  # an attribute the method assigns, read by the next call
        return self.w


def stepped(x, w):
    c = Counter(w)
    for t in range(3):
        h = c.step(x * (t + 1))
    return np.sum(h ** 2) + Counter.count + c.count


@pytest.mark.parametrize("wrt", [0, 1])
def test_an_attribute_a_method_reassigns_inside_a_loop(wrt):
    check(stepped, (RNG.standard_normal(3), RNG.standard_normal(3)), wrt=wrt)


def stored_in_a_list(x, W):
    layers = [Affine(W, 0.0)]
    return np.sum(layers[0].forward(x))


def chosen_by_an_if(x, W, flag):
    a = Affine(W, 0.0)
    b = Affine(W * 2, 0.0)
    layer = a if flag else b
    return np.sum(layer.forward(x))


def made_in_each_branch(x, W, flag):
    if flag:
        layer = Affine(W, 0.0)
    else:
        layer = Affine(W * 2, 1.0)
    return np.sum(layer.forward(x))


def remade_in_one_branch(x, W, flag):
    layer = Affine(W, 0.0)
    if flag:
        layer = Affine(W * 3, 0.0)
    return np.sum(x @ layer.W)


@pytest.mark.parametrize("fn", [stored_in_a_list, chosen_by_an_if, made_in_each_branch, remade_in_one_branch])
def test_an_object_used_as_a_value_is_refused_where_it_would_drop_the_derivative(fn):
    flagged = fn is not stored_in_a_list
    args = (RNG.standard_normal((2, 3)), RNG.standard_normal((3, 2))) + ((True,) if flagged else ())
    with pytest.raises(TransformError) as caught:
        ts.grad(fn, wrt=1)(*args)
    message = str(caught.value)
    assert "test_local_objects.py:" in message and "^" in message and "hint:" in message
    assert "made in the function" in message


class WithSlots:
    __slots__ = ("w",)

    def __init__(self, w):
        self.w = w


def makes_a_slotted_object(x):
    return np.sum(WithSlots(x).w)


def test_a_class_that_cannot_be_made_so_is_refused_with_its_reason():
    with pytest.raises(TransformError, match="__slots__"):
        ts.grad(makes_a_slotted_object)(np.ones(3))


# ------------------------------------------------------------------ a dict the function made, written by a callee


def bn_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    running_mean = bn_param.get("running_mean", np.zeros(x.shape[1]))
    if mode == "train":
        mu = x.mean(axis=0)
        var = x.var(axis=0)
        out = gamma * (x - mu) / np.sqrt(var + eps) + beta
        running_mean = momentum * running_mean + (1 - momentum) * mu
    else:
        out = gamma * (x - running_mean) + beta
    bn_param["running_mean"] = running_mean
    return out


def train_then_eval(x, x_val, gamma, beta):
    bn_param = {"mode": "train", "momentum": 0.5}
    out = bn_forward(x, gamma, beta, bn_param)
    bn_param["mode"] = "test"
    out_val = bn_forward(x_val, gamma, beta, bn_param)
    return np.sum(out * out) + np.sum(np.sin(out_val))


@pytest.mark.parametrize("wrt", [0, 1, 2, 3])
def test_a_callee_leaves_differentiated_values_in_a_dict_the_caller_reads(wrt):
    args = (RNG.standard_normal((5, 3)) + 1, RNG.standard_normal((4, 3)), RNG.standard_normal(3),
            RNG.standard_normal(3))
    check(train_then_eval, args, wrt=wrt)
    if wrt == 1:  # by hand: out_val = gamma * (x_val - 0.5 * mean(x)) + beta
        x, x_val, gamma, beta = args
        expected = np.cos(gamma * (x_val - 0.5 * x.mean(axis=0)) + beta) * gamma
        np.testing.assert_allclose(ts.grad(train_then_eval, wrt=1)(*args), expected, rtol=1e-10)


def fill(cache, key, value):
    cache[key] = value * 2.0


def nested_def_fills_the_dict(x):
    cache = {}

    def remember(v):
        cache["v"] = v

    remember(np.sin(x))
    fill(cache, "w", x)
    return np.sum(cache["v"] * cache["w"])


def test_a_dict_written_by_a_nested_def_and_by_a_module_function():
    check(nested_def_fills_the_dict, (RNG.standard_normal(4),), wrt=0)
    x = RNG.standard_normal(4)
    np.testing.assert_allclose(ts.grad(nested_def_fills_the_dict)(x), 2 * (np.cos(x) * x + np.sin(x)), rtol=1e-12)


# ------------------------------------------------------------------ loops over a display updating their items


def clip_the_grads(x, y):
    a = x * 3.0
    b = np.sin(y)
    for p in [a, b]:
        np.clip(p, -1, 1, out=p)
    for q in (a, b):
        q *= 2.0
    return np.sum(a * b)


@pytest.mark.parametrize("wrt", [0, 1])
def test_in_place_updates_of_the_items_of_a_display(wrt):
    args = (np.array([0.1, 0.5, -0.2, 0.05]), np.array([0.3, 2.0, 1.0, -0.7]))
    check(clip_the_grads, args, wrt=wrt)
    x, y = args
    a, b = np.clip(3 * x, -1, 1), np.clip(np.sin(y), -1, 1)
    expected = 4 * b * 3 * (np.abs(3 * x) < 1) if wrt == 0 else 4 * a * np.cos(y)
    np.testing.assert_allclose(ts.grad(clip_the_grads, wrt=wrt)(*args), expected, rtol=1e-12)


def append_to_each(x):
    evens, odds = [], []
    for bucket in [evens, odds]:
        bucket.append(np.sin(x))
    return np.sum(evens[0] * 2.0 + odds[0])


def test_appending_to_each_list_of_a_display():
    check(append_to_each, (RNG.standard_normal(3),), wrt=0)


# ------------------------------------------------------------------ attributes of objects known now, set by methods
# (before: a method that set self.h was differentiated by itself, and the caller read self.h as the
# object held it, a constant: gradients silently wrong or zero)


class Cached:
    def fwd(self, x):
        self.h = np.tanh(x)
        return self.h

    def loss(self, x):
        h = self.fwd(x)
        return np.sum(self.h ** 2) + np.sum(h)

    def loss_by_effect(self, x):
        self.fwd(x)
        return np.sum(self.h ** 2)


class Holder:
    def set(self, x):
        self.h = np.sin(x)

    def use(self, y):
        return np.sum(self.h * y)


class DictCache:
    def __init__(self):
        self.cache = {}

    def fwd(self, x):
        self.cache["x"] = x * 3.0
        return np.tanh(x)


CACHED, HOLDER, DICT_CACHE = Cached(), Holder(), DictCache()


def module_object_by_effect(x):
    CACHED.fwd(x)
    return np.sum(CACHED.h ** 2)


def set_here_then_read_by_a_method(x):
    HOLDER.h = x * 2.0
    first = HOLDER.use(x)
    HOLDER.set(x)
    return first + HOLDER.use(x) + np.sum(HOLDER.h)


def a_method_fills_its_cache_dict(x):
    y = DICT_CACHE.fwd(x)
    return np.sum(y * DICT_CACHE.cache["x"])


def set_output(layer, x):
    layer.out = x ** 2


def a_function_sets_an_attribute_of_its_argument(x):
    set_output(HOLDER, x)
    return np.sum(HOLDER.out * x)


def run_layer(layer, x):
    layer.set(x)  # sets layer.h
    return layer.h * 2.0


def a_function_calls_a_method_that_sets_an_attribute(x):
    y = run_layer(HOLDER, x)
    return np.sum(y * HOLDER.h)


@pytest.mark.parametrize("fn", [CACHED.loss, CACHED.loss_by_effect, module_object_by_effect,
                                set_here_then_read_by_a_method, a_method_fills_its_cache_dict,
                                a_function_sets_an_attribute_of_its_argument,
                                a_function_calls_a_method_that_sets_an_attribute],
                         ids=lambda f: f.__name__)
def test_attributes_a_method_sets_carry_their_derivative(fn):
    check(fn, (RNG.standard_normal(4),), wrt=0)


def test_set_then_read_by_hand():
    x = RNG.standard_normal(4)
    # first = sum(2x * x), then h = sin(x): sum(sin(x) * x) + sum(sin(x))
    expected = 4 * x + np.cos(x) * x + np.sin(x) + np.cos(x)
    np.testing.assert_allclose(ts.grad(set_here_then_read_by_a_method)(x), expected, rtol=1e-12)


class Layer_Dense:  # the "neural networks from scratch" style: forward stores self.output, returns nothing
    def __init__(self, n_inputs, n_neurons, seed=0):
        rng = np.random.default_rng(seed)
        self.weights = 0.1 * rng.standard_normal((n_inputs, n_neurons))
        self.biases = np.zeros((1, n_neurons))

    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.dot(inputs, self.weights) + self.biases


class Activation_ReLU:
    def forward(self, inputs):
        self.output = np.maximum(0, inputs)


DENSE1, RELU1, DENSE2 = Layer_Dense(2, 3), Activation_ReLU(), Layer_Dense(3, 2, seed=1)


def from_scratch_network(X):
    DENSE1.forward(X)
    RELU1.forward(DENSE1.output)
    DENSE2.forward(RELU1.output)
    return np.sum(DENSE2.output ** 2)


def test_layers_that_store_their_output():
    X = RNG.standard_normal((5, 2))
    check(from_scratch_network, (X,), wrt=0)
    z = X @ DENSE1.weights + DENSE1.biases  # by hand
    out = np.maximum(0, z) @ DENSE2.weights + DENSE2.biases
    expected = ((2 * out) @ DENSE2.weights.T * (z > 0)) @ DENSE1.weights.T
    np.testing.assert_allclose(ts.grad(from_scratch_network)(X), expected, rtol=1e-10)


class Lin:
    def __init__(self, W):
        self.W = W

    def __call__(self, x):
        self.out = x @ self.W
        return np.tanh(self.out)


class Chain:
    def __init__(self, layers):
        self.layers = layers
        self.first = layers[0]

    def loss(self, x):
        for layer in self.layers:
            x = layer(x)
        return np.sum(x ** 2) + np.sum(self.layers[0].out) + np.sum(self.first.out * 0.5)

    def through_a_name(self, x):
        dense = self.first
        dense(x)
        return np.sum(dense.out ** 2)

    def unknown_holder(self, x):
        for layer in self.layers:
            x = layer(x)
        last = pick_layer(self.layers, 1)
        return np.sum(x) + np.sum(last.out)


def pick_layer(layers, i):
    return layers[i]


CHAIN = Chain([Lin(RNG.standard_normal((3, 3)) * 0.7), Lin(RNG.standard_normal((3, 2)) * 0.5)])


@pytest.mark.parametrize("fn", [CHAIN.loss, CHAIN.through_a_name], ids=lambda f: f.__name__)
def test_callable_layers_that_store_their_output(fn):
    check(fn, (RNG.standard_normal((4, 3)),), wrt=0)


def test_reading_a_stored_attribute_of_an_object_that_cannot_be_told_is_refused():
    with pytest.raises(TransformError) as caught:
        ts.grad(CHAIN.unknown_holder)(RNG.standard_normal((4, 3)))
    assert "`last.out`" in str(caught.value) and "hint:" in str(caught.value)


def total_out(layers):
    return np.sum(layers[0].out) + np.sum(layers[1].out)


class ChainTotal(Chain):
    def loss_total(self, x):
        for layer in self.layers:
            x = layer(x)
        return np.sum(x) + total_out(self.layers)


def test_a_function_given_the_list_of_layers_reads_what_they_stored():
    model = ChainTotal([Lin(RNG.standard_normal((3, 3)) * 0.7), Lin(RNG.standard_normal((3, 2)) * 0.5)])
    check(model.loss_total, (RNG.standard_normal((4, 3)),), wrt=0)


# ------------------------------------------------------------------ properties, static and class methods


class WithProperty:
    def __init__(self, params):
        self.params = params

    @property
    def W(self):
        return self.params["W"]

    @staticmethod
    def act(z):
        return np.tanh(z)

    @classmethod
    def scale(cls):
        return 2.0

    def loss(self, x):
        return np.sum(self.act(x @ self.W) * self.scale())

    def loss_plain(self, x):
        return np.sum(self.act(x @ self.params["W"]) * self.scale())


class Doubled:
    def __init__(self, W):
        self.W = W

    @property
    def double(self):
        return self.W * 2

    def loss(self, x):
        self.W = np.sin(x)
        return np.sum(self.double * x)


def property_of_an_object_made_here(x, W):
    model = WithProperty({"W": W})
    return np.sum(x @ model.W)


def test_a_property_is_its_getter_called_on_the_object():
    model = WithProperty({"W": RNG.standard_normal((3, 3))})
    x = RNG.standard_normal((2, 3))
    check(model.loss, (x,), wrt=0)
    g, plain = ts.grad(model.loss, wrt="self.params")(x), ts.grad(model.loss_plain, wrt="self.params")(x)
    np.testing.assert_allclose(g["W"], plain["W"], rtol=1e-12)  # before: the property read as a constant
    assert np.abs(g["W"]).max() > 0
    doubled = Doubled(np.ones(3))
    v = RNG.standard_normal(3)
    check(doubled.loss, (v,), wrt=0)
    np.testing.assert_allclose(ts.grad(Doubled(np.ones(3)).loss)(v), 2 * np.cos(v) * v + 2 * np.sin(v), rtol=1e-12)
    check(property_of_an_object_made_here, (x, RNG.standard_normal((3, 2))), wrt=1)


class ByName:
    def __init__(self):
        self.scale = 2.0

    def loss(self, x):
        self.h = np.tanh(x)
        return np.sum(getattr(self, "h") * x) + np.sum(getattr(self, "h", None) * getattr(self, "scale"))  # noqa: B009


def test_getattr_by_a_constant_name_is_the_attribute():
    x = RNG.standard_normal(3)
    check(ByName().loss, (x,), wrt=0)  # before: getattr(self, "h") read the object's h, a constant
    expected = (1 - np.tanh(x) ** 2) * (x + 2.0) + np.tanh(x)
    np.testing.assert_allclose(ts.grad(ByName().loss)(x), expected, rtol=1e-12)


# ------------------------------------------------------------------ attributes set inside loops and branches
# (before: the first trip's read of a.h was a constant, and so was every later trip's: a wrong gradient)


class StepRNN:  # the shape of the RNN class of "The Unreasonable Effectiveness of Recurrent Neural Networks"
    def __init__(self, W_hh, W_xh, W_hy):
        self.W_hh, self.W_xh, self.W_hy = W_hh, W_xh, W_hy
        self.h = np.zeros(3)

    def step(self, x):
        self.h = np.tanh(np.dot(self.W_hh, self.h) + np.dot(self.W_xh, x))
        y = np.dot(self.W_hy, self.h)
        return y


STEP_RNN = StepRNN(RNG.standard_normal((3, 3)) * 0.5, RNG.standard_normal((3, 2)), RNG.standard_normal((2, 3)))


def rnn_sequence_loss(x0, x1, x2):
    STEP_RNN.h = np.zeros(3)  # the state set here, then carried from trip to trip
    loss = 0.0
    for x in (x0, x1, x2):
        y = STEP_RNN.step(x)
        loss = loss + np.sum(y ** 2)
    return loss


def rnn_step_in_a_branch(x, flag):
    STEP_RNN.h = np.ones(3) * 0.3
    if flag:
        STEP_RNN.step(x)
    return np.sum(STEP_RNN.h * 2.0)


def attribute_updated_in_a_loop(x):
    CACHED.h = np.zeros(3)
    for t in range(3):
        CACHED.h = np.tanh(x * (t + 1) + CACHED.h)
    return np.sum(CACHED.h ** 2)


def an_rnn_made_here(x0, x1, W_hh):
    net = StepRNN(W_hh, np.ones((3, 2)) * 0.3, np.ones((2, 3)) * 0.2)
    out = 0.0
    for x in [x0, x1]:
        out = out + np.sum(net.step(x))
    return out + np.sum(net.h)


@pytest.mark.parametrize("fn, args", [
    (rnn_sequence_loss, lambda: tuple(RNG.standard_normal(2) for _ in range(3))),
    (rnn_step_in_a_branch, lambda: (RNG.standard_normal(2), True)),
    (rnn_step_in_a_branch, lambda: (RNG.standard_normal(2), False)),
    (attribute_updated_in_a_loop, lambda: (RNG.standard_normal(3),)),
    (an_rnn_made_here, lambda: (RNG.standard_normal(2), RNG.standard_normal(2), RNG.standard_normal((3, 3)) * 0.5)),
], ids=["sequence", "branch_taken", "branch_not_taken", "loop", "made_here"])
def test_state_an_object_carries_through_loops_and_branches(fn, args):
    values = args()
    check(fn, values, wrt=0)
    if fn is an_rnn_made_here:
        check(fn, values, wrt=2)


def test_rnn_sequence_by_hand():
    xs = [RNG.standard_normal(2) for _ in range(3)]
    W_hh, W_xh, W_hy = STEP_RNN.W_hh, STEP_RNN.W_xh, STEP_RNN.W_hy
    hs, h = [], np.zeros(3)
    for x in xs:
        h = np.tanh(W_hh @ h + W_xh @ x)
        hs.append(h)
    dh_next, grads = np.zeros(3), [None] * 3
    for t in reversed(range(3)):  # backpropagation through time, by hand
        dh = W_hy.T @ (2 * W_hy @ hs[t]) + dh_next
        draw = (1 - hs[t] ** 2) * dh
        grads[t] = W_xh.T @ draw
        dh_next = W_hh.T @ draw
    got = ts.grad(rnn_sequence_loss, wrt=(0, 1, 2))(*xs)
    for g, expected in zip(got, grads):
        np.testing.assert_allclose(g, expected, rtol=1e-10)


class History:
    def __init__(self):
        self.history = []

    def record(self, h):
        self.history.append(h)
        return h


def appends_to_an_attribute_list(x):
    keeper = History()
    keeper.record(np.sin(x))
    return np.sum(keeper.history[0])


def test_a_list_an_attribute_holds_changed_in_place_is_refused_with_what_to_write():
    with pytest.raises(TransformError) as caught:
        ts.grad(appends_to_an_attribute_list)(RNG.standard_normal(3))
    assert "self.history.append" in str(caught.value) and "history = []" in str(caught.value)
