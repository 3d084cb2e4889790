"""The Python data model around numpy code (issue 11): dicts, `and`/`or`, `is`/`in`, f-strings,
objects' attributes, chained assignment, `raise`, `*args`, reversed loops, nested comprehensions.

Each program is written as numpy users write it; each is checked against central finite
differences in float64 in both modes (ts.grad and ts.jvp), by the dot-product test, and for
not changing its inputs; programs whose behaviour has a twist (a dict the caller passed,
an attribute written) check that too.
"""

from __future__ import annotations

import numpy as np
import pytest

import tangent_src as ts
from tests.helpers import assert_not_mutated, copy_value, dot_product_check, make_function
from tests.realworld.harness import random_tree, tree_map

STEP = 1e-6


def _leaves(tree):
    if isinstance(tree, dict):
        return [leaf for k in sorted(tree, key=str) for leaf in _leaves(tree[k])]
    if isinstance(tree, (tuple, list)):
        return [leaf for item in tree for leaf in _leaves(item)]
    return [tree]


def _moved(tree, v, t):
    return tree_map(lambda a, d: a + t * d, tree, v)


def _directional(f, args, index, v):
    def at(t):
        moved = list(copy_value(args))
        moved[index] = _moved(moved[index], v, t)
        return f(*moved)
    return (at(STEP) - at(-STEP)) / (2 * STEP)


def _inner(a, b):
    return sum(float(np.sum(x * y)) for x, y in zip(_leaves(a), _leaves(b), strict=True))


def check(f, args, wrt=0, seed=0):
    """grad and jvp against finite differences along a random direction; the dot-product test."""
    rng = np.random.default_rng(seed)
    v = random_tree(args[wrt], rng)
    fd = _directional(f, args, wrt, v)
    g = assert_not_mutated(ts.grad(f, wrt=wrt), copy_value(args))
    np.testing.assert_allclose(_inner(g, v), fd, rtol=1e-6, atol=1e-8)
    _, t = ts.jvp(f, wrt=wrt)(*copy_value(args), v)
    np.testing.assert_allclose(t, fd, rtol=1e-6, atol=1e-8)
    if not isinstance(args[wrt], (dict, list, tuple)):
        dot_product_check(f, copy_value(args), wrt, rng)


RNG = np.random.default_rng(11)
X3 = RNG.standard_normal(3)
M34 = RNG.standard_normal((3, 4))

