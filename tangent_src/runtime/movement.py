"""Helpers of the data-movement rules (stacking, tiling, repeating, padding, taking, sorting,
differences, interpolation).

Stage: none (run time); see tangent_src/runtime/__init__.py.
"""

import numpy as np

from .core import List, _shape, pieces_along, scatter_add, size_of, unbroadcast

# ---------------------------------------------------------------- data movement and scipy.special
# (rules/movement.py and rules/special.py)


def _unjoin_items(g, like, axis, ndmin):
    """g cut where np.concatenate joined the items of like along axis, each item first raised
    to ndmin dimensions (as np.hstack and np.vstack do), and each piece shaped like its item."""
    sizes = [np.shape(a)[axis] if np.ndim(a) >= ndmin else 1 for a in like]
    pieces = [np.reshape(p, np.shape(a)) for p, a in zip(pieces_along(g, sizes, axis), like)]
    return List(pieces) if isinstance(like, (list, tuple)) else np.stack(pieces)


def unhstack(g, like):
    """Adjoint of np.hstack(arrays): g split where the arrays were joined, along axis 1
    (axis 0 when they are 1-D or scalars), one piece per array."""
    first = next(iter(like))
    return _unjoin_items(g, like, axis=0 if np.ndim(first) <= 1 else 1, ndmin=1)


def unvstack(g, like):
    """Adjoint of np.vstack(arrays): g split along axis 0 where the arrays were joined
    (a 1-D array was one row), one piece per array."""
    return _unjoin_items(g, like, axis=0, ndmin=2)


def untile(g, like, reps):
    """Adjoint of np.tile(a, reps): every copy of a adds its share of g.

    g, of shape (r1 * n1, r2 * n2, ...), is viewed as (r1, n1, r2, n2, ...), r the
    repetitions and n the shape of a (both padded with leading 1s to the same
    length, as np.tile does), and summed over the repetition axes.
    """
    reps = tuple(reps) if isinstance(reps, (tuple, list)) else (reps,)
    shape = _shape(like)
    ndim = max(len(reps), len(shape))
    reps = (1,) * (ndim - len(reps)) + reps
    full = (1,) * (ndim - len(shape)) + shape
    paired = tuple(k for pair in zip(reps, full) for k in pair)
    summed = np.sum(np.reshape(g, paired), axis=tuple(range(0, 2 * ndim, 2)))
    return np.reshape(summed, shape)


def unrepeat(g, like, repeats, axis=None):
    """Adjoint of np.repeat(a, repeats, axis): each element of a gets the sum of g over its copies.

    With one count r for every element, g is viewed as (..., n, r, ...) and summed
    over the copies; with a count per element, the copies are added back one by
    one (np.add.at). Without an axis, a was flattened first.
    """
    shape = _shape(like)
    if axis is None:
        return np.reshape(_unrepeat_along(g, (_element_count(shape),), repeats, 0), shape)
    return _unrepeat_along(g, shape, repeats, axis % len(shape))


def _unrepeat_along(g, shape, repeats, axis):
    counts = list(repeats) if np.ndim(repeats) else [repeats]
    if len(counts) == 1:  # one count for all (a list of one broadcasts too)
        copies = shape[:axis] + (shape[axis], int(counts[0])) + shape[axis + 1:]
        return np.sum(np.reshape(g, copies), axis=axis + 1)
    source = [i for i, r in enumerate(counts) for _ in range(int(r))]  # the element each copy came from
    out = np.zeros_like(g, shape=(shape[axis],) + shape[:axis] + shape[axis + 1:])
    return np.moveaxis(scatter_add(out, source, np.moveaxis(g, axis, 0)), 0, axis)


def unroll(g, shift, axis=None):
    """Adjoint of np.roll(a, shift, axis): g rolled back, by -shift."""
    back = tuple(-s for s in shift) if isinstance(shift, (tuple, list)) else -shift
    return np.roll(g, back, axis=axis)


