"""Statistics over axes: prod, var, std, cumsum, cumprod, average, nansum, nanmean,
linalg.norm, trace, ptp and scipy's logsumexp, with `axis`, `keepdims` and negative axes.

The algorithms (products of the other elements without dividing, linear
recurrences, singular vectors) live in runtime helpers; the templates read like
the math. max and min (and their aliases amax, amin) are in reductions.py.
"""

import numpy as np

from .registry import array_method, positive, rule
from ..runtime import (  # noqa: F401  (names used by templates)
    cumprod_adjoint,
    cumprod_tangent,
    divide_or_zero,
    exp_minus,
    extremum_weights,
    norm_gradient,
    prod_others,
    reduced_size,
    spread_weights,
    unbroadcast,
    uncumsum,
    unreduce,
    unspread_weights,
    untrace,
)

@rule("numpy.prod")
def prod(a, axis=None, *, keepdims=False):
    """z = prod(a, axis): dz/da[i] = the product of the other elements of i's slice"""

    # prod_others never divides z by a[i]: one zero in a slice gives its entry the product of the
    # rest and the others 0; two or more zeros give 0 everywhere (the exact derivative in both cases)
    def tangent(da):
        return np.sum(prod_others(a, axis=axis) * da, axis=axis, keepdims=keepdims)

    def adjoint(bz):
        return prod_others(a, axis=axis) * unreduce(bz, like=a, axis=axis, keepdims=keepdims)


@rule("numpy.var")
def var(a, axis=None, *, ddof=0, keepdims=False):
    """z = sum((a - mean(a))**2, axis) / (n - ddof): dz = 2 sum((a - mean(a)) da, axis) / (n - ddof)"""

    def tangent(da, z):
        centered = a - np.mean(a, axis=axis, keepdims=True)
        return 2 * np.sum(centered * da, axis=axis, keepdims=keepdims) / (reduced_size(a, z) - ddof)

    def adjoint(bz, z):
        centered = a - np.mean(a, axis=axis, keepdims=True)
        return 2 * centered * unreduce(bz, like=a, axis=axis, keepdims=keepdims) / (reduced_size(a, z) - ddof)


@rule("numpy.std")
def std(a, axis=None, *, ddof=0, keepdims=False):
    """z = sqrt(var(a, axis, ddof)): dz = sum((a - mean(a)) da, axis) / ((n - ddof) z)"""

    # a constant slice (z = 0) is a kink, like |x| at 0: its derivative is taken as 0, a subgradient
    # (divide_or_zero), rather than the NaN of 0 / 0
    def tangent(da, z):
        centered = a - np.mean(a, axis=axis, keepdims=True)
        return divide_or_zero(np.sum(centered * da, axis=axis, keepdims=keepdims), (reduced_size(a, z) - ddof) * z)

    def adjoint(bz, z):
        centered = a - np.mean(a, axis=axis, keepdims=True)
        return centered * unreduce(divide_or_zero(bz, (reduced_size(a, z) - ddof) * z), like=a, axis=axis,
                                   keepdims=keepdims)


@rule("numpy.cumsum")
def cumsum(a, axis=None):
    """z[j] = sum_{i <= j} a[i] along axis (of the flattened a for axis None); ba[i] = sum_{j >= i} bz[j]"""

    def tangent(da):
        return np.cumsum(da, axis=axis)

    def adjoint(bz):
        return uncumsum(bz, like=a, axis=axis)


@rule("numpy.cumprod")
def cumprod(a, axis=None):
    """z[j] = prod_{i <= j} a[i] along axis: dz[j] = a[j] dz[j-1] + z[j-1] da[j]"""

    # the helpers solve this recurrence (and its transpose) without dividing by a, so the
    # derivative is exact where a has zeros, not only where it has none
    def tangent(da):
        return cumprod_tangent(da, a, axis=axis)

    def adjoint(bz):
        return cumprod_adjoint(bz, a, axis=axis)


@rule("numpy.average", diff=("a", "weights"))
def average(a, axis=None, weights=None, *, keepdims=False):
    """z = sum(w a, axis) / sum(w, axis), w the weights along axis: dz = sum(w da + dw (a - z), axis) / sum(w, axis)"""

    def tangent(da, dweights, z):
        w = spread_weights(weights, like=a, axis=axis)
        deviation = a - unreduce(z, like=a, axis=axis, keepdims=keepdims)
        return np.sum(w * da + spread_weights(dweights, like=a, axis=axis) * deviation, axis=axis,
                      keepdims=keepdims) / np.sum(w, axis=axis, keepdims=keepdims)

    def adjoint(bz, z):
        w = spread_weights(weights, like=a, axis=axis)
        deviation = a - unreduce(z, like=a, axis=axis, keepdims=keepdims)
        g = unreduce(bz / np.sum(w, axis=axis, keepdims=keepdims), like=a, axis=axis, keepdims=keepdims)
        return w * g, unspread_weights(deviation * g, like=weights, axis=axis)