PROGRAMS = {
    "dict_filled_in_a_loop": ("""
def f(x, W):
    cache = {}
    for t in range(3):
        cache[t] = np.tanh(x @ W * (t + 1))
    cache[-1] = x
    return sum(np.sum(cache[t] ** 2) for t in range(3)) + np.sum(cache[-1])
""", (X3, M34)),
    "dict_display_and_string_keys": ("""
def f(x, W):
    h = np.tanh(x @ W)
    d = {'h': h, 'scale': 2.0, 'name': 'layer'}
    return np.sum(d['h'] * d['scale'])
""", (X3, M34)),
    "get_with_default_and_in": ("""
def f(x, p):
    eps = p.get('eps', 1e-5)
    momentum = p.get('momentum', 0.9)
    if 'scale' in p:
        x = x * p['scale']
    if 'shift' not in p:
        x = x + momentum
    return np.sum(x ** 2) / (1.0 + eps)
""", (X3, {'eps': 0.1, 'scale': 3.0})),
    "get_of_a_differentiated_dict": ("""
def f(params, x):
    W = params.get('W')
    b = params.get('b', np.zeros(4))
    return np.sum(np.tanh(x @ W + b))
""", ({'W': M34}, X3)),
    "items_keys_values": ("""
def f(x, W):
    params = {'W1': W, 'x': x}
    total = 0.0
    for name, value in params.items():
        total = total + np.sum(value ** 2)
    for name in params.keys():
        total = total + np.sum(params[name])
    for name in params:
        total = total + 0.5 * np.sum(params[name] ** 3)
    return total + sum(np.sum(p) for p in params.values())
""", (X3, M34)),
    "keys_built_with_fstring_percent_str_plus": ("""
def f(x):
    params = {}
    for i in range(3):
        params[f'W{i}'] = x * (i + 1)
        params['b%d' % i] = x + i
        params['c' + str(i)] = x * x
    loss = 0.0
    for i in range(3):
        loss = loss + np.sum(params['W' + str(i)] * params[f'b{i}']) + np.sum(params['c%d' % i])
    return loss
""", (X3,)),
    "dict_constructor_and_copy": ("""
def f(x):
    d = dict(a=x, b=2.0 * x)
    e = d.copy()
    e['a'] = e['a'] * 3.0
    g = dict(e)
    return np.sum(d['a'] * g['a'] + g['b'])
""", (X3,)),
    "is_none_and_isinstance": ("""
def f(x, b=None, y=None):
    scores = x * 2.0
    if b is not None:
        scores = scores + b
    if y is None:
        return np.sum(scores ** 2)
    return np.sum(scores)
""", (X3, X3 * 0.5)),
    "and_or_lazily": ("""
def f(x, mask=None):
    n = x.shape[0]
    if mask is not None and mask.shape[0] == n:
        x = x * mask
    if n > 100 or np.sum(x) > 1e6:
        x = x * 0.0
    limit = None
    scale = limit or 2.0
    return np.sum(x ** 2) * scale
""", (X3,)),
    "a_value_chosen_by_or": ("""
def f(x, y):
    z = None
    w = z or y * x
    return np.sum(w ** 2)
""", (X3, X3 + 1.0)),
    "chained_comparison": ("""
def f(x):
    y = x * 1.0
    if 0.0 < np.abs(x[0]) < 10.0:
        y = y * 3.0
    return np.sum(y ** 2)
""", (X3,)),
    "fstrings_in_print_and_raise": ("""
def f(x, mode='train'):
    loss = np.sum(x ** 2)
    if mode not in ('train', 'test'):
        raise ValueError(f"Invalid mode {mode!r}")
    if loss > 1e9:
        print(f"loss {loss:.3f} is large")
    label = f"{mode}-{x.shape[0]}"
    return loss * len(label)
""", (X3,)),
    "chained_assignment": ("""
def f(x):
    a = b = np.sin(x)
    c = d = 2.0
    return np.sum(a * b) * c + d
""", (X3,)),
    "star_args_into_reshape": ("""
def f(x):
    shape = (2, 2)
    y = x.reshape(*shape)
    z = np.random.rand(*x.shape) * 0.0
    return np.sum(y @ y) + np.sum(z)
""", (RNG.standard_normal(4),)),
    "dtype_and_astype": ("""
def f(x):
    y = x.astype(x.dtype, copy=False)
    z = np.zeros(x.shape, dtype=x.dtype)
    return np.sum((y + z) ** 2)
""", (X3,)),
    "nested_item_write_into_a_dict_item": ("""
def f(x, inputs):
    xs, hs = {}, {}
    hs[-1] = np.copy(x)
    for t in range(len(inputs)):
        xs[t] = np.zeros((3, 1))
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(xs[t] * hs[t - 1] + x)
    return np.sum(hs[len(inputs) - 1])
""", (RNG.standard_normal((3, 1)), [0, 2, 1])),
    "reversed_range_and_reversed_list": ("""
def f(x, coeffs):
    acc = 0.0
    for c in reversed(coeffs):
        acc = acc * x + c
    s = 0.0
    for t in reversed(range(3)):
        s = s + acc * t
    return np.sum(s)
""", (X3, [1.0, -2.0, 0.5])),
    "comprehension_with_two_fors": ("""
def f(layers, x):
    return sum(np.sum(p ** 2) for layer in layers for p in layer) + np.sum(x)
""", ([(M34, X3), (M34.T, RNG.standard_normal(3))], X3)),
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program(name):
    source, args = PROGRAMS[name]
    f = make_function(source)
    check(f, args)


def test_a_dict_the_caller_passed_changes_as_in_the_original():
    f = make_function("""
def batchnorm(x, gamma, bn_param):
    momentum = bn_param.get('momentum', 0.9)
    running_mean = bn_param.get('running_mean', np.zeros(x.shape[1], dtype=x.dtype))
    mean = x.mean(axis=0)
    out = gamma * (x - mean)
    bn_param['running_mean'] = momentum * running_mean + (1 - momentum) * mean
    return np.sum(out ** 2)
""", "batchnorm")
    x, gamma = RNG.standard_normal((4, 3)), RNG.standard_normal(3)
    theirs, ours, forward = {'momentum': 0.5}, {'momentum': 0.5}, {'momentum': 0.5}
    f(x, gamma, theirs)
    ts.grad(f)(x, gamma, ours)
    ts.jvp(f)(x, gamma, forward, np.ones_like(x))
    assert set(ours) == set(theirs) == set(forward) == {'momentum', 'running_mean'}
    np.testing.assert_allclose(ours['running_mean'], theirs['running_mean'])
    np.testing.assert_allclose(forward['running_mean'], theirs['running_mean'])
    check(f, (x, gamma, {'momentum': 0.5}))


class Config:
    def __init__(self):
        self.reg = 0.1
        self.scale = 2.0


CONFIG = Config()


def test_attributes_of_objects_are_constants_and_writes_are_kept():
    f = make_function("""
def f(x, cfg):
    h = np.tanh(x) * cfg.scale
    cfg.last = h
    cfg.calls = getattr(cfg, 'calls', 0)
    cfg.calls += 1
    return np.sum(cfg.last ** 2) + cfg.reg * np.sum(x ** 2)
""")
    cfg = Config()
    check(f, (X3, cfg))
    plain = Config()
    f(X3, plain)
    ts.grad(f)(X3, cfg)
    assert cfg.calls >= 2 and hasattr(cfg, 'last')
    np.testing.assert_allclose(cfg.last, plain.last)


def test_an_object_that_carries_a_derivative_is_not_read_by_attribute():
    f = make_function("""
def f(x):
    y = x * 2.0
    return np.sum(y.my_attribute)
""")
    with pytest.raises(ts.TransformError) as info:
        ts.grad(f)(X3)
    assert ".py:" in str(info.value)


def test_a_dict_gradient_has_the_keys_of_the_dict():
    f = make_function("""
def f(params, x):
    h = np.maximum(0, x @ params['W1'] + params['b1'])
    return np.sum(h ** 2) + params['reg'] * np.sum(params['W1'] ** 2)
""")
    params = {'W1': M34, 'b1': RNG.standard_normal(4), 'reg': 0.1}
    g = ts.grad(f)(params, X3)
    assert set(g) >= {'W1', 'b1'}
    h = np.maximum(0, X3 @ M34 + params['b1'])
    dh = 2 * h * (h > 0)
    np.testing.assert_allclose(g['W1'], np.outer(X3, dh) + 0.2 * M34)
    np.testing.assert_allclose(g['b1'], dh)


class Model:
    def __init__(self):
        self.dropout_param = {'p': 0.5}
        self.bn_params = [{'mode': 'test'}, {'mode': 'test'}]


def test_writes_into_an_objects_dicts_are_kept_as_in_the_original():
    f = make_function("""
def f(x, model, mode='train'):
    model.dropout_param['mode'] = mode
    for bn_param in model.bn_params:
        bn_param['mode'] = mode
    scale = 2.0 if model.dropout_param['mode'] == 'train' else 1.0
    if model.bn_params[1]['mode'] == 'train':
        scale = scale * 3.0
    return np.sum(x ** 2) * scale
""")
    plain, ours = Model(), Model()
    expected = f(X3, plain)
    assert expected == pytest.approx(6 * np.sum(X3 ** 2))
    g = ts.grad(f)(X3, ours)
    np.testing.assert_allclose(g, 12 * X3)
    assert ours.dropout_param == plain.dropout_param and ours.bn_params == plain.bn_params
    check(f, (X3, Model()))


def test_setdefault_and_update():
    f = make_function("""
def f(x, W):
    grads = {}
    grads.setdefault('W', np.zeros_like(W))
    grads['W'] = grads['W'] + np.outer(x, x[:4] if x.shape[0] > 4 else np.ones(4)) * W
    h = grads.setdefault('h', np.tanh(x))
    config = {'lr': 0.1}
    config.update(scale=2.0)
    other = {'bias': x * 3.0}
    config.update(other)
    return np.sum(grads['W'] ** 2) + np.sum(h * config['bias']) * config['scale']
""")
    check(f, (X3, M34))


def test_unpacking_into_items_and_attributes_out_argument_item_and_reversed_expression():
    f = make_function("""
def f(x, W, cfg):
    grads = {}
    h, grads['W'] = np.tanh(x @ W), W * 2.0
    cfg.h, total = h * 3.0, np.sum(h)
    np.clip(h, -0.5, 0.5, out=h)
    loss = np.sum(h * cfg.h) + total + np.sum(grads['W'] * W)
    last = sum(reversed([h[0], h[1] * 2.0]))
    return loss.item() + last
""")
    check(f, (X3, M34, Config()))


def test_assigning_an_array_attribute_is_refused():
    f = make_function("""
def f(x):
    y = x * 1.0
    y.shape = (3, 1)
    return np.sum(y)
""")
    with pytest.raises(ts.TransformError, match="reshape"):
        ts.grad(f)(X3)


def test_enumerate_of_zip():
    f = make_function("""
def f(x, W):
    s = 0.0
    for k, (row, w) in enumerate(zip(W, x)):
        s = s + np.sum(row * w) * (k + 1)
    return s
""")
    check(f, (X3, M34))
    check(f, (X3, M34), wrt=1)


def test_np_add_at_into_an_array_of_the_function():
    f = make_function("""
def f(W, x, dout):
    out = W[x]
    dW = np.zeros_like(W)
    np.add.at(dW, x, dout * out)
    return np.sum(dW ** 2) + np.sum(out)
""")
    W = RNG.standard_normal((5, 3))
    x = np.array([0, 2, 0, 4])
    check(f, (W, x, RNG.standard_normal((4, 3))))
    check(f, (W, x, RNG.standard_normal((4, 3))), wrt=2)
