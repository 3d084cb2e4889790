"""Memory of reverse mode on a recurrent network: O(T) recording, nothing kept afterwards.

Reverse mode records, per loop trip, what its reverse sweep needs on a tape;
for a tanh RNN that is a few hidden-state-sized arrays per time step, so the
peak memory of the gradient grows linearly in the number of steps T. Forward
mode records nothing: its peak does not grow with T. When the derivative has
returned, every array it made, except the gradients it returned, is freed.

Memory is measured with tracemalloc (numpy reports its array buffers to it);
`python -m pytest tests/test_memory.py -s` prints the numbers.
"""

import gc
import tracemalloc
import weakref

import numpy as np
import pytest

import tangent_src as ts

HIDDEN, INPUTS, BATCH = 64, 16, 8
STEPS = (10, 20, 40)
STATE_BYTES = HIDDEN * BATCH * 8  # one float64 hidden state for the batch: 4 KiB


def rnn(W, U, b, xs, h0):
    """A batched tanh RNN: h is (HIDDEN, BATCH), xs[t] is (INPUTS, BATCH), b is (HIDDEN, 1)."""
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t] + b)
    return np.sum(h**2)


WRT = (0, 1, 2)


def inputs(T, rng=None, cls=np.ndarray):
    rng = rng or np.random.default_rng(0)
    W = rng.standard_normal((HIDDEN, HIDDEN)) / np.sqrt(HIDDEN)
    U = rng.standard_normal((HIDDEN, INPUTS)) / np.sqrt(INPUTS)
    b = 0.1 * rng.standard_normal((HIDDEN, 1))
    xs = rng.standard_normal((T, INPUTS, BATCH))
    h0 = 0.5 * rng.standard_normal((HIDDEN, BATCH))
    return tuple(a.view(cls) for a in (W, U, b, xs, h0))


def measure(derivative, args):
    """(peak above the baseline during the call, memory still held after it, the call's result)."""
    derivative(*args)  # warm: the derivative is generated and every lazy import done before measuring
    gc.collect()
    tracemalloc.start()
    try:
        gc.collect()
        baseline = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = derivative(*args)
        peak = tracemalloc.get_traced_memory()[1] - baseline
        result_bytes = sum(np.asarray(r).nbytes for r in (result if isinstance(result, tuple) else (result,)))
        del result
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - baseline
    finally:
        tracemalloc.stop()
    return peak, kept, result_bytes


@pytest.fixture(scope="module")
def reverse_numbers():
    numbers = {T: measure(ts.grad(rnn, WRT), inputs(T)) for T in STEPS}
    print(f"\nreverse mode (grad) of a tanh RNN, hidden {HIDDEN}, batch {BATCH}; "
          f"one hidden state is {STATE_BYTES} bytes")
    for T, (peak, kept, result_bytes) in numbers.items():
        print(f"  T = {T:3d}: peak {peak:9d} bytes = {peak / STATE_BYTES:6.1f} states "
              f"({peak / T / STATE_BYTES:4.2f} per step); held after return {kept} bytes; "
              f"gradients returned {result_bytes} bytes")
    return numbers


def test_reverse_peak_grows_linearly_in_the_number_of_steps(reverse_numbers):
    peak = {T: reverse_numbers[T][0] for T in STEPS}
    per_step_short = (peak[20] - peak[10]) / 10
    per_step_long = (peak[40] - peak[20]) / 20
    ratio = per_step_long / per_step_short
    print(f"  bytes per extra step: T 10->20 {per_step_short:.0f}, T 20->40 {per_step_long:.0f} "
          f"(ratio {ratio:.2f}; linear gives 1, quadratic 2 or more)")
    assert per_step_short > 0.5 * STATE_BYTES, "the tape should hold at least the hidden state of each step"
    assert 0.67 < ratio < 1.5, f"peak memory is not linear in T: {peak}"
    # what each step records stays a handful of hidden states (a hand-written BPTT keeps one)
    assert per_step_long < 8 * STATE_BYTES, f"{per_step_long / STATE_BYTES:.1f} hidden states recorded per step"


