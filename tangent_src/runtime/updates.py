"""Helpers for numpy's in-place updates written as values (rules/updates.py).

`np.add.at(a, indices, b)` adds b into a at indices, each repeated index adding
again; the normalized program binds a's next version to `added_at(a, indices,
b)`, a new array, so that every earlier version stays readable.
"""

from .core import scatter_add


def added_at(a, indices, b):
    """A copy of a with b added at indices, repeated indices adding up (np.add.at on the copy)."""
    return scatter_add(a.copy(), indices, b)


def mismatched_return(line, given, expected):
    """The return at `line` gives fewer values than the function's other returns: the derivative
    was made for the others' kind of result, so taking this one is an error, said as such."""
    raise ValueError(f"the return at line {line} gives {given} value(s), where the function's other returns "
                     f"give {expected}: the derivative was made for those; call it with arguments that take "
                     "one of them (e.g. pass y to a model's loss)")