def constant_only(mode):
    """The pad mode, which must be "constant": np.pad's derivative is known for constant padding only."""
    if isinstance(mode, str) and mode == "constant":
        return mode
    raise ValueError(
        f"the derivative of np.pad is implemented for mode='constant' only (got mode={mode!r}); "
        "pad with a constant, or build the border from slices with np.concatenate"
    )


def unpad(g, pad_width, mode="constant"):
    """Adjoint of np.pad(a, pad_width) with constant padding: the block of g where a was
    placed (the padding constants do not depend on a)."""
    constant_only(mode)
    pairs = _pad_pairs(pad_width, len(_shape(g)))
    return g[tuple(slice(before, n - after) for (before, after), n in zip(pairs, _shape(g)))]


def _pad_pairs(width, ndim):
    """np.pad's pad_width, in any of its forms (n, (n,), (before, after), one pair per axis,
    or a dict axis -> width), as one (before, after) pair per axis."""
    if isinstance(width, dict):
        pairs = [(0, 0)] * ndim
        for axis, w in width.items():
            pairs[axis] = _pad_pairs(w, 1)[0]
        return pairs
    if hasattr(width, "tolist"):  # a numpy array of widths (host data, like a tuple)
        width = width.tolist()
    rows = width if isinstance(width, (tuple, list)) and isinstance(width[0], (tuple, list)) else [width]
    rows = [tuple(r) if isinstance(r, (tuple, list)) else (r,) for r in rows]
    if len(rows) == 1:
        rows = rows * ndim
    return [(int(r[0]), int(r[-1])) for r in rows]


def untake(g, like, indices, axis=None, mode="raise"):
    """Adjoint of np.take(a, indices, axis): g added back at the indices along axis, in zeros
    shaped like a; an index taken several times gets the sum of its copies (np.add.at).
    Without an axis, a was flattened first."""
    shape = _shape(like)
    if axis is None:
        return np.reshape(_untake_along(g, (_element_count(shape),), indices, 0, mode), shape)
    return _untake_along(g, shape, indices, axis % len(shape), mode)


def _untake_along(g, shape, indices, axis, mode="raise"):
    out = np.zeros_like(g, shape=shape)
    return scatter_add(out, (slice(None),) * axis + (_fold_indices(indices, shape[axis], mode),), g)


def _element_count(shape):
    """The number of elements of an array of this shape."""
    size = 1
    for n in shape:
        size *= n
    return size


def _fold_indices(indices, n, mode):
    """Indices as np.take's mode reads them: "wrap" takes them modulo n, "clip" clips them to [0, n)."""
    if mode == "wrap":
        folded = np.mod(indices, n)
    elif mode == "clip":
        folded = np.clip(indices, 0, n - 1)
    else:
        return indices
    return folded.tolist() if isinstance(indices, (int, list, tuple)) else folded


def untake_along_axis(g, like, indices, axis=-1):
    """Adjoint of np.take_along_axis(a, indices, axis): g[i] added at the element of a that
    indices[i] names along axis (an element named several times gets the sum).
    Without an axis, a was flattened first."""
    shape = _shape(like)
    if axis is None:
        return np.reshape(_untake_along(g, (_element_count(shape),), indices, 0), shape)
    axis = axis % len(shape)
    ndim = len(shape)
    where = tuple(  # the other axes index themselves (aranges made where indices live)
        indices if d == axis else np.reshape(np.arange(n, like=indices), [-1 if k == d else 1 for k in range(ndim)])
        for d, n in enumerate(shape)
    )
    out = np.zeros_like(g, shape=shape)
    return scatter_add(out, where, g)


def unselect(g, condlist, like):
    """Adjoint of np.select(condlist, choicelist) for the choices: g where choice i was taken
    (condition i holds and no earlier one does), zero elsewhere, shaped like choice i."""
    taken = []
    earlier = False
    for condition, choice in zip(condlist, like):
        here = np.logical_and(condition, np.logical_not(earlier))
        taken.append(unbroadcast(g * here, like=choice))
        earlier = np.logical_or(earlier, condition)
    return List(taken) if isinstance(like, (list, tuple)) else np.stack(taken)


