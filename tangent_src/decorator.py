"""`@differentiate`: a function with its derivatives attached (`loss.grad`, `loss.source()`).

Stage: API. The derivatives are api.py's, made on first use (and cached there).
"""

from __future__ import annotations

from typing import Any, Callable

import functools

MODES = ("grad", "value_and_grad", "vjp", "jvp")


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
        from .api import grad

        return grad(self.function, self.wrt, has_aux=self.has_aux)

    @property
    def value_and_grad(self) -> Callable:
        from .api import value_and_grad

        return value_and_grad(self.function, self.wrt, has_aux=self.has_aux)

    @property
    def vjp(self) -> Callable:
        self._no_aux("vjp")
        from .api import vjp

        return vjp(self.function, self.wrt)

    @property
    def jvp(self) -> Callable:
        self._no_aux("jvp")
        from .api import jvp

        return jvp(self.function, self.wrt)

    def _no_aux(self, mode: str) -> None:
        if self.has_aux:
            raise TypeError(f"{self.__name__} was declared with has_aux=True, which applies to grad and "
                            f"value_and_grad only; call ts.{mode}({self.__name__}.function) for the {mode} "
                            "of the whole result")

    def source(self, mode: str | None = None) -> Any:
        """The generated code of one derivative: "grad", "value_and_grad", "vjp" or "jvp"."""
        from .api import source

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


__all__ = ["Differentiable", "differentiate"]
