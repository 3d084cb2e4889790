"""Control flow and subscript reads, in both modes, on numerical code written the usual way.

Every function in CASES is checked against central differences in reverse and
forward mode (ts.check_grad, float64), for the dot-product identity
<u, J v> == <J^T u, v> between jvp and vjp, and for leaving its arguments
unchanged under grad, vjp and jvp. Inputs come from a fixed seed and are chosen
away from every branch threshold, so that a finite-difference step never flips
a branch. The tests after the table check what a table cannot: which side of a
data-dependent branch ran, that a while loop is replayed exactly as many times
as it ran, Newton's iteration against 1 / (2 sqrt(a)), the tape in the reverse
code, and print/assert kept once per call.
"""

import numpy as np
import pytest

import tangent_src as ts
from helpers import assert_not_mutated, copy_value, dot_product_check

TOLERANCE = 1e-6
SEED = 20240611


# ------------------------------------------------------------------ recurrent networks


def rnn_last(W, U, b, xs, h0):
    """A vanilla tanh RNN; the loss is the squared norm of the last hidden state."""
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t] + b)
    return np.sum(h**2)


def rnn_every_step(W, U, b, xs, h0):
    """The same RNN, with a loss summed over every time step."""
    h = h0
    loss = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t] + b)
        loss = loss + np.sum(h**2)
    return loss


def rnn_states(W, U, b, xs, h0):
    """The last hidden state itself (a vector result: vjp and jvp, no grad)."""
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t] + b)
    return h


def rnn_over_rows(W, U, b, xs, h0):
    """The RNN again, iterating over the rows of xs instead of over indices."""
    h = h0
    for x in xs:
        h = np.tanh(W @ h + U @ x + b)
    return np.sum(h**2)


def rnn_inputs(rng, T=5, hidden=4, inputs=3):
    W = rng.standard_normal((hidden, hidden)) / np.sqrt(hidden)
    U = rng.standard_normal((hidden, inputs)) / np.sqrt(inputs)
    b = 0.1 * rng.standard_normal(hidden)
    xs = rng.standard_normal((T, inputs))
    h0 = 0.5 * rng.standard_normal(hidden)
    return W, U, b, xs, h0


# ------------------------------------------------------------------ while loops


def newton_sqrt(a):
    """sqrt(a) by Newton's iteration x <- (x + a/x) / 2, to full precision."""
    x = a
    while np.abs(x * x - a) > 1e-12 * a:
        x = 0.5 * (x + a / x)
    return x


def grow(y0, x):
    """Grow y until it reaches 10: a trip count that depends on the data."""
    y = y0
    while y < 10.0:
        y = y * 1.5 + x
    return y


def grow_unrolled(y0, x, trips):
    """grow with its trip count given: what the reverse sweep of grow must replay."""
    y = y0
    for _ in range(trips):
        y = y * 1.5 + x
    return y


def grow_array(v, x):
    """Scale an array up until its norm passes a bound, with `while True` and a break."""
    y = v
    while True:
        y = 1.1 * y + 0.1 * x
        if np.sum(y * y) > 25.0:
            break
    return np.sum(np.sin(y))


def grow_trips(y0, x):
    """How many trips grow(y0, x) makes, counted in plain Python."""
    trips = 0
    while y0 < 10.0:
        y0 = y0 * 1.5 + x
        trips += 1
    return trips


# ------------------------------------------------------------------ break and continue


def positive_prefix_energy(x):
    """Sum the squares of the positive entries, skipping negatives, until the sum passes 3."""
    s = 0.0
    for i in range(x.shape[0]):
        if x[i] < 0:
            continue
        if s > 3.0:
            break
        s = s + x[i] ** 2
    return s


def two_exits(x, w):
    """Two break-ifs in sequence: stop when the sum is large or an entry is very negative."""
    s = 0.0
    n = 0
    for i in range(x.shape[0]):
        s = s + np.exp(w * x[i])
        if s > 6.0:
            break
        if x[i] < -1.5:
            break
        n = n + 1
    return s * (n + 1)


def skip_every_third(x):
    """continue on a non-differentiable condition (i % 3), then accumulate."""
    s = 0.0
    for i in range(x.shape[0]):
        if i % 3 == 2:
            continue
        s = s + np.sin(x[i]) * x[i]
    return s