@rule("numpy.nansum")
def nansum(a, axis=None, *, keepdims=False):
    """z = sum of the non-NaN elements of a over axis: NaN entries get a zero derivative"""

    def tangent(da):
        return np.sum(np.where(np.isnan(a), 0.0, da), axis=axis, keepdims=keepdims)

    def adjoint(bz):
        return np.where(np.isnan(a), 0.0, unreduce(bz, like=a, axis=axis, keepdims=keepdims))


@rule("numpy.nanmean")
def nanmean(a, axis=None, *, keepdims=False):
    """z = nansum(a, axis) / count, count the non-NaN elements: NaN entries get a zero derivative"""

    # a slice of NaNs only has no elements to spread bz over: its derivative is 0 (divide_or_zero)
    def tangent(da):
        count = np.sum(~np.isnan(a), axis=axis, keepdims=keepdims)
        return divide_or_zero(np.sum(np.where(np.isnan(a), 0.0, da), axis=axis, keepdims=keepdims), count)

    def adjoint(bz):
        count = np.sum(~np.isnan(a), axis=axis, keepdims=keepdims)
        return np.where(np.isnan(a), 0.0, unreduce(divide_or_zero(bz, count), like=a, axis=axis, keepdims=keepdims))


@rule("numpy.linalg.norm")
def norm(x, ord=None, axis=None, keepdims=False):
    """z = ||x|| over axis: dz = sum(g dx, axis), g = dz/dx (x / z for the 2-norm and Frobenius norm)"""

    # norm_gradient documents each ord, the 0 taken at a zero vector and the choice at repeated singular values
    def tangent(dx, z):
        return np.sum(norm_gradient(x, z, ord=ord, axis=axis, keepdims=keepdims) * dx, axis=axis, keepdims=keepdims)

    def adjoint(bz, z):
        return norm_gradient(x, z, ord=ord, axis=axis, keepdims=keepdims) * unreduce(bz, like=x, axis=axis,
                                                                                      keepdims=keepdims)


@rule("numpy.trace")
def trace(a, offset=0, axis1=0, axis2=1):
    """z = sum_i a[..., i, i + offset] over axes axis1, axis2: linear; bz goes back onto that diagonal"""

    def tangent(da):
        return np.trace(da, offset=offset, axis1=axis1, axis2=axis2)

    def adjoint(bz):
        return untrace(bz, like=a, offset=offset, axis1=axis1, axis2=axis2)


@rule("numpy.ptp")
def ptp(a, axis=None, *, keepdims=False):
    """z = max(a, axis) - min(a, axis): the derivative is +1 at the maximum and -1 at the minimum"""

    # ties split equally, as for max and min; a constant slice gets 0 (its max and min weights cancel)
    def tangent(da):
        where_max = extremum_weights(a, np.max(a, axis=axis, keepdims=True), axis=axis, keepdims=True)
        where_min = extremum_weights(a, np.min(a, axis=axis, keepdims=True), axis=axis, keepdims=True)
        return np.sum((where_max - where_min) * da, axis=axis, keepdims=keepdims)

    def adjoint(bz):
        where_max = extremum_weights(a, np.max(a, axis=axis, keepdims=True), axis=axis, keepdims=True)
        where_min = extremum_weights(a, np.min(a, axis=axis, keepdims=True), axis=axis, keepdims=True)
        return (where_max - where_min) * unreduce(bz, like=a, axis=axis, keepdims=keepdims)


# b=1.0 here stands for scipy's default b=None (no weights), so that the templates need no case for it
@rule("scipy.special.logsumexp", diff=("a", "b"), domain={"b": positive})
def logsumexp(a, axis=None, b=1.0, keepdims=False):
    """z = log(sum(b exp(a), axis)): dz = sum(exp(a - z) (b da + db), axis), exp(a - z) <= 1/b never overflows"""

    def tangent(da, db, z):
        e = exp_minus(a, z, axis=axis, keepdims=keepdims)
        return np.sum(b * e * da + e * db, axis=axis, keepdims=keepdims)

    def adjoint(bz, z):
        e = exp_minus(a, z, axis=axis, keepdims=keepdims)
        g = unreduce(bz, like=e, axis=axis, keepdims=keepdims)
        return unbroadcast(b * e * g, like=a), unbroadcast(e * g, like=b)


for _name in ("prod", "var", "std", "cumsum", "cumprod", "trace"):
    array_method(_name, f"numpy.{_name}")
# ndarray.ptp was removed in numpy 2.0: only np.ptp(x) is spelled
