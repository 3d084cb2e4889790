"""The few helpers that generated derivative code calls.

Stage: none (run time). This module imports nothing but numpy, so that a written
gradient module can inline it. Every helper works on numpy arrays, on cupy
arrays and on Python scalars alike: it never converts an array to numpy, never
calls float() or .item() on one, and creates arrays only with *_like from an
existing value, so the result stays on the input's device.
"""

import numpy as np


def _shape(x):
    return getattr(x, "shape", ())


def _shape_of(like):
    """The shape of a value, or `like` itself if it is a shape (a tuple of ints)."""
    return like if isinstance(like, tuple) else getattr(like, "shape", ())


def unbroadcast(g, like):
    """Sum g over the axes along which `like` was broadcast, giving g like's shape.

    If z = x + y broadcast x from shape (5,) to (4, 5), then bx is bz summed
    over the first axis: each element of x was used four times. `like` may be
    the value itself or just its shape.
    """
    shape = _shape_of(like)
    gshape = _shape(g)
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    if lead < 0:
        return np.zeros_like(g, shape=shape) + g if isinstance(like, tuple) else broadcast_like(g, like)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1
    )
    g = np.sum(g, axis=axes, keepdims=True) if axes else g
    if not lead:
        return g
    return np.reshape(g, shape)[()] if shape == () else np.reshape(g, shape)


def broadcast_like(t, like):
    """t broadcast to like's shape: the tangent of an operand that numpy broadcast."""
    if _shape(t) == _shape(like):
        return t
    return t + np.zeros_like(like)


def unreduce(g, like, axis=None, keepdims=False):
    """Spread g, the adjoint of a reduction of `like` over `axis`, back to like's shape.

    Every element of x contributes to its axis's sum once, so bx is bz repeated
    along the reduced axes.
    """
    shape = _shape(like)
    if axis is not None and not keepdims:
        g = np.expand_dims(g, _positive_axes(axis, len(shape)))
    if hasattr(g, "shape"):
        return np.broadcast_to(g, shape)
    return np.full_like(like, g)


def _positive_axes(axis, ndim):
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(a % ndim for a in axes)


def reduced_size(x, z):
    """How many elements of x were reduced into each element of z (for mean)."""
    return np.size(x) // np.size(z)


def extremum_weights(x, z, axis=None, keepdims=False):
    """Where x attains its max (or min) z along axis: 1 / (number of ties), else 0.

    The derivative of max at a tie is not defined; splitting it equally among
    the tied elements is the symmetric choice (JAX makes the same one).
    """
    if axis is not None and not keepdims:
        z = np.expand_dims(z, _positive_axes(axis, np.ndim(x)))
    hit = (x == z) * np.ones_like(x)  # in x's floating type, so float32 stays float32
    return hit / np.sum(hit, axis=axis, keepdims=True)


class Tuple(tuple):
    """The adjoint of a tuple of arrays: adds elementwise (a tuple would concatenate)."""

    def __add__(self, other):
        return Tuple(a + b for a, b in zip(self, other))


class List(list):
    """The adjoint of a list of arrays: adds elementwise."""

    def __add__(self, other):
        return List(a + b for a, b in zip(self, other))

    def __getitem__(self, index):
        found = list.__getitem__(self, index)
        return List(found) if isinstance(index, slice) else found


def unarray(g, like):
    """Adjoint of np.array(like): g, cut into the nested lists like was built from."""
    if isinstance(like, (list, tuple)):
        return List(unarray(g[i], item) for i, item in enumerate(like))
    return g


def unsum(g, like):
    """Adjoint of the builtin sum(items): g goes to every item (undoing any broadcast)."""
    if isinstance(like, (list, tuple)):
        return List(unbroadcast(g, item) for item in like)
    return unreduce(g, like, axis=0)  # sum over an array adds up its rows


def unstack(g, axis=0):
    """Adjoint of np.stack(arrays, axis): g cut back into the arrays (a list, added elementwise)."""
    return List(np.moveaxis(g, axis, 0))


def unconcatenate(g, like, axis=0):
    """Adjoint of np.concatenate(arrays, axis): g split where the arrays were joined."""
    sizes = [np.shape(a)[axis] for a in like]
    edges = [sum(sizes[:k]) for k in range(1, len(sizes))]
    return List(np.split(g, edges, axis=axis))


class Dict(dict):
    """The adjoint of a dict of arrays: adds key by key."""

    def __add__(self, other):
        return Dict({k: self[k] + other[k] for k in self})


def zeros_like_tree(x):
    """Zeros shaped like x, or like each value of x if it is a tuple, list or dict."""
    if isinstance(x, dict):
        return Dict({k: zeros_like_tree(v) for k, v in x.items()})
    if isinstance(x, (tuple, list)):
        kind = List if isinstance(x, list) else Tuple
        return kind(zeros_like_tree(v) for v in x)
    return np.zeros_like(x)


def pack_like(parts, like):
    """Adjoint of unpacking `a, b = x`: (ba, bb) packed like x, zeros where a part is None."""
    filled = [zeros_like_tree(v) if p is None else p for p, v in zip(parts, like)]
    if isinstance(like, (tuple, list)):
        return List(filled) if isinstance(like, list) else Tuple(filled)
    return np.stack(filled)  # the rows of an array