def test_reverse_mode_keeps_nothing_after_it_returns(reverse_numbers):
    for T, (_, kept, _) in reverse_numbers.items():
        assert abs(kept) < 2048, f"T = {T}: {kept} bytes still held after the gradient returned and was dropped"


def test_forward_mode_peak_does_not_grow_with_the_number_of_steps():
    peaks = {}
    for T in STEPS:
        args = inputs(T)
        tangents = tuple(np.ones_like(args[i]) for i in WRT)
        peaks[T] = measure(ts.jvp(rnn, WRT), args + tangents)[0]
    print(f"\nforward mode (jvp) peaks: {peaks}")
    assert peaks[40] - peaks[10] < 2 * STATE_BYTES, f"jvp memory grows with T: {peaks}"


class Tracked(np.ndarray):
    """An ndarray that registers every array made from it, so that survivors can be counted."""

    made: list = []

    def __array_finalize__(self, obj):
        Tracked.made.append(weakref.ref(self))


def test_no_array_made_during_the_call_survives_it():
    derivative = ts.grad(rnn, WRT)
    args = inputs(20, cls=Tracked)
    derivative(*args)  # warm
    gc.collect()
    Tracked.made = []
    gradients = derivative(*args)
    made = len(Tracked.made)
    assert made > 20 * 5, f"only {made} arrays were tracked: the subclass did not propagate"
    alive = [r() for r in Tracked.made if r() is not None]
    assert any(g is a for g in gradients for a in alive)  # the returned gradients were tracked too
    del alive
    del gradients
    gc.collect()
    survivors = [r() for r in Tracked.made if r() is not None]
    print(f"\n{made} arrays made during one call of grad; {len(survivors)} alive after it returned")
    assert survivors == [], f"{len(survivors)} arrays made during the call are still referenced"


# ------------------------------------------------------------------ per-step dicts and writes in place

CHAR_STEPS = (50, 100, 200)


def char_rnn(inputs, targets, hprev, Wxh, Whh, Why, bh, by):
    """min-char-rnn's loss: its per-step values kept in dicts keyed by the step."""
    vocab_size = Why.shape[0]
    xs, hs, ys, ps = {}, {}, {}, {}
    hs[-1] = np.copy(hprev)
    loss = 0
    for t in range(len(inputs)):
        xs[t] = np.zeros((vocab_size, 1))
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)
        ys[t] = np.dot(Why, hs[t]) + by
        ps[t] = np.exp(ys[t]) / np.sum(np.exp(ys[t]))
        loss += -np.log(ps[t][targets[t], 0])
    return loss


def char_inputs(T, vocab=3, hidden=2):
    rng = np.random.default_rng(1)
    chars = [int(c) for c in rng.integers(0, vocab, size=T + 1)]
    return (chars[:-1], chars[1:], np.zeros((hidden, 1)), 0.1 * rng.standard_normal((hidden, vocab)),
            0.1 * rng.standard_normal((hidden, hidden)), 0.1 * rng.standard_normal((vocab, hidden)),
            np.zeros((hidden, 1)), np.zeros((vocab, 1)))


def test_per_step_dicts_take_memory_linear_in_the_number_of_steps():
    """`xs[t] = ...` writes into the dict: the tape never holds a copy of a dict per step (which
    would hold t items at step t: memory quadratic in T)."""
    peak = {T: measure(ts.grad(char_rnn, (2, 3, 4, 5, 6, 7)), char_inputs(T))[0] for T in CHAR_STEPS}
    per_step_short = (peak[100] - peak[50]) / 50
    per_step_long = (peak[200] - peak[100]) / 100
    print(f"\nchar-rnn grad peaks: {peak}; bytes per extra step {per_step_short:.0f}, {per_step_long:.0f}")
    assert per_step_long < 1.5 * per_step_short, f"peak memory is not linear in T: {peak}"
