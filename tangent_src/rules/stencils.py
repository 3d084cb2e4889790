"""Stencils: np.gradient and np.lib.stride_tricks.sliding_window_view.

Both are linear in their array: the tangent applies the primitive to the tangent, and the
adjoint applies the transposed operator (runtime/stencils.py): the transposed differences of
np.gradient, and for the windows, each window offset adding its slice of bz back where it read.
"""

import numpy as np

from .registry import rule
from ..runtime import gradient_tangent, ungradient, unsliding_window  # noqa: F401  (names used by templates)


# the spacings (numbers or coordinate arrays) are constants: a differentiated spacing is refused
@rule("numpy.gradient", diff=("f",))
def gradient(f, *varargs, axis=None, edge_order=1):
    """z = differences of f along each axis (central inside, one-sided at the edges): linear, bf = sum of G^T bz"""

    def tangent(df):
        return gradient_tangent(df, spacing=varargs, axis=axis, edge_order=edge_order)

    def adjoint(bz):
        return ungradient(bz, like=f, spacing=varargs, axis=axis, edge_order=edge_order)


@rule("numpy.lib.stride_tricks.sliding_window_view", diff=("x",), view=True)
def sliding_window_view(x, window_shape, axis=None, *, subok=False, writeable=False):
    """z[..., i, ..., k] = x[..., i + k, ...], every window of x: each window offset adds its slice of bz back"""

    def tangent(dx):
        return np.lib.stride_tricks.sliding_window_view(dx, window_shape, axis=axis)

    def adjoint(bz):
        return unsliding_window(bz, like=x, window_shape=window_shape, axis=axis)
