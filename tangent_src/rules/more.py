"""More numpy: diff, fliplr, flipud, rot90, atleast_1d, atleast_2d, atleast_3d, column_stack, dstack, nanmax,
nanmin, nanvar, nanstd, cross, convolve and interp.

Most are linear (diff, the flips and rotations, the stacks, convolve in each argument): the
tangent applies the primitive to the tangent, and the adjoint applies its transpose (the
transposed difference, the inverse rotation, the cut, the correlation). The NaN-ignoring
reductions follow their counterparts in reductions.py and statistics.py, with NaN entries
getting no derivative.
"""

import numpy as np

from .registry import rule
from ..runtime import (  # noqa: F401  (names used by templates)
    cross_adjoint_lhs,
    cross_adjoint_rhs,
    divide_or_zero,
    interp_slope,
    nan_centered,
    nan_dof,
    extremum_weights,
    unatleast,
    uncolumn_stack,
    unconvolve,
    undiff,
    undstack,
    uninterp,
    unreduce,
)

# ---- differences and rearrangements: linear


# prepend= and append= are not supported (the call is refused as an unknown argument)
@rule("numpy.diff", diff=("a",))
def diff(a, n=1, axis=-1):
    """z = D^n a, (D a)[i] = a[i+1] - a[i] along axis: dz = D^n da, ba = (D^T)^n bz"""

    def tangent(da):
        return np.diff(da, n, axis=axis)

    def adjoint(bz):
        return undiff(bz, n, axis=axis)


@rule("numpy.fliplr", diff=("m",), view=True)
def fliplr(m):
    """z = m with its columns (axis 1) reversed; flipping again undoes it"""

    def tangent(dm):
        return np.fliplr(dm)

    def adjoint(bz):
        return np.fliplr(bz)


@rule("numpy.flipud", diff=("m",), view=True)
def flipud(m):
    """z = m with its rows (axis 0) reversed; flipping again undoes it"""

    def tangent(dm):
        return np.flipud(dm)

    def adjoint(bz):
        return np.flipud(bz)


@rule("numpy.rot90", diff=("m",), view=True)
def rot90(m, k=1, axes=(0, 1)):
    """z = m rotated k quarter turns in the plane of axes; the adjoint rotates bz back, -k turns"""

    def tangent(dm):
        return np.rot90(dm, k, axes=axes)

    def adjoint(bz):
        return np.rot90(bz, -k, axes=axes)


# ---- at least 1, 2 or 3 dimensions: the same elements, reshaped (one array gives an array,
# several a tuple of them)


@rule("numpy.atleast_1d", diff=("arys",), view=True)
def atleast_1d(*arys):
    """z = each array viewed with at least one dimension; the adjoint reshapes each bz back to its array's shape"""

    def tangent(darys):
        return np.atleast_1d(*darys)

    def adjoint(bz):
        return unatleast(bz, like=arys)


@rule("numpy.atleast_2d", diff=("arys",), view=True)
def atleast_2d(*arys):
    """z = each array viewed with at least two dimensions (a 1-D array as one row); the adjoint reshapes bz back"""

    def tangent(darys):
        return np.atleast_2d(*darys)

    def adjoint(bz):
        return unatleast(bz, like=arys)


@rule("numpy.atleast_3d", diff=("arys",), view=True)
def atleast_3d(*arys):
    """z = each array viewed with at least 3 dimensions ((n,) as (1, n, 1), (m, n) as (m, n, 1)); bz reshaped back"""

    def tangent(darys):
        return np.atleast_3d(*darys)

    def adjoint(bz):
        return unatleast(bz, like=arys)


# ---- joined


@rule("numpy.column_stack", diff=("tup",))
def column_stack(tup):
    """z = the arrays joined along axis 1 (a 1-D array as one column); the adjoint cuts bz where they were joined"""

    def tangent(dtup):
        return np.column_stack(dtup)

    def adjoint(bz):
        return uncolumn_stack(bz, like=tup)


@rule("numpy.dstack", diff=("tup",))
def dstack(tup):
    """z = the arrays joined along axis 2 (each raised to 3-D first); the adjoint cuts bz where they were joined"""

    def tangent(dtup):
        return np.dstack(dtup)

    def adjoint(bz):
        return undstack(bz, like=tup)


# ---- reductions that ignore NaNs


@rule("numpy.nanmax")
def nanmax(a, axis=None, *, keepdims=False):
    """z = max of the non-NaN elements of a over axis: the derivative flows to the maximal ones"""

    # ties split equally, as for max; NaN entries (and slices of NaNs only, whose z is NaN) get 0
    def tangent(da, z):
        where_max = extremum_weights(a, z, axis=axis, keepdims=keepdims)
        return np.sum(where_max * np.where(np.isnan(a), 0.0, da), axis=axis, keepdims=keepdims)

    def adjoint(bz, z):
        where_max = extremum_weights(a, z, axis=axis, keepdims=keepdims)
        return where_max * unreduce(bz, like=a, axis=axis, keepdims=keepdims)


