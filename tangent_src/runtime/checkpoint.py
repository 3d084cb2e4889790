"""Binomial checkpointing (Griewank and Walther's revolve): the schedule a checkpointed loop follows.

Stage: none (run time); see tangent_src/runtime/__init__.py. Reversing a loop of T steps while
keeping at most s snapshots of its carried values (the state before step 0 is the first of them)
costs the fewest extra forward steps when each segment is split where the binomial numbers say:
with beta(s, t) = C(s + t, s) and t the least repetition number with beta(s, t) >= T, the extra
steps number t T - beta(s + 1, t - 1). The schedule is pulled one action at a time:

    ("take", i)            snapshot the state, which is the state before step i
    ("restore", i)         the state is again the snapshot taken before step i (kept)
    ("drop", i)            forget that snapshot
    ("advance", i, j)      run steps i, ..., j - 1 forward, recording nothing
    ("step", i)            run step i forward recording it, then reverse it

so that a checkpointed loop reads as a loop over these actions, with the step's forward and reverse
sweeps written once each. The schedule needs no arrays and makes none.
"""

from math import comb


def binomial(s, t):
    """beta(s, t) = C(s + t, s): the most steps s snapshots reverse with t forward repetitions."""
    return comb(s + t, s) if s >= 0 and t >= 0 else 0


def repetitions(steps, snapshots):
    """t, the least number of repetitions with beta(snapshots, t) >= steps."""
    t = 0
    while binomial(snapshots, t) < steps:
        t += 1
    return t


def extra_steps(steps, snapshots):
    """The fewest forward steps, besides the `steps` recorded ones, that reversing `steps` steps
    with `snapshots` snapshots takes: t T - beta(s + 1, t - 1)."""
    if steps <= 1:
        return 0
    t = repetitions(steps, snapshots)
    return t * steps - binomial(snapshots + 1, t - 1)


def _split(steps, snapshots):
    """Where to take the next snapshot in a segment of `steps` steps (after how many): a point that
    keeps both parts within the repetitions the whole allows (checked against the optimum by
    dynamic programming in the tests)."""
    t = repetitions(steps, snapshots)
    return max(1, binomial(snapshots, t - 2), steps - binomial(snapshots - 1, t))


def binomial_schedule(steps, snapshots):
    """The actions (see the module docstring) that reverse `steps` steps holding at most `snapshots`
    snapshots at a time, with the fewest forward steps (extra_steps). snapshots >= 1."""
    if snapshots < 1:
        raise ValueError(f"checkpointing needs at least one snapshot (the loop's start), got {snapshots}")
    if steps <= 0:
        return
    yield ("take", 0)
    position = 0  # the step the current state is before (None: consumed by a reversed step)
    segments = [("reverse", 0, steps, snapshots)]  # what is left to do, last first
    while segments:
        kind, start, end, free = segments.pop()
        if kind == "drop":
            yield ("drop", start)
            continue
        if position != start:
            yield ("restore", start)
        if end - start == 1:
            yield ("step", start)
            position = None
        elif free == 1:  # the start's snapshot alone: each step from the start again, last first
            yield ("advance", start, end - 1)
            yield ("step", end - 1)
            position = None
            segments.append(("reverse", start, end - 1, 1))
        else:
            middle = start + _split(end - start, free)
            yield ("advance", start, middle)
            yield ("take", middle)
            position = middle
            segments += [("reverse", start, middle, free), ("drop", middle, middle, 0),
                         ("reverse", middle, end, free - 1)]
    yield ("drop", 0)
