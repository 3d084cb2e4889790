"""The core helpers: undoing broadcasting and reductions, containers, indexing, matmul, seeds.

Stage: none (run time); see tangent_src/runtime/__init__.py.
"""

import math

import numpy as np

def _shape(x):
    """x's shape; a list (of numbers or arrays) has the shape of the array numpy makes of it
    where it takes it as an argument (np.sum([1.0, a]))."""
    if isinstance(x, (list, tuple)):
        return np.shape(x)
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
    if isinstance(g, (list, tuple)) and isinstance(like, (list, tuple)) and not _is_shape(like) \
            and len(g) != len(like):  # `a + b` or `a * 2` of lists: joined or repeated, not added
        raise TypeError("tangent_src: `+` or `*` joined or repeated lists here, which is not differentiated; "
                        "build the list with `.append`, or write `[*a, v]` for a with v appended")
    if isinstance(like, (list, tuple, dict)) and not _is_shape(like) and isinstance(g, (list, tuple, dict)):
        return g  # an adjoint of a container, item by item (never broadcast)
    gshape = getattr(g, "shape", ())
    shape = getattr(like, "shape", None)  # an array's (the common case, first)
    if shape is None:
        shape = like if _is_shape(like) else _shape(like)
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    if lead < 0:
        return np.zeros_like(g, shape=shape) + g if _is_shape(like) else broadcast_like(g, like)
    if lead > 0 and gshape[lead:] == shape:  # only leading axes to sum (a bias): no keepdims, no reshape
        return g.sum(axis=tuple(range(lead)))  # the method: half the call overhead of np.sum
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1)
    g = np.sum(g, axis=axes, keepdims=True) if axes else g
    if not lead:
        return g
    return np.reshape(g, shape)[()] if shape == () else np.reshape(g, shape)


def _is_shape(like):
    """Whether `like` is a shape (a tuple of ints) rather than a value (a tuple of numbers or arrays)."""
    return isinstance(like, tuple) and all(type(n) is int for n in like)


def broadcast_like(t, like):
    """t broadcast to like's shape: the tangent of an operand that numpy broadcast."""
    if _shape(t) == _shape(like):
        return t
    return t + np.zeros_like(like)


def unreduce(g, like, axis=None, keepdims=False):
    """Spread g, the adjoint of a reduction of `like` over `axis`, back to like's shape.

    Every element of x contributes to its axis's sum once, so bx is bz repeated
    along the reduced axes. An array type that splits arrays in chunks (one with a
    `.chunks`) would broadcast g into a single chunk, which the next operation on like's
    chunks must split and move between workers: there g is added to zeros laid out as like.
    """
    shape = _shape(like)
    if axis is not None and not keepdims:
        g = np.expand_dims(g, _positive_axes(axis, len(shape)))
    if getattr(like, "chunks", None) is not None and not isinstance(like, np.ndarray):
        return np.zeros_like(like) + g  # laid out in like's chunks, as the arrays it meets next are
    if hasattr(g, "shape"):
        return np.broadcast_to(g, shape)  # a view: nothing is copied
    return np.full_like(like, g)


def _positive_axes(axis, ndim):
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(a % ndim for a in axes)


def size_of(x):
    """x's number of elements, from its shape: np.size may compute a lazy array (an array type
    whose sizes are known only once its values are)."""
    return math.prod(_shape(x))


def reduced_size(x, z):
    """How many elements of x were reduced into each element of z (for mean)."""
    return size_of(x) // size_of(z)


def extremum_weights(x, z, axis=None, keepdims=False):
    """Where x attains its max (or min) z along axis: 1 / (number of ties), else 0.

    The derivative of max at a tie is not defined; splitting it equally among
    the tied elements is the symmetric choice (JAX makes the same one). A NaN
    never equals z, so for nanmax and nanmin NaN entries get 0, and a slice of
    NaNs only (z is NaN there) gets 0 everywhere.
    """
    if axis is not None and not keepdims:
        z = np.expand_dims(z, _positive_axes(axis, np.ndim(x)))
    dtype = getattr(x, "dtype", None)
    if dtype is None:  # a Python number
        hit = (x == z) * np.ones_like(x)
        return divide_or_zero(hit, np.sum(hit, axis=axis, keepdims=True))
    hit = (x == z).astype(dtype)  # in x's type, so float32 stays float32
    # a slice with no hit (all NaN) has count 0 and weights 0 / 1 = 0
    return hit / np.maximum(np.sum(hit, axis=axis, keepdims=True), 1)