def first_negative_cuts_each_row(A):
    """break in the inner loop only: each row is summed up to its first negative entry."""
    s = 0.0
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            if A[i, j] < 0:
                break
            s = s + A[i, j] ** 2
    return s


def skip_negatives_while(x):
    """A counted while loop with a continue."""
    i = 0
    s = 0.0
    while i < x.shape[0]:
        i = i + 1
        if x[i - 1] < 0:
            continue
        s = s + np.exp(x[i - 1])
    return s


def stop_at_large(x):
    """break in the if of an if/elif/else chain."""
    s = 0.0
    for i in range(x.shape[0]):
        if x[i] > 2.0:
            break
        elif x[i] < 0:
            s = s - x[i]
        else:
            s = s + x[i] ** 2
    return s


def repeat_sine(x, n):
    """A trip count passed in, zero included."""
    y = x * 1.0
    for i in range(n):
        y = np.sin(y)
    return np.sum(y)


def after_the_loop(x):
    """The loop variable and a value from the last trip, used after the loop."""
    for i in range(3):
        y = x[i] * 2.0
    return y + x[i]


# ------------------------------------------------------------------ convolution and nested loops


def conv2d(x, w):
    """A valid 2-D correlation written as a sum of shifted slices, then a tanh and a sum."""
    kh, kw = w.shape
    H = x.shape[0] - kh + 1
    W = x.shape[1] - kw + 1
    out = np.zeros((H, W))
    for i in range(kh):
        for j in range(kw):
            out = out + w[i, j] * x[i : i + H, j : j + W]
    return np.sum(np.tanh(out))


def triangular(A, v):
    """Nested loops with an inner bound that depends on the outer index."""
    s = 0.0
    for i in range(A.shape[0]):
        for j in range(i + 1):
            s = s + A[i, j] * v[j] * v[i - j]
    return s


def pairwise_energy(X):
    """A double loop over pairs of rows: sum of exp(-|x_i - x_j|^2) over i < j."""
    n = X.shape[0]
    e = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            d = X[i] - X[j]
            e = e + np.exp(-np.sum(d * d))
    return e


def strided(x, start, stop):
    """range with arguments for start and stop and a step."""
    s = 0.0
    for i in range(start, stop, 2):
        s = s + x[i] * x[i - 1]
    return s


# ------------------------------------------------------------------ iteration over arrays


def row_losses(X, w):
    """for row in X: a per-example loss summed by hand."""
    total = 0.0
    for row in X:
        total = total + np.log1p(np.exp(-(row @ w)))
    return total


def weighted_rows(X, w):
    """enumerate: each row weighted by its position."""
    s = 0.0
    for i, row in enumerate(X):
        s = s + (i + 1) * np.tanh(row @ w)
    return s


def paired_rows(A, B):
    """zip over two arrays' rows."""
    s = 0.0
    for a, b in zip(A, B):
        s = s + np.sum(a * np.cos(b))
    return s


def enumerate_zip(A, B, w):
    """enumerate and zip in one function, with a branch on the index."""
    s = 0.0
    for i, row in enumerate(A):
        if i % 2 == 0:
            s = s + np.sum(row * w)
        else:
            s = s - np.sum(row * row)
    for a, b in zip(A, B):
        s = s + np.sum(a * b * w)
    return s


# ------------------------------------------------------------------ branches


def piecewise(x):
    """A branch whose taken side depends on the data."""
    if np.sum(x) > 0:
        y = np.sin(x) * x
    else:
        y = x**3
    return np.sum(y)


def piecewise_positive_side(x):
    return np.sum(np.sin(x) * x)


def piecewise_negative_side(x):
    return np.sum(x**3)


def three_way(x):
    """if / elif / else on a reduction of the data."""
    s = np.sum(x)
    if s > 1.0:
        y = x * 2.0
    elif s > -1.0:
        y = np.sin(x)
    else:
        y = x**3
    return np.sum(y * x)


