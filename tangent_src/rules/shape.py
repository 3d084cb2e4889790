"""Data movement without arithmetic: transpose, reshape, copies."""

import numpy as np

from .registry import rule
from ..runtime import (  # noqa: F401  (names used by templates)
    List,
    inverse_axes,
    unarray,
    pack_like,
    unbroadcast,
    unconcatenate,
    unindex,
    unstack,
    with_item,
)


@rule("numpy.transpose", view=True)
def transpose(a, axes=None):
    """z = a with its axes permuted; the adjoint permutes them back"""

    def tangent(da):
        return np.transpose(da, axes=axes)

    def adjoint(bz):
        return np.transpose(bz, axes=inverse_axes(axes))


@rule("ndarray.T", view=True)
def T(a):
    """z = a.T, the reversed axes of a"""

    def tangent(da):
        return da.T

    def adjoint(bz):
        return bz.T


@rule("numpy.reshape", diff=("a",), view=True)
def reshape(a, shape, order="C"):
    """z = a with a new shape, same elements in the same order"""

    def tangent(da):
        return np.reshape(da, shape, order=order)

    def adjoint(bz):
        return np.reshape(bz, np.shape(a), order=order)


@rule("identity", view=True)
def identity(a):
    """z = a (a copy of a name: both names hold the same value)"""

    def tangent(da):
        return da

    def adjoint(bz):
        return bz


@rule("getitem", diff=("a",), view=True)
def getitem(a, index):
    """z = a[index]; the adjoint puts bz back where it was taken from (repeated indices add up)"""

    def tangent(da):
        return da[index]

    def adjoint(bz):
        return unindex(bz, like=a, index=index)


@rule("setitem", diff=("a", "value"))
def setitem(a, index, value):
    """z = a with z[index] = value; bz[index] goes to value, the rest of bz to a"""

    def tangent(da, dvalue):
        return with_item(da, index, dvalue)

    def adjoint(bz):
        return with_item(bz, index, 0.0), unbroadcast(bz[index], like=value)


@rule("unpack", view=True)
def unpack(a):
    """z1, z2, ... = a: each part's tangent is the matching part of da; the parts' adjoints pack back"""

    def tangent(da):
        return da

    def adjoint(bz):
        return pack_like(bz, like=a)


@rule("list.append", diff=("a", "value"))
def append(a, value):
    """z = a + [value] (`a.append(value)`): the last adjoint goes to value, the others to a"""

    def tangent(da, dvalue):
        return [*da, dvalue]

    def adjoint(bz):
        return bz[:-1], bz[-1]


@rule("numpy.stack", diff=("arrays",))
def stack(arrays, axis=0):
    """z = the arrays stacked along a new axis; the adjoint cuts bz back into them"""

    def tangent(darrays):
        return np.stack(darrays, axis=axis)

    def adjoint(bz):
        return unstack(bz, axis=axis)


@rule("numpy.concatenate", diff=("arrays",))
def concatenate(arrays, axis=0):
    """z = the arrays joined along an axis; the adjoint splits bz where they were joined"""

    def tangent(darrays):
        return np.concatenate(darrays, axis=axis)

    def adjoint(bz):
        return unconcatenate(bz, like=arrays, axis=axis)


@rule("numpy.array", diff=("object",), aliases=("numpy.asarray",))
def array(object, dtype=None):
    """z = an array made from a value (or nested lists of values); the adjoint cuts bz back into them"""

    def tangent(dobject):
        return np.array(dobject, dtype=dtype)

    def adjoint(bz):
        return unarray(bz, like=object)