def quantile_weights(x, q, axis=None):
    """The weights of x's elements in its q-quantile along axis (numpy's default, linear
    interpolation between the two order statistics around q (n - 1)): 1 - f and f on those two
    elements, 0 elsewhere. At ties the derivative is not defined; the stable sort order picks one."""
    if np.ndim(q) != 0:
        raise TypeError("tangent_src differentiates the quantile at one q (a number); call it once per q")
    if isinstance(axis, tuple):
        raise TypeError("tangent_src differentiates the quantile along one axis (or all): pass axis=k or None")
    flat = axis is None
    values = np.reshape(x, -1) if flat else x
    along = 0 if flat else axis % np.ndim(values)
    n = np.shape(values)[along]
    position = q * (n - 1)
    low = min(int(np.floor(position)), n - 1)
    fraction = position - low
    order = np.argsort(values, axis=along, kind="stable")
    weights = np.zeros_like(values, dtype=getattr(values, "dtype", float) if np.ndim(values) else float)
    np.put_along_axis(weights, np.take(order, [low], axis=along), 1.0 - fraction, axis=along)
    if fraction:
        high = np.zeros_like(weights)
        np.put_along_axis(high, np.take(order, [min(low + 1, n - 1)], axis=along), fraction, axis=along)
        weights = weights + high
    return np.reshape(weights, np.shape(x)) if flat else weights


def unouter_left(g, like):
    """Adjoint of np.add.outer(a, b) for a: g summed over b's axes (the trailing ones)."""
    lead = np.ndim(like)
    return np.sum(g, axis=tuple(range(lead, np.ndim(g)))) if np.ndim(g) > lead else g


def unouter_right(g, like):
    """Adjoint of np.add.outer(a, b) for b: g summed over a's axes (the leading ones)."""
    lead = np.ndim(g) - np.ndim(like)
    return np.sum(g, axis=tuple(range(lead))) if lead else g


def add_adjoints(a, b):
    """a + b for two adjoints, where None (the adjoint of a value that carries none, such as a
    string in a dict) is zero: None + b is b."""
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def _is_zero_number(x):
    return x is None or (type(x) in (float, int) and x == 0)


class Tuple(tuple):
    """The adjoint of a tuple of arrays: adds item by item (a tuple would concatenate)."""

    def __add__(self, other):
        if _is_zero_number(other):  # an adjoint still zero (0.0): a new tuple all the same
            return Tuple(self)
        return Tuple(add_adjoints(a, b) for a, b in zip(self, other))

    def __radd__(self, other):
        return Tuple(self) if _is_zero_number(other) else NotImplemented


class List(list):
    """The adjoint of a list of arrays: adds item by item."""

    def __add__(self, other):
        if _is_zero_number(other):  # an adjoint still zero (0.0): a new list all the same
            return List(self)
        return List(add_adjoints(a, b) for a, b in zip(self, other))

    def __radd__(self, other):
        return List(self) if _is_zero_number(other) else NotImplemented

    def __mul__(self, other):  # only a list repeated (`[x] * n`) has an adjoint multiplied by an int
        raise TypeError("tangent_src: a list repeated with `*` (`xs * n`) is not differentiated; "
                        "build the list with a comprehension: `[v for _ in range(n) for v in xs]`")

    __rmul__ = __mul__

    def __getitem__(self, index):
        found = list.__getitem__(self, index)
        return List(found) if isinstance(index, slice) else found


def unarray(g, like):
    """Adjoint of np.array(like): g, cut into the nested lists like was built from."""
    if isinstance(like, (list, tuple)):
        return List(unarray(g[i], item) for i, item in enumerate(like))
    return g


def unlist(g, like):
    """Adjoint of list(like) (or tuple(like)): the items' adjoints, as a list for a sequence of
    values, and as one array for an array, whose rows the list held (an unused row's is 0)."""
    if isinstance(like, dict):  # list(d): its keys, which carry no derivative
        return zeros_like_tree(like)
    if isinstance(like, (list, tuple)):
        return List(g)
    rows = np.zeros_like(like)
    for i, row in enumerate(g):
        rows[i] = row
    return rows


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
    return List(pieces_along(g, [np.shape(a)[axis] for a in like], axis))