def selected(condlist, choicelist):
    """np.select(condlist, choicelist) (default 0), the first condition that holds choosing, as
    nested np.where: the tangent of select. Not np.select itself: an array type may name a
    select's result by the function alone (dask 2026.8 does), so that the tangent's select and
    the function's own, in one graph, would be taken for one value."""
    found = 0
    for condition, choice in reversed(list(zip(condlist, choicelist))):
        found = np.where(condition, choice, found)
    return found


def none_of(conditions):
    """True where none of the conditions holds: where np.select takes its default."""
    found = False
    for condition in conditions:
        found = np.logical_or(found, condition)
    return np.logical_not(found)


def sorted_like(t, a, axis=-1):
    """t permuted the way np.sort(a, axis) permutes a: the tangent of sort, whose derivative
    is that permutation (tied elements follow argsort's order; either order is a valid choice)."""
    order = np.argsort(a, axis=axis)
    if axis is None:
        return np.reshape(t, (-1,))[order]
    return np.take_along_axis(t, order, axis=axis)


def unsort(g, a, axis=-1):
    """Adjoint of np.sort(a, axis): g put back where each sorted element came from
    (the inverse permutation, argsort of the argsort)."""
    order = np.argsort(a, axis=axis)
    back = np.argsort(order, axis=-1 if axis is None else axis)
    if axis is None:
        return np.reshape(g[back], _shape(a))
    return np.take_along_axis(g, back, axis=axis)


def cast_derivative(g, to, through=None):
    """g in the dtype of `to`: the derivative of a cast is the identity, in the new precision.
    It is zero when `through` (the cast's result; `to` itself by default) holds integers or
    booleans, which carry no derivative."""
    result = to if through is None else through
    if not np.issubdtype(result.dtype, np.inexact):
        return np.zeros_like(g)
    return g.astype(to.dtype)


# ---------------------------------------------------------------- more numpy: diff, column_stack, dstack,
# nanmax/nanmin, nanvar/nanstd, cross, convolve, interp (used by rules/more.py)


def undiff(g, n=1, axis=-1):
    """Adjoint of z = diff(a, n, axis), z = D^n a with (D a)[i] = a[i+1] - a[i] along axis.

    D^T g is g padded with one zero at each end, differenced and negated: (D^T g)[i] = g[i-1] - g[i]
    (g[-1] = g[m] = 0); the adjoint of D^n is that applied n times.
    """
    g = np.moveaxis(g, axis, 0)
    for _ in range(n):
        edge = np.zeros_like(g, shape=(1,) + np.shape(g)[1:])
        g = -np.diff(np.concatenate([edge, g, edge]), axis=0)
    return np.moveaxis(g, 0, axis)


def uncolumn_stack(g, like):
    """Adjoint of np.column_stack(arrays): g split along axis 1 where the arrays were joined
    (a 1-D array, or a scalar, was one column), one piece per array."""
    return _unjoin_items(g, like, axis=1, ndmin=2)


def undstack(g, like):
    """Adjoint of np.dstack(arrays): g split along axis 2 where the arrays were joined
    (an array of fewer than 3 dimensions was one layer), one piece per array."""
    return _unjoin_items(g, like, axis=2, ndmin=3)


def _interp_knots(x, xp, fp, period):
    """x, xp, fp as np.interp uses them: with a period, x and xp reduced modulo it, xp sorted and
    extended by one knot at each end (the last knot - period, the first + period); and the order."""
    x = x + np.zeros_like(xp, shape=())  # an array on xp's device, also for a Python float
    if np.shape(xp)[0] < 2:
        raise ValueError("the derivative of np.interp needs at least 2 knots xp")
    if period is None:
        return x, xp, fp, None
    period = abs(period)
    x, xp = x % period, xp % period
    order = np.argsort(xp)
    xp, fp = np.take(xp, order), np.take(fp, order)
    xp = np.concatenate([xp[-1:] - period, xp, xp[:1] + period])
    return x, xp, np.concatenate([fp[-1:], fp, fp[:1]]), order


