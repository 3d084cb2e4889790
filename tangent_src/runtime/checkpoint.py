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

`Checkpoints` is what generated code holds for one checkpointed loop: the schedule (binomial, or
"sqrt": snapshots evenly spaced), the snapshots, and the tape, which keeps the records of the
trips the schedule says to record and no others. Generated code pulls its actions as
`(action, start, stop)`:

    forward sweep   ("take", i, i)       snapshot the carried values (before trip i)
                    ("advance", i, j)    run trips i, ..., j - 1, recording nothing
                    ("record", i, j)     run trips i, ..., j - 1, recording each (the forward sweep ends
                                         with the record of the last trip)
    reverse sweep   ("reverse", i, i+1)  reverse trip i from its record (newest first)
                    ("restore", i, i)    the carried values are again their snapshot before trip i
                    and "take", "advance", "record" as above

so that a checkpointed loop reads as a loop over these actions. Snapshots hold references: the
generated code never writes into a value a call like `take` has seen (codegen/inplace.py). The
schedule needs no arrays and makes none.
"""

from math import comb, isqrt


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


def sqrt_schedule(steps, every=None):
    """Snapshots every `every` steps (default: the ceiling of the square root of `steps`), each
    segment recorded whole once and reversed, last first: about sqrt(T) snapshots and sqrt(T)
    records held at a time, and T - (the last segment's length) extra steps. In the vocabulary of
    `Checkpoints` (segments recorded whole: ("record", i, j) then j - i ("reverse", ...))."""
    if steps <= 0:
        return
    every = every or isqrt(steps - 1) + 1  # the ceiling of sqrt(steps)
    starts = list(range(0, steps, every))
    for start in starts[:-1]:
        yield ("take", start, start)
        yield ("advance", start, start + every)
    for k, start in enumerate(reversed(starts)):
        stop = min(start + every, steps)
        if k:
            yield ("restore", start, start)
        yield ("record", start, stop)
        yield from (("reverse", i, i + 1) for i in range(stop - 1, start - 1, -1))
        if k:
            yield ("drop", start, start)


def _binomial_actions(steps, snapshots):
    """binomial_schedule in the vocabulary of `Checkpoints`."""
    for action, *where in binomial_schedule(steps, snapshots):
        if action == "step":
            yield ("record", where[0], where[0] + 1)
            yield ("reverse", where[0], where[0] + 1)
        elif action == "advance":
            yield ("advance", where[0], where[1])
        else:
            yield (action, where[0], where[0])


class _Tape(list):
    """A loop's tape that keeps only what is appended while its schedule records."""

    __slots__ = ("recording",)

    def __init__(self):
        super().__init__()
        self.recording = False

    def append(self, record):
        if self.recording:
            list.append(self, record)


class Checkpoints:
    """The schedule, snapshots and tape of one checkpointed loop of `steps` trips.

    snapshots: the most snapshots held at a time (the loop's start included), with binomial
    checkpointing (revolve: the fewest extra trips); or "sqrt": snapshots evenly spaced every
    ceil(sqrt(steps)) trips, each segment recorded whole."""

    def __init__(self, steps, snapshots):
        self.steps = steps
        if snapshots == "sqrt":
            self._actions = sqrt_schedule(steps)
        else:
            if isinstance(snapshots, bool) or not isinstance(snapshots, int) or snapshots < 1:
                raise ValueError(f"checkpointing needs a number of snapshots >= 1 or 'sqrt', got {snapshots!r}")
            self._actions = _binomial_actions(steps, snapshots)
        self.tape = _Tape()
        self.snapshots = {}
        self.trips = 0  # trips run (advanced or recorded), for reports and tests
        self.most = 0  # the most snapshots held at a time
        self.observer = None  # memory reports (tangent_src/memory.py): called with self after each action

    def forward(self):
        """The actions of the forward sweep: up to and including the record of the last trip."""
        for action in self._pull():
            yield action
            if action[0] == "record" and action[2] == self.steps:
                return

    def reverse(self):
        """The actions left, for the reverse sweep."""
        yield from self._pull()

    def _pull(self):
        for action, start, stop in self._actions:
            if action == "drop":
                del self.snapshots[start]
                continue
            self.tape.recording = action == "record"
            if action in ("advance", "record"):
                self.trips += stop - start
            yield action, start, stop
            if self.observer is not None:
                self.observer(self)

    def take(self, start, state):
        """Keep the carried values before trip `start` (references: see the module docstring)."""
        self.snapshots[start] = state
        self.most = max(self.most, len(self.snapshots))

    def restore(self, start):
        """The carried values kept before trip `start`."""
        return self.snapshots[start]
