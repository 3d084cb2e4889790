"""Reductions over axes: sum, mean, max, min, with `axis` and `keepdims`."""

import numpy as np

from .registry import rule
from ..runtime import (  # noqa: F401  (names used by templates)
    broadcast_like, extremum_weights, reduced_size, unbroadcast, unlist, unreduce, unsum)


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