def _interp_segments(x, xp):
    """The segment j of each x (xp[j] <= x < xp[j+1], clipped to the first and last segment) and
    the position t = (x - xp[j]) / (xp[j+1] - xp[j]) in it, clipped to [0, 1]."""
    j = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, np.shape(xp)[0] - 2)
    left, right = np.take(xp, j), np.take(xp, j + 1)
    return j, np.clip((x - left) / (right - left), 0, 1)


def interp_slope(x, xp, fp, period=None):
    """dz/dx for z = interp(x, xp, fp): the slope (fp[j+1] - fp[j]) / (xp[j+1] - xp[j]) of the segment
    holding x, and 0 outside [xp[0], xp[-1]] (z is constant there). At a knot the slope of the
    segment on its right is taken (on the last knot, the last segment's), as JAX does."""
    x, xp, fp, _ = _interp_knots(x, xp, fp, period)
    j, _ = _interp_segments(x, xp)
    slope = (np.take(fp, j + 1) - np.take(fp, j)) / (np.take(xp, j + 1) - np.take(xp, j))
    inside = (x >= xp[0]) & (x <= xp[-1])
    return (slope * inside)[()]  # [()]: a float's slope is a numpy scalar, not a 0-d array


def uninterp(g, x, xp, like, left=None, right=None, period=None):
    """Adjoint of z = interp(x, xp, fp) for fp (like=fp): z = sum_j w_j(x) fp[j], the hat functions
    w_j, so bfp[j] = sum_i g[i] w_j(x[i]): (1 - t) g[i] to the knot left of x[i] and t g[i] to the one
    on its right, t its position in the segment. Outside [xp[0], xp[-1]], g goes to fp[0] (fp[-1])
    unless left (right) was given; with a period, the extended knots fold back onto the first and last."""
    x, xp, fp, order = _interp_knots(x, xp, like, period)
    j, t = _interp_segments(x, xp)
    g = g * np.ones_like(t)
    if period is None and left is not None:
        g = g * (x >= xp[0])
    if period is None and right is not None:
        g = g * (x <= xp[-1])
    out = np.zeros_like(fp)
    out = scatter_add(out, np.reshape(j, (-1,)), np.reshape(g * (1 - t), (-1,)))
    out = scatter_add(out, np.reshape(j + 1, (-1,)), np.reshape(g * t, (-1,)))
    if order is None:
        return out
    inner = out[1:-1] + np.concatenate([out[-1:], np.zeros_like(out[2:-2]), out[:1]])  # fold the two extra knots
    return np.take(inner, np.argsort(order))


# ---------------------------------------------------------------- choose, hsplit, append, atleast_nd, rollaxis,
# partition, reversed (rules/movement.py, rules/more.py, rules/conversions.py)


def unchoose(g, a, like, mode="raise"):
    """Adjoint of np.choose(a, choices) for the choices: g where choice i was taken (a == i, after
    wrapping or clipping a as `mode` says), zero elsewhere, summed back to choice i's shape."""
    count = len(like)
    if mode == "wrap":
        a = np.mod(a, count)
    elif mode == "clip":
        a = np.clip(a, 0, count - 1)
    taken = [unbroadcast(g * np.equal(a, i), like=choice) for i, choice in enumerate(like)]
    return List(taken) if isinstance(like, (list, tuple)) else np.stack(taken)


def unhsplit(g, like):
    """Adjoint of np.hsplit(ary, ...): the pieces' adjoints joined again along axis 1 (axis 0 for a 1-D ary)."""
    return np.concatenate(g, axis=1 if np.ndim(like) > 1 else 0)


