"""Checkpointed loops (issue 13): the same gradients from a few snapshots instead of a full tape.

Every checkpointed gradient here is checked against a hand-written backward pass (the oracle),
against central differences in float64, against the full-tape gradient (equal: a trip run again
computes what it computed the first time), and by the dot-product test <J v, u> = <v, J^T u>
between forward mode (never checkpointed) and the checkpointed vjp. The number of times the loop
body runs is counted (a trace function counting the lines of the generated code) and compared with
the theory, T + t T - beta(s + 1, t - 1), and with checkpoint_schedules' Revolve. Memory is
measured with tracemalloc.

The programs are written the way course assignments write them: a step function returning
`(next_h, cache)` called in a loop that writes each state into an array, a leapfrog integrator
with its force as a helper, a loss over a parameter dict, an integrator taking its right-hand side
as an argument.
"""

from __future__ import annotations

import inspect
import linecache
import sys
import tracemalloc

import numpy as np
import pytest

import tangent_src as ts
from tangent_src.specialization import Specialized
from helpers import golden_cases
from strict_array import unwrap, wrap
from test_checkpoint_schedule import revolve_forward_steps
from tangent_src.runtime.checkpoint import extra_steps

SETTINGS = [1, 2, 3, 10, "sqrt"]


# ---------------------------------------------------------------- programs

def rnn(W, U, b, xs, h0):
    """A batched tanh RNN: h is (H, B), xs[t] is (D, B)."""
    h = h0
    loss = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t] + b)
        loss = loss + np.sum(h ** 2)
    return loss


def rnn_backward_by_hand(W, U, b, xs, h0):
    hs = [h0]
    for t in range(xs.shape[0]):
        hs.append(np.tanh(W @ hs[-1] + U @ xs[t] + b))
    dW, dU, db = np.zeros_like(W), np.zeros_like(U), np.zeros_like(b)
    dh = np.zeros_like(h0)
    for t in reversed(range(xs.shape[0])):
        dh = dh + 2 * hs[t + 1]
        da = (1 - hs[t + 1] ** 2) * dh
        dW += da @ hs[t].T
        dU += da @ xs[t].T
        db += np.sum(da, axis=1, keepdims=True)
        dh = W.T @ da
    return dW, dU, db


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    cache = (x, prev_h, Wx, Wh, next_h)
    return next_h, cache


def rnn_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H))
    prev_h = h0
    for t in range(T):
        next_h, _ = rnn_step_forward(x[:, t, :], prev_h, Wx, Wh, b)
        h[:, t, :] = next_h
        prev_h = next_h
    return h


def sequence_loss(x, h0, Wx, Wh, b, weights):
    h = rnn_forward(x, h0, Wx, Wh, b)
    return np.sum(h * weights)


def sequence_backward_by_hand(x, h0, Wx, Wh, b, dh):
    N, T, D = x.shape
    hs, prev = [], h0
    for t in range(T):
        prev = np.tanh(x[:, t, :] @ Wx + prev @ Wh + b)
        hs.append(prev)
    dx, dWx, dWh, db = np.zeros_like(x), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    dprev = np.zeros_like(h0)
    for t in reversed(range(T)):
        before = hs[t - 1] if t > 0 else h0
        da = (1 - hs[t] ** 2) * (dh[:, t, :] + dprev)
        dx[:, t, :] = da @ Wx.T
        dWx += x[:, t, :].T @ da
        dWh += before.T @ da
        db += da.sum(axis=0)
        dprev = da @ Wh.T
    return dx, dprev, dWx, dWh, db


def force(q, k):
    return -k * np.sin(q)


def leapfrog_energy(q0, p0, k, dt, steps):
    """Velocity Verlet for a chain of pendulums: the energy after `steps` steps."""
    q, p = q0, p0
    for _ in range(steps):
        p = p + 0.5 * dt * force(q, k)
        q = q + dt * p
        p = p + 0.5 * dt * force(q, k)
    return 0.5 * np.sum(p ** 2) + np.sum(k * (1 - np.cos(q)))


