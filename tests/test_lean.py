"""Lean adjoints (issue 14): derivatives specialized to their arguments, by default, written as the
numpy their runtime helpers come to where the shapes are known (codegen/lean.py).

Each program here is written the way course code is (layer functions returning (out, cache),
parameter dicts, a scalar loop over an array), with its own hand-written backward pass as the
oracle; the specialized gradient must equal it, the general code's, and central differences, and
the dot-product test must hold. Then the code itself: the runtime helpers left in the reverse sweep
of the golden MLP and RNN, and its lines against the hand-written backward pass.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import tangent_src as ts
from helpers import check_derivative_of, golden_cases
from strict_array import StrictArray, unwrap, wrap

GOLDEN = {case: (module, fn, args) for case, module, fn, args in golden_cases("lean")}


def assert_close(found, expected, rtol=1e-10):
    found = found if isinstance(found, (tuple, list)) else (found,)
    expected = expected if isinstance(expected, (tuple, list)) else (expected,)
    assert len(found) == len(expected)
    for a, b in zip(found, expected):
        if isinstance(b, dict):
            for k in b:
                np.testing.assert_allclose(a[k], b[k], rtol=rtol, atol=1e-12)
        else:
            np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-12)


def helpers_called(code: str) -> list[str]:
    """The runtime helpers the code imports (each one it calls)."""
    found = re.search(r"from tangent_src\.runtime import \(?([^)]*?)\)?\n\n", code, re.S)
    return sorted(n.strip() for n in found.group(1).replace("\n", " ").split(",") if n.strip()) if found else []


def reverse_sweep(code: str, params: list[str]) -> list[str]:
    """The non-blank lines from the first adjoint assignment (a name `b...` that is no parameter)
    to the return, docstring and comments left out."""
    lines = [line for line in code.splitlines() if line.strip() and not line.strip().startswith("#")]
    start = next(k for k, line in enumerate(lines)
                 if re.match(r"\s+b\w* = ", line) and line.split("=")[0].strip() not in params)
    return lines[start:]


def body_lines(fn) -> list[str]:
    import inspect

    lines = inspect.getsource(fn).splitlines()[1:]
    return [line for line in lines if line.strip() and not line.strip().startswith("#")]


# ---------------------------------------------------------------- course-style programs


def affine_forward(x, w, b):
    out = x @ w + b
    cache = (x, w, b)
    return out, cache


def relu_forward(x):
    out = np.maximum(0, x)
    return out, x


def two_layer_loss(params, X, y):
    """Affine - ReLU - affine - softmax cross-entropy over integer labels y."""
    hidden, _ = affine_forward(X, params["W1"], params["b1"])
    hidden, _ = relu_forward(hidden)
    scores, _ = affine_forward(hidden, params["W2"], params["b2"])
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.mean(log_probs[np.arange(X.shape[0]), y])


def two_layer_backward(params, X, y):
    a1 = X @ params["W1"] + params["b1"]
    hidden = np.maximum(0, a1)
    scores = hidden @ params["W2"] + params["b2"]
    probs = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    dscores = probs.copy()
    dscores[np.arange(X.shape[0]), y] -= 1
    dscores /= X.shape[0]
    grads = {"W2": hidden.T @ dscores, "b2": dscores.sum(axis=0)}
    dhidden = dscores @ params["W2"].T
    da1 = dhidden * (a1 > 0)
    grads["W1"] = X.T @ da1
    grads["b1"] = da1.sum(axis=0)
    return grads


def two_layer_args(rng, n=6, d=4, h=5, c=3):
    params = {"W1": rng.normal(size=(d, h)), "b1": rng.normal(size=h), "W2": rng.normal(size=(h, c)),
              "b2": rng.normal(size=c)}
    return params, rng.normal(size=(n, d)), rng.integers(0, c, n)


def rosenbrock(x):
    total = 0.0
    for i in range(len(x) - 1):
        total = total + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return total


def rosenbrock_loop_by_hand(x):
    g = np.zeros_like(x)
    for i in range(len(x) - 1):
        d = x[i + 1] - x[i] ** 2
        g[i] += -400.0 * x[i] * d - 2.0 * (1.0 - x[i])
        g[i + 1] += 200.0 * d
    return g


def embedding_loss(E, tokens, targets):
    """Rows of E looked up by tokens that repeat: their adjoints must add, not overwrite."""
    vectors = E[tokens]
    return np.sum((vectors - targets) ** 2)


def embedding_backward(E, tokens, targets):
    dE = np.zeros_like(E)
    np.add.at(dE, tokens, 2 * (E[tokens] - targets))
    return dE


def step_sum(w, xs):
    """A loop over the rows of xs, a scalar accumulated from a Python float."""
    total = 0.0
    for t in range(xs.shape[0]):
        total = total + np.tanh(xs[t] @ w)
    return total


def step_sum_by_hand(w, xs):
    return xs.T @ (1 - np.tanh(xs @ w) ** 2)


def logistic_loss(w, b, X, y):
    z = X @ w + b
    return np.mean(np.logaddexp(0.0, -y * z))


def logistic_by_hand(w, b, X, y):
    s = -y / (1 + np.exp(y * (X @ w + b))) / len(y)
    return X.T @ s, np.sum(s)


CASES = {
    "two_layer": (two_layer_loss, 0, two_layer_args, two_layer_backward),
    "rosenbrock": (rosenbrock, 0, lambda rng: (rng.uniform(-1, 1, 7),), rosenbrock_loop_by_hand),
    "embedding": (embedding_loss, 0, lambda rng: (rng.normal(size=(5, 3)), np.array([0, 2, 2, 4, 0, 2]),
                                                  rng.normal(size=(6, 3))), embedding_backward),
    "step_sum": (step_sum, 0, lambda rng: (rng.normal(size=3), rng.normal(size=(8, 3))), step_sum_by_hand),
    "logistic": (logistic_loss, (0, 1), lambda rng: (rng.normal(size=4), 0.3, rng.normal(size=(9, 4)),
                                                     rng.choice([-1.0, 1.0], 9)), logistic_by_hand),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_specialized_gradients_equal_the_hand_written_ones(case):
    fn, wrt, make, by_hand = CASES[case]
    rng = np.random.default_rng(3)
    args = make(rng)
    found = ts.grad(fn, wrt)(*args)
    assert_close(found, by_hand(*args))
    assert_close(found, ts.grad(fn, wrt, specialize=False)(*args), rtol=1e-13)
    errors = ts.check_grad(fn, args, wrt)
    assert max(np.atleast_1d(errors)) < 1e-6
    check_derivative_of(fn, args, wrt if isinstance(wrt, tuple) else (wrt,), 1e-6, case)  # both modes, <Jv, u>


# runtime helpers that do work no shape removes: scatter-adds of fancy indices and items of
# containers, zero cotangents of results nothing reads (a cache), the ties of a max
WORK = {"unindex", "add_at", "zeros_like_tree", "extremum_weights"}


@pytest.mark.parametrize("case", ["rosenbrock", "step_sum", "two_layer", "logistic"])
def test_specialized_code_calls_no_shape_helpers(case):
    fn, wrt, make, _ = CASES[case]
    code = ts.source(ts.grad(fn, wrt), *make(np.random.default_rng(4)))
    assert set(helpers_called(code)) <= (WORK if case == "two_layer" else set()), code
    general = ts.source(ts.grad(fn, wrt, specialize=False))
    assert set(helpers_called(general)) - WORK  # (unbroadcast, unreduce, matmul adjoints, ...)


def test_the_scalar_loop_adds_into_its_adjoint_in_place():
    x = np.random.default_rng(5).uniform(-1, 1, 9)
    code = ts.source(ts.grad(rosenbrock), x)
    assert "bx[i] += " in code and "add_at" not in code and "np.shape" not in code
    assert "total" not in code.split("while tape:")[0].split("for i in")[1]  # the loss is not computed
    general = ts.source(ts.grad(rosenbrock))
    assert "add_at" in general and "unbroadcast" in general


def test_repeated_indices_keep_their_scatter_add():
    E, tokens, targets = CASES["embedding"][2](np.random.default_rng(6))
    code = ts.source(ts.grad(embedding_loss), E, tokens, targets)
    assert "unindex(" in code and "] += " not in code  # (np.add.at: tokens repeat)
    assert "unbroadcast" not in code  # E[tokens] has the shape (len(tokens), 3)


def test_the_loss_value_is_not_computed_for_its_gradient():
    args = CASES["logistic"][2](np.random.default_rng(7))
    code = ts.source(ts.grad(logistic_loss, (0, 1)), *args)
    assert "np.mean(" not in code and "scalar_seed" not in code, code
    assert "np.mean(" in ts.source(ts.grad(logistic_loss, (0, 1), specialize=False))
    _, fn, args = GOLDEN["logistic_regression"]  # its two logarithms are for the value only
    assert "np.log(" not in ts.source(ts.grad(fn, (0, 1)), *args)
    assert "np.log(" in ts.source(ts.grad(fn, (0, 1), specialize=False))


def test_float32_adjoints_keep_their_dtype():
    x = np.random.default_rng(8).uniform(-1, 1, 6).astype(np.float32)
    found, general = ts.grad(rosenbrock)(x), ts.grad(rosenbrock, specialize=False)(x)
    assert found.dtype == general.dtype
    np.testing.assert_allclose(found, general, rtol=1e-6)


@pytest.mark.parametrize("case", ["rosenbrock", "step_sum", "logistic"])  # (two_layer's np.arange is numpy's)
def test_specialized_code_keeps_the_array_type(case):
    fn, wrt, make, by_hand = CASES[case]
    args = make(np.random.default_rng(9))
    strict = tuple(wrap(a) for a in args)
    found = ts.grad(fn, wrt)(*strict)
    leaves = list(found.values()) if isinstance(found, dict) else found if isinstance(found, tuple) else [found]
    assert all(isinstance(v, StrictArray) or isinstance(v, float) for v in leaves)
    assert_close(unwrap(found), by_hand(*args))


def test_a_cotangent_not_shaped_like_the_result_gets_the_general_code():
    def f(a, x):
        for i in range(3):
            a = a + x[i]
        return a

    a, x = np.ones(3), np.arange(3.0)
    v, general = ts.vjp(f, (0, 1)), ts.vjp(f, (0, 1), specialize=False)
    for cotangent in (1.0, np.ones(3)):  # a number for a result of shape (3,): what the general code does
        for found, expected in zip(v(a, x, cotangent), general(a, x, cotangent)):
            np.testing.assert_array_equal(found, expected)
    assert "unbroadcast" not in ts.source(v, a, x, np.ones(3))
    np.testing.assert_allclose(v(a, x, np.ones(3))[1], 3.0)


# ---------------------------------------------------------------- the code against hand-written backprop


def two_layer_tanh_backward(cache):
    """The golden MLP's backward pass, by hand: softmax cross-entropy, affine, tanh, affine."""
    X, Y, h, logp, W2 = cache
    dlogits = (np.exp(logp) - Y) / X.shape[0]
    dW2 = h.T @ dlogits
    db2 = dlogits.sum(axis=0)
    dh = dlogits @ W2.T
    dpre = (1 - h ** 2) * dh
    dW1 = X.T @ dpre
    db1 = dpre.sum(axis=0)
    return dW1, db1, dW2, db2