def unindex(g, like, index):
    """Adjoint of z = a[index]: g put back at index in zeros shaped like a.

    An integer-array index may name an element several times; each use adds
    its share (np.add.at), where plain assignment would keep only the last.
    For a tuple, list or dict of arrays, the other items get zeros.
    """
    if isinstance(like, (tuple, list, dict)):
        out = zeros_like_tree(like)
        if isinstance(out, Tuple):
            return Tuple(g if i == index % len(like) else v for i, v in enumerate(out))
        out[index] = g
        return out
    out = np.zeros_like(like)
    if _has_integer_array(index):
        np.add.at(out, index, g)
    else:
        out[index] = g
    return out


def with_item(a, index, value):
    """A copy of a with a[index] = value: the value of `a[index] = value`, computed without
    changing a, so that every earlier version stays readable by the reverse sweep."""
    out = a.copy()
    out[index] = value
    return out


def _has_integer_array(index):
    parts = index if isinstance(index, tuple) else (index,)
    for part in parts:
        if isinstance(part, list) or (hasattr(part, "dtype") and part.dtype.kind in "iu" and part.ndim > 0):
            return True
    return False


def inverse_axes(axes):
    """The permutation that undoes np.transpose(x, axes) (None, the reversal, undoes itself)."""
    if axes is None:
        return None
    n = len(axes)
    inverse = [0] * n
    for i, a in enumerate(axes):
        inverse[a % n] = i
    return tuple(inverse)


def mT(x):
    """x with its last two axes swapped (a matrix transpose, batched)."""
    return np.swapaxes(x, -1, -2)


def matmul_adjoint_lhs(g, a, b):
    """Adjoint of z = a @ b for a: g @ b^T, with numpy's promotion of 1-D operands
    undone and broadcast batch axes summed."""
    if np.ndim(b) == 1:
        ga = np.multiply.outer(g, b) if np.ndim(a) > 1 else g * b
    elif np.ndim(a) == 1:
        ga = np.matmul(np.expand_dims(g, -2), mT(b))[..., 0, :]
    else:
        ga = np.matmul(g, mT(b))
    return unbroadcast(ga, a)


def matmul_adjoint_rhs(g, a, b):
    """Adjoint of z = a @ b for b: a^T @ g, with numpy's promotion of 1-D operands
    undone and broadcast batch axes summed."""
    if np.ndim(a) == 1:
        gb = np.multiply.outer(a, g) if np.ndim(b) > 1 else a * g
        if np.ndim(b) > 2:
            gb = np.moveaxis(gb, 0, -2)
    elif np.ndim(b) == 1:
        gb = np.matmul(mT(a), np.expand_dims(g, -1))[..., 0]
    else:
        gb = np.matmul(mT(a), g)
    return unbroadcast(gb, b)


def dot_adjoint_lhs(g, a, b):
    """Adjoint of z = dot(a, b) for a (scalars multiply; up to 2-D it is matmul)."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * b, a)
    _check_dot(a, b)
    return matmul_adjoint_lhs(g, a, b)


def dot_adjoint_rhs(g, a, b):
    """Adjoint of z = dot(a, b) for b (scalars multiply; up to 2-D it is matmul)."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * a, b)
    _check_dot(a, b)
    return matmul_adjoint_rhs(g, a, b)


def _check_dot(a, b):
    if np.ndim(a) > 2 or np.ndim(b) > 2:
        raise ValueError(
            "the derivative of np.dot is implemented for operands of at most 2 "
            f"dimensions (got {np.ndim(a)} and {np.ndim(b)}); use np.matmul, @ or "
            "np.tensordot for stacked arrays"
        )


def scalar_seed(out):
    """d out / d out = 1, after checking that out is a scalar (gradients need one)."""
    shape = _shape(out)
    if shape != ():
        raise ValueError(
            f"grad needs a function with a scalar output, but it returned shape {shape}; "
            "use vjp with a cotangent shaped like the output instead"
        )
    return np.ones_like(out)[()] if hasattr(out, "shape") else 1.0


def sinc_slope(x, z):
    """d sinc(x) / dx, for z = sinc(x) = sin(pi x) / (pi x): (cos(pi x) - z) / x, and 0 at x = 0.

    Near 0 that quotient cancels badly, so for |x| < 0.01 the Taylor series
    -(pi**2 x / 3) (1 - (pi x)**2 / 10 (1 - (pi x)**2 / 28)) is used (relative error < 1e-13).
    """
    small = np.abs(x) < 0.01
    quotient = (np.cos(np.pi * x) - z) / np.where(small, 1, x)
    series = -(np.pi**2) * x / 3 * (1 - (np.pi * x) ** 2 / 10 * (1 - (np.pi * x) ** 2 / 28))
    return np.where(small, series, quotient)[()]  # [()]: a float's slope is a numpy scalar, not a 0-d array


# ---------------------------------------------------------------- statistics: prod, var/std, cumulative ops,
# average, norm, trace, logsumexp (used by rules/statistics.py)