def four_way(x, c):
    """A longer elif chain, on a scalar argument."""
    if c > 2.0:
        y = np.exp(x) * c
    elif c > 1.0:
        y = np.tanh(x * c)
    elif c > 0.0:
        y = x * c * c
    else:
        y = np.sin(x) - c
    return np.sum(y)


def leaky_steps(x, w):
    """A branch inside a loop: a leaky update when the running value is negative."""
    v = 0.0
    for i in range(x.shape[0]):
        u = v + w * x[i]
        if u > 0:
            v = np.tanh(u)
        else:
            v = 0.1 * u
    return v * v


def refine_if_positive(x, w):
    """A loop inside a branch."""
    if np.sum(x) > 0:
        y = x
        for k in range(3):
            y = np.tanh(w * y + x)
    else:
        y = x * w
    return np.sum(y**2)


def clipped_gradient_steps(w, target, lr):
    """Gradient descent with a step that halves when the loss is large: branch in loop, local copy."""
    v = w
    for step in range(4):
        r = v - target
        if np.sum(r * r) > 1.0:
            v = v - 0.5 * lr * r
        else:
            v = v - lr * r
    return np.sum(v**2)


# ------------------------------------------------------------------ subscripts


def various_subscripts(x):
    """Negative ints, slices with steps, tuples, an Ellipsis and None."""
    a = x[-1, 1:] * x[0, ::2][0]
    b = x[..., -2] + x[:, 1]
    c = x[None, :, 0]
    return np.sum(a**2) + np.sum(b * np.sum(c)) + x[-2, -3]


def repeated_list_index(x):
    """A list index that names x[0] twice: its gradient must count both."""
    return np.sum(x[[0, 0, 2]] ** 2)


def repeated_list_index_written_out(x):
    return 2.0 * x[0] ** 2 + x[2] ** 2


def gather(x, idx):
    """An integer-array index passed in, with repeated entries."""
    return np.sum(np.sin(x[idx]) * x[idx])


def gather_rows(E, idx):
    """Embedding lookup: rows of a table gathered by a repeating index array."""
    rows = E[idx]
    return np.sum(np.tanh(rows) ** 2)


def positive_part_energy(x):
    """A boolean mask computed from the data."""
    return np.sum(x[x > 0] ** 2)


def masked_mean(x, keep):
    """A boolean mask passed in."""
    return np.sum(np.exp(x[keep])) / np.sum(keep)


def argmax_pick(x, w):
    """np.argmax as an index, and i % 3 choosing the branch in a loop."""
    s = 0.0
    for i in range(x.shape[0]):
        if i % 3 == 0:
            s = s + x[i] ** 2 * w
        else:
            s = s + np.sin(x[i])
    k = np.argmax(x)
    return s + x[k] * w


def modular_index(x, w):
    """i % 3 as an index."""
    s = 0.0
    for i in range(6):
        s = s + w[i % 3] * x[i]
    return s * s


def noisy(x):
    """print and assert are kept in the derivative, with no derivative of their own."""
    print("evaluating noisy with", x.shape[0], "entries")
    assert x.shape[0] == 3, "noisy takes three entries"
    return np.sum(np.exp(x) * x)


# ------------------------------------------------------------------ the table


def iterate_map(w, x):
    """x is a parameter outside wrt that the loop carries: it varies from the second trip on."""
    for k in range(3):
        x = np.tanh(w * x)
    return np.sum(x)


def iterate_map_branch(w, x):
    """The same, with x updated on some trips only."""
    for k in range(4):
        if k % 2 == 0:
            x = np.sin(w * x) + x
    return np.sum(x**2)


def inner_steps(w, x):
    """Two levels of loops: the inner loop carries w, which the outer loop carries too; the
    result reads w only through `start` (w's own adjoint starts at zero after the loops)."""
    total = 0.0
    for epoch in range(3):
        start = w * 1.0
        for step in range(2):
            w = w - 0.1 * (w + start) * x
        total = total + np.sum(start * x)
    return total


def _vec(rng, n):
    return rng.standard_normal(n)


def _mat(rng, *shape):
    return rng.standard_normal(shape)


