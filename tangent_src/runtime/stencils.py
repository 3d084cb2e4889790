"""Helpers of the stencil rules (rules/stencils.py): np.gradient and sliding_window_view.

Stage: none (run time); see tangent_src/runtime/__init__.py. Both primitives are linear in
their array; the adjoints apply the transposed operators, without np.add.at and without
leaving the array's device.
"""

import numpy as np

from .core import _shape


def _gradient_axes(axis, ndim):
    """The axes np.gradient differentiates along, as non-negative ints."""
    if axis is None:
        return list(range(ndim))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    return [int(a) % ndim for a in axes]


def _gradient_spacings(spacing, count):
    """One spacing per differentiated axis (a number or a 1-D array of coordinates), as np.gradient
    reads its varargs: none (1 everywhere), one number for all axes, or one per axis."""
    spacing = tuple(spacing)
    if not spacing:
        return [1.0] * count
    if len(spacing) == 1 and np.ndim(spacing[0]) == 0:
        return [spacing[0]] * count
    if len(spacing) != count:
        raise ValueError(f"np.gradient got {len(spacing)} spacings for {count} axes")
    return list(spacing)


def gradient_tangent(df, spacing=(), axis=None, edge_order=1):
    """Tangent of z = np.gradient(f, *spacing, axis, edge_order): the same differences of df (linear in f)."""
    return np.gradient(df, *spacing, axis=axis, edge_order=edge_order)


def ungradient(g, like, spacing=(), axis=None, edge_order=1):
    """Adjoint of z = np.gradient(f, *spacing, axis, edge_order) for f (like=f): the sum over the
    differentiated axes of G_axis^T g_axis, G_axis the difference operator along that axis.

    z is one array for one axis, a tuple of them (one per axis) for several.
    """
    axes = _gradient_axes(axis, len(_shape(like)))
    spacings = _gradient_spacings(spacing, len(axes))
    parts = [g] if len(axes) == 1 else list(g)
    total = 0.0
    for part, ax, h in zip(parts, axes, spacings):
        total = total + np.moveaxis(_transposed_differences(np.moveaxis(part, ax, 0), h, edge_order), 0, ax)
    return total


def _probe(g, n, start, stop, step=1):
    """A vector of n zeros made like g, with ones at start:stop:step."""
    out = np.zeros_like(g, shape=(n,))
    out[start:stop:step] = 1.0
    return out


def _transposed_differences(g, h, edge_order):
    """G^T g along axis 0, G the operator np.gradient applies along that axis with spacing h.

    Row i of G reads at most three neighbouring elements, columns s_i, s_i + 1, s_i + 2 with
    s_i = clip(i - 1, 0, n - 3) (two columns when n = 2), whose indices differ modulo m = min(n, 3).
    So np.gradient of the comb P_r (ones at the indices = r mod m) gives, in row i, G's entry in
    the column of residue r: q_r = G P_r. Then (G^T g)[j] = sum over the rows i reading j of
    q_r[i] g[i], r = j mod m: the interior rows j - 1, j, j + 1, row 0 if j < m and row n - 1 if
    j >= n - m; every step an elementwise product or a shift.
    """
    n = np.shape(g)[0]
    m = min(n, 3)
    column = (n,) + (1,) * (np.ndim(g) - 1)
    interior = np.reshape(_probe(g, n, 1, n - 1), column)
    first = np.reshape(_probe(g, n, 0, m), column)
    last = np.reshape(_probe(g, n, n - m, n), column)
    total = 0.0
    for r in range(m):
        comb = _probe(g, n, r, n, m)
        weighted = np.reshape(np.gradient(comb, h, edge_order=edge_order), column) * g
        inner = weighted * interior
        near = inner + _shifted(inner, 1) + _shifted(inner, -1)
        edges = first * weighted[:1] + last * weighted[-1:]
        total = total + np.reshape(comb, column) * (near + edges)
    return total


def _shifted(x, k):
    """x moved k places along axis 0 (k > 0: towards higher indices), zeros coming in."""
    pad = np.zeros_like(x, shape=(abs(k),) + np.shape(x)[1:])
    if k > 0:
        return np.concatenate([pad, x[:-k]])
    return np.concatenate([x[-k:], pad])


def _window_axes(x, window_shape, axis):
    """sliding_window_view's (window lengths, the axis of x each one slides along)."""
    shape = (window_shape,) if np.ndim(window_shape) == 0 else tuple(window_shape)
    if axis is None:
        axes = list(range(len(_shape(x))))
    else:
        axes = [axis] if np.ndim(axis) == 0 else list(axis)
    return [int(w) for w in shape], [int(a) % len(_shape(x)) for a in axes]


def unsliding_window(g, like, window_shape, axis=None):
    """Adjoint of z = sliding_window_view(x, window_shape, axis) for x (like=x).

    z[..., i, ..., k] = x[..., i + k, ...]: every window offset k (a tuple, one per window axis)
    adds the slice g[..., k] to x's adjoint at positions shifted by k (the offsets of windows
    sliding along the same axis add up). A loop over the offsets, each a padded copy.
    """
    sizes, axes = _window_axes(like, window_shape, axis)
    shape = _shape(like)
    lead = np.ndim(g) - len(sizes)
    total = 0.0
    for offset in np.ndindex(*sizes):
        part = g[(Ellipsis,) + offset]
        shifts = [0] * len(shape)
        for k, ax in zip(offset, axes):
            shifts[ax] += k
        pads = [(s, n - m - s) for s, n, m in zip(shifts, shape, np.shape(part)[:lead])]
        total = total + np.pad(part, pads)
    return total