def divide_or_zero(x, y):
    """x / y where y != 0, and 0 where y == 0, without dividing by zero.

    Used at kinks where the derivative does not exist and 0 is a subgradient:
    the 2-norm of a zero vector, the std of a constant slice.
    """
    return x / (y + (y == 0)) * (y != 0)


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


def check_real(*values):
    """The derivatives generated here are for real numbers: refuse complex inputs clearly.

    (For a complex input, the templates' formulas would give a derivative with the
    wrong convention, silently.)"""
    for value in values:
        if isinstance(value, dict):
            check_real(*value.values())
        elif isinstance(value, (list, tuple)):
            check_real(*value)
        elif isinstance(value, complex) or getattr(getattr(value, "dtype", None), "kind", "") == "c":
            raise TypeError(
                "tangent_src differentiates functions of real numbers, and got a complex input; "
                "pass the real and imaginary parts as separate real arguments"
            )


# ---------------------------------------------------------------- data movement and scipy.special
# (rules/movement.py and rules/special.py)


def _unjoin_items(g, like, axis, ndmin):
    """g cut where np.concatenate joined the items of like along axis, each item first raised
    to ndmin dimensions (as np.hstack and np.vstack do), and each piece shaped like its item."""
    sizes = [np.shape(a)[axis] if np.ndim(a) >= ndmin else 1 for a in like]
    edges = [sum(sizes[:k]) for k in range(1, len(sizes))]
    pieces = [np.reshape(p, np.shape(a)) for p, a in zip(np.split(g, edges, axis=axis), like)]
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
    np.add.at(out, source, np.moveaxis(g, axis, 0))
    return np.moveaxis(out, 0, axis)


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
    np.add.at(out, (slice(None),) * axis + (_fold_indices(indices, shape[axis], mode),), g)
    return out


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
    np.add.at(out, where, g)
    return out


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


def scipy_polygamma(n, x):
    """psi^(n)(x), the n-th derivative of the digamma function psi = d log Gamma / dx:
    psi(x) for n = 0, else (-1)**(n + 1) n! zeta(n + 1, x) (Hurwitz zeta). Computed by
    scipy.special, or cupyx.scipy.special for a cupy array, imported on first use."""
    special = _scipy_special_for(x)
    if n == 0:
        return special.digamma(x)
    factorial = 1
    for k in range(2, n + 1):
        factorial *= k
    return (-1) ** (n + 1) * factorial * special.zeta(n + 1, x)


def _scipy_special_for(x):
    """scipy.special, or cupyx.scipy.special for a cupy array (scipy is an optional dependency)."""
    if type(x).__module__.split(".")[0] == "cupy":
        import cupyx.scipy.special as special
    else:
        import scipy.special as special
    return special


# ---------------------------------------------------------------- products and numpy.linalg (rules/linear_algebra.py)


def _positive_axis_list(axes, ndim):
    return [int(a) % ndim for a in axes]


def _contract_or_scale(g, x, g_axes, x_axes):
    """np.tensordot(g, x, axes=(g_axes, x_axes)); a 0-d g (nothing left to contract) scales x."""
    if np.ndim(g) == 0 and not g_axes:
        return g * x
    return np.tensordot(g, x, axes=(list(g_axes), list(x_axes)))


def inner_adjoint_lhs(g, a, b):
    """Adjoint of z = inner(a, b) for a: ba[A, k] = sum_B g[A, B] b[B, k] (a scalar operand multiplies)."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * b, a)
    na, nb = np.ndim(a) - 1, np.ndim(b) - 1
    return _contract_or_scale(g, b, range(na, na + nb), range(nb))


def inner_adjoint_rhs(g, a, b):
    """Adjoint of z = inner(a, b) for b: bb[B, k] = sum_A g[A, B] a[A, k] (a scalar operand multiplies)."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * a, b)
    na = np.ndim(a) - 1
    return _contract_or_scale(g, a, range(na), range(na))


def outer_adjoint_lhs(g, a, b):
    """Adjoint of z = outer(a, b) (operands flattened) for a: ba = g @ ravel(b), shaped like a."""
    column = g[:, 0] * b if np.ndim(b) == 0 else g @ np.ravel(b)
    return np.reshape(column, np.shape(a))


def outer_adjoint_rhs(g, a, b):
    """Adjoint of z = outer(a, b) (operands flattened) for b: bb = ravel(a) @ g, shaped like b."""
    row = a * g[0] if np.ndim(a) == 0 else np.ravel(a) @ g
    return np.reshape(row, np.shape(b))


def _tensordot_axes(axes, nda, ndb):
    """The contracted axes of a and of b, paired, as lists of non-negative ints."""
    if isinstance(axes, (int, np.integer)):
        return list(range(nda - axes, nda)), list(range(axes))
    a_axes, b_axes = axes
    a_axes = [a_axes] if isinstance(a_axes, (int, np.integer)) else list(a_axes)
    b_axes = [b_axes] if isinstance(b_axes, (int, np.integer)) else list(b_axes)
    return _positive_axis_list(a_axes, nda), _positive_axis_list(b_axes, ndb)