CASES = {
    "rnn_last": (rnn_last, lambda rng: rnn_inputs(rng), (0, 1, 2, 4)),
    "rnn_every_step": (rnn_every_step, lambda rng: rnn_inputs(rng), (0, 1, 2, 3)),
    "rnn_states": (rnn_states, lambda rng: rnn_inputs(rng), (0, 1, 2)),
    "rnn_over_rows": (rnn_over_rows, lambda rng: rnn_inputs(rng), (0, 1, 2, 3, 4)),
    "newton_sqrt": (newton_sqrt, lambda rng: (2.0 + rng.uniform(),), 0),
    "grow": (grow, lambda rng: (1.0 + 0.1 * rng.uniform(), 0.7), (0, 1)),
    "grow_array": (grow_array, lambda rng: (0.5 * _vec(rng, 3), _vec(rng, 3)), (0, 1)),
    "positive_prefix_energy": (positive_prefix_energy,
                               lambda rng: (np.array([0.9, -0.4, 1.2, 0.3, -2.0, 1.1, 0.8, 0.5, 0.2]),), 0),
    "two_exits_sum": (two_exits, lambda rng: (np.array([0.3, -0.2, 0.5, 0.1, 0.9, 0.4, 0.2]), 0.8), (0, 1)),
    "two_exits_negative": (two_exits, lambda rng: (np.array([0.3, -0.2, -1.9, 0.1, 0.9]), 0.8), (0, 1)),
    "skip_every_third": (skip_every_third, lambda rng: (_vec(rng, 8),), 0),
    "first_negative_cuts_each_row": (first_negative_cuts_each_row,
                                     lambda rng: (np.array([[0.5, 1.0, -0.3, 2.0], [-1.0, 0.4, 0.2, 0.1],
                                                            [0.3, 0.6, 0.9, 1.2]]),), 0),
    "skip_negatives_while": (skip_negatives_while, lambda rng: (_vec(rng, 6),), 0),
    "stop_at_large": (stop_at_large, lambda rng: (np.array([0.5, -1.0, 1.0, 2.5, 1.0]),), 0),
    "repeat_sine_0": (repeat_sine, lambda rng: (_vec(rng, 3), 0), 0),
    "repeat_sine_3": (repeat_sine, lambda rng: (_vec(rng, 3), 3), 0),
    "after_the_loop": (after_the_loop, lambda rng: (_vec(rng, 4),), 0),
    "conv2d": (conv2d, lambda rng: (_mat(rng, 6, 5), 0.5 * _mat(rng, 3, 2)), (0, 1)),
    "triangular": (triangular, lambda rng: (_mat(rng, 4, 4), _vec(rng, 4)), (0, 1)),
    "pairwise_energy": (pairwise_energy, lambda rng: (_mat(rng, 4, 2),), 0),
    "strided": (strided, lambda rng: (_vec(rng, 9), 1, 8), 0),
    "row_losses": (row_losses, lambda rng: (_mat(rng, 5, 3), _vec(rng, 3)), (0, 1)),
    "weighted_rows": (weighted_rows, lambda rng: (_mat(rng, 4, 3), _vec(rng, 3)), (0, 1)),
    "paired_rows": (paired_rows, lambda rng: (_mat(rng, 4, 3), _mat(rng, 4, 3)), (0, 1)),
    "enumerate_zip": (enumerate_zip, lambda rng: (_mat(rng, 4, 3), _mat(rng, 4, 3), _vec(rng, 3)), (0, 1, 2)),
    "piecewise_positive": (piecewise, lambda rng: (np.abs(_vec(rng, 4)) + 0.1,), 0),
    "piecewise_negative": (piecewise, lambda rng: (-np.abs(_vec(rng, 4)) - 0.1,), 0),
    "three_way_if": (three_way, lambda rng: (np.array([1.0, 0.5, 0.3]),), 0),
    "three_way_elif": (three_way, lambda rng: (np.array([0.4, -0.5, 0.3]),), 0),
    "three_way_else": (three_way, lambda rng: (np.array([-1.0, -0.5, 0.3]),), 0),
    "four_way_3": (four_way, lambda rng: (_vec(rng, 3), 3.0), (0, 1)),
    "four_way_2": (four_way, lambda rng: (_vec(rng, 3), 1.5), (0, 1)),
    "four_way_1": (four_way, lambda rng: (_vec(rng, 3), 0.5), (0, 1)),
    "four_way_0": (four_way, lambda rng: (_vec(rng, 3), -0.5), (0, 1)),
    "leaky_steps": (leaky_steps, lambda rng: (np.array([0.5, -1.0, 0.3, 0.8, -0.2, -1.5, 0.6]), 0.9), (0, 1)),
    "refine_if_positive": (refine_if_positive, lambda rng: (np.abs(_vec(rng, 3)), 0.7), (0, 1)),
    "refine_if_negative": (refine_if_positive, lambda rng: (-np.abs(_vec(rng, 3)), 0.7), (0, 1)),
    "clipped_gradient_steps": (clipped_gradient_steps,
                               lambda rng: (np.array([2.0, -1.0]), np.array([0.1, 0.2]), 0.3), (0, 1, 2)),
    "various_subscripts": (various_subscripts, lambda rng: (_mat(rng, 4, 5),), 0),
    "repeated_list_index": (repeated_list_index, lambda rng: (_vec(rng, 3),), 0),
    "gather": (gather, lambda rng: (_vec(rng, 5), np.array([0, 3, 3, 1, 3, 0])), 0),
    "gather_rows": (gather_rows, lambda rng: (_mat(rng, 4, 3), np.array([2, 0, 2, 2, 3])), 0),
    "positive_part_energy": (positive_part_energy, lambda rng: (_vec(rng, 7),), 0),
    "masked_mean": (masked_mean, lambda rng: (_vec(rng, 6), np.array([True, False, True, True, False, True])), 0),
    "argmax_pick": (argmax_pick, lambda rng: (_vec(rng, 7), 1.3), (0, 1)),
    "inner_steps": (inner_steps, lambda rng: (_vec(rng, 3), _vec(rng, 3)), (0, 1)),
    "inner_steps_w": (inner_steps, lambda rng: (_vec(rng, 3), _vec(rng, 3)), 0),
    "iterate_map": (iterate_map, lambda rng: (0.7, _vec(rng, 3)), 0),
    "iterate_map_branch": (iterate_map_branch, lambda rng: (0.7 * _vec(rng, 3), _vec(rng, 3)), 0),
    "modular_index": (modular_index, lambda rng: (_vec(rng, 6), _vec(rng, 3)), (0, 1)),
}