def leapfrog_backward_by_hand(q0, p0, k, dt, steps):
    qs, ps, q, p = [], [], q0, p0
    for _ in range(steps):
        qs.append(q)
        ps.append(p)
        p = p + 0.5 * dt * (-k * np.sin(q))
        q = q + dt * p
        p = p + 0.5 * dt * (-k * np.sin(q))
    bp, bq, bk = p, k * np.sin(q), 1 - np.cos(q)
    for i in reversed(range(steps)):
        q_before = qs[i]
        q_after = q_before + dt * (ps[i] + 0.5 * dt * (-k * np.sin(q_before)))
        bq = bq + 0.5 * dt * bp * (-k * np.cos(q_after))  # p = p_half + dt/2 F(q)
        bk = bk + 0.5 * dt * bp * (-np.sin(q_after))
        bp = bp + dt * bq  # q = q_before + dt p_half
        bq = bq + 0.5 * dt * bp * (-k * np.cos(q_before))  # p_half = p + dt/2 F(q_before)
        bk = bk + 0.5 * dt * bp * (-np.sin(q_before))
    return bq, bp, bk


def mlp_steps(params, x, n):
    """A residual block applied n times, its weights in a dict."""
    for _ in range(n):
        x = x + np.tanh(x @ params["W"] + params["b"])
    return np.mean(x ** 2)


def integrate(rhs, y0, dt, n):
    y = y0
    for i in range(n):
        y = y + dt * rhs(y)
    return np.sum(y)


def nested(W, x0, outer, inner):
    x = x0
    for i in range(outer):
        # tangent_src: checkpoint(snapshots=2)
        for j in range(inner):
            x = 0.5 * np.sin(W @ x) + x
    return np.sum(x ** 2)


def marked(W, x0, n):
    x = x0
    # tangent_src: checkpoint(snapshots=3)
    for t in range(n):
        x = np.tanh(W @ x)
    return np.sum(x)


def kept_out(W, x0, n):
    x = x0
    # tangent_src: checkpoint(snapshots=None)
    for t in range(n):
        x = np.tanh(W @ x)
    return np.sum(x)


def loops_over_rows(w, X):
    total = 0.0
    for row in X:
        total = total + np.sin(row @ w) ** 2
    return total


def backwards_range(w, X):
    s = w
    for t in reversed(range(1, X.shape[0], 2)):
        s = np.cos(s * X[t]) + s
    return np.sum(s)


def branches(w, X):
    s = w
    for t in range(X.shape[0]):
        if t % 3 == 0:
            s = np.sin(s * X[t])
        else:
            s = s * X[t] + 1.0
    return np.sum(s ** 2)


def reused_loop_variables(x, M):
    """The inner loops' variables are carried by the outer loop, and bound only by its trips."""
    for k in range(4):
        for row in M:
            for k in range(2):
                x = np.sin(x * row[k]) + x
    return np.sum(x ** 2) + k + row[0]


def inner_loop_of_no_trips(x, M):
    """The outer loop's variable reused by an inner loop that makes no trip (found by the fuzzer)."""
    for i in range(3):
        for i in range(0):
            x = M @ np.sin(x)
        x = np.tanh(M @ x) + i
    return np.sum(x)


def two_loops_share_a_name(a, b):
    """Both loops carry `t`; the second's reverse sweep must leave it as the first loop left it."""
    terms = [a, np.sin(b), a * b]
    s = 0.0
    for t, c in zip(terms, [1.0, 2.0, 3.0]):
        s = s + c * t ** 2
    for k, t in enumerate(terms):
        s = s + k * t
    return s


def loop_variable_bound_before(x):
    """The loop variable names a value from before the loop, which the derivative of `y = i * x` reads."""
    i = 2.0 * x
    y = i * x
    for i in range(3):
        y = y * np.sin(x + i)
    return y + i


# ---------------------------------------------------------------- data

