"""scipy.special: the logistic functions, error functions, log-gamma and friends, softmax.

The keys are strings, so this table does not import scipy: scipy stays an
optional dependency, imported when a function that uses it is differentiated.
Templates see only numpy and the runtime helpers, so a derivative that needs
another special function (digamma for gammaln) calls the helper
`scipy_polygamma`, which imports scipy.special (or cupyx.scipy.special, for
cupy arrays) when it runs. (logsumexp is in statistics.py.)
"""

import math

import numpy as np

from .registry import elementwise, positive, rule
from ..runtime import divide_or_zero, scipy_polygamma  # noqa: F401  (names used by templates)


def probability(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Values in [0.1, 0.9], inside logit's domain (0, 1) and away from its poles."""
    return rng.uniform(0.1, 0.9, shape)


# ---- logistic


@elementwise("scipy.special.expit")
def expit(x, z):
    """d expit(x) = expit(x) (1 - expit(x)) dx, expit(x) = 1 / (1 + exp(-x))"""
    return z * (1 - z)


@elementwise("scipy.special.logit", domain=probability)
def logit(x, z):
    """d logit(x) = dx / (x (1 - x)), logit(x) = log(x / (1 - x))"""
    return 1 / (x * (1 - x))


# ---- error functions


@elementwise("scipy.special.erf")
def erf(x, z):
    """d erf(x) = 2 / sqrt(pi) exp(-x**2) dx"""
    return 2 / math.sqrt(math.pi) * np.exp(-(x**2))


@elementwise("scipy.special.erfc")
def erfc(x, z):
    """d erfc(x) = d (1 - erf(x)) = -2 / sqrt(pi) exp(-x**2) dx"""
    return -2 / math.sqrt(math.pi) * np.exp(-(x**2))


# ---- the gamma function


@elementwise("scipy.special.gammaln", domain=positive)
def gammaln(x, z):
    """d log|Gamma(x)| = psi(x) dx, psi the digamma function"""
    return scipy_polygamma(0, x)


@elementwise("scipy.special.digamma", domain=positive, aliases=("scipy.special.psi",))
def digamma(x, z):
    """d psi(x) = psi'(x) dx = polygamma(1, x) dx, the trigamma function"""
    return scipy_polygamma(1, x)


# ---- x log y


@elementwise("scipy.special.xlogy", domain={"x": positive, "y": positive})
def xlogy(x, y, z):
    """z = x log(y), 0 where x = 0: dz = log(y) dx + (x / y) dy"""
    # at x = y = 0, where z = 0 for every y, the y-partial is 0 (not 0 / 0), like scipy's own convention
    return np.log(y), divide_or_zero(x, y)


@elementwise("scipy.special.xlog1py", domain={"x": positive, "y": positive})
def xlog1py(x, y, z):
    """z = x log(1 + y), 0 where x = 0: dz = log(1 + y) dx + x / (1 + y) dy"""
    # at x = 0, y = -1 the y-partial is 0 (not 0 / 0), as for xlogy
    return np.log1p(y), divide_or_zero(x, 1 + y)


# ---- softmax


@rule("scipy.special.softmax")
def softmax(x, axis=None):
    """z = exp(x) / sum(exp(x), axis): dz = z (dx - sum(z dx, axis)); bx = z (bz - sum(z bz, axis))"""

    def tangent(dx, z):
        return z * (dx - np.sum(z * dx, axis=axis, keepdims=True))

    def adjoint(bz, z):
        return z * (bz - np.sum(z * bz, axis=axis, keepdims=True))


@rule("scipy.special.log_softmax")
def log_softmax(x, axis=None):
    """z = x - log(sum(exp(x), axis)): dz = dx - sum(exp(z) dx, axis); bx = bz - exp(z) sum(bz, axis)"""

    def tangent(dx, z):
        return dx - np.sum(np.exp(z) * dx, axis=axis, keepdims=True)

    def adjoint(bz, z):
        return bz - np.exp(z) * np.sum(bz, axis=axis, keepdims=True)