def case(name):
    fn, make, wrt = CASES[name]
    return fn, tuple(make(np.random.default_rng(SEED))), wrt


def has_scalar_result(fn, args):
    return np.ndim(fn(*copy_value(args))) == 0


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("name", list(CASES))
def test_matches_finite_differences(name, mode):
    fn, args, wrt = case(name)
    errors = ts.check_grad(fn, args, wrt, mode=mode)
    errors = errors if isinstance(errors, tuple) else (errors,)
    assert max(errors) < TOLERANCE, f"relative errors per wrt argument: {errors}"


@pytest.mark.parametrize("name", list(CASES))
def test_dot_product_identity(name):
    fn, args, wrt = case(name)
    dot_product_check(fn, args, wrt, np.random.default_rng(SEED + 1))


@pytest.mark.parametrize("name", list(CASES))
def test_derivatives_leave_arguments_unchanged(name):
    fn, args, wrt = case(name)
    rng = np.random.default_rng(SEED + 2)
    single = not isinstance(wrt, tuple)
    indices = [wrt] if single else list(wrt)
    value = fn(*copy_value(args))
    if has_scalar_result(fn, args):
        assert_not_mutated(ts.grad(fn, wrt), args)
    cotangent = rng.standard_normal(np.shape(value)) if np.ndim(value) else 1.0
    assert_not_mutated(ts.vjp(fn, wrt), args + (cotangent,))
    tangents = tuple(rng.standard_normal(np.shape(args[i])) if np.ndim(args[i]) else 1.0 for i in indices)
    assert_not_mutated(ts.jvp(fn, wrt), args + tangents)


# ------------------------------------------------------------------ the tape


def test_reverse_code_records_each_trip_on_a_tape_and_replays_it():
    text = ts.source(ts.grad(rnn_last, (0, 1, 2)))
    assert "tape = []" in text
    assert "tape.append(" in text
    assert "tape.pop()" in text
    # one recording loop in the forward sweep, one replay in the reverse sweep
    assert text.count("tape.append(") == 1
    assert text.count("tape.pop()") == 1


