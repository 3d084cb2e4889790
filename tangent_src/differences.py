"""Finite-difference schemes for `check_grad`: the derivative of a scalar function of one number.

Each scheme's error is truncation (from the Taylor terms it drops, falling as h^p) plus rounding
(eps |f| / h from subtracting nearly equal values of f, growing as h falls). Their sum is least
where the two are equal, h^p ~ eps / h, so the default step is h = eps^(1/(p+1)) times the scale of
x (max(1, |x|)), with eps float64's machine epsilon (2.2e-16):

- "forward"     (f(x + h) - f(x)) / h, truncation O(h):  h = eps^(1/2) ~ 1.5e-8, error ~ 1e-8.
- "central"     (f(x + h) - f(x - h)) / 2h, O(h^2):       h = eps^(1/3) ~ 6e-6,  error ~ 1e-11.
- "five-point"  (-f(x + 2h) + 8 f(x + h) - 8 f(x - h) + f(x - 2h)) / 12h, O(h^4):
                                                          h = eps^(1/5) ~ 7e-4,  error ~ 1e-13.
- "richardson"  Richardson's extrapolation of central differences, (4 D(h/2) - D(h)) / 3 with D
                the central difference: the h^2 terms cancel, O(h^4), h = eps^(1/5) as above.
- "complex-step" Im f(x + i h) / h, truncation O(h^2) and no subtraction, so no rounding error:
                h = 1e-20 reaches the machine precision (~1e-15). It needs f to run on complex
                numbers and be analytic there: `abs`, `maximum`, comparisons and `.real` are not.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

_EPS = float(np.finfo(np.float64).eps)

# scheme -> its default relative step, eps^(1/(p+1)) for truncation O(h^p) (the docstring says why)
SCHEMES = {
    "forward": _EPS ** (1 / 2),
    "central": _EPS ** (1 / 3),
    "five-point": _EPS ** (1 / 5),
    "richardson": _EPS ** (1 / 5),
    "complex-step": 1e-20,
}


def check_scheme(scheme: str) -> None:
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {', '.join(repr(s) for s in SCHEMES)}, not {scheme!r}")


def derivative(phi: Callable[[float | complex], float | complex], x: float, scheme: str,
               step: float | None = None) -> float:
    """d phi / dx at x by the scheme, with the step relative to max(1, |x|) (the default: SCHEMES)."""
    h = (SCHEMES[scheme] if step is None else step) * max(1.0, abs(x))
    if scheme == "forward":
        return (phi(x + h) - phi(x)) / h
    if scheme == "central":
        return _central(phi, x, h)
    if scheme == "five-point":
        return (-phi(x + 2 * h) + 8 * phi(x + h) - 8 * phi(x - h) + phi(x - 2 * h)) / (12 * h)
    if scheme == "richardson":
        return (4 * _central(phi, x, h / 2) - _central(phi, x, h)) / 3
    return float(np.imag(phi(x + 1j * h))) / h


def _central(phi: Callable, x: float, h: float) -> float:
    return (phi(x + h) - phi(x - h)) / (2 * h)


__all__ = ["SCHEMES", "check_scheme", "derivative"]
