"""Vector forward mode: tangents that carry k directions on a leading axis (Tapenade's -vector).

Stage: none (run time); see tangent_src/runtime/__init__.py. A tangent of x in vector mode has
shape (k,) + x.shape (a tree of such for a tuple, list or dict). Elementwise rules broadcast
over the leading axis once the tangent is `lift`ed to the rank of the result; the other rules
run once per direction (`direction`, then `stack_directions`), which is always right because a
tangent rule is linear in the tangents.
"""

import numpy as np

from .core import unindex


def direction_count(*tangents):
    """k, the length of the leading axis of the first array among the tangents (trees included)."""
    for t in tangents:
        if isinstance(t, dict):
            found = direction_count(*t.values())
        elif isinstance(t, (list, tuple)):
            found = direction_count(*t)
        else:
            found = np.shape(t)[0] if np.ndim(t) > 0 else None
        if found is not None:
            return found
    return None


def lift(t, like):
    """The k directions t of a value of rank r, with axes of length 1 inserted after the first so
    that t broadcasts against `like`, a value of rank >= r (the result of an elementwise op)."""
    if not hasattr(t, "shape"):
        return t  # a Python number (a zero tangent): broadcasts as it is
    missing = np.ndim(like) - (np.ndim(t) - 1)
    if missing <= 0:
        return t
    return np.reshape(t, t.shape[:1] + (1,) * missing + t.shape[1:])


def zeros_along(value, directions):
    """The zero tangent of value in k directions: zeros shaped (k,) + value.shape, on value's
    device (0.0 for a Python number, which broadcasts against any tangent)."""
    if isinstance(value, dict):
        return {k: zeros_along(v, directions) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(zeros_along(v, directions) for v in value)
    if not hasattr(value, "shape") or isinstance(value, np.generic):
        return 0.0
    return np.zeros_like(value, shape=(directions,) + value.shape)


def direction(t, j):
    """The j-th of the k directions of a tangent (of each array in a tree); a number is the same in
    every direction."""
    if isinstance(t, dict):
        return {k: direction(v, j) for k, v in t.items()}
    if isinstance(t, (list, tuple)):
        return type(t)(direction(v, j) for v in t)
    return t[j] if np.ndim(t) > 0 else t


def stack_directions(parts):
    """The tangents computed one direction at a time, stacked on a leading axis (tree by tree)."""
    first = parts[0]
    if isinstance(first, dict):
        return {k: stack_directions([p[k] for p in parts]) for k in first}
    if isinstance(first, (list, tuple)):
        return type(first)(stack_directions([p[i] for p in parts]) for i in range(len(first)))
    if not hasattr(first, "shape") and all(p == first for p in parts):
        return first  # a number (a zero) in every direction
    return np.stack(parts)


def total_directions(t):
    """np.sum of each direction of t: the tangent of a full sum in vector mode, shaped (k,)."""
    if not hasattr(t, "shape"):
        return t
    return np.sum(t, axis=tuple(range(1, np.ndim(t)))) if np.ndim(t) > 1 else t


def take_directions(t, index):
    """t[index] in every direction: the item of a tree, or the index applied after the leading
    axis of an array."""
    if isinstance(t, (list, tuple, dict)):
        return t[index]
    if not hasattr(t, "shape"):
        return t
    return t[(slice(None),) + (index if isinstance(index, tuple) else (index,))]


# ---- the adjoints of the helpers above (a vector-mode derivative can be differentiated again)


def undirection(g, like, j):
    """Adjoint of direction(t, j): zeros shaped like t with g as its j-th direction."""
    if isinstance(like, dict):
        return {k: undirection(g[k], v, j) for k, v in like.items()}
    if isinstance(like, (list, tuple)):
        return type(like)(undirection(a, v, j) for a, v in zip(g, like))
    if np.ndim(like) == 0:
        return g
    out = np.zeros_like(like)
    out[j] = g
    return out


def unstack_directions(g, like):
    """Adjoint of stack_directions(parts): the parts' adjoints, one per direction (a list)."""
    return [direction(g, j) for j in range(len(like))]


def untake_directions(g, like, index):
    """Adjoint of take_directions(t, index): zeros shaped like t with g added at index in every direction."""
    if isinstance(like, (list, tuple, dict)) or not hasattr(like, "shape"):
        return unindex(g, like=like, index=index)
    return unindex(g, like=like, index=(slice(None),) + (index if isinstance(index, tuple) else (index,)))


def spread_directions(g, like):
    """Adjoint of total_directions(t): each direction's g spread over t's elements."""
    if not hasattr(like, "shape") or np.ndim(like) <= 1:
        return g
    return np.broadcast_to(np.reshape(g, np.shape(g) + (1,) * (np.ndim(like) - 1)), like.shape)