def test_forward_code_has_no_tape():
    for fn, wrt in [(rnn_last, (0, 1, 2)), (grow, (0, 1)), (conv2d, (0, 1)), (two_exits, (0, 1))]:
        text = ts.source(ts.jvp(fn, wrt))
        assert "tape" not in text, text


@pytest.mark.parametrize("name", [name for name in CASES if name != "rnn_states"])
def test_value_and_grad_gives_the_value_and_the_gradient(name):
    fn, args, wrt = case(name)
    value, grads = ts.value_and_grad(fn, wrt)(*copy_value(args))
    pulled = ts.vjp(fn, wrt)(*copy_value(args), 1.0)
    grads, pulled = (grads, pulled) if isinstance(wrt, tuple) else ((grads,), (pulled,))
    for g, h in zip(grads, pulled):
        np.testing.assert_allclose(g, h, rtol=1e-14)
    assert value == pytest.approx(fn(*copy_value(args)), rel=1e-14)


def test_rnn_gradient_depends_on_every_time_step():
    """Changing an early input changes the gradient: the replay really walks back through time."""
    fn, args, _ = case("rnn_last")
    W, U, b, xs, h0 = args
    g = ts.grad(fn, 0)(*args)
    xs2 = xs.copy()
    xs2[0] += 0.5
    assert not np.allclose(ts.grad(fn, 0)(W, U, b, xs2, h0), g)


# ------------------------------------------------------------------ while loops


@pytest.mark.parametrize("a", [0.25, 2.0, 9.0, 1e4])
def test_newton_sqrt_has_the_derivative_of_sqrt(a):
    gradient = ts.grad(newton_sqrt, 0)(a)
    assert gradient == pytest.approx(1 / (2 * np.sqrt(a)), rel=1e-9)
    value, tangent = ts.jvp(newton_sqrt, 0)(a, 1.0)
    assert value == pytest.approx(np.sqrt(a), rel=1e-12)
    assert tangent == pytest.approx(1 / (2 * np.sqrt(a)), rel=1e-9)


@pytest.mark.parametrize("y0, expected_trips", [(12.0, 0), (8.0, 1), (1.0, 5), (0.01, 8)])
def test_while_loop_is_replayed_as_many_times_as_it_ran(y0, expected_trips):
    """The gradient of grow equals that of the loop unrolled to the trip count the primal made."""
    x = 0.25
    trips = grow_trips(y0, x)
    assert trips == expected_trips
    found = ts.grad(grow, (0, 1))(y0, x)
    unrolled = ts.grad(grow_unrolled, (0, 1))(y0, x, trips)
    np.testing.assert_allclose(found, unrolled, rtol=1e-13)
    _, forward = ts.jvp(grow, (0, 1))(y0, x, 1.0, 0.0)
    assert forward == pytest.approx(found[0], rel=1e-13)
    for mode in ["reverse", "forward"]:
        assert max(ts.check_grad(grow, (y0, x), (0, 1), mode=mode)) < TOLERANCE


def test_while_loop_trips_are_counted_per_call():
    """One derivative, called with inputs that make different trip counts, replays each call's own trips."""
    derivative = ts.grad(grow, (0, 1))
    for y0 in [0.01, 12.0, 1.0, 8.0, 0.01]:
        unrolled = ts.grad(grow_unrolled, (0, 1))(y0, 0.25, grow_trips(y0, 0.25))
        np.testing.assert_allclose(derivative(y0, 0.25), unrolled, rtol=1e-13)


# ------------------------------------------------------------------ which side of a branch ran


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_data_dependent_branch_differentiates_the_side_that_ran(sign):
    x = sign * (np.abs(np.random.default_rng(SEED).standard_normal(4)) + 0.1)
    side = piecewise_positive_side if sign > 0 else piecewise_negative_side
    np.testing.assert_allclose(ts.grad(piecewise, 0)(x), ts.grad(side, 0)(x), rtol=1e-14)
    np.testing.assert_allclose(ts.jvp(piecewise, 0)(x, np.ones(4))[1], ts.jvp(side, 0)(x, np.ones(4))[1], rtol=1e-14)