@rule("numpy.nanmin")
def nanmin(a, axis=None, *, keepdims=False):
    """z = min of the non-NaN elements of a over axis: the derivative flows to the minimal ones"""

    # ties split equally, as for min; NaN entries (and slices of NaNs only, whose z is NaN) get 0
    def tangent(da, z):
        where_min = extremum_weights(a, z, axis=axis, keepdims=keepdims)
        return np.sum(where_min * np.where(np.isnan(a), 0.0, da), axis=axis, keepdims=keepdims)

    def adjoint(bz, z):
        where_min = extremum_weights(a, z, axis=axis, keepdims=keepdims)
        return where_min * unreduce(bz, like=a, axis=axis, keepdims=keepdims)


@rule("numpy.nanvar")
def nanvar(a, axis=None, *, ddof=0, keepdims=False):
    """z = sum((a - m)**2) / (count - ddof) over the non-NaN a, m their mean: dz = 2 sum((a - m) da) / (count - ddof)"""

    # NaN entries get 0; where count - ddof <= 0 (z is NaN) the derivative is taken as 0 (divide_or_zero)
    def tangent(da):
        dof = nan_dof(a, axis=axis, keepdims=keepdims, ddof=ddof)
        centered = nan_centered(a, axis=axis)
        return divide_or_zero(2 * np.sum(centered * np.where(np.isnan(a), 0.0, da), axis=axis, keepdims=keepdims), dof)

    def adjoint(bz):
        dof = nan_dof(a, axis=axis, keepdims=keepdims, ddof=ddof)
        return 2 * nan_centered(a, axis=axis) * unreduce(divide_or_zero(bz, dof), like=a, axis=axis, keepdims=keepdims)


@rule("numpy.nanstd")
def nanstd(a, axis=None, *, ddof=0, keepdims=False):
    """z = sqrt(nanvar(a, axis, ddof)): dz = sum((a - nanmean(a)) da) / ((count - ddof) z) over the non-NaN elements"""

    # NaN entries get 0; a constant slice (z = 0, the kink) and count - ddof <= 0 get 0, as std does
    def tangent(da, z):
        dof = nan_dof(a, axis=axis, keepdims=keepdims, ddof=ddof)
        centered = nan_centered(a, axis=axis)
        return divide_or_zero(np.sum(centered * np.where(np.isnan(a), 0.0, da), axis=axis, keepdims=keepdims), dof * z)

    def adjoint(bz, z):
        dof = nan_dof(a, axis=axis, keepdims=keepdims, ddof=ddof)
        return nan_centered(a, axis=axis) * unreduce(divide_or_zero(bz, dof * z), like=a, axis=axis, keepdims=keepdims)


# ---- products


# 3-vectors only in reverse mode (numpy 2 deprecates 2-vectors): the adjoint refuses others clearly
@rule("numpy.cross", diff=("a", "b"))
def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """z = a x b (3-vectors along the axes, batched and broadcast): dz = da x b + a x db, ba = b x bz, bb = bz x a"""

    def tangent(da, db):
        return (np.cross(da, b, axisa=axisa, axisb=axisb, axisc=axisc, axis=axis)
                + np.cross(a, db, axisa=axisa, axisb=axisb, axisc=axisc, axis=axis))

    def adjoint(bz):
        return (cross_adjoint_lhs(bz, a, b, axisa=axisa, axisb=axisb, axisc=axisc, axis=axis),
                cross_adjoint_rhs(bz, a, b, axisa=axisa, axisb=axisb, axisc=axisc, axis=axis))


@rule("numpy.convolve", diff=("a", "v"))
def convolve(a, v, mode="full"):
    """z[k] = sum_i a[i] v[k - i] (cut to mode): dz = da * v + a * dv; ba, bv = the correlation of bz with v, a"""

    def tangent(da, dv):
        return np.convolve(da, v, mode=mode) + np.convolve(a, dv, mode=mode)

    def adjoint(bz):
        return unconvolve(bz, like=a, other=v, mode=mode), unconvolve(bz, like=v, other=a, mode=mode)


# differentiable in x and fp, not in the knots xp (a varying xp is refused), left, right or period:
# those are constants. At a knot, dz/dx is the slope of the segment on its right (JAX's choice); the
# derivative in fp exists everywhere (z is linear in fp)
@rule("numpy.interp", diff=("x", "fp"))
def interp(x, xp, fp, left=None, right=None, period=None):
    """z = the piecewise linear interpolant of (xp, fp) at x: dz = slope(x) dx + interp(x, xp, dfp)"""

    def tangent(dx, dfp):
        return (interp_slope(x, xp, fp, period=period) * dx
                + np.interp(x, xp, dfp, left=left * 0, right=right * 0, period=period))

    def adjoint(bz):
        return (interp_slope(x, xp, fp, period=period) * bz,
                uninterp(bz, x, xp, like=fp, left=left, right=right, period=period))