def pieces_along(g, sizes, axis):
    """g cut along axis into consecutive pieces of the sizes (views, as np.split makes): by
    slicing, which every array type has, where np.split is not (dask's computes the array)."""
    before = (slice(None),) * (axis % np.ndim(g))
    edges = [sum(sizes[:k]) for k in range(len(sizes) + 1)]
    return [g[before + (slice(start, stop),)] for start, stop in zip(edges, edges[1:])]


class Dict(dict):
    """The adjoint of a dict of arrays: adds key by key, over the union of the keys (a key one
    side lacks is zero there, and keeps the other side's value)."""

    def __add__(self, other):
        if _is_zero_number(other):  # an adjoint still zero (0.0): a new dict all the same
            return Dict(self)
        out = Dict(self)
        for k, v in other.items():
            out[k] = add_adjoints(out[k], v) if k in out else v
        return out

    __radd__ = __add__


def zeros_like_tree(x):
    """Zeros shaped like x, or like each value of x if it is a tuple, list or dict.

    A value that is no number and no array (a string, None, a bool, a function: a setting in a
    dict of parameters) carries no derivative: its zero is None, which adds as zero."""
    if isinstance(x, dict):
        return Dict({k: zeros_like_tree(v) for k, v in x.items()})
    if isinstance(x, (tuple, list)):
        kind = List if isinstance(x, list) else Tuple
        return kind(zeros_like_tree(v) for v in x)
    if type(x) in (float, int):  # a Python number's zero, which adds to an array on any device
        return 0.0
    if not hasattr(x, "shape") or isinstance(x, (bool, np.bool_, str)) or getattr(x.dtype, "kind", "") in "bOSUV":
        return None  # no number: no derivative
    return np.zeros_like(x)


def updated_in_place(x, method):
    """Whether `x += v` (method "__iadd__", and so on) changes x's value in place, as it does for
    an array or a list, rather than binding a new value, as for a number."""
    return hasattr(type(x), method)


def pack_like(parts, like):
    """Adjoint of unpacking `a, b = x`: (ba, bb) packed like x, zeros where a part is None."""
    filled = [zeros_like_tree(v) if p is None or (_is_zero_number(p) and hasattr(v, "shape")) else p
              for p, v in zip(parts, like)]  # (a zero number: a zero tangent of an array part)
    if isinstance(like, (tuple, list)):
        return List(filled) if isinstance(like, list) else Tuple(filled)
    return np.stack(filled)  # the rows of an array


def unpack_like(g, like):
    """Adjoint of pack_like(parts, like): the parts of g (its items, or an array's rows), as a Tuple
    (adjoints of tuples add item by item)."""
    return Tuple(g)


def unindex(g, like, index):
    """Adjoint of z = a[index]: g put back at index in zeros shaped like a.

    An integer-array index may name an element several times; each use adds
    its share (np.add.at), where plain assignment would keep only the last.
    For a tuple, list or dict of arrays, the other items get zeros. This makes
    zeros for the whole of a: a loop that reads an item on every trip adds into
    an adjoint it owns instead (`add_at`), at the cost of the item alone.
    """
    if isinstance(like, (tuple, list, dict)):
        out = zeros_like_tree(like)
        if isinstance(out, Tuple):
            items = list(out)
            items[index] = g  # an item, or a slice (`xs[::-1]`, `xs[1:]`) of a tuple
            return Tuple(items)
        out[index] = g
        return out
    out = _on_array_type(np.zeros_like(like), g, index)
    if _has_integer_array(index):
        return scatter_add(out, index, g)
    out[index] = g
    return out


def add_at(b, g, like, index):
    """b + unindex(g, like, index), computed by adding g into b[index] in place.

    The generated code calls it only on an adjoint b that it made itself (new
    zeros, or an earlier add_at) and that no other name holds, so changing b is
    not seen by anyone: where a loop reads x[i] once per trip, the reverse sweep
    then costs O(1) per trip, where unindex makes a whole array of zeros each
    time. A list or dict b gets the sum at index as its new item (the item itself,
    which other adjoints may hold, is never changed). Where b cannot take g in place
    (b a number or a tuple, or of a type that g's would widen, or shaped unlike
    `like`), it adds as unindex would.
    """
    if isinstance(b, (list, dict)):
        return _add_item(b, g, index)
    dtype = getattr(b, "dtype", None)
    g_dtype = getattr(g, "dtype", dtype)  # a Python number takes b's type
    writeable = getattr(getattr(b, "flags", None), "writeable", True)  # (a broadcast view is not)
    if dtype is None or isinstance(like, (tuple, list, dict)) or getattr(b, "shape", None) != _shape(like) \
            or (g_dtype != dtype and np.promote_types(dtype, g_dtype) != dtype) or not writeable \
            or _on_array_type(b, g, index) is not b:
        return b + unindex(g, like, index)
    if type(index) is not int and _has_integer_array(index):
        return scatter_add(b, index, g)
    b[index] += g
    return b