def tensordot_adjoint_lhs(g, a, b, axes=2):
    """Adjoint of z = tensordot(a, b, axes) for a: g contracted with b over b's free axes,
    then the axes put back in a's order (z's axes are a's free axes, then b's)."""
    a_axes, b_axes = _tensordot_axes(axes, np.ndim(a), np.ndim(b))
    free_a = [i for i in range(np.ndim(a)) if i not in a_axes]
    free_b = [i for i in range(np.ndim(b)) if i not in b_axes]
    ga = _contract_or_scale(g, b, range(len(free_a), len(free_a) + len(free_b)), free_b)
    order = free_a + [a_axes[j] for j in sorted(range(len(b_axes)), key=lambda j: b_axes[j])]
    return np.transpose(ga, inverse_axes(tuple(order)))


def tensordot_adjoint_rhs(g, a, b, axes=2):
    """Adjoint of z = tensordot(a, b, axes) for b: a contracted with g over a's free axes,
    then the axes put back in b's order."""
    a_axes, b_axes = _tensordot_axes(axes, np.ndim(a), np.ndim(b))
    free_a = [i for i in range(np.ndim(a)) if i not in a_axes]
    free_b = [i for i in range(np.ndim(b)) if i not in b_axes]
    if np.ndim(g) == 0 and not free_a:
        gb = g * a
    else:
        gb = np.tensordot(a, g, axes=(free_a, list(range(len(free_a)))))
    order = [b_axes[j] for j in sorted(range(len(a_axes)), key=lambda j: a_axes[j])] + free_b
    return np.transpose(gb, inverse_axes(tuple(order)))


_EINSUM_ELLIPSIS = "..."


def _einsum_labels(term):
    """'ij...k' -> ['i', 'j', '...', 'k']."""
    labels, i = [], 0
    while i < len(term):
        if term.startswith(_EINSUM_ELLIPSIS, i):
            labels.append(_EINSUM_ELLIPSIS)
            i += 3
        else:
            labels.append(term[i])
            i += 1
    return labels


def _einsum_parse(subscripts, count):
    """The label lists of an einsum's operands and of its output (made explicit as numpy does:
    the labels used once, in alphabetical order, after the ellipsis if there is one)."""
    if not isinstance(subscripts, str):
        raise TypeError("the derivative of np.einsum needs its subscripts as a string "
                        "(the interleaved operand, sublist form is not supported)")
    text = subscripts.replace(" ", "")
    inputs_text, arrow, output_text = text.partition("->")
    inputs = [_einsum_labels(t) for t in inputs_text.split(",")]
    if len(inputs) != count:
        raise ValueError(f"einsum subscripts {subscripts!r} name {len(inputs)} operands, but {count} were given")
    if arrow:
        output = _einsum_labels(output_text)
    else:
        letters = [label for labels in inputs for label in labels if label != _EINSUM_ELLIPSIS]
        output = ([_EINSUM_ELLIPSIS] if any(_EINSUM_ELLIPSIS in labels for labels in inputs) else []) + sorted(
            label for label in set(letters) if letters.count(label) == 1)
    if _EINSUM_ELLIPSIS not in output:  # then every ellipsis stands for no axes at all
        inputs = [[label for label in labels if label != _EINSUM_ELLIPSIS] for labels in inputs]
    return inputs, output


def _ones_on_diagonal(x, n, m=None, k=0):
    """An n x m matrix (m = n by default) with ones on diagonal k, made like x (its type, device)."""
    ones = np.ones_like(x, shape=(n, n if m is None else m))
    return np.tril(np.triu(ones, k), k)


def einsum_tangent(subscripts, operands, tangents, optimize=False):
    """Tangent of z = einsum(subscripts, x_1, ..., x_n): sum over k of the same einsum with x_k
    replaced by its tangent dx_k (z is linear in each operand)."""
    total = 0.0
    for k, tangent in enumerate(tangents):
        total = total + np.einsum(subscripts, *operands[:k], tangent, *operands[k + 1:], optimize=optimize)
    return total


