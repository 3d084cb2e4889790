"""The public API: grad, value_and_grad, vjp, jvp, source, differentiate; and the derivative cache.

Derivatives are generated once per (function, mode, wrt, has_aux) and cached;
the returned objects are the generated functions themselves (for vjp and jvp, a
thin wrapper that binds the primal arguments as the function does: see
`_bind_primals`), so calling one costs nothing beyond the derivative code.
"""

from __future__ import annotations

import functools
import inspect
import weakref
from typing import Any, Callable

from .pipeline import MODES, Derivative, derive

# fn -> (mode, wrt, annotate, has_aux) -> (what was derived, the function handed to the user)
_CACHE: "weakref.WeakKeyDictionary[Callable, dict[tuple, tuple[Derivative, Callable]]]" = weakref.WeakKeyDictionary()


def _wrt_key(wrt: Any) -> tuple:
    return ("tuple", tuple(wrt)) if isinstance(wrt, (tuple, list)) else ("one", wrt)


def _derivative(fn: Callable, mode: str, wrt: Any, annotate: bool = False, has_aux: bool = False) -> Callable:
    per_function = _CACHE.setdefault(fn, {})
    key = (mode, _wrt_key(wrt), annotate, has_aux)
    if key not in per_function:
        made = derive(fn, mode, wrt, annotate=annotate, has_aux=has_aux)
        public = made.function
        if mode in ("vjp", "jvp"):
            public = _bind_primals(fn, made.function, len(made.wrt) if mode == "jvp" else 1)
        public.__tangent_src__ = made  # type: ignore[attr-defined]
        text = SourceCode(made.source)
        public._repr_html_ = text._repr_html_  # type: ignore[attr-defined]  (IPython/Jupyter)
        public._repr_markdown_ = text._repr_markdown_  # type: ignore[attr-defined]
        per_function[key] = (made, public)
    return per_function[key][1]


def _bind_primals(fn: Callable, derivative: Callable, count: int) -> Callable:
    """`vjp_f(*args, cotangent)` / `jvp_f(*args, *tangents)` called as the user calls f.

    The rule: the last `count` positional arguments are the cotangent (vjp) or the
    tangents (jvp); all the others, and every keyword argument, are f's own, bound
    as f binds them (so a parameter with a default may be left out, or given by
    name). The generated function takes every primal parameter, then the extras."""
    primal = inspect.signature(fn)
    generated = list(inspect.signature(derivative).parameters.values())
    positional = [p.name for p in generated if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    names, extras = positional[:len(positional) - count], positional[len(positional) - count:]
    keyword = [p.name for p in generated if p.kind is inspect.Parameter.KEYWORD_ONLY]
    total = len(positional)

    @functools.wraps(derivative)
    def call(*args: Any, **kwargs: Any) -> Any:
        if not kwargs and len(args) == total:
            return derivative(*args)
        given = {k: kwargs.pop(k) for k in extras if k in kwargs}
        missing = [k for k in extras if k not in given]
        split = len(args) - len(missing)
        if split < 0:
            raise TypeError(f"{derivative.__name__}() takes {fn.__name__}'s arguments, then "
                            f"{', '.join(extras)}; got {len(args)} positional arguments")
        given.update(zip(missing, args[split:]))
        bound = primal.bind(*args[:split], **kwargs)
        bound.apply_defaults()
        return derivative(*(bound.arguments[n] for n in names), *(given[k] for k in extras),
                          **{k: bound.arguments[k] for k in keyword if k in bound.arguments})

    return call


def grad(fn: Callable, wrt: Any = 0, *, has_aux: bool = False, annotate: bool = False) -> Callable:
    """The gradient of fn's scalar result: `grad(f, wrt=0)(*args)`.

    has_aux=True: fn returns `(value, aux)` with value a scalar; the derivative
    returns `(gradient, aux)`, aux as fn returns it (never differentiated).
    annotate=True comments each derivative statement with the statement it comes from.
    """
    return _derivative(fn, "grad", wrt, annotate, has_aux)


def value_and_grad(fn: Callable, wrt: Any = 0, *, has_aux: bool = False, annotate: bool = False) -> Callable:
    """`value_and_grad(f, wrt)(*args)` returns (f(*args), gradient).

    has_aux=True: fn returns `(value, aux)` with value a scalar; the derivative
    returns `((value, aux), gradient)`, aux never differentiated.
    annotate=True comments each derivative statement with the statement it comes from.
    """
    return _derivative(fn, "value_and_grad", wrt, annotate, has_aux)


def vjp(fn: Callable, wrt: Any = 0, *, annotate: bool = False) -> Callable:
    """`vjp(f, wrt)(*args, cotangent)`: the cotangent (shaped like f's result) pulled back.

    The last positional argument is the cotangent; the others and the keyword
    arguments are f's, bound as f binds them (defaults may be left out).
    annotate=True comments each derivative statement with the statement it comes from.
    """
    return _derivative(fn, "vjp", wrt, annotate)


def jvp(fn: Callable, wrt: Any = 0, *, annotate: bool = False) -> Callable:
    """`jvp(f, wrt)(*args, *tangents)` returns (f(*args), the tangent of the result).

    The last len(wrt) positional arguments are the tangents, one per wrt parameter;
    the others and the keyword arguments are f's, bound as f binds them.
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

    def __init__(self, fn: Callable, wrt: Any = 0, mode: str = "grad", has_aux: bool = False):
        functools.update_wrapper(self, fn)
        self.function = fn
        self.wrt = wrt
        self.mode = mode
        self.has_aux = has_aux

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.function(*args, **kwargs)

    @property
    def grad(self) -> Callable:
        return grad(self.function, self.wrt, has_aux=self.has_aux)

    @property
    def value_and_grad(self) -> Callable:
        return value_and_grad(self.function, self.wrt, has_aux=self.has_aux)

    @property
    def vjp(self) -> Callable:
        self._no_aux("vjp")
        return vjp(self.function, self.wrt)

    @property
    def jvp(self) -> Callable:
        self._no_aux("jvp")
        return jvp(self.function, self.wrt)

    def _no_aux(self, mode: str) -> None:
        if self.has_aux:
            raise TypeError(f"{self.__name__} was declared with has_aux=True, which applies to grad and "
                            f"value_and_grad only; call ts.{mode}({self.__name__}.function) for the {mode} "
                            "of the whole result")

    def source(self, mode: str | None = None) -> SourceCode:
        """The generated code of one derivative: "grad", "value_and_grad", "vjp" or "jvp"."""
        return source(getattr(self, mode or self.mode))


def differentiate(fn: Callable | None = None, *, wrt: Any = 0, mode: str = "grad", has_aux: bool = False) -> Any:
    """`@differentiate` or `@differentiate(wrt=..., mode=..., has_aux=...)`: attach the derivatives to a
    function. has_aux=True (grad and value_and_grad): the function returns (value, aux)."""
    if mode not in MODES:
        raise ValueError(f"mode must be grad, value_and_grad, vjp or jvp, not {mode!r}")
    if has_aux and mode not in ("grad", "value_and_grad"):
        raise ValueError(f"has_aux=True applies to mode grad or value_and_grad, not {mode!r}")
    if fn is None:
        return lambda f: Differentiable(f, wrt, mode, has_aux)
    return Differentiable(fn, wrt, mode, has_aux)