def scatter_add(out, index, g):
    """out with g added at index, an element that index names several times getting each share
    (np.add.at, in place: out is returned). An array type whose ufuncs have no `.at` (dask's:
    np.add.at raises TypeError there) gets the sums from np.bincount over the flat positions of
    out that index names, added into a new array: positions and g broadcast together, so that
    they are split alike where the type splits arrays in chunks."""
    out = _on_array_type(out, g, index)
    try:
        np.add.at(out, index, g)
        return out
    except TypeError:
        if isinstance(out, np.ndarray):
            raise
    shape, size = _shape(out), size_of(out)
    positions = np.reshape(np.arange(size, like=out), shape)[index]
    positions, g = np.broadcast_arrays(positions, g)
    positions, g = np.reshape(positions, (-1,)), np.reshape(g, (-1,))

    def summed(weights):
        return np.reshape(np.bincount(positions, weights=weights, minlength=size), shape).astype(out.real.dtype)

    if np.iscomplexobj(g):
        return out + summed(np.real(g)) + 1j * summed(np.imag(g))
    return out + summed(g)


def _on_array_type(out, *operands):
    """out, or out's values on the array type of an operand that is an array of another kind
    (a lazy or device array beside a numpy out), so that putting it into out converts nothing."""
    if not isinstance(out, np.ndarray):
        return out
    for x in operands:
        for part in x if isinstance(x, tuple) else (x,):
            if not isinstance(part, np.ndarray) and hasattr(part, "__array_function__"):
                return np.zeros_like(part, shape=out.shape, dtype=out.dtype) + out
    return out


def _add_item(b, g, index):
    """b (a list or dict adjoint) with g added to its item at index, in place."""
    if isinstance(index, slice):  # a slice of a list: its items, one by one
        positions = range(len(b))[index]
        for position, part in zip(positions, g):
            b[position] = add_adjoints(b[position], part)
    elif isinstance(b, dict) and index not in b:
        b[index] = g
    else:
        b[index] = add_adjoints(b[index], g)
    return b


def with_item(a, index, value):
    """A copy of a with a[index] = value: the value of `a[index] = value`, computed without
    changing a, so that every earlier version stays readable by the reverse sweep. An array,
    a list or a dict (the copy is of the same kind: an adjoint stays one); where the old
    version is read by nothing afterwards, the generated code writes into a instead."""
    if isinstance(a, tuple):
        items = list(a)
        items[index] = value
        return type(a)(items)
    out = type(a)(a) if isinstance(a, (list, dict)) else a.copy()
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
    if getattr(a, "ndim", 0) == 2 and getattr(b, "ndim", 0) == 2 and getattr(g, "ndim", 0) == 2:  # matrices
        return np.dot(g, b.T)  # (numpy's dot calls BLAS for an outer product, where matmul does not)
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
    if getattr(a, "ndim", 0) == 2 and getattr(b, "ndim", 0) == 2 and getattr(g, "ndim", 0) == 2:  # matrices
        return np.dot(a.T, g)
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
    if getattr(a, "ndim", 0) == 2 and getattr(b, "ndim", 0) == 2 and getattr(g, "ndim", 0) == 2:
        return np.dot(g, b.T)
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * b, a)
    _check_dot(a, b)
    return matmul_adjoint_lhs(g, a, b)


def dot_adjoint_rhs(g, a, b):
    """Adjoint of z = dot(a, b) for b (scalars multiply; up to 2-D it is matmul)."""
    if getattr(a, "ndim", 0) == 2 and getattr(b, "ndim", 0) == 2 and getattr(g, "ndim", 0) == 2:
        return np.dot(a.T, g)
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