def _append_edge(arr, axis):
    """Where np.append(arr, values, axis) starts the values: arr's length along axis (its size if None)."""
    return size_of(arr) if axis is None else _shape(arr)[axis]


def _append_piece(g, axis, start, stop):
    if axis is None:
        return g[start:stop]
    return g[(slice(None),) * (axis % np.ndim(g)) + (slice(start, stop),)]


def unappend_head(g, like, axis=None):
    """Adjoint of z = np.append(arr, values, axis) for arr (like=arr): the first part of g along
    axis (of the flattened g without one), shaped like arr."""
    return np.reshape(_append_piece(g, axis, 0, _append_edge(like, axis)), _shape(like))


def unappend_tail(g, head, like, axis=None):
    """Adjoint of z = np.append(arr, values, axis) for values (like=values, head=arr): the part of g
    after arr's, shaped like values."""
    return np.reshape(_append_piece(g, axis, _append_edge(head, axis), None), _shape(like))


def unatleast(g, like):
    """Adjoint of np.atleast_1d/2d/3d(*arys): each adjoint reshaped back to its array's shape
    (one array gives one result, several a tuple of them)."""
    parts = [g] if len(like) == 1 else list(g)
    return List(np.reshape(part, _shape(a)) for part, a in zip(parts, like))


def rollaxis_order(ndim, axis, start=0):
    """The axes of np.rollaxis(a, axis, start) as a permutation of a's: `axis` moved to just before `start`."""
    axis = axis % ndim
    start = start + ndim if start < 0 else start
    order = [i for i in range(ndim) if i != axis]
    order.insert(start - 1 if axis < start else start, axis)
    return tuple(order)


def unrollaxis(g, like, axis, start=0):
    """Adjoint of np.rollaxis(a, axis, start): g with the axes put back (the inverse permutation)."""
    order = rollaxis_order(len(_shape(like)), axis, start)
    back = [0] * len(order)
    for i, a in enumerate(order):
        back[a] = i
    return np.transpose(g, back)


def _partition_source(a, z, axis):
    """The permutation np.partition applied: z = take_along_axis(a, source, axis). Matched by sorting
    (numpy and cupy may arrange the sides of the kth element differently than argpartition does)."""
    if axis is None:
        a = np.reshape(a, (-1,))
        axis = 0
    order_a = np.argsort(a, axis=axis)
    order_z = np.argsort(z, axis=axis)  # tied values may be matched in any order
    return np.take_along_axis(order_a, np.argsort(order_z, axis=axis), axis=axis), axis


def partitioned_like(t, a, z, axis=-1):
    """t permuted the way np.partition(a, kth, axis) permuted a into z: the tangent of partition."""
    source, axis_used = _partition_source(a, z, axis)
    if axis is None:
        t = np.reshape(t, (-1,))
    return np.take_along_axis(t, source, axis=axis_used)


def unpartition(g, a, z, axis=-1):
    """Adjoint of z = np.partition(a, kth, axis): g put back where each element of z came from."""
    source, axis_used = _partition_source(a, z, axis)
    back = np.take_along_axis(g, np.argsort(source, axis=axis_used), axis=axis_used)
    return np.reshape(back, _shape(a)) if axis is None else back


def unreversed(g, like):
    """Adjoint of z = reversed(seq): the adjoints of z's items in reverse order, one per item of seq
    (a list or tuple; the rows of an array). Anything else for g means the iterator's adjoint was not
    made item by item, and is refused rather than misread."""
    if isinstance(like, (list, tuple)) and isinstance(g, (list, tuple)) and len(g) == len(like):
        return List(g[::-1])
    if not isinstance(like, (list, tuple)) and np.shape(g) == _shape(like):
        return g[::-1]
    raise TypeError(
        "the derivative of reversed(...) reached a use of its result that reads it as a whole; "
        "write seq[::-1] instead of reversed(seq)")
