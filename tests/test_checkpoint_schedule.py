"""The binomial checkpointing schedule (tangent_src/runtime/checkpoint.py), the runtime half of issue 13.

Followed on a loop, the schedule reverses every step once, last first, each from the state before
it; never holds more than the snapshots allowed; and runs the body T + t T - beta(s + 1, t - 1)
times, which is the optimum (checked by dynamic programming for small T and s, and against the
checkpoint_schedules package's Revolve where it is installed). A gradient reversed by it equals
the one reversed from a full tape.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest

from tangent_src.runtime.checkpoint import binomial_schedule, extra_steps


@lru_cache(maxsize=None)
def optimum(steps: int, snapshots: int) -> int:
    """The fewest extra forward steps, by dynamic programming over the first snapshot's place."""
    if steps <= 1:
        return 0
    if snapshots == 1:
        return steps * (steps - 1) // 2
    return min(m + optimum(steps - m, snapshots - 1) + optimum(m, snapshots) for m in range(1, steps))


def follow(steps: int, snapshots: int):
    """Run the schedule on a loop whose state is the index of the next step: (the steps reversed,
    in order, the body's executions, the most snapshots held at once)."""
    held: dict[int, int] = {}
    state, executions, most, reversed_steps = None, 0, 0, []
    for action, *where in binomial_schedule(steps, snapshots):
        if action == "take":
            state = 0 if state is None and where[0] == 0 else state
            assert state == where[0], f"a snapshot of the state before step {where[0]} taken at {state}"
            held[where[0]] = state
            most = max(most, len(held))
        elif action == "restore":
            state = held[where[0]]
        elif action == "drop":
            del held[where[0]]
        elif action == "advance":
            start, stop = where
            assert state == start
            executions += stop - start
            state = stop
        else:
            assert action == "step" and state == where[0], f"step {where[0]} reversed from the state at {state}"
            executions += 1
            reversed_steps.append(where[0])
            state = None
    assert not held
    return reversed_steps, executions, most


@pytest.mark.parametrize("snapshots", [1, 2, 3, 4, 6])
def test_every_step_reversed_once_last_first_with_the_fewest_forward_steps(snapshots):
    for steps in list(range(1, 40)) + [57, 100]:
        reversed_steps, executions, most = follow(steps, snapshots)
        assert reversed_steps == list(range(steps - 1, -1, -1))
        assert most <= snapshots
        assert executions == steps + extra_steps(steps, snapshots)
        if steps < 40 and snapshots < 5:
            assert extra_steps(steps, snapshots) == optimum(steps, snapshots)


def test_the_textbook_count_for_long_loops():
    """T = 1000 steps with 10 snapshots: beta(10, 3) = 286 < 1000 <= beta(10, 4) = 1001, so t = 4 and the
    extra steps are 4 T - beta(11, 3) = 4000 - 364 = 3636."""
    _, executions, most = follow(1000, 10)
    assert executions == 1000 + 4000 - 364 and most == 10


def revolve_forward_steps(steps: int, snapshots: int) -> int:
    """The forward steps of checkpoint_schedules' Revolve(steps, snapshots), up to its end (skips
    the test where the package is not installed)."""
    revolve = pytest.importorskip("checkpoint_schedules")
    forward = 0
    for action in revolve.Revolve(steps, snapshots):
        if isinstance(action, revolve.Forward):
            forward += action.n1 - action.n0
        elif isinstance(action, revolve.EndReverse):
            break
    return forward


@pytest.mark.parametrize("steps, snapshots", [(10, 3), (20, 4), (100, 10), (7, 2), (250, 5)])
def test_against_checkpoint_schedules_revolve(steps, snapshots):
    assert follow(steps, snapshots)[1] == revolve_forward_steps(steps, snapshots)


def test_a_gradient_reversed_by_the_schedule_equals_the_full_tape_one():
    """x_{i+1} = sin(w x_i) + c_i, loss x_T: the adjoint of each step needs x_i, from a snapshot."""
    rng = np.random.default_rng(0)
    steps, w, c, x0 = 60, 0.9, rng.standard_normal(60), 0.3

    def step(x, i):
        return np.sin(w * x) + c[i]

    tape, x = [], x0
    for i in range(steps):
        tape.append(x)
        x = step(x, i)
    bx, bw = 1.0, 0.0
    for i in reversed(range(steps)):
        bw += bx * np.cos(w * tape[i]) * tape[i]
        bx = bx * np.cos(w * tape[i]) * w
    full = (bx, bw)

    held, state, bx, bw = {}, x0, 1.0, 0.0
    for action, *where in binomial_schedule(steps, 4):
        if action == "take":
            held[where[0]] = state
        elif action == "restore":
            state = held[where[0]]
        elif action == "drop":
            del held[where[0]]
        elif action == "advance":
            for i in range(*where):
                state = step(state, i)
        else:
            i = where[0]
            bw += bx * np.cos(w * state) * state
            bx = bx * np.cos(w * state) * w
    np.testing.assert_allclose((bx, bw), full, rtol=1e-13)


def test_at_least_one_snapshot():
    with pytest.raises(ValueError, match="at least one snapshot"):
        list(binomial_schedule(5, 0))