def scalar_seed(out, function="the function", constant=False):
    """d out / d out = 1, after checking that out, the value `function` returns, is a scalar.

    A scalar is a Python int or float, a numpy scalar or an array of shape (); an
    array of shape (1,) is not one (as in JAX), nor a bool, a string or a tuple.
    `constant`: the result does not depend on the differentiated inputs (its
    gradient is zero); then an integer (`len(x)`, a count) is refused too, as
    the sign of a mistake.
    """
    dtype = getattr(out, "dtype", None)
    if constant and (isinstance(out, int) and not isinstance(out, bool) or dtype is not None and dtype.kind in "iu"):
        raise TypeError(
            f"grad needs a real-valued output, but the value {function} returns is an integer that does not "
            "depend on the differentiated inputs (a length, a count): its gradient would be zero; return a float"
        )
    if isinstance(out, bool) or not (isinstance(out, (int, float)) or (dtype is not None and dtype.kind in "iuf")):
        what = f"a {type(out).__name__}" if dtype is None else f"an array of {dtype}"
        if isinstance(out, (tuple, list)):
            what = f"a {type(out).__name__} of {len(out)} values"
        raise TypeError(
            f"grad needs a scalar output, but the value {function} returns is {what}, not a real number; "
            "return (value, aux) with has_aux=True to return other values beside a scalar, "
            "or use vjp for the derivatives of several results"
        )
    shape = _shape(out)
    if shape != ():
        raise ValueError(
            f"grad needs a scalar output, but the value {function} returns has shape {shape}; "
            "return its sum (`.sum()`) or its one element, or use vjp with a cotangent shaped like it"
        )
    if isinstance(out, np.generic):  # a numpy scalar: its own type's 1, without making an array
        return out.dtype.type(1)
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


# ---------------------------------------------------------------- linspace (rules/creation.py)


def _moves(z):
    """Whether the values of a made array can move at all: not for integers (floored values)."""
    return np.issubdtype(z.dtype, np.inexact)


def linspace_fractions(z, endpoint=True, axis=0):
    """t, with z = linspace(start, stop, num) = start + (stop - start) t: k / (num - 1), or k / num
    without the endpoint, for the k-th sample along `axis` (0 for num = 1); shaped like z.
    Zero for an integer dtype, whose samples do not move."""
    if isinstance(z, tuple):
        raise TypeError("linspace(..., retstep=True) is not differentiable here; compute the step "
                        "as (stop - start) / (num - 1) instead")
    if not _moves(z):
        return np.zeros_like(z, dtype=float)
    n = z.shape[axis]
    k = np.cumsum(np.ones_like(z), axis=axis) - 1
    return k / max(n - 1 if endpoint else n, 1)


def arange_start_slope(z, stop):
    """dz/dstart of z = arange(start, stop, step) = start + k step: ones; zeros for arange(n),
    whose one argument is the stop (the samples 0, 1, ... do not move), and for integers."""
    if stop is None or not _moves(z):
        return np.zeros_like(z, dtype=float)
    return np.ones_like(z)


def arange_index(z):
    """dz/dstep of z = arange(start, stop, step) = start + k step: k = 0, 1, 2, ... (zeros for integers)."""
    if not _moves(z):
        return np.zeros_like(z, dtype=float)
    return np.cumsum(np.ones_like(z)) - 1


def along(v, like, axis=0):
    """v, shaped like linspace's start or stop, lined up with like = linspace(...): broadcast to
    like's shape without its sample axis `axis`, then that axis inserted with length 1."""
    if _shape(v) == ():
        return v
    shape = list(like.shape)
    del shape[axis]
    return np.expand_dims(np.broadcast_to(v, tuple(shape)), axis)


def unalong(g, like, axis=0):
    """The adjoint of `along`: g summed over the sample axis, then over what was broadcast."""
    return unbroadcast(np.sum(g, axis=axis), like)


# ---------------------------------------------------------------- statistics: prod, var/std, cumulative ops,
# average, norm, trace, logsumexp (used by rules/statistics.py)


def divide_or_zero(x, y):
    """x / y where y != 0, and 0 where y == 0, without dividing by zero.

    Used at kinks where the derivative does not exist and 0 is a subgradient:
    the 2-norm of a zero vector, the std of a constant slice.
    """
    return x / (y + (y == 0)) * (y != 0)


def check_sequence(value, name):
    """A loop over an argument whose type was not known when the derivative was made is a loop over
    a sequence (a list, a tuple, an array): a dict's loop gives its keys, which the derivative
    would read as items by position, so refuse one clearly rather than give the wrong items."""
    if isinstance(value, dict):
        raise TypeError(
            f"the derivative was made for `{name}` as a sequence (a list, a tuple or an array), and got a "
            "dict: make the derivative with the Python API (tangent_src.grad), which makes it for the "
            "argument's type"
        )


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