def rnn_backward(W, U, b, xs, hs):
    """The golden RNN's backward pass through time, by hand (hs: h0 and every state)."""
    dW, dU, db = np.zeros_like(W), np.zeros_like(U), np.zeros_like(b)
    dh = 2 * hs[-1]
    for t in reversed(range(len(xs))):
        da = (1 - hs[t + 1] ** 2) * dh
        dW += np.outer(da, hs[t])
        dU += np.outer(da, xs[t])
        db += da
        dh = W.T @ da
    return dW, dU, db


def test_the_hand_written_backward_passes_are_right():
    _, fn, (W1, b1, W2, b2, X, Y) = GOLDEN["two_layer_tanh"]
    h = np.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    shifted = logits - logits.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    assert_close(ts.grad(fn, (0, 1, 2, 3))(W1, b1, W2, b2, X, Y), two_layer_tanh_backward((X, Y, h, logp, W2)))
    _, fn, (W, U, b, xs, h0) = GOLDEN["rnn"]
    hs = [h0]
    for x in xs:
        hs.append(np.tanh(W @ hs[-1] + U @ x + b))
    assert_close(ts.grad(fn, (0, 1, 2))(W, U, b, xs, h0), rnn_backward(W, U, b, xs, hs))


@pytest.mark.parametrize("case, by_hand, most_helpers, ratio", [
    ("two_layer_tanh", two_layer_tanh_backward, ["extremum_weights"], 2.0),  # (the max's ties: no shape)
    ("rnn", rnn_backward, [], 1.8),
])
def test_the_reverse_sweep_is_about_as_long_as_backprop_by_hand(case, by_hand, most_helpers, ratio):
    module, fn, args = GOLDEN[case]
    code = ts.source(ts.grad(fn, module.WRT), *args)
    assert helpers_called(code) == most_helpers, code
    params = list(__import__("inspect").signature(fn).parameters)
    generated, written = len(reverse_sweep(code, params)), len(body_lines(by_hand)) - 1  # (its docstring)
    assert generated <= ratio * written, (generated, written, code)
    general = ts.source(ts.grad(fn, module.WRT, specialize=False))
    assert len(helpers_called(general)) > len(most_helpers) + 1  # what specialization took away