def rnn_args(rng, T=17, H=5, D=3, B=2):
    return (rng.normal(size=(H, H)) * 0.5, rng.normal(size=(H, D)), rng.normal(size=(H, 1)),
            rng.normal(size=(T, D, B)), rng.normal(size=(H, B)))


def sequence_args(rng, N=3, T=9, D=4, H=5):
    return (rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), rng.normal(size=(D, H)) * 0.5,
            rng.normal(size=(H, H)) * 0.5, rng.normal(size=(H,)), rng.normal(size=(N, T, H)))


def leapfrog_args(rng, n=6, steps=25):
    return rng.normal(size=n), rng.normal(size=n), rng.uniform(0.5, 2.0, size=n), 0.05, steps


def assert_close(found, expected, rtol=1e-10):
    found, expected = (found, expected) if isinstance(found, tuple) else ((found,), (expected,))
    assert len(found) == len(expected)
    for f, e in zip(found, expected):
        if isinstance(e, dict):
            assert set(f) == set(e)
            for key in e:
                np.testing.assert_allclose(f[key], e[key], rtol=rtol, atol=1e-12)
        else:
            np.testing.assert_allclose(f, e, rtol=rtol, atol=1e-12)


def central_differences(fn, args, position, rng, eps=1e-6):
    """<grad, v> for a random direction v of args[position], by central differences."""
    x = args[position]
    v = rng.normal(size=np.shape(x))
    plus = list(args)
    minus = list(args)
    plus[position], minus[position] = x + eps * v, x - eps * v
    return (fn(*plus) - fn(*minus)) / (2 * eps), v


# ---------------------------------------------------------------- gradients

@pytest.mark.parametrize("checkpoint", SETTINGS)
def test_rnn_gradient_equals_the_hand_written_one_and_the_full_tape(checkpoint):
    args = rnn_args(np.random.default_rng(1))
    found = ts.grad(rnn, (0, 1, 2), checkpoint=checkpoint)(*args)
    assert_close(found, rnn_backward_by_hand(*args))
    full = ts.grad(rnn, (0, 1, 2))(*args)
    for f, e in zip(found, full):
        np.testing.assert_allclose(f, e, rtol=1e-12, atol=0)


@pytest.mark.parametrize("steps", [0, 1, 2, 3, 8, 31])
@pytest.mark.parametrize("checkpoint", SETTINGS)
def test_every_trip_count(steps, checkpoint):
    args = rnn_args(np.random.default_rng(steps), T=steps)
    found = ts.grad(rnn, (0, 1, 2), checkpoint=checkpoint)(*args)
    assert_close(found, rnn_backward_by_hand(*args))


@pytest.mark.parametrize("checkpoint", SETTINGS)
def test_course_rnn_with_step_function_and_state_array(checkpoint):
    """rnn_step_forward returns (next_h, cache); the loop writes each state into h[:, t, :]."""
    args = sequence_args(np.random.default_rng(2))
    wrt = (0, 1, 2, 3, 4)
    found = ts.grad(sequence_loss, wrt, checkpoint=checkpoint)(*args)
    assert_close(found, sequence_backward_by_hand(*args[:5], args[5]))


@pytest.mark.parametrize("checkpoint", SETTINGS)
def test_leapfrog_integrator(checkpoint):
    args = leapfrog_args(np.random.default_rng(3))
    found = ts.grad(leapfrog_energy, (0, 1, 2), checkpoint=checkpoint)(*args)
    assert_close(found, leapfrog_backward_by_hand(*args))
    rng = np.random.default_rng(4)
    for position in range(3):
        difference, v = central_differences(leapfrog_energy, args, position, rng)
        np.testing.assert_allclose(np.vdot(found[position], v), difference, rtol=1e-7)


