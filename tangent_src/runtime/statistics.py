"""Helpers of the reductions and statistics rules (prod, cumsum, cumprod, average, norm, ...).

Stage: none (run time); see tangent_src/runtime/__init__.py.
"""

import numpy as np

from .core import _positive_axes, _shape, divide_or_zero, extremum_weights

def _reduced_last(a, axis):
    """a with the axes of `axis` (all for None) moved last and merged into one; and how to undo it."""
    ndim = np.ndim(a)
    axes = tuple(range(ndim)) if axis is None else _positive_axes(axis, ndim)
    ends = tuple(range(ndim - len(axes), ndim))
    moved = np.moveaxis(a, axes, ends)
    kept = moved.shape[: ndim - len(axes)]
    size = 1
    for n in moved.shape[ndim - len(axes):]:
        size *= n
    return np.reshape(moved, kept + (size,)), (moved.shape, axes, ends)


def _restore(lanes, undo):
    shape, axes, ends = undo
    return np.moveaxis(np.reshape(lanes, shape), ends, axes)


def _shift(a, k, fill, axis=-1):
    """a moved k places forward along axis (k < 0: backward), the emptied places filled with `fill`."""
    a = np.moveaxis(a, axis, 0)
    pad = np.full_like(a[: abs(k)], fill)
    shifted = np.concatenate([pad, a[:-k]]) if k > 0 else np.concatenate([a[-k:], pad])
    return np.moveaxis(shifted, 0, axis)


def _exclusive_cumprod(a, axis=-1):
    """p[i] = a[0] * ... * a[i-1] along axis (1 for i = 0): the product of the elements before i."""
    return _shift(np.cumprod(a, axis=axis), 1, 1, axis)


def prod_others(a, axis=None):
    """For z = prod(a, axis): dz/da[i] = the product of the other elements of i's slice.

    Computed as (product of the elements before i) * (product of those after i),
    never dividing z by a[i]: with one zero in a slice, the zero's entry is the
    product of the rest and the others are 0; with two or more zeros all are 0.
    """
    if np.ndim(a) == 0:
        return a ** 0  # 1, of a's type and on its device, a Python float included (x ** 0 = 1 for any x)
    lanes, undo = _reduced_last(a, axis)
    before = _exclusive_cumprod(lanes)
    after = np.flip(_exclusive_cumprod(np.flip(lanes, -1)), -1)
    return _restore(before * after, undo)


def uncumsum(g, like, axis=None):
    """Adjoint of z = cumsum(a, axis): a[i] enters every z[j] with j >= i, so ba[i] = sum_{j >= i} bz[j],
    a cumulative sum taken from the end (along the flattened a when axis is None)."""
    if axis is None:
        return np.reshape(np.flip(np.cumsum(np.flip(np.reshape(g, (-1,))))), np.shape(like))
    return np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis)


def _linear_scan(a, b, axis):
    """y[j] = a[j] * y[j-1] + b[j] along axis, y[-1] = 0: the first-order linear recurrence,
    solved in ceil(log2 n) vectorized doubling steps (each step composes the maps
    y -> a y + b of two neighbouring windows), with no division."""
    n = np.shape(a)[axis]
    k = 1
    while k < n:
        b = a * _shift(b, k, 0, axis) + b
        a = a * _shift(a, k, 1, axis)
        k *= 2
    return b


def cumprod_tangent(da, a, axis=None):
    """Tangent of z = cumprod(a, axis): dz[j] = a[j] dz[j-1] + z[j-1] da[j] (z[-1] = 1, dz[-1] = 0),
    that is dz[j] = sum_{i <= j} da[i] prod_{k <= j, k != i} a[k]. Solved as a linear recurrence,
    without dividing by a: exact where a has zeros."""
    if axis is None:
        a, da, axis = np.reshape(a, (-1,)), np.reshape(da, (-1,)), 0
    return _linear_scan(a, _exclusive_cumprod(a, axis) * da, axis)