@pytest.mark.parametrize("case", sorted(CASES))
def test_forward_mode_is_specialized_too(case):
    fn, wrt, make, _ = CASES[case]
    rng = np.random.default_rng(10)
    args = make(rng)
    wrt = wrt if isinstance(wrt, tuple) else (wrt,)
    tangents = tuple({k: rng.normal(size=np.shape(v)) for k, v in args[i].items()} if isinstance(args[i], dict)
                     else rng.normal(size=np.shape(args[i])) if np.ndim(args[i]) else 0.5 for i in wrt)
    value, found = ts.jvp(fn, wrt)(*args, *tangents)
    general_value, expected = ts.jvp(fn, wrt, specialize=False)(*args, *tangents)
    np.testing.assert_allclose(value, general_value, rtol=1e-13)
    np.testing.assert_allclose(found, expected, rtol=1e-12, atol=1e-14)
    assert "check_real" not in ts.source(ts.jvp(fn, wrt), *args, *tangents)


def test_a_tangent_not_shaped_like_its_argument_gets_the_general_code():
    def f(x, w):
        return np.sum(np.tanh(x * w))

    x, w = np.linspace(-1, 1, 4), np.full(4, 0.5)
    j, general = ts.jvp(f, (0, 1)), ts.jvp(f, (0, 1), specialize=False)
    for tangents in ((np.ones(4), np.ones(4)), (1.0, np.ones(4))):  # 1.0 broadcast for x, as the general code does
        np.testing.assert_allclose(j(x, w, *tangents)[1], general(x, w, *tangents)[1], rtol=1e-14)
