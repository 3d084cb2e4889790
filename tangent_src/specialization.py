"""Derivatives specialized to their arguments: one made per call signature (issue 14).

Stage: API (run time). `grad(f)` (specialize=True, the default) returns a `Specialized`: at each call it finds,
by a quick key of the arguments (`quick`), the derivative made for their signature
(analysis/inference.py, `signature`: kinds, ranks, dtypes, the pattern of equal dimensions and of
dimensions 0 or 1), and makes it the first time (`make`, given by api.py, runs the pipeline with the
inference stage's facts).
"""

from __future__ import annotations

import functools
import inspect
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

if TYPE_CHECKING:
    from .pipeline import Derivative


class Specialized:
    """A derivative made for the signature of each call's arguments, once per signature.

    fn: what the user differentiates; function, leading, keywords: the function it runs and the
    arguments it binds first (self, a partial's); count: the arguments after f's own (the cotangent
    of vjp); make: signature -> the derivative made for it (None: the general one)."""

    def __init__(self, fn: Callable, function: Callable, leading: tuple, keywords: dict, count: int,
                 make: Callable[[dict], Callable], tangents: bool = False):
        self._tangents = tangents  # (jvp: the `count` arguments after f's are tangents)
        self._leading, self._keywords = leading, keywords
        self._primal = inspect.signature(function)
        self._count = count
        self._make = make
        self._made: dict[tuple, Callable] = {}  # signature -> derivative
        self._seen: dict[tuple, Callable] = {}  # quick key of the arguments -> derivative (each call's lookup)
        self._positional: dict[tuple, Callable] = {}  # the same for calls without keywords
        self._last: Callable | None = None
        functools.update_wrapper(self, fn, updated=())

    def arguments_of(self, args: tuple, kwargs: dict) -> tuple:
        """The signature of a call (a key of the cache)."""
        from .analysis.inference import COTANGENT, TANGENT, signature

        args, kwargs = (*self._leading, *args), {**self._keywords, **kwargs}
        own = {k: v for k, v in kwargs.items() if k in self._primal.parameters}
        extras = self._count - (len(kwargs) - len(own))
        bound = self._primal.bind_partial(*args[:len(args) - max(extras, 0)], **own)
        bound.apply_defaults()
        found = dict(bound.arguments)
        others = [v for k, v in kwargs.items() if k not in self._primal.parameters]
        if self._tangents:  # a jvp's tangents, given last (or by their names), one per wrt parameter
            given = [*args[len(args) - max(extras, 0):], *others] if extras > 0 else others
            for k, value in enumerate(given):
                found[f"{TANGENT}{k}"] = value
        elif self._count == 1:  # a vjp's cotangent (given last, or by its name)
            found[COTANGENT] = others[0] if others else args[-1] if args else None
        return tuple(signature(found).items())

    def for_arguments(self, args: tuple, kwargs: dict) -> Callable:
        key = (tuple(map(quick, args)), tuple((k, quick(v)) for k, v in sorted(kwargs.items())))
        found = self._seen.get(key)
        if found is None:
            signature = self.arguments_of(args, kwargs)
            if signature not in self._made:
                self._made[signature] = self._make(dict(signature))
            found = self._seen[key] = self._made[signature]
            if not kwargs:
                self._positional[key[0]] = found
        self._last = found
        return found

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not kwargs:  # (the usual call: one lookup by the positional arguments' quick keys)
            found = self._positional.get(tuple(map(quick, args)))
            if found is not None:
                self._last = found
                return found(*args)
        return self.for_arguments(args, kwargs)(*args, **kwargs)

    @property
    def __signature__(self) -> inspect.Signature:  # (the general derivative's: f's, then a cotangent)
        return inspect.signature(self.general)

    @functools.cached_property
    def general(self) -> Callable:
        """The derivative for any arguments (what ts.source(g) shows, what is differentiated again)."""
        return self._make(None)

    @property
    def __tangent_src__(self) -> "Derivative":
        """The generated code of the last call (of the general derivative before any call)."""
        return (self._last or self.general).__tangent_src__  # type: ignore[attr-defined]

    def _repr_html_(self) -> str:  # (IPython/Jupyter: the general code)
        return self.general._repr_html_()  # type: ignore[attr-defined]

    def _repr_markdown_(self) -> str:
        return self.general._repr_markdown_()  # type: ignore[attr-defined]


def quick(value: Any) -> Any:
    """A key of an argument at least as fine as its signature (analysis/inference.py, `signature`),
    and quick to make: the shape and dtype of an array, the value of an int, the items of a short
    tuple, list or dict, the type of anything else."""
    kind = type(value)
    if kind is np.ndarray:
        return kind, value.shape, value.dtype
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple):
        return kind, shape, getattr(value, "dtype", None)
    if type(value) is int:
        return int, value
    if isinstance(value, (tuple, list)) and len(value) <= 64:
        return type(value), tuple(quick(v) for v in value)
    if type(value) is dict and len(value) <= 64:
        return dict, tuple((k, quick(v)) for k, v in value.items())
    return type(value), len(value) if isinstance(value, (tuple, list)) else None