def cumprod_adjoint(g, a, axis=None):
    """Adjoint of z = cumprod(a, axis): ba[i] = z[i-1] w[i], with w[i] = sum_{j >= i} g[j] prod_{i < k <= j} a[k],
    the recurrence w[i] = g[i] + a[i+1] w[i+1] run from the end. No division: exact where a has zeros."""
    flat = axis is None
    if flat:
        g, axis = np.reshape(g, (-1,)), 0
        shape, a = np.shape(a), a * np.ones_like(g) if np.ndim(a) == 0 else np.reshape(a, (-1,))  # on g's device
    next_a = _shift(a, -1, 1, axis)  # a[i+1], 1 past the end
    w = np.flip(_linear_scan(np.flip(next_a, axis), np.flip(g, axis), axis), axis)
    ba = _exclusive_cumprod(a, axis) * w
    return np.reshape(ba, shape) if flat else ba


def spread_weights(weights, like, axis=None):
    """The weights of np.average(like, axis, weights) on like's elements: weights shaped like `like`
    as they are, 1-D (or one per axis of a tuple axis) weights put along axis, ones without weights."""
    if weights is None:
        return like ** 0  # ones shaped and placed like `like`, a Python float included (x ** 0 = 1 for any x)
    shape = _shape(like)
    if _shape(weights) == shape:
        return weights
    axes = _positive_axes(axis, len(shape))
    w = np.transpose(weights, tuple(sorted(range(len(axes)), key=axes.__getitem__)))
    return np.reshape(w, tuple(n if i in axes else 1 for i, n in enumerate(shape))) * np.ones_like(like)


def unspread_weights(g, like, axis=None):
    """Adjoint of spread_weights: g, shaped like the averaged array, summed back to the weights' shape."""
    shape = _shape(g)
    if _shape(like) == shape:
        return g
    axes = _positive_axes(axis, len(shape))
    g = np.sum(g, axis=tuple(i for i in range(len(shape)) if i not in axes))
    return np.transpose(g, tuple(sorted(axes).index(i) for i in axes))


def _keep_reduced(z, ndim, axis, keepdims):
    """z, a reduction over axis, with the reduced axes put back as length-1 axes."""
    if keepdims or np.ndim(z) == ndim:
        return z
    if axis is None:
        return np.reshape(z, (1,) * ndim)
    return np.expand_dims(z, _positive_axes(axis, ndim))


def exp_minus(a, z, axis=None, keepdims=False):
    """exp(a - z), z a reduction of a over axis put back along the reduced axes.

    For z = logsumexp(a, axis) these are the softmax weights exp(a) / sum(exp(a)),
    computed without overflow: a - z <= 0 (up to log of the weights b).
    """
    return np.exp(a - _keep_reduced(z, np.ndim(a), axis, keepdims))


def untrace(g, like, offset=0, axis1=0, axis2=1):
    """Adjoint of z = trace(a, offset, axis1, axis2): g put on the diagonal
    a[..., i, i + offset] (over axes axis1, axis2) of zeros shaped like a."""
    moved = np.moveaxis(np.ones_like(like), (axis1, axis2), (-2, -1))
    diagonal = np.triu(np.tril(moved, offset), offset)  # 1 where j - i == offset
    return np.moveaxis(diagonal * np.expand_dims(g, (-2, -1)), (-2, -1), (axis1, axis2))


_NORM_ORDERS = ("vectors: None, 2, 1, inf, -inf, 0 and any other number p; matrices (2-D, or axis a pair): "
                "None, 'fro', 'nuc', 2, -2, 1, -1, inf, -inf")