@pytest.mark.parametrize("checkpoint", [2, "sqrt"])
def test_value_and_grad_and_vjp(checkpoint):
    args = leapfrog_args(np.random.default_rng(5), steps=12)
    value, grads = ts.value_and_grad(leapfrog_energy, (0, 1), checkpoint=checkpoint)(*args)
    assert value == pytest.approx(leapfrog_energy(*args), rel=1e-14)
    assert_close(grads, leapfrog_backward_by_hand(*args)[:2])
    u = 0.7
    pulled = ts.vjp(leapfrog_energy, (0, 1), checkpoint=checkpoint)(*args, u)
    # the dot-product test against forward mode: <J v, u> == <v, J^T u>
    rng = np.random.default_rng(6)
    v = (rng.normal(size=args[0].shape), rng.normal(size=args[1].shape))
    _, pushed = ts.jvp(leapfrog_energy, (0, 1))(*args, *v)
    assert pushed * u == pytest.approx(sum(np.vdot(a, b) for a, b in zip(v, pulled)), rel=1e-10)


@pytest.mark.parametrize("checkpoint", [1, 3, "sqrt"])
def test_parameter_dict_and_function_arguments(checkpoint):
    rng = np.random.default_rng(7)
    params = {"W": rng.normal(size=(4, 4)) * 0.3, "b": rng.normal(size=4)}
    x = rng.normal(size=(5, 4))
    found = ts.grad(mlp_steps, 0, checkpoint=checkpoint)(params, x, 9)
    assert_close(found, ts.grad(mlp_steps, 0)(params, x, 9), rtol=1e-12)
    eps, direction = 1e-6, {k: rng.normal(size=v.shape) for k, v in params.items()}
    shifted = [{k: params[k] + s * eps * direction[k] for k in params} for s in (1, -1)]
    difference = (mlp_steps(shifted[0], x, 9) - mlp_steps(shifted[1], x, 9)) / (2 * eps)
    assert sum(np.vdot(found[k], direction[k]) for k in params) == pytest.approx(difference, rel=1e-7)

    A = rng.normal(size=(3, 3)) * 0.5

    def rhs(y):
        return A @ y

    y0 = rng.normal(size=3)
    found = ts.grad(integrate, 1, checkpoint=checkpoint)(rhs, y0, 0.1, 11)
    step = np.eye(3) + 0.1 * A  # y_n = step^n y0, so the gradient of sum(y_n) is (step^T)^n 1
    np.testing.assert_allclose(found, np.linalg.matrix_power(step.T, 11) @ np.ones(3), rtol=1e-12)


@pytest.mark.parametrize("fn", [loops_over_rows, backwards_range, branches])
@pytest.mark.parametrize("checkpoint", [1, 2, "sqrt"])
def test_loops_over_rows_backwards_ranges_and_branches(fn, checkpoint):
    rng = np.random.default_rng(8)
    args = (rng.normal(size=3), rng.normal(size=(10, 3)))
    found = ts.grad(fn, 0, checkpoint=checkpoint)(*args)
    np.testing.assert_allclose(found, ts.grad(fn, 0)(*args), rtol=1e-12, atol=0)
    difference, v = central_differences(fn, args, 0, rng)
    assert np.vdot(found, v) == pytest.approx(difference, rel=1e-7)


@pytest.mark.parametrize("fn, args", [(two_loops_share_a_name, (0.5, 0.7)), (loop_variable_bound_before, (0.3,))])
@pytest.mark.parametrize("checkpoint", [1, 2, "sqrt"])
def test_every_carried_value_is_in_the_snapshots(fn, args, checkpoint):
    """Found by the fuzz checks: a carried value the function itself never reads again is still read
    by the reverse sweep (as a trip's record), so a trip run again must start from it too."""
    wrt = tuple(range(len(args)))
    found = ts.grad(fn, wrt, checkpoint=checkpoint)(*args)
    np.testing.assert_allclose(found, ts.grad(fn, wrt)(*args), rtol=1e-12, atol=0)
    rng = np.random.default_rng(22)
    for position in wrt:
        difference, v = central_differences(fn, args, position, rng)
        assert found[position] * v == pytest.approx(difference, rel=1e-7)


