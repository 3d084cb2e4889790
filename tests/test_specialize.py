"""Derivatives specialized to their arguments (issue 14): `ts.grad(f)`, `specialize=True` being the default.

At each call the derivative is made for the signature of the arguments (kinds, ranks, dtypes, which
dimensions equal which, and which are 1), once per signature; inference (analysis/inference.py)
then knows where an operand has the result's shape and `unbroadcast` would change nothing, and the
tapes stop recording those shapes. The gradients must equal the general code's exactly (the same
operations, fewer no-ops) and the hand-written ones, on numpy and on the strict array type.
"""

from __future__ import annotations

import numpy as np
import pytest

import tangent_src as ts
from helpers import golden_cases
from strict_array import unwrap, wrap
from test_checkpointing import (leapfrog_args, leapfrog_backward_by_hand, leapfrog_energy, rnn, rnn_args,
                                rnn_backward_by_hand, sequence_args, sequence_backward_by_hand, sequence_loss)


def mlp(params, X, Y):
    W1, b1, W2, b2 = params
    h = np.tanh(X @ W1 + b1)
    scores = h @ W2 + b2
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    logp = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.sum(Y * logp) / X.shape[0]


def mlp_by_hand(params, X, Y):
    W1, b1, W2, b2 = params
    h = np.tanh(X @ W1 + b1)
    scores = h @ W2 + b2
    p = np.exp(scores - scores.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    dscores = (p * Y.sum(axis=1, keepdims=True) - Y) / X.shape[0]
    dh = dscores @ W2.T
    da = (1 - h ** 2) * dh
    return (X.T @ da, da.sum(axis=0), h.T @ dscores, dscores.sum(axis=0))


def mlp_args(rng, batch):
    params = (rng.normal(size=(4, 6)), rng.normal(size=6), rng.normal(size=(6, 3)), rng.normal(size=3))
    return params, rng.normal(size=(batch, 4)), np.eye(3)[rng.integers(0, 3, batch)]


def close(found, expected, rtol=1e-12):
    for f, e in zip(found, expected):
        np.testing.assert_allclose(f, e, rtol=rtol, atol=1e-14)


def test_rnn_specialized_equals_general_and_by_hand_and_drops_no_ops():
    args = rnn_args(np.random.default_rng(0))
    g = ts.grad(rnn, (0, 1, 2), specialize=True)
    found = g(*args)
    close(found, ts.grad(rnn, (0, 1, 2), specialize=False)(*args), rtol=1e-12)
    close(found, rnn_backward_by_hand(*args), rtol=1e-10)
    specialized, general = ts.source(g, *args), ts.source(ts.grad(rnn, (0, 1, 2)))
    assert specialized.count("unbroadcast(") < general.count("unbroadcast(")
    assert specialized.count("np.shape(") < general.count("np.shape(")  # fewer shapes on the tape


def test_one_derivative_per_pattern_of_dimensions():
    g = ts.grad(mlp, 0, specialize=True)
    rng = np.random.default_rng(1)
    for batch in (5, 7, 9):
        args = mlp_args(rng, batch)
        close(g(*args), mlp_by_hand(*args), rtol=1e-10)
    assert len(g._made) == 1  # another batch size: the same pattern, the same derivative
    args = mlp_args(rng, 1)  # a batch of 1 broadcasts differently: a derivative of its own
    close(g(*args), mlp_by_hand(*args), rtol=1e-10)
    assert len(g._made) == 2
    args = mlp_args(rng, 6)  # batch == hidden width: equal dimensions are another pattern
    close(g(*args), mlp_by_hand(*args), rtol=1e-10)
    assert len(g._made) == 3


@pytest.mark.parametrize("mode", ["grad", "value_and_grad", "vjp"])
def test_modes(mode):
    args = sequence_args(np.random.default_rng(2))
    wrt = (0, 1, 2, 3, 4)
    made = getattr(ts, mode)(sequence_loss, wrt, specialize=True)
    extra = (1.0,) if mode == "vjp" else ()
    found = made(*args, *extra)
    found = found[1] if mode == "value_and_grad" else found
    close(found, sequence_backward_by_hand(*args[:5], args[5]), rtol=1e-10)


def test_strict_arrays_and_checkpointing_together():
    args = leapfrog_args(np.random.default_rng(3), steps=9)
    g = ts.grad(leapfrog_energy, (0, 1, 2), specialize=True, checkpoint=2)
    close(unwrap(g(*wrap(args[:3]), *args[3:])), leapfrog_backward_by_hand(*args), rtol=1e-10)
    rnn_like = rnn_args(np.random.default_rng(4), T=6)
    close(unwrap(ts.grad(rnn, (0, 1, 2), specialize=True)(*wrap(rnn_like))), rnn_backward_by_hand(*rnn_like),
          rtol=1e-10)


def test_golden_and_real_world_programs_equal_the_general_code():
    from realworld.test_realworld import ALL_CASES, REFUSED_FOR_NOW

    cases = [(fn, module.WRT, args) for _, module, fn, args in golden_cases("specialize_golden")]
    cases += [(c.fn, c.wrt if len(c.wrt) > 1 else c.wrt[0], c.make_args(np.random.default_rng(0)))
              for c in ALL_CASES if c.name not in REFUSED_FOR_NOW and c.scalar and not c.has_aux and not c.mutates]
    compared = 0
    for fn, wrt, args in cases:
        try:
            general = ts.grad(fn, wrt, specialize=False)(*args)
        except Exception:  # noqa: BLE001  (not this test's business: tests/realworld checks them)
            continue
        found = ts.grad(fn, wrt, specialize=True)(*args)
        flat = ts_flat(found), ts_flat(general)
        assert len(flat[0]) == len(flat[1]), fn
        for f, e in zip(*flat):
            np.testing.assert_allclose(f, e, rtol=1e-12, atol=1e-300, err_msg=getattr(fn, "__name__", str(fn)))
        compared += 1
    assert compared >= 60, compared


def ts_flat(tree):
    if isinstance(tree, dict):
        return [x for k in sorted(tree) for x in ts_flat(tree[k])]
    if isinstance(tree, (tuple, list)):
        return [x for item in tree for x in ts_flat(item)]
    return [np.asarray(tree)]


def test_source_without_arguments_is_the_general_code():
    g = ts.grad(rnn, 0)
    general = ts.source(g)
    assert general == ts.source(ts.grad(rnn, 0, specialize=False))
    args = rnn_args(np.random.default_rng(5))
    assert "def grad_rnn" in ts.source(g, *args) and ts.source(g, *args) != general
    g(*args)
    assert ts.source(g) == general  # (whatever was called last)
    assert "unbroadcast" in general and "unbroadcast" not in ts.source(g, *args)
