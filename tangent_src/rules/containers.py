"""Rules of Python's containers and the Python around numpy code: dicts, identity and
membership tests, attribute reads of objects, strings made of values.

A dict's tangent is the dict of its values' tangents, its adjoint the dict of
their adjoints (runtime.Dict adds key by key). Identity (`is`), membership
(`in`), an object's attributes and formatted strings carry no derivative: they
are marked non-differentiable, and an object that carries one cannot be read
by attribute (a strict parameter), so no derivative is ever dropped silently.
"""

from __future__ import annotations

import inspect

from ..runtime import unbroadcast, unindex, with_item, zeros_like_tree  # noqa: F401  (names used by templates)
from .registry import array_attribute, array_method, nondiff, rule

_BINARY = inspect.Signature([inspect.Parameter("x", inspect.Parameter.POSITIONAL_ONLY),
                             inspect.Parameter("y", inspect.Parameter.POSITIONAL_ONLY)])


def _binary(x, y):  # the signature of `x is y`, `k in d`
    ...


# `a is b`, `a is not b`: identity, no derivative (`if y is None: return scores`)
nondiff("operator.is_", "operator.is_not", signature=_binary)
# `k in d` is contains(d, k); `k not in d` its negation
nondiff("operator.contains", "operator.not_contains", signature=_binary)


def _keys(a):  # list(d): the keys of a dict, which a `for k in d` loop runs over
    ...


nondiff("dict.keys", signature=_keys)
nondiff("dict.sorted_keys", signature=_keys)  # sorted(list(d)): `for k, v in sorted(d.items())`


def _getattr(obj, name):
    ...


# `obj.attr` of an object that is not an array (self.reg, config.lr): a constant. An object that
# carries a derivative (a parameter differentiated as a whole) cannot be read this way.
nondiff("getattr", signature=_getattr, strict=("obj",))


def _new_object(cls):
    ...


# `Model.__new__(Model)`: an object of a class of the user's that the function makes (its
# __init__ and methods are inlined, its attributes followed as names: frontend/objects.py)
nondiff("python.new_object", signature=_new_object)


def _builtin_getattr(obj, name, default=None):
    ...


nondiff("builtins.getattr", signature=_builtin_getattr, strict=("obj",))
nondiff("builtins.hasattr", "builtins.callable")
# `x.dtype`, `x.itemsize`: facts about an array, differentiated or not
nondiff("ndarray.dtype", "ndarray.itemsize")
array_attribute("dtype", "ndarray.dtype")
array_method("item", "builtins.float")  # `loss.item()` of a one-element array: float(loss)
array_attribute("itemsize", "ndarray.itemsize")


# f"{loss:.3f}", a string made of values: no derivative
nondiff("python.format")

# `if name.startswith("W"):` over the keys of a params dict: methods of strings (no array has
# them), whose results carry no derivative
for _name in ("startswith", "endswith", "lower", "upper", "strip", "lstrip", "rstrip", "split", "replace",
              "join", "isdigit", "isalpha"):
    nondiff(f"str.{_name}")
    array_method(_name, f"str.{_name}")


@rule("dict.get", diff=("a", "default"))
def dict_get(a, key, default=None, has=True):
    """z = a.get(key, default): a[key]'s tangent where the key is there (`has`, the test `key in a`
    made when the value was read), default's otherwise"""

    def tangent(da, ddefault):
        return da[key] if has else ddefault

    def adjoint(bz):
        return (unindex(bz, like=a, index=key) if has else zeros_like_tree(a)), (
            zeros_like_tree(default) if has else unbroadcast(bz, like=default))


@rule("dict.copy", diff=("a",))
def dict_copy(a):
    """z = a.copy() (or dict(a)) of a dict: a new dict of the same values"""

    def tangent(da):
        return dict(da)

    def adjoint(bz):
        return bz


@rule("dict.setitem", diff=("a", "value"))
def dict_setitem(a, index, value):
    """z = a with z[index] = value, a dict (written in place: z is a); the value is stored as it is,
    not broadcast: bz[index] goes to value whole, the rest of bz to a"""

    def tangent(da, dvalue):
        return with_item(da, index, dvalue)

    def adjoint(bz):
        return with_item(bz, index, 0.0), bz[index]


def _mismatched(line, given, expected):
    ...


# a return of fewer values than the function's others (`if mode == "test": return scores`): raises,
# saying so, if it is the one taken; an effect, never dropped
nondiff("mismatched_return", signature=_mismatched, effect=True)