@pytest.mark.parametrize("checkpoint", [1, 2, "sqrt"])
def test_names_bound_only_by_the_trips(checkpoint):
    rng = np.random.default_rng(19)
    args = (rng.normal(size=2), rng.normal(size=(3, 2)))
    found = ts.grad(inner_loop_of_no_trips, 1, checkpoint=checkpoint)(args[0], args[1][:2])
    np.testing.assert_allclose(found, ts.grad(inner_loop_of_no_trips, 1)(args[0], args[1][:2]), rtol=1e-12, atol=0)
    for wrt in (0, 1):
        found = ts.grad(reused_loop_variables, wrt, checkpoint=checkpoint)(*args)
        np.testing.assert_allclose(found, ts.grad(reused_loop_variables, wrt)(*args), rtol=1e-12, atol=0)
        difference, v = central_differences(reused_loop_variables, args, wrt, rng)
        assert np.vdot(found, v) == pytest.approx(difference, rel=1e-6, abs=1e-8)


def test_golden_cases_with_loops_equal_the_full_tape():
    tried = 0
    for case, module, fn, args in golden_cases("checkpointed_golden"):
        text = inspect.getsource(module)
        if "for " not in text:
            continue
        cotangent = np.ones_like(fn(*args))
        full = ts.vjp(fn, module.WRT)(*args, cotangent)
        for checkpoint in (1, 2, "sqrt"):
            found = ts.vjp(fn, module.WRT, checkpoint=checkpoint)(*args, cotangent)
            assert_close(found, full, rtol=1e-12)
            made = ts.source(ts.vjp(fn, module.WRT, checkpoint=checkpoint))
            # a loop with a break keeps its full tape (its number of trips is not known when it starts)
            assert ("Checkpoints(" in made) == ("break" not in text)
        tried += 1
    assert tried >= 2


# ---------------------------------------------------------------- directives

def test_a_directive_checkpoints_its_loop_and_does_nothing_when_the_function_runs():
    rng = np.random.default_rng(9)
    W, x0 = rng.normal(size=(4, 4)) * 0.5, rng.normal(size=4)
    assert marked(W, x0, 6) == kept_out(W, x0, 6)
    g = ts.grad(marked, 0)
    assert "Checkpoints(len(steps), snapshots=3)" in ts.source(g)
    np.testing.assert_allclose(g(W, x0, 6), ts.grad(kept_out, 0)(W, x0, 6), rtol=1e-12)
    assert "Checkpoints" not in ts.source(ts.grad(marked, 0, checkpoint=False))
    assert "snapshots=3" in ts.source(ts.grad(marked, 0, checkpoint=10))  # the directive wins
    assert "Checkpoints" not in ts.source(ts.grad(kept_out, 0, checkpoint=10))  # snapshots=None: kept out


def test_nested_loops_carry_their_own_settings():
    rng = np.random.default_rng(10)
    args = (rng.normal(size=(3, 3)) * 0.5, rng.normal(size=3), 4, 5)
    full = ts.grad(nested, 0, checkpoint=False)(*args)
    for checkpoint in (None, 2, "sqrt"):
        g = ts.grad(nested, 0, checkpoint=checkpoint)
        text = ts.source(g)
        assert "snapshots=2" in text
        # the inner loop's, and where the outer one is checkpointed its own and the inner one's again
        assert text.count("= Checkpoints(") == (1 if checkpoint is None else 3)
        np.testing.assert_allclose(g(*args), full, rtol=1e-12)
    difference, v = central_differences(nested, args, 0, rng)
    assert np.vdot(full, v) == pytest.approx(difference, rel=1e-7)


def test_the_emitted_loop_reads_as_a_loop_over_the_schedule():
    text = ts.source(ts.grad(rnn, 0, checkpoint=4))
    assert "checkpoints = Checkpoints(len(steps), snapshots=4)" in text
    assert "for action, start, stop in checkpoints.forward():" in text
    assert "for action, start, stop in checkpoints.reverse():" in text
    assert "checkpoints.take(start, (h, loss))" in text
    assert "h, loss = checkpoints.restore(start)" in text
    assert text.count("tape.pop()") == 1  # the trip's reverse sweep, once
    assert text.count("np.tanh(") == 2  # the trip: in the forward sweep, and run again in the reverse sweep


