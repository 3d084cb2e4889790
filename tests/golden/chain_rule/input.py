"""Golden case: the textbook example f(x, y) = sin(x + y**2), both arguments active."""

import numpy as np


def f(x, y):
    return np.sin(x + y**2)


WRT = (0, 1)


def example_inputs(rng):
    """x and y as Python floats."""
    return float(rng.standard_normal()), float(rng.standard_normal())
