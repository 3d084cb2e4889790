"""The public API: grad, value_and_grad, vjp, jvp, source, differentiate; and the derivative cache.

Derivatives are generated once per (function, mode, wrt) and cached; the
returned objects are the generated functions themselves, so calling one costs
nothing beyond the derivative code.
"""

from __future__ import annotations

import functools
import weakref
from typing import Any, Callable

from .pipeline import MODES, Derivative, derive

_CACHE: "weakref.WeakKeyDictionary[Callable, dict[tuple, Derivative]]" = weakref.WeakKeyDictionary()


def _wrt_key(wrt: Any) -> tuple:
    return ("tuple", tuple(wrt)) if isinstance(wrt, (tuple, list)) else ("one", wrt)


def _derivative(fn: Callable, mode: str, wrt: Any, annotate: bool = False) -> Callable:
    per_function = _CACHE.setdefault(fn, {})
    key = (mode, _wrt_key(wrt), annotate)
    if key not in per_function:
        made = derive(fn, mode, wrt, annotate=annotate)
        made.function.__tangent_src__ = made  # type: ignore[attr-defined]
        text = SourceCode(made.source)
        made.function._repr_html_ = text._repr_html_  # type: ignore[attr-defined]  (IPython/Jupyter)
        made.function._repr_markdown_ = text._repr_markdown_  # type: ignore[attr-defined]
        per_function[key] = made
    return per_function[key].function


def grad(fn: Callable, wrt: Any = 0, *, annotate: bool = False) -> Callable:
    """The gradient of fn's scalar result: `grad(f, wrt=0)(*args)`.

    annotate=True comments each derivative statement with the statement it comes from.
    """
    return _derivative(fn, "grad", wrt, annotate)


def value_and_grad(fn: Callable, wrt: Any = 0, *, annotate: bool = False) -> Callable:
    """`value_and_grad(f, wrt)(*args)` returns (f(*args), gradient).

    annotate=True comments each derivative statement with the statement it comes from.
    """
    return _derivative(fn, "value_and_grad", wrt, annotate)


def vjp(fn: Callable, wrt: Any = 0, *, annotate: bool = False) -> Callable:
    """`vjp(f, wrt)(*args, cotangent)`: the cotangent (shaped like f's result) pulled back.

    annotate=True comments each derivative statement with the statement it comes from.
    """
    return _derivative(fn, "vjp", wrt, annotate)


def jvp(fn: Callable, wrt: Any = 0, *, annotate: bool = False) -> Callable:
    """`jvp(f, wrt)(*args, *tangents)` returns (f(*args), the tangent of the result).

    annotate=True comments each derivative statement with the statement it comes from.
    """
    return _derivative(fn, "jvp", wrt, annotate)


class SourceCode(str):
    """Generated source text: a str that IPython and Jupyter show highlighted."""

    def _repr_html_(self) -> str:
        from .codegen.html import code_html

        return code_html(self)

    def _repr_markdown_(self) -> str:
        return f"```python\n{self}```"


def source(derivative: Callable) -> SourceCode:
    """The generated source text of a derivative made by grad, value_and_grad, vjp or jvp."""
    made = getattr(derivative, "__tangent_src__", None)
    if made is None:
        raise TypeError(f"{derivative!r} was not made by tangent_src (use grad, value_and_grad, vjp or jvp)")
    return SourceCode(made.source)


class Differentiable:
    """A function with its derivatives attached, made by `@differentiate`.

    Calling it calls the function; `.grad`, `.value_and_grad`, `.vjp` and `.jvp`
    are its derivatives with respect to `wrt` (generated on first use, once), and
    `.source(mode)` is their generated code.
    """

    def __init__(self, fn: Callable, wrt: Any = 0, mode: str = "grad"):
        functools.update_wrapper(self, fn)
        self.function = fn
        self.wrt = wrt
        self.mode = mode

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.function(*args, **kwargs)

    @property
    def grad(self) -> Callable:
        return grad(self.function, self.wrt)

    @property
    def value_and_grad(self) -> Callable:
        return value_and_grad(self.function, self.wrt)

    @property
    def vjp(self) -> Callable:
        return vjp(self.function, self.wrt)

    @property
    def jvp(self) -> Callable:
        return jvp(self.function, self.wrt)

    def source(self, mode: str | None = None) -> SourceCode:
        """The generated code of one derivative: "grad", "value_and_grad", "vjp" or "jvp"."""
        return source(getattr(self, mode or self.mode))


def differentiate(fn: Callable | None = None, *, wrt: Any = 0, mode: str = "grad") -> Any:
    """`@differentiate` or `@differentiate(wrt=..., mode=...)`: attach the derivatives to a function."""
    if mode not in MODES:
        raise ValueError(f"mode must be grad, value_and_grad, vjp or jvp, not {mode!r}")
    if fn is None:
        return lambda f: Differentiable(f, wrt, mode)
    return Differentiable(fn, wrt, mode)
