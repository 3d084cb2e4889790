"""Reductions over axes: sum, mean, max, min, with `axis` and `keepdims`."""

import numpy as np

from .registry import rule
from ..runtime import (  # noqa: F401  (names used by templates)
    broadcast_like, extremum_weights, quantile_weights, reduced_size, unbroadcast, unlist, unouter_left,
    unouter_right, unreduce, unsum)


@rule("numpy.sum", total_of="a")
def sum(a, axis=None, *, keepdims=False):
    """z = sum(a, axis): each element of a counts once in the sum of its axis"""

    def tangent(da):
        return np.sum(da, axis=axis, keepdims=keepdims)

    def adjoint(bz):
        return unreduce(bz, like=a, axis=axis, keepdims=keepdims)


@rule("numpy.mean")
def mean(a, axis=None, *, keepdims=False):
    """z = mean(a, axis) = sum(a, axis) / n, n the number of elements reduced"""

    def tangent(da):
        return np.mean(da, axis=axis, keepdims=keepdims)

    def adjoint(bz, z):
        return unreduce(bz, like=a, axis=axis, keepdims=keepdims) / reduced_size(a, z)


@rule("numpy.max", aliases=("numpy.amax",))
def max(a, axis=None, *, keepdims=False):
    """z = max(a, axis): the derivative flows to the maximal elements (split equally at ties)"""

    def tangent(da, z):
        where_max = extremum_weights(a, z, axis=axis, keepdims=keepdims)
        return np.sum(where_max * da, axis=axis, keepdims=keepdims)

    def adjoint(bz, z):
        where_max = extremum_weights(a, z, axis=axis, keepdims=keepdims)
        return where_max * unreduce(bz, like=a, axis=axis, keepdims=keepdims)


@rule("numpy.min", aliases=("numpy.amin",))
def min(a, axis=None, *, keepdims=False):
    """z = min(a, axis): the derivative flows to the minimal elements (split equally at ties)"""

    def tangent(da, z):
        where_min = extremum_weights(a, z, axis=axis, keepdims=keepdims)
        return np.sum(where_min * da, axis=axis, keepdims=keepdims)

    def adjoint(bz, z):
        where_min = extremum_weights(a, z, axis=axis, keepdims=keepdims)
        return where_min * unreduce(bz, like=a, axis=axis, keepdims=keepdims)


@rule("builtins.list", diff=("iterable",))
def builtin_list(iterable):
    """z = list(iterable): its items as a list (the rows of an array); the tangent is the list of
    the items' tangents, the adjoint the items' adjoints given back as the iterable held them"""

    def tangent(diterable):
        return list(diterable)

    def adjoint(bz):
        return unlist(bz, like=iterable)


@rule("builtins.tuple", diff=("iterable",))
def builtin_tuple(iterable):
    """z = tuple(iterable): its items as a tuple; as list(iterable)"""

    def tangent(diterable):
        return tuple(diterable)

    def adjoint(bz):
        return unlist(bz, like=iterable)


@rule("builtins.sum", diff=("iterable", "start"))
def builtin_sum(iterable, start=0):
    """z = start + sum(items), Python's builtin: dz = dstart + the sum of the items' tangents; the
    adjoint of every item, and of start, is bz (summed back to the shape of each)"""

    def tangent(diterable, dstart, z):
        # the items and start broadcast against each other: a tangent narrower than z is widened
        return broadcast_like(sum(diterable) + dstart, like=z)

    def adjoint(bz):
        return unsum(bz, like=iterable), unbroadcast(bz, like=start)


@rule("numpy.quantile", diff=("a",))
def quantile(a, q, axis=None, *, keepdims=False):
    """z = the q-quantile of a (linear interpolation): the derivative flows to the two order
    statistics around q (n - 1), weighted 1 - f and f"""

    def tangent(da):
        weights = quantile_weights(a, q, axis=axis)
        return np.sum(weights * da, axis=axis, keepdims=keepdims)

    def adjoint(bz):
        weights = quantile_weights(a, q, axis=axis)
        return weights * unreduce(bz, like=a, axis=axis, keepdims=keepdims)


@rule("numpy.percentile", diff=("a",))
def percentile(a, q, axis=None, *, keepdims=False):
    """z = the q-th percentile of a: the quantile at q / 100"""

    def tangent(da):
        weights = quantile_weights(a, q / 100, axis=axis)
        return np.sum(weights * da, axis=axis, keepdims=keepdims)

    def adjoint(bz):
        weights = quantile_weights(a, q / 100, axis=axis)
        return weights * unreduce(bz, like=a, axis=axis, keepdims=keepdims)


@rule("numpy.median", diff=("a",))
def median(a, axis=None, *, keepdims=False):
    """z = the median of a: the quantile at 1/2 (the middle element, or the mean of the two middle ones)"""

    def tangent(da):
        weights = quantile_weights(a, 0.5, axis=axis)
        return np.sum(weights * da, axis=axis, keepdims=keepdims)

    def adjoint(bz):
        weights = quantile_weights(a, 0.5, axis=axis)
        return weights * unreduce(bz, like=a, axis=axis, keepdims=keepdims)


@rule("numpy.add.outer", diff=("a", "b"))
def add_outer(a, b):
    """z[i..., j...] = a[i...] + b[j...]: bz summed over b's axes goes to a, over a's axes to b"""

    def tangent(da, db):
        return np.add.outer(da, db)

    def adjoint(bz):
        return unouter_left(bz, like=a), unouter_right(bz, like=b)


@rule("numpy.subtract.outer", diff=("a", "b"))
def subtract_outer(a, b):
    """z[i..., j...] = a[i...] - b[j...] (pairwise differences)"""

    def tangent(da, db):
        return np.subtract.outer(da, db)

    def adjoint(bz):
        return unouter_left(bz, like=a), -unouter_right(bz, like=b)


@rule("numpy.multiply.outer", diff=("a", "b"))
def multiply_outer(a, b):
    """z[i..., j...] = a[i...] * b[j...]: ba contracts bz with b over b's axes, bb with a over a's"""

    def tangent(da, db, z):
        return np.multiply.outer(da, b) + np.multiply.outer(a, db)

    def adjoint(bz):
        return np.tensordot(bz, b, axes=np.ndim(b)), np.tensordot(a, bz, axes=np.ndim(a))
