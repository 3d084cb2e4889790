"""A strict, CPU-only stand-in for a CuPy array, used by the tests.

``StrictArray`` wraps a numpy ``ndarray`` (in ``.data``) and behaves like a
CuPy array for the purposes of checking that generated derivative code stays
on the "device":

* implicit conversion to numpy (``np.asarray``/``np.array``) raises the same
  ``TypeError`` that CuPy raises;
* conversion to Python scalars (``float``, ``int``, ``bool``, ``complex``,
  ``operator.index``, ``.item()``, ``.tolist()``) raises ``TypeError`` too,
  which is stricter than CuPy: emitted code must never synchronise like that;
* numpy ufuncs and array functions dispatch through ``__array_ufunc__`` and
  ``__array_function__`` and return ``StrictArray`` results (0-d results
  become 0-d ``StrictArray``, as CuPy reductions return 0-d arrays);
* combining a real numpy ``ndarray`` with a ``StrictArray`` in any operation
  (ufunc, array function, method argument, index or assigned value) raises
  ``TypeError("mixing numpy and StrictArray")``.  Numpy scalars such as
  ``np.float64(2.0)`` and Python scalars are allowed.

``wrap`` and ``unwrap`` convert between numpy and ``StrictArray``, recursing
through tuples, lists and dicts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NoReturn

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin

__all__ = ["StrictArray", "wrap", "unwrap", "MIXING_MESSAGE", "CONVERSION_MESSAGE"]

CONVERSION_MESSAGE = "Implicit conversion to a NumPy array is not allowed"
MIXING_MESSAGE = "mixing numpy and StrictArray"


def _map(x: Any, leaf: Callable[[Any], Any]) -> Any:
    """Apply ``leaf`` to ``x``, recursing through tuples, lists and dicts."""
    if isinstance(x, tuple):
        items = [_map(item, leaf) for item in x]
        return type(x)(*items) if hasattr(x, "_fields") else tuple(items)
    if isinstance(x, list):
        return [_map(item, leaf) for item in x]
    if isinstance(x, dict):
        return {key: _map(value, leaf) for key, value in x.items()}
    return leaf(x)


def _wrap_leaf(x: Any) -> Any:
    if isinstance(x, (np.ndarray, np.generic)):
        return StrictArray(x)
    return x


def _unwrap_leaf(x: Any) -> Any:
    return x.data if isinstance(x, StrictArray) else x


def _unwrap_strict_leaf(x: Any) -> Any:
    if isinstance(x, np.ndarray):
        raise TypeError(MIXING_MESSAGE)
    return _unwrap_leaf(x)


def wrap(x: Any) -> Any:
    """Wrap every ndarray / numpy scalar in ``x`` (recursively) as ``StrictArray``."""
    return _map(x, _wrap_leaf)


def unwrap(x: Any) -> Any:
    """Replace every ``StrictArray`` in ``x`` (recursively) by its numpy array."""
    return _map(x, _unwrap_leaf)


def _unwrap_strict(x: Any) -> Any:
    """Like ``unwrap``, but raise ``TypeError`` on any plain numpy ndarray."""
    return _map(x, _unwrap_strict_leaf)


def _refuse(what: str) -> NoReturn:
    raise TypeError(f"StrictArray refuses {what}: emitted code must stay on the device")


class StrictArray(NDArrayOperatorsMixin):
    """A numpy array in disguise that refuses every way back to numpy."""

    __array_priority__ = 1000.0

    def __init__(self, data: np.ndarray | np.generic) -> None:
        if not isinstance(data, (np.ndarray, np.generic)):
            raise TypeError(f"StrictArray wraps numpy arrays, got {type(data).__name__}")
        self.data: np.ndarray = np.asarray(data)

    # -- numpy protocols -------------------------------------------------

    def __array__(self, dtype: object = None, copy: object = None) -> NoReturn:
        raise TypeError(CONVERSION_MESSAGE)

    def __array_ufunc__(
        self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any
    ) -> Any:
        if any(_is_foreign(x) for x in inputs):
            return NotImplemented
        result = getattr(ufunc, method)(*_unwrap_strict(inputs), **_unwrap_strict(kwargs))
        if method == "at":
            return None
        out = kwargs.get("out")
        if out is not None:
            return out[0] if len(out) == 1 else out
        return wrap(result)

    def __array_function__(
        self,
        func: Callable[..., Any],
        types: tuple[type, ...],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        if not all(issubclass(t, (StrictArray, np.ndarray)) for t in types):
            return NotImplemented
        result = func(*_unwrap_strict(args), **_unwrap_strict(kwargs))
        out = kwargs.get("out")
        return out if isinstance(out, StrictArray) else wrap(result)

    # -- refused conversions ---------------------------------------------

    def __float__(self) -> NoReturn:
        _refuse("float()")

    def __int__(self) -> NoReturn:
        _refuse("int()")

    def __complex__(self) -> NoReturn:
        _refuse("complex()")

    def __bool__(self) -> NoReturn:
        _refuse("bool()")

    def __index__(self) -> NoReturn:
        _refuse("__index__")

    def item(self, *args: Any) -> NoReturn:
        _refuse(".item()")

    def tolist(self) -> NoReturn:
        _refuse(".tolist()")

    # -- attributes ------------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype[Any]:
        return self.data.dtype

    @property
    def nbytes(self) -> int:  # as cupy's
        return self.data.nbytes

    @property
    def T(self) -> StrictArray:
        return StrictArray(self.data.T)

    @property
    def real(self) -> StrictArray:
        return StrictArray(self.data.real)

    @property
    def imag(self) -> StrictArray:
        return StrictArray(self.data.imag)

    def __repr__(self) -> str:
        return f"StrictArray({self.data!r})"

    # -- container protocol ----------------------------------------------

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, key: Any) -> StrictArray:
        return StrictArray(self.data[_unwrap_strict(key)])

    def __setitem__(self, key: Any, value: Any) -> None:
        self.data[_unwrap_strict(key)] = _unwrap_strict(value)

    def __iter__(self) -> Iterator[StrictArray]:
        for row in self.data:
            yield StrictArray(row)

    # -- ndarray methods -------------------------------------------------

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Call ndarray method ``name`` on unwrapped arguments; wrap the result."""
        method = getattr(self.data, name)
        result = method(*_unwrap_strict(args), **_unwrap_strict(kwargs))
        out = kwargs.get("out")
        return out if isinstance(out, StrictArray) else wrap(result)

    def sum(self, *args: Any, **kwargs: Any) -> StrictArray:
        return self._call("sum", *args, **kwargs)

    def mean(self, *args: Any, **kwargs: Any) -> StrictArray:
        return self._call("mean", *args, **kwargs)

    def max(self, *args: Any, **kwargs: Any) -> StrictArray:
        return self._call("max", *args, **kwargs)

    def min(self, *args: Any, **kwargs: Any) -> StrictArray:
        return self._call("min", *args, **kwargs)

    def prod(self, *args: Any, **kwargs: Any) -> StrictArray:
        return self._call("prod", *args, **kwargs)

    def std(self, *args: Any, **kwargs: Any) -> StrictArray:
        return self._call("std", *args, **kwargs)

    def var(self, *args: Any, **kwargs: Any) -> StrictArray:
        return self._call("var", *args, **kwargs)

    def reshape(self, *args: Any, **kwargs: Any) -> StrictArray:
        return self._call("reshape", *args, **kwargs)

    def transpose(self, *args: Any) -> StrictArray:
        return self._call("transpose", *args)

    def dot(self, *args: Any, **kwargs: Any) -> StrictArray:
        return self._call("dot", *args, **kwargs)

    def clip(self, *args: Any, **kwargs: Any) -> StrictArray:
        return self._call("clip", *args, **kwargs)

    def copy(self, *args: Any, **kwargs: Any) -> StrictArray:
        return self._call("copy", *args, **kwargs)

    def astype(self, *args: Any, **kwargs: Any) -> StrictArray:
        return self._call("astype", *args, **kwargs)

    def ravel(self, *args: Any, **kwargs: Any) -> StrictArray:
        return self._call("ravel", *args, **kwargs)

    def flatten(self, *args: Any, **kwargs: Any) -> StrictArray:
        return self._call("flatten", *args, **kwargs)

    def squeeze(self, *args: Any, **kwargs: Any) -> StrictArray:
        return self._call("squeeze", *args, **kwargs)

    def swapaxes(self, *args: Any, **kwargs: Any) -> StrictArray:
        return self._call("swapaxes", *args, **kwargs)

    def repeat(self, *args: Any, **kwargs: Any) -> StrictArray:
        return self._call("repeat", *args, **kwargs)

    def take(self, *args: Any, **kwargs: Any) -> StrictArray:
        return self._call("take", *args, **kwargs)

    def cumsum(self, *args: Any, **kwargs: Any) -> StrictArray:
        return self._call("cumsum", *args, **kwargs)

    def cumprod(self, *args: Any, **kwargs: Any) -> StrictArray:
        return self._call("cumprod", *args, **kwargs)

    def trace(self, *args: Any, **kwargs: Any) -> StrictArray:
        return self._call("trace", *args, **kwargs)

    def diagonal(self, *args: Any, **kwargs: Any) -> StrictArray:
        return self._call("diagonal", *args, **kwargs)

    def argmax(self, *args: Any, **kwargs: Any) -> StrictArray:
        return self._call("argmax", *args, **kwargs)

    def argmin(self, *args: Any, **kwargs: Any) -> StrictArray:
        return self._call("argmin", *args, **kwargs)

    def any(self, *args: Any, **kwargs: Any) -> StrictArray:
        return self._call("any", *args, **kwargs)

    def all(self, *args: Any, **kwargs: Any) -> StrictArray:
        return self._call("all", *args, **kwargs)

    def argsort(self, *args: Any, **kwargs: Any) -> StrictArray:
        return self._call("argsort", *args, **kwargs)

    def nonzero(self) -> tuple[StrictArray, ...]:
        return self._call("nonzero")

    def conj(self) -> StrictArray:
        return self._call("conj")

    def conjugate(self) -> StrictArray:
        return self._call("conjugate")


def _is_foreign(x: Any) -> bool:
    """True for operands with their own ``__array_ufunc__`` that we do not know."""
    if isinstance(x, (StrictArray, np.ndarray, np.generic)):
        return False
    return hasattr(type(x), "__array_ufunc__")