# ---------------------------------------------------------------- refusals

def draws_in_loop(w, n):
    s = w
    for t in range(n):
        s = s + np.random.normal(size=s.shape) * 0.1
    return np.sum(s ** 2)


def prints_in_loop(w, n):
    s = w
    for t in range(n):
        s = np.sin(s)
        print(t)
    return np.sum(s)


def marked_while(w, n):
    s = w
    k = 0
    # tangent_src: checkpoint(snapshots=4)
    while k < n:
        s = np.sin(s)
        k = k + 1
    return np.sum(s)


def marked_break(w, n):
    s = w
    # tangent_src: checkpoint(snapshots=4)
    for t in range(n):
        s = np.sin(s)
        if np.sum(s) < 0.0:
            break
    return np.sum(s)


def misspelled(w, n):
    s = w
    # tangent_src: checkpoint(snapshot=4)
    for t in range(n):
        s = np.sin(s)
    return np.sum(s)


def per_step_dict(w, n):
    hs = {}
    hs[-1] = w
    for t in range(n):
        hs[t] = np.tanh(hs[t - 1])
    return np.sum(hs[n - 1])


@ts.checkpoint
def noisy(x):
    return x + np.random.normal(size=x.shape)


def calls_noisy(w):
    return np.sum(noisy(w) ** 2)


@ts.checkpoint
def layer(x, W):
    return np.tanh(W @ x)


def deep(W, x, n):
    for i in range(n):
        x = layer(x, W)
    return np.sum(x)


@pytest.mark.parametrize("fn, words, line", [
    (draws_in_loop, "`s = s + np.random.normal(size=s.shape) * 0.1` has an effect", "np.random.normal"),
    (prints_in_loop, "`print(t)` has an effect", "print(t)"),
    (per_step_dict, "writes into `hs`", "hs[t] = np.tanh(hs[t - 1])"),
])
def test_loops_with_effects_are_refused_for_checkpointing(fn, words, line):
    with pytest.raises(ts.TransformError) as caught:  # (found while transforming: at the first call)
        ts.grad(fn, 0, checkpoint=4)(np.ones(3), 5)
    message = str(caught.value)
    assert words in message and "test_checkpointing.py:" in message and line in message and "^" in message
    assert "checkpoint(snapshots=None)" in message  # what to write instead
    ts.grad(fn, 0)  # the full tape differentiates it


@pytest.mark.parametrize("fn, words", [
    (marked_while, "marks a `while` loop"),
    (marked_break, "number of trips is not known"),
    (misspelled, "is not one tangent_src knows"),
])
def test_directives_tangent_src_cannot_follow_are_refused(fn, words):
    with pytest.raises(ts.TransformError) as caught:  # (at ts.grad, or, found while transforming, at the call)
        ts.grad(fn, 0)(np.ones(3), 5)
    message = str(caught.value)
    assert words in message and "test_checkpointing.py:" in message and "^" in message and "hint:" in message


def test_checkpointed_functions():
    """@ts.checkpoint: the function runs as it is; its callers' gradients call it again in their
    reverse sweep (their tape keeps only its arguments); one with effects is refused."""
    rng = np.random.default_rng(11)
    W, x = rng.normal(size=(4, 4)) * 0.5, rng.normal(size=4)
    assert np.allclose(layer(x, W), np.tanh(W @ x))
    g = ts.grad(deep, 0)
    found = g(W, x, 5)
    difference, v = central_differences(deep, (W, x, 5), 0, rng)
    assert np.vdot(found, v) == pytest.approx(difference, rel=1e-7)
    assert "vjp_layer(" in ts.source(g)
    with pytest.raises(ts.TransformError, match="marked @checkpoint") as caught:
        ts.grad(calls_noisy, 0)(np.ones(3))
    assert "noisy(w)" in str(caught.value)


def test_bad_settings_are_refused():
    for bad in (0, -1, True, "log", 2.5):
        with pytest.raises(ValueError, match="checkpoint must be"):
            ts.grad(rnn, 0, checkpoint=bad)