def test_elif_chain_takes_each_branch():
    """The three inputs of three_way's table cases give three different gradient formulas."""
    x = [case(name)[1][0] for name in ["three_way_if", "three_way_elif", "three_way_else"]]
    gradients = [ts.grad(three_way, 0)(v) for v in x]
    np.testing.assert_allclose(gradients[0], 4.0 * x[0], rtol=1e-14)  # d/dx sum(2 x * x)
    assert not np.allclose(gradients[1], 4.0 * x[1])
    assert not np.allclose(gradients[2], 4.0 * x[2])


def test_repeated_indices_accumulate():
    x = np.array([0.7, -1.1, 1.9])
    np.testing.assert_allclose(ts.grad(repeated_list_index, 0)(x), ts.grad(repeated_list_index_written_out, 0)(x),
                               rtol=1e-14)
    np.testing.assert_allclose(ts.grad(repeated_list_index, 0)(x), [4 * 0.7, 0.0, 2 * 1.9], rtol=1e-14)
    idx = np.array([2, 0, 2, 2, 3])
    E = np.random.default_rng(SEED).standard_normal((4, 3))
    g = ts.grad(gather_rows, 0)(E, idx)
    np.testing.assert_array_equal(g[1], 0.0)  # row 1 is never gathered
    assert np.all(g[2] != 0.0)


# ------------------------------------------------------------------ print and assert


@pytest.mark.parametrize("kind", ["grad", "value_and_grad", "vjp", "jvp"])
def test_print_runs_once_per_call_of_the_derivative(kind, capsys):
    x = np.array([0.1, -0.2, 0.3])
    derivative = getattr(ts, kind)(noisy, 0)
    capsys.readouterr()
    extra = {"vjp": (1.0,), "jvp": (np.ones(3),)}.get(kind, ())
    derivative(x, *extra)
    assert capsys.readouterr().out == "evaluating noisy with 3 entries\n"
    derivative(x, *extra)
    derivative(x, *extra)
    assert capsys.readouterr().out == "evaluating noisy with 3 entries\n" * 2


@pytest.mark.parametrize("kind", ["grad", "vjp", "jvp"])
def test_assert_is_kept_in_the_derivative(kind, capsys):
    x = np.array([0.1, -0.2, 0.3, 0.4])
    derivative = getattr(ts, kind)(noisy, 0)
    extra = {"vjp": (1.0,), "jvp": (np.ones(4),)}.get(kind, ())
    with pytest.raises(AssertionError, match="noisy takes three entries"):
        derivative(x, *extra)
    text = ts.source(derivative)
    assert "print(" in text and "assert " in text


# ------------------------------------------------------------------ arguments updated in loops; built indices


def sine_iterations(x):
    """A parameter reassigned in a loop body."""
    for i in range(2):
        x = np.sin(x)
    return np.sum(x)


def descent(w, target):
    """Gradient descent that updates its argument: the way most people write it."""
    for step in range(3):
        w = w - 0.1 * (w - target)
    return np.sum(w**2)


def grow_in_place(y, x):
    """grow, updating its argument y in the while loop."""
    while y < 10.0:
        y = y * 1.5 + x
    return y


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("fn, args, wrt", [
    (sine_iterations, (np.array([0.3, -1.2]),), 0),
    (descent, (np.array([2.0, -1.0]), np.array([0.1, 0.2])), (0, 1)),
    (grow_in_place, (1.0, 0.7), (0, 1)),
], ids=["sine_iterations", "descent", "grow_in_place"])
def test_argument_reassigned_in_a_loop(fn, args, wrt, mode):
    errors = ts.check_grad(fn, args, wrt, mode=mode)
    errors = errors if isinstance(errors, tuple) else (errors,)
    assert max(errors) < TOLERANCE, errors


def constant_index_array(x):
    return np.sum(x[np.array([0, 0, 2])] ** 2)


def test_index_array_built_in_the_function():
    x = np.array([0.7, -1.1, 1.9])
    np.testing.assert_allclose(ts.grad(constant_index_array, 0)(x), [4 * 0.7, 0.0, 2 * 1.9], rtol=1e-14)
