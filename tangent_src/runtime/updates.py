"""Helpers for numpy's in-place updates written as values (rules/updates.py).

`np.add.at(a, indices, b)` adds b into a at indices, each repeated index adding
again; the normalized program binds a's next version to `added_at(a, indices,
b)`, a new array, so that every earlier version stays readable.
"""

import numpy as np


def added_at(a, indices, b):
    """A copy of a with b added at indices, repeated indices adding up (np.add.at on the copy)."""
    out = a.copy()
    np.add.at(out, indices, b)
    return out
