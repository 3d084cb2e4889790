"""Golden case: a branch inside a loop, and a break: integrate-and-fire until the first spike.

A membrane value v starts at v0 and is updated once per step: while v is
positive it leaks at rate `leak` and gains `drive`; while it is negative it
recovers quickly towards zero. The first time v passes the threshold 1 the
neuron fires and the loop stops; the result is the squared value at that step.
The side of the branch taken and the step of the break depend on the data.

The inputs are Python floats: the branch needs the truth value of v, which
StrictArray (the golden tests' stand-in for a GPU array) refuses on purpose.
"""

STEPS = 12


def f(v0, leak, drive):
    v = v0
    for t in range(STEPS):
        if v > 0:
            v = leak * v + drive
        else:
            v = 0.5 * v + drive * drive
        if v > 1.0:
            break
    return v * v


WRT = (0, 1, 2)


def example_inputs(rng):
    """v0 near -1, leak near 0.8, drive near 0.3: three negative steps, then five positive ones, firing at t = 7."""
    v0 = -1.0 + 0.1 * float(rng.standard_normal())
    leak = 0.8 + 0.1 * float(rng.standard_normal())
    drive = 0.3 + 0.05 * float(rng.standard_normal())
    return v0, leak, drive