def einsum_adjoint(g, subscripts, operands, optimize=False):
    """Adjoints of z = einsum(subscripts, x_1, ..., x_n), one per operand:
    bx_k = einsum(g with the other operands, giving x_k's labels).

    Where x_k's labels are not all free in that product: a label used only by
    x_k (summed in z) is broadcast, by a vector of ones; a repeated label (a
    diagonal, as in 'ii->i') is spread over the diagonal, by an identity matrix
    linking the repeats; an axis that numpy broadcast (the ellipsis, or a length
    one) is summed back by unbroadcast, or, where only x_k had its full length,
    broadcast to it.
    """
    inputs, output = _einsum_parse(subscripts, len(operands))
    used = {label for labels in inputs + [output] for label in labels}
    fresh = iter(c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in used)
    adjoints = []
    for k, x in enumerate(operands):
        labels = inputs[k]
        others = [inputs[j] for j in range(len(operands)) if j != k]
        available = set(output).union(*others)
        shape = np.shape(x)
        explicit = [label for label in labels if label != _EINSUM_ELLIPSIS]
        split = labels.index(_EINSUM_ELLIPSIS) if _EINSUM_ELLIPSIS in labels else len(labels)
        sizes = [shape[i] for i in range(split)] + [shape[len(shape) - len(labels) + i]
                                                     for i in range(split + 1, len(labels))]
        ellipsis_shape = shape[split:len(shape) - (len(labels) - split - 1)] if _EINSUM_ELLIPSIS in labels else ()
        terms = ["".join(output)] + ["".join(o) for o in others]
        values = [g] + [operands[j] for j in range(len(operands)) if j != k]
        result, seen = [], set()
        for label, size in zip(explicit, sizes):
            if label in seen:  # a repeat: a new label, tied to the first by the identity
                new = next(fresh)
                terms.append(label + new)
                values.append(_ones_on_diagonal(x, size))
                result.append(new)
                continue
            seen.add(label)
            result.append(label)
            if label not in available:  # summed in z over x_k alone: every element gets g
                terms.append(label)
                values.append(np.ones_like(x, shape=(size,)))
        lead = _EINSUM_ELLIPSIS if _EINSUM_ELLIPSIS in output else ""
        scale = 1.0
        if not output and np.ndim(g) == 0 and len(values) > 1:  # a scalar z: g scales the product
            scale, terms, values = g, terms[1:], values[1:]
        gk = scale * np.einsum(",".join(terms) + "->" + lead + "".join(result), *values, optimize=optimize)
        found = np.shape(gk)
        free = found[len(found) - len(sizes):]
        if any(have == 1 and want != 1 for have, want in zip(free, sizes)):  # only x_k's length counted
            gk = np.broadcast_to(gk, found[:len(found) - len(sizes)] + tuple(map(max, free, sizes)))
        gk = unbroadcast(gk, tuple(ellipsis_shape) + tuple(sizes))
        if ellipsis_shape and split:
            count = len(ellipsis_shape)
            gk = np.moveaxis(gk, list(range(count)), list(range(split, split + count)))
        adjoints.append(gk)
    return List(adjoints)


def _kron_shapes(a, b):
    nd = max(np.ndim(a), np.ndim(b))
    sa = (1,) * (nd - np.ndim(a)) + tuple(np.shape(a))
    sb = (1,) * (nd - np.ndim(b)) + tuple(np.shape(b))
    return nd, sa, sb


def kron_adjoint_lhs(g, a, b):
    """Adjoint of z = kron(a, b) for a: z[i * nb + j] = a[i] b[j] (per axis), so ba[i] = sum_j g[i, j] b[j]
    with g reshaped to interleaved (a, b) axes."""
    nd, sa, sb = _kron_shapes(a, b)
    g = np.reshape(g, tuple(n for pair in zip(sa, sb) for n in pair))
    spread = np.reshape(b, tuple(n for m in sb for n in (1, m)))
    return np.reshape(np.sum(g * spread, axis=tuple(range(1, 2 * nd, 2))), np.shape(a))


def kron_adjoint_rhs(g, a, b):
    """Adjoint of z = kron(a, b) for b: bb[j] = sum_i g[i, j] a[i], g reshaped to interleaved (a, b) axes."""
    nd, sa, sb = _kron_shapes(a, b)
    g = np.reshape(g, tuple(n for pair in zip(sa, sb) for n in pair))
    spread = np.reshape(a, tuple(n for m in sa for n in (m, 1)))
    return np.reshape(np.sum(g * spread, axis=tuple(range(0, 2 * nd, 2))), np.shape(b))


def det_cofactor(a):
    """The cofactor matrix adj(a)^T, d det(a) / da, for each matrix of a stack: det(a) a^-T where a is
    invertible. From the SVD a = U diag(s) V^T: adj(a)^T = det(U) det(V) U diag(p) V^T with
    p_i = prod_{j != i} s_j, so it exists for singular a too (rank n - 1 or less)."""
    u, s, vt = np.linalg.svd(a)
    eye = _ones_on_diagonal(s, np.shape(s)[-1])
    others = np.prod(np.expand_dims(s, -2) * (1 - eye) + eye, axis=-1)  # p_i: s with s_i left out
    sign = np.linalg.det(u) * np.linalg.det(vt)
    return per_matrix(sign) * ((u * np.expand_dims(others, -2)) @ vt)


def per_matrix(s):
    """s[..., None, None]: one scalar per matrix of a stack, shaped to scale those matrices
    (a Python or 0-d scalar is left as it is)."""
    return s if np.ndim(s) == 0 else np.expand_dims(s, (-2, -1))


def _solve_columns(x, b):
    """x as a stack of matrices: a trailing axis of one where b, the right side of a solve, is a vector."""
    return np.expand_dims(x, -1) if np.ndim(b) == 1 else x


def _solve_uncolumns(x, b):
    return x[..., 0] if np.ndim(b) == 1 else x


def solve_tangent(a, da, db, z, b):
    """Tangent of z = solve(a, b), a z = b: dz = a^-1 (db - da z) (b a vector or a stack of matrices)."""
    return _solve_uncolumns(np.linalg.solve(a, _solve_columns(db, b) - da @ _solve_columns(z, b)), b)


def _solve_transposed(g, a, b):
    """a^-T g (g shaped like the result of solve(a, b)), as a stack of matrices."""
    return np.linalg.solve(mT(a), _solve_columns(g, b))


