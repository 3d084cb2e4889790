"""Helpers of the scipy.special rules (scipy is imported only when they run).

Stage: none (run time); see tangent_src/runtime/__init__.py.
"""


def scipy_polygamma(n, x):
    """psi^(n)(x), the n-th derivative of the digamma function psi = d log Gamma / dx:
    psi(x) for n = 0, else (-1)**(n + 1) n! zeta(n + 1, x) (Hurwitz zeta). Computed by
    scipy.special, or cupyx.scipy.special for a cupy array, imported on first use."""
    special = _scipy_special_for(x)
    if n == 0:
        return special.digamma(x)
    factorial = 1
    for k in range(2, n + 1):
        factorial *= k
    return (-1) ** (n + 1) * factorial * special.zeta(n + 1, x)


def _scipy_special_for(x):
    """scipy.special, or cupyx.scipy.special for a cupy array (scipy is an optional dependency)."""
    if type(x).__module__.split(".")[0] == "cupy":
        import cupyx.scipy.special as special
    else:
        import scipy.special as special
    return special