# ---------------------------------------------------------------- strict arrays

@pytest.mark.parametrize("checkpoint", [2, "sqrt"])
def test_strict_arrays_are_never_converted(checkpoint):
    args = rnn_args(np.random.default_rng(12), T=9)
    g = ts.grad(rnn, (0, 1, 2), checkpoint=checkpoint)
    found = unwrap(g(*wrap(args)))
    assert_close(found, rnn_backward_by_hand(*args))
    args = leapfrog_args(np.random.default_rng(13), steps=7)
    found = unwrap(ts.grad(leapfrog_energy, (0, 1, 2), checkpoint=checkpoint)(*wrap(args[:3]), *args[3:]))
    assert_close(found, leapfrog_backward_by_hand(*args))
    value, found = ts.value_and_grad(leapfrog_energy, (0, 1), checkpoint=checkpoint)(*wrap(args[:3]), *args[3:])
    assert_close(unwrap(found), leapfrog_backward_by_hand(*args)[:2])
    pulled = ts.vjp(leapfrog_energy, 2, checkpoint=checkpoint)(*wrap(args[:3]), *args[3:], wrap(np.float64(2.0)))
    assert_close(unwrap(pulled), 2.0 * leapfrog_backward_by_hand(*args)[2])
    rng = np.random.default_rng(23)
    W, x0 = rng.normal(size=(3, 3)) * 0.5, rng.normal(size=3)
    assert_close(unwrap(ts.grad(marked, 0)(wrap(W), wrap(x0), 5)), ts.grad(kept_out, 0)(W, x0, 5))  # a directive
    assert_close(unwrap(ts.grad(deep, 0)(wrap(W), wrap(x0), 4)), ts.grad(deep, 0)(W, x0, 4))  # @ts.checkpoint


# ---------------------------------------------------------------- counts

def body_runs(derivative, args, marker="np.tanh("):
    """How many times the lines of the generated code holding `marker` ran."""
    if isinstance(derivative, Specialized):  # the code made for these arguments
        derivative = derivative.for_arguments(args, {})
    function = derivative.__tangent_src__.function
    filename = function.__code__.co_filename
    count = [0]

    def local(frame, event, arg):
        if event == "line" and marker in linecache.getline(filename, frame.f_lineno):
            count[0] += 1
        return local

    def tracer(frame, event, arg):
        return local if frame.f_code.co_filename == filename else None

    sys.settrace(tracer)
    try:
        derivative(*args)
    finally:
        sys.settrace(None)
    return count[0]


@pytest.mark.parametrize("steps, snapshots", [(1, 1), (2, 1), (7, 2), (10, 3), (20, 4), (33, 5), (100, 10)])
def test_the_body_runs_as_often_as_the_theory_says(steps, snapshots):
    args = rnn_args(np.random.default_rng(14), T=steps, H=2, D=1, B=1)
    runs = body_runs(ts.grad(rnn, 0, checkpoint=snapshots), args)
    assert runs == steps + extra_steps(steps, snapshots)
    if steps >= 10:
        assert runs < steps * (steps + 1) // 2  # fewer than with the start's snapshot alone
    assert body_runs(ts.grad(rnn, 0), args) == steps  # the full tape: each trip once


@pytest.mark.parametrize("steps, snapshots", [(10, 3), (20, 4), (100, 10), (7, 2)])
def test_the_body_runs_as_often_as_checkpoint_schedules_revolve(steps, snapshots):
    forward = revolve_forward_steps(steps, snapshots)
    args = rnn_args(np.random.default_rng(15), T=steps, H=2, D=1, B=1)
    assert body_runs(ts.grad(rnn, 0, checkpoint=snapshots), args) == forward