def solve_adjoint_lhs(g, a, b, z):
    """Adjoint of z = solve(a, b) for a: ba = -(a^-T g) z^T."""
    return unbroadcast(-_solve_transposed(g, a, b) @ mT(_solve_columns(z, b)), a)


def solve_adjoint_rhs(g, a, b):
    """Adjoint of z = solve(a, b) for b: bb = a^-T g."""
    return unbroadcast(_solve_uncolumns(_solve_transposed(g, a, b), b), b)


def symmetric_part(x):
    """(x + x^T) / 2, for each matrix of a stack."""
    return (x + mT(x)) / 2


def _cholesky_phi(x):
    """Phi(x): the lower triangle of x with its diagonal halved (Murray 2016)."""
    return (np.tril(x) + np.tril(x, -1)) / 2


def cholesky_tangent(da, z, upper=False):
    """Tangent of L = cholesky(a), a = L L^T (Murray 2016): dL = L Phi(L^-1 da L^-T), Phi the lower
    triangle with the diagonal halved; da is taken symmetric, (da + da^T) / 2. With upper=True, z = L^T."""
    low = mT(z) if upper else z
    inner = np.linalg.solve(low, mT(np.linalg.solve(low, symmetric_part(da))))  # L^-1 da L^-T
    dlow = low @ _cholesky_phi(inner)
    return mT(dlow) if upper else dlow


def cholesky_adjoint(g, z, upper=False):
    """Adjoint of L = cholesky(a) (Murray 2016): ba = sym(L^-T Phi(L^T bL) L^-1), sym(x) = (x + x^T) / 2:
    the gradient is symmetric, as a is."""
    low, glow = (mT(z), mT(g)) if upper else (z, g)
    p = _cholesky_phi(mT(low) @ glow)
    return symmetric_part(np.linalg.solve(mT(low), mT(np.linalg.solve(mT(low), mT(p)))))


def _eigh_gaps(w):
    """F[i, j] = 1 / (w_j - w_i) where w_i != w_j, else 0 (on the diagonal, and at repeated eigenvalues)."""
    # At a repeated eigenvalue the eigenvectors are not differentiable (any rotation within the
    # eigenspace is as good); 0 there gives the right derivative of every function that does not
    # depend on that choice (of the eigenvalues, of V diag(f(w)) V^T), where 1 / 0 would give inf or NaN.
    gaps = np.expand_dims(w, -2) - np.expand_dims(w, -1)
    return (gaps != 0) / (gaps + (gaps == 0))


def eigh_tangent(da, z):
    """Tangent of w, V = eigh(a), a = V diag(w) V^T with distinct eigenvalues (Giles 2008, 3.1):
    with X = V^T da V (da taken symmetric): dw = diag(X), dV = V (F * X), F[i, j] = 1 / (w_j - w_i)."""
    w, v = z
    x = mT(v) @ symmetric_part(da) @ v
    return np.diagonal(x, axis1=-2, axis2=-1), v @ (_eigh_gaps(w) * x)


def eigh_adjoint(g, z):
    """Adjoint of w, V = eigh(a) (Giles 2008, 3.1): ba = sym(V (diag(bw) + F * (V^T bV)) V^T)."""
    w, v = z
    gw, gv = g
    inner = _eigh_gaps(w) * (mT(v) @ gv) + np.expand_dims(gw, -1) * _ones_on_diagonal(w, np.shape(w)[-1])
    return symmetric_part(v @ inner @ mT(v))


def eigvalsh_tangent(a, da):
    """Tangent of w = eigvalsh(a) (distinct eigenvalues): dw_i = v_i^T da v_i, V the eigenvectors of a."""
    v = np.linalg.eigh(a)[1]
    return np.sum(v * (symmetric_part(da) @ v), axis=-2)


def eigvalsh_adjoint(g, a):
    """Adjoint of w = eigvalsh(a): ba = V diag(bw) V^T, V the eigenvectors of a."""
    v = np.linalg.eigh(a)[1]
    return (v * np.expand_dims(g, -2)) @ mT(v)


def _qr_factors(z, mode):
    """(Q, R) from the result of qr(a, mode), after checking that the derivative covers the case."""
    if mode != "reduced":
        raise ValueError(f"the derivative of np.linalg.qr is implemented for mode='reduced', not {mode!r}")
    q, r = z
    if np.shape(r)[-2] != np.shape(r)[-1]:
        raise ValueError("the derivative of np.linalg.qr is implemented for square or tall matrices "
                         f"(rows >= columns); got R of shape {np.shape(r)}")
    return q, r


def _qr_right_solve(x, r):
    """x R^-1 (R invertible)."""
    return mT(np.linalg.solve(mT(r), mT(x)))


def qr_tangent(da, z, mode="reduced"):
    """Tangent of Q, R = qr(a), reduced, a of full column rank (Walter & Lehmann 2018):
    C = Q^T da R^-1, Omega = tril(C, -1) - tril(C, -1)^T, dR = (C - Omega) R,
    dQ = da R^-1 - Q (C - Omega)."""
    q, r = _qr_factors(z, mode)
    x = _qr_right_solve(da, r)
    c = mT(q) @ x
    upper = c - np.tril(c, -1) + mT(np.tril(c, -1))  # C - Omega, upper triangular
    return x - q @ upper, upper @ r