def norm_gradient(x, z, ord=None, axis=None, keepdims=False):
    """dz/dx for z = np.linalg.norm(x, ord, axis, keepdims), shaped like x:
    dz = sum(norm_gradient * dx, axis) and bx = norm_gradient * bz (spread along axis).

    Vectors: x / z for the 2-norm; sign(x) for ord 1; sign(x) |x|^(p-1) / z^(p-1) for ord p;
    for ord +-inf, sign(x) on the largest (smallest) |x|, split equally at ties.
    Matrices: x / z for Frobenius; u1 v1^T for ord 2 (-2: the smallest singular pair);
    U V^T for 'nuc'; for ord 1 (inf), sign(x) on the column (row) of largest absolute sum.
    Judgement calls: the 2-norm of a zero vector gets 0 (a subgradient); a repeated extreme
    singular value gets the pair LAPACK returns (one subgradient among many).
    """
    ndim = np.ndim(x)
    if axis is None:
        axes = tuple(range(ndim))
        matrix = ord is not None and ndim == 2
    else:
        axes = _positive_axes(axis, ndim)
        matrix = len(axes) == 2
    zk = _keep_reduced(z, ndim, axes, keepdims)
    if matrix:
        return _matrix_norm_gradient(x, zk, ord, axes)
    if ord is None or ord == 2:
        return divide_or_zero(x, zk)
    magnitude = np.abs(x)
    if ord == np.inf or ord == -np.inf:
        extreme = np.max if ord > 0 else np.min
        return np.sign(x) * extremum_weights(magnitude, extreme(magnitude, axis=axes, keepdims=True), axes, True)
    if ord == 0:
        return np.zeros_like(x)  # the number of nonzero entries: piecewise constant
    if ord == 1:
        return np.sign(x)
    if isinstance(ord, (int, float)):
        return np.sign(x) * divide_or_zero(magnitude ** (ord - 1), zk ** (ord - 1))
    raise ValueError(f"the derivative of np.linalg.norm is implemented for ord = {_NORM_ORDERS}; got ord={ord!r}")


def _matrix_norm_gradient(x, zk, ord, axes):
    if ord is None or ord == "fro":
        return divide_or_zero(x, zk)
    rows, cols = axes
    if ord in (1, -1, np.inf, -np.inf):
        summed, across = (rows, cols) if ord in (1, -1) else (cols, rows)  # 1: column sums; inf: row sums
        sums = np.sum(np.abs(x), axis=summed, keepdims=True)
        extreme = np.max if ord > 0 else np.min
        return np.sign(x) * extremum_weights(sums, extreme(sums, axis=across, keepdims=True), across, True)
    if ord in (2, -2, "nuc"):
        u, s, vh = np.linalg.svd(np.moveaxis(x, axes, (-2, -1)), full_matrices=False)
        if ord == "nuc":
            g = np.matmul(u, vh)
        else:
            k = 0 if ord == 2 else -1  # singular values come sorted, largest first
            g = u[..., :, k, None] * vh[..., None, k, :]
        return np.moveaxis(g, (-2, -1), axes)
    raise ValueError(f"the derivative of np.linalg.norm is implemented for ord = {_NORM_ORDERS}; got ord={ord!r}")


def nan_centered(a, axis=None):
    """a - nanmean(a, axis) at the non-NaN elements of a, and 0 at its NaNs: the deviations that
    nanvar squares and sums (dz = 2 sum(centered da, axis) / (count - ddof))."""
    missing = np.isnan(a)
    mean = np.sum(np.where(missing, 0.0, a), axis=axis, keepdims=True) / np.maximum(
        np.sum(~missing, axis=axis, keepdims=True), 1)
    return np.where(missing, 0.0, a - mean)[()]  # [()]: a float's deviation is a numpy scalar, not a 0-d array


def nan_dof(a, axis=None, keepdims=False, ddof=0):
    """count - ddof, count the non-NaN elements of each slice of a along axis; 0 where that is not
    positive (nanvar is NaN there; divide_or_zero then takes its derivative as 0)."""
    return np.maximum(np.sum(~np.isnan(a), axis=axis, keepdims=keepdims) - ddof, 0)