@pytest.mark.parametrize("steps", [1, 9, 10, 50])
def test_sqrt_runs_each_segment_but_the_last_twice(steps):
    args = rnn_args(np.random.default_rng(16), T=steps, H=2, D=1, B=1)
    every = int(np.ceil(np.sqrt(steps)))
    last = steps - every * ((steps - 1) // every)
    assert body_runs(ts.grad(rnn, 0, checkpoint="sqrt"), args) == steps + steps - last


# ---------------------------------------------------------------- memory

def peak_memory(fn, *args):
    if isinstance(fn, Specialized):  # made for these arguments before measuring
        fn = fn.for_arguments(args, {})
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = fn(*args)
        return tracemalloc.get_traced_memory()[1] - base, result
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("program", ["rnn", "leapfrog"])
def test_ten_snapshots_keep_a_small_part_of_the_full_tapes_memory(program):
    """T = 1000 RNN steps, 2000 leapfrog steps: checkpoint=10 keeps at most 15% of the full tape's
    peak, for the same gradient. (The times are measured in benchmarks/checkpointing.py.)"""
    rng = np.random.default_rng(17)
    if program == "rnn":
        fn, wrt, args = rnn, (0, 1, 2), rnn_args(rng, T=1000, H=32, D=4, B=8)
    else:
        fn, wrt, args = leapfrog_energy, (0, 1, 2), leapfrog_args(rng, n=64, steps=2000)
    full_peak, full = peak_memory(ts.grad(fn, wrt), *args)
    peak, found = peak_memory(ts.grad(fn, wrt, checkpoint=10), *args)
    assert peak <= 0.15 * full_peak, (peak, full_peak)
    for f, e in zip(found, full):
        np.testing.assert_allclose(f, e, rtol=1e-12, atol=0)


def test_the_memory_report():
    args = rnn_args(np.random.default_rng(18), T=200, H=16, D=2, B=4)
    full = ts.memory(ts.grad(rnn, (0, 1, 2)), *args)
    assert [h.name for h in full.held] == ["tape"] and full.held[0].entries == 200
    assert full.held[0].loop == "for t in range(t2)"
    assert full.held[0].bytes >= 200 * 2 * 16 * 4 * 8  # h and h_2 ** 2 of each step, at least
    assert full.peak >= full.held[0].bytes
    checkpointed = ts.memory(ts.grad(rnn, (0, 1, 2), checkpoint=5), *args)
    held = {h.name: h for h in checkpointed.held}
    assert held["checkpoints"].entries == 5 and held["tape"].entries == 1
    assert checkpointed.peak < full.peak / 4
    text = str(checkpointed)
    assert "peak traced allocation" in text and "snapshots" in text and "records" in text
    assert_close(checkpointed.result, full.result, rtol=1e-12)


def test_second_derivatives_use_the_full_tape():
    """ts.hvp differentiates the full-tape gradient, directives notwithstanding; differentiating a
    checkpointed gradient again is refused, saying what to write instead."""
    rng = np.random.default_rng(20)
    W, x0, v = rng.normal(size=(3, 3)) * 0.5, rng.normal(size=3), rng.normal(size=(3, 3))
    hv = ts.hvp(marked, 0)(W, x0, 4, v)
    eps = 1e-6
    difference = (ts.grad(kept_out, 0)(W + eps * v, x0, 4) - ts.grad(kept_out, 0)(W - eps * v, x0, 4)) / (2 * eps)
    np.testing.assert_allclose(hv, difference, rtol=1e-6, atol=1e-9)
    with pytest.raises(ts.TransformError, match="cannot be differentiated again") as caught:
        ts.jvp(ts.grad(rnn, 0, checkpoint=3), 0)
    assert "checkpoint=False" in str(caught.value)


def test_the_memory_report_on_strict_arrays():
    """The report reads sizes from `nbytes` and never converts an array (StrictArray refuses)."""
    args = rnn_args(np.random.default_rng(21), T=12, H=4, D=2, B=3)
    report = ts.memory(ts.grad(rnn, (0, 1, 2), checkpoint=3), *wrap(args))
    held = {h.name: h for h in report.held}
    assert held["checkpoints"].entries == 3 and held["checkpoints"].bytes >= 3 * 4 * 3 * 8
    assert_close(unwrap(report.result), rnn_backward_by_hand(*args))