def qr_adjoint(g, z, mode="reduced"):
    """Adjoint of Q, R = qr(a), reduced (Walter & Lehmann 2018; as in PyTorch):
    M = R bR^T - bQ^T Q, ba = (bQ + Q copyltu(M)) R^-T, copyltu(M) the symmetric matrix
    with M's lower triangle."""
    q, r = _qr_factors(z, mode)
    gq, gr = g
    m = r @ mT(gr) - mT(gq) @ q
    sym = np.tril(m, -1) + mT(np.tril(m, -1)) + np.triu(np.tril(m))
    return mT(np.linalg.solve(r, mT(gq + q @ sym)))


def _check_lstsq(a):
    if np.shape(a)[-2] < np.shape(a)[-1]:
        raise ValueError("the derivative of np.linalg.lstsq is implemented for square or tall matrices "
                         f"of full column rank; got a of shape {np.shape(a)}")


def lstsq_tangent(a, b, da, db, z):
    """Tangent of x, res, rank, s = lstsq(a, b), a of full column rank (normal equations a^T a x = a^T b):
    r = b - a x, dx = (a^T a)^-1 (da^T r + a^T (db - da x)), dres = 2 sum(r * (db - da x)) per column,
    ds_i = u_i^T da v_i (u_i, v_i the singular vectors of a); rank has no derivative."""
    _check_lstsq(a)
    x, res, rank, s = z
    xc, bc, dbc = _solve_columns(x, b), _solve_columns(b, b), _solve_columns(db, b)
    r = bc - a @ xc
    change = dbc - da @ xc
    dx = _solve_uncolumns(np.linalg.solve(mT(a) @ a, mT(da) @ r + mT(a) @ change), b)
    dres = res * 0 if np.size(res) == 0 else np.reshape(2 * np.sum(r * change, axis=-2), np.shape(res))
    u, _, vt = np.linalg.svd(a, full_matrices=False)
    ds = np.sum(u * (da @ mT(vt)), axis=-2)
    return dx, dres, rank * 0, ds


def _lstsq_parts(g, a, b, z):
    _check_lstsq(a)
    x, res, rank, s = z
    gx, gres, grank, gs = g
    xc = _solve_columns(x, b)
    r = _solve_columns(b, b) - a @ xc
    y = np.linalg.solve(mT(a) @ a, _solve_columns(gx, b))
    gb = a @ y
    if np.size(res):
        gb = gb + 2 * r * gres
    return xc, r, y, gb, gs


def lstsq_adjoint_lhs(g, a, b, z):
    """Adjoint of x, res, rank, s = lstsq(a, b) for a: with y = (a^T a)^-1 bx and
    bb = a y + 2 r bres: ba = r y^T - bb x^T + U diag(bs) V^T."""
    xc, r, y, gb, gs = _lstsq_parts(g, a, b, z)
    u, _, vt = np.linalg.svd(a, full_matrices=False)
    return r @ mT(y) - gb @ mT(xc) + (u * np.expand_dims(gs, -2)) @ vt


def lstsq_adjoint_rhs(g, a, b, z):
    """Adjoint of x, res, rank, s = lstsq(a, b) for b: bb = a (a^T a)^-1 bx + 2 r bres, r = b - a x."""
    return _solve_uncolumns(_lstsq_parts(g, a, b, z)[3], b)


def undiagonal(g, like, offset=0, axis1=0, axis2=1):
    """Adjoint of z = diagonal(a, offset, axis1, axis2): g put on that diagonal of zeros shaped like a.

    With P[p, i] = [p = i + max(-offset, 0)] and Q[q, i] = [q = i + max(offset, 0)], the
    matrices along (axis1, axis2) are sum_i g[..., i] P[:, i] Q[:, i]^T.
    """
    shape = np.shape(like)
    ndim = len(shape)
    axis1, axis2 = axis1 % ndim, axis2 % ndim
    length = np.shape(g)[-1]
    rows = _ones_on_diagonal(g, shape[axis1], length, -max(-offset, 0))
    cols = _ones_on_diagonal(g, shape[axis2], length, -max(offset, 0))
    out = np.einsum("...i,pi,qi->...pq", g, rows, cols)
    return np.moveaxis(out, (-2, -1), (axis1, axis2))


def undiag(g, like, k=0):
    """Adjoint of z = diag(v, k): the k-th diagonal of g for a vector v (z is a matrix);
    g put on the k-th diagonal of zeros shaped like v for a matrix v (z is its diagonal)."""
    if np.ndim(like) == 1:
        return np.diag(g, k)
    return undiagonal(g, like, offset=k)


def _positive_power_tangent(a, da, n):
    """d(a^n) for n >= 1: T_1 = da, T_{j+1} = T_j a + a^j da."""
    power, tangent = a, da
    for _ in range(n - 1):
        tangent = tangent @ a + power @ da
        power = power @ a
    return tangent


