"""Rules of numpy's in-place updates, read as values: `np.add.at(a, indices, b)` is the next
version of a, `added_at(a, indices, b)` (the front end binds it to a's name)."""

from __future__ import annotations

import numpy as np

from ..runtime import added_at, unbroadcast  # noqa: F401  (names used by templates)
from .registry import rule


def _indices(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return np.array([0, 1, 0, 2])


# the indices only choose where b goes: the result is locally constant in them, even where they come
# out of a differentiated container (`x, W = cache`, x the word indices)
@rule("numpy.add.at", diff=("a", "b"), domain={"indices": _indices}, constant_in=("indices",))
def add_at_update(a, indices, b):
    """z = a with b added at indices (np.add.at): each index adds again; bz goes to a, and bz at
    each index to b"""

    def tangent(da, db):
        return added_at(da, indices, db)

    def adjoint(bz):
        return bz, unbroadcast(bz[indices], like=b)
