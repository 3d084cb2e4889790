"""Arrays made from numbers: linspace, linear in its start and stop, and arange.

An entry may be non-differentiable only where its result is locally constant in
that argument; linspace's samples move with its endpoints, so it gets a rule (its
number of samples, num, is an integer), and arange's with its start and step.
"""

import numpy as np

from .registry import rule
from ..runtime import along, arange_index, arange_start_slope, linspace_fractions, unalong  # noqa: F401


@rule("numpy.linspace", diff=("start", "stop"))
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """z = start + (stop - start) t, t = k / (num - 1) (k / num without the endpoint): dz = (1 - t) dstart + t dstop"""

    def tangent(dstart, dstop, z):
        t = linspace_fractions(z, endpoint=endpoint, axis=axis)
        return along(dstart, z, axis=axis) * (1 - t) + along(dstop, z, axis=axis) * t

    def adjoint(bz, z):
        t = linspace_fractions(z, endpoint=endpoint, axis=axis)
        return unalong(bz * (1 - t), start, axis=axis), unalong(bz * t, stop, axis=axis)


@rule("numpy.arange", diff=("start", "step"), constant_in=("stop", "like"))
def arange(start, stop=None, step=None, dtype=None, *, like=None):
    """z = start + k step, k = 0, 1, ...: dz = dstart + k dstep (stop only sets the length)"""
    # arange(n), one argument, is arange(0, n): that argument is the stop, and z does not move
    # with it (arange_start_slope is zero when no stop is passed). Where a move of start or stop
    # changes the length (an endpoint lands on a sample), arange jumps: not differentiable there.

    def tangent(dstart, dstep, z):
        return dstart * arange_start_slope(z, stop) + arange_index(z) * dstep

    def adjoint(bz, z):
        return np.sum(bz * arange_start_slope(z, stop)), np.sum(bz * arange_index(z))