def _positive_power_adjoint(g, a, n):
    """The adjoint of a^n for n >= 1: sum_k (a^k)^T g (a^(n-1-k))^T."""
    powers = [None, a]
    for _ in range(n - 2):
        powers.append(powers[-1] @ a)
    total = 0.0
    for k in range(n):
        left, right = powers[k], powers[n - 1 - k]
        term = g if right is None else g @ mT(right)
        total = total + (term if left is None else mT(left) @ term)
    return total


def matrix_power_tangent(a, da, n):
    """Tangent of z = a^n: sum_k a^k da a^(n-1-k); for n < 0, that of b^-n with b = a^-1, db = -b da b."""
    if n == 0:
        return da * 0
    if n < 0:
        b = np.linalg.inv(a)
        return _positive_power_tangent(b, -(b @ da @ b), -n)
    return _positive_power_tangent(a, da, n)


def matrix_power_adjoint(g, a, n):
    """Adjoint of z = a^n: sum_k (a^k)^T g (a^(n-1-k))^T; for n < 0, ba = -b^T bb b^T with b = a^-1."""
    if n == 0:
        return np.zeros_like(a)
    if n < 0:
        b = np.linalg.inv(a)
        return -(mT(b) @ _positive_power_adjoint(g, b, -n) @ mT(b))
    return _positive_power_adjoint(g, a, n)


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


def nan_extremum_weights(x, z, axis=None, keepdims=False):
    """Where x attains its nanmax (or nanmin) z along axis: 1 / (number of ties), else 0.

    A NaN never equals z, so NaN entries get 0; in a slice of NaNs only (z is NaN there) every
    entry gets 0. Ties split equally, as extremum_weights does for max and min.
    """
    if axis is not None and not keepdims:
        z = np.expand_dims(z, _positive_axes(axis, np.ndim(x)))
    hit = (x == z) * np.ones_like(x)  # in x's floating type
    return divide_or_zero(hit, np.sum(hit, axis=axis, keepdims=True))


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


def _cross_axes(a, b, axisa, axisb, axisc, axis):
    """The vector axes of np.cross (axis, when given, overrides the three), checked to hold 3-vectors."""
    if axis is not None:
        axisa = axisb = axisc = axis
    if np.shape(a)[axisa] != 3 or np.shape(b)[axisb] != 3:
        raise ValueError("the derivative of np.cross is implemented for 3-vectors; got vectors of "
                         f"lengths {np.shape(a)[axisa]} and {np.shape(b)[axisb]}")
    return axisa, axisb, axisc


def _cross_adjoint(g, x, other, x_axis, other_axis, axisc, first):
    gm = np.moveaxis(g, axisc, -1)
    om = np.moveaxis(other, other_axis, -1)
    gx = np.cross(om, gm) if first else np.cross(gm, om)
    return np.moveaxis(unbroadcast(gx, np.shape(np.moveaxis(x, x_axis, -1))), -1, x_axis)


def cross_adjoint_lhs(g, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Adjoint of z = cross(a, b) for a: <g, a x b> = <b x g, a> (the scalar triple product turns
    cyclically), so ba = b x g along a's vector axis, broadcast axes summed."""
    axisa, axisb, axisc = _cross_axes(a, b, axisa, axisb, axisc, axis)
    return _cross_adjoint(g, a, b, axisa, axisb, axisc, first=True)


def cross_adjoint_rhs(g, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Adjoint of z = cross(a, b) for b: <g, a x b> = <g x a, b>, so bb = g x a along b's vector
    axis, broadcast axes summed."""
    axisa, axisb, axisc = _cross_axes(a, b, axisa, axisb, axisc, axis)
    return _cross_adjoint(g, b, a, axisb, axisa, axisc, first=False)


def unconvolve(g, like, other, mode="full"):
    """Adjoint of z = convolve(a, v, mode) for a (like=a, other=v; for v swap them: convolution commutes).

    z is a window of the full convolution c[k] = sum_i a[i] v[k - i], of length m + n - 1, starting
    at (m + n - 1 - len(z)) // 2 (0 for "full", min(m, n) - 1 for "valid", (min(m, n) - 1) // 2 for
    "same"). So ba[i] = sum_k gc[k] v[k - i], gc = g put back in that window of zeros: the
    correlation of gc with v, correlate(gc, v, "valid").
    """
    size = np.size(like) + np.size(other) - 1
    start = (size - np.shape(g)[0]) // 2
    gc = np.concatenate([np.zeros_like(g, shape=(start,)), g,
                         np.zeros_like(g, shape=(size - start - np.shape(g)[0],))])
    other = other + np.zeros_like(g, shape=(np.size(other),))  # 1-D, on g's device (also for a scalar)
    return np.reshape(np.correlate(gc, other, mode="valid"), np.shape(like))


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
    np.add.at(out, np.reshape(j, (-1,)), np.reshape(g * (1 - t), (-1,)))
    np.add.at(out, np.reshape(j + 1, (-1,)), np.reshape(g * t, (-1,)))
    if order is None:
        return out
    inner = out[1:-1] + np.concatenate([out[-1:], np.zeros_like(out[2:-2]), out[:1]])  # fold the two extra knots
    return np.take(inner, np.argsort(order))
