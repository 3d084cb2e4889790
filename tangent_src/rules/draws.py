"""Random draws: effects that are never redrawn, differentiated by reparameterization.

A draw from a location-scale family is z = loc + scale e, with e the standard draw
that the forward sweep made (the reverse sweep reads the recorded z, it never draws
again). With loc and scale differentiated, dz = dloc + e dscale, and e is recovered
from the result as (z - loc) / scale. At scale = 0 the draw is lost: that division
gives NaN (a documented non-derivative, never a silent zero). The same holds for
uniform(low, high) = low + (high - low) u and lognormal(mean, sigma) = exp(normal).

Draws whose parameters have no such reparameterization (poisson, binomial, gamma,
choice's p, ...) refuse a differentiated parameter: their parameters are strict.
Parameters that only give sizes (size, integers' bounds) are integers: no derivative.
"""

import dataclasses

from .registry import array_method, lookup, nondiff, register, rule
from ..runtime import broadcast_like, unbroadcast  # noqa: F401  (names the templates use)

import numpy as np

GENERATOR = "numpy.random.Generator"


def _legacy(name: str) -> None:
    """The module-level function numpy.random.<name> (the global RandomState's method): the
    Generator method's rule without its `self`, and the method `rng.<name>(...)` on a value."""
    entry = lookup(f"{GENERATOR}.{name}")
    assert entry is not None
    params = [p for n, p in entry.signature.parameters.items() if n != "self"]
    register(dataclasses.replace(entry, key=f"numpy.random.{name}",
                                 signature=entry.signature.replace(parameters=params)))
    array_method(name, entry.key)


def location_scale(self, loc=0.0, scale=1.0, size=None):
    """z = loc + scale e, e the standard draw made in the forward sweep: dz = dloc + e dscale, e = (z - loc) / scale

    The reverse sweep reads the recorded z and never draws again. At scale = 0 the draw is
    lost (z = loc): the derivative in scale is NaN there, never a silent zero."""

    def tangent(dloc, dscale, z):
        return broadcast_like(dloc, like=z) + np.divide(z - loc, scale) * dscale

    def adjoint(bz, z):
        return unbroadcast(bz, like=loc), unbroadcast(bz * np.divide(z - loc, scale), like=scale)


for _name in ("normal", "laplace", "logistic", "gumbel"):
    rule(f"{GENERATOR}.{_name}", diff=("loc", "scale"), effect=True)(location_scale)
    _legacy(_name)


@rule(f"{GENERATOR}.uniform", diff=("low", "high"), effect=True)
def uniform(self, low=0.0, high=1.0, size=None):
    """z = low + (high - low) u, u ~ U[0, 1) drawn in the forward sweep: dz = (1 - u) dlow + u dhigh"""

    def tangent(dlow, dhigh, z):
        u = np.divide(z - low, high - low)
        return broadcast_like(dlow, like=z) * (1 - u) + u * dhigh

    def adjoint(bz, z):
        u = np.divide(z - low, high - low)
        return unbroadcast(bz * (1 - u), like=low), unbroadcast(bz * u, like=high)


@rule(f"{GENERATOR}.exponential", diff=("scale",), effect=True)
def exponential(self, scale=1.0, size=None):
    """z = scale e, e ~ Exp(1) drawn in the forward sweep: dz = e dscale, e = z / scale"""

    def tangent(dscale, z):
        return np.divide(z, scale) * dscale

    def adjoint(bz, z):
        return unbroadcast(bz * np.divide(z, scale), like=scale)


@rule(f"{GENERATOR}.lognormal", diff=("mean", "sigma"), effect=True)
def lognormal(self, mean=0.0, sigma=1.0, size=None):
    """z = exp(mean + sigma e), e ~ N(0, 1) drawn in the forward sweep: dz = z (dmean + e dsigma)"""

    def tangent(dmean, dsigma, z):
        return z * (broadcast_like(dmean, like=z) + np.divide(np.log(z) - mean, sigma) * dsigma)

    def adjoint(bz, z):
        return unbroadcast(bz * z, like=mean), unbroadcast(bz * z * np.divide(np.log(z) - mean, sigma), like=sigma)


for _name in ("uniform", "exponential", "lognormal"):
    _legacy(_name)


# ---- draws without a reparameterization here: their parameters must not vary


def _poisson(self, lam=1.0, size=None): ...  # noqa: E704
def _binomial(self, n, p, size=None): ...  # noqa: E704
def _geometric(self, p, size=None): ...  # noqa: E704
def _gamma(self, shape, scale=1.0, size=None): ...  # noqa: E704
def _standard_gamma(self, shape, size=None, dtype=None, out=None): ...  # noqa: E704
def _beta(self, a, b, size=None): ...  # noqa: E704
def _chisquare(self, df, size=None): ...  # noqa: E704
def _dirichlet(self, alpha, size=None): ...  # noqa: E704
def _multinomial(self, n, pvals, size=None): ...  # noqa: E704
def _multivariate_normal(self, mean, cov, size=None, check_valid="warn", tol=1e-8, *, method="svd"): ...  # noqa
def _choice(self, a, size=None, replace=True, p=None, axis=0, shuffle=True): ...  # noqa: E704
def _permutation(self, x, axis=0): ...  # noqa: E704


_STRICT = {"poisson": (_poisson, ("lam",)), "binomial": (_binomial, ("n", "p")),
           "negative_binomial": (_binomial, ("n", "p")), "geometric": (_geometric, ("p",)),
           "gamma": (_gamma, ("shape", "scale")), "standard_gamma": (_standard_gamma, ("shape",)),
           "beta": (_beta, ("a", "b")), "chisquare": (_chisquare, ("df",)), "dirichlet": (_dirichlet, ("alpha",)),
           "multinomial": (_multinomial, ("n", "pvals")),
           "multivariate_normal": (_multivariate_normal, ("mean", "cov")),
           # choice and permutation of an array pick its elements: they would carry its derivative
           "choice": (_choice, ("a", "p")), "permutation": (_permutation, ("x",))}


def _without_self(signature):  # noqa: ANN001, ANN202
    import inspect

    sig = inspect.signature(signature)
    return sig.replace(parameters=[p for n, p in sig.parameters.items() if n != "self"])


for _name, (_signature, _strict) in _STRICT.items():
    nondiff(f"{GENERATOR}.{_name}", signature=_signature, strict=_strict, effect=True)
    _entry = lookup(f"{GENERATOR}.{_name}")
    register(dataclasses.replace(_entry, key=f"numpy.random.{_name}", signature=_without_self(_signature)))
    array_method(_name, f"{GENERATOR}.{_name}")

# draws without parameters, or with integer ones (sizes, integer bounds): nothing to differentiate
for _name in ("random", "standard_normal", "integers", "standard_exponential", "standard_cauchy"):
    nondiff(f"{GENERATOR}.{_name}", effect=True)
    array_method(_name, f"{GENERATOR}.{_name}")
nondiff(*(f"numpy.random.{name}" for name in (
    "seed", "rand", "randn", "random", "random_sample", "standard_normal", "randint", "default_rng",
    "standard_exponential", "standard_cauchy")), effect=True)


# Python's random module: draws of Python floats from the module's hidden generator
nondiff(*(f"random.{name}" for name in ("seed", "random", "randint", "randrange", "getrandbits")), effect=True)


@rule("random.gauss", diff=("mu", "sigma"), effect=True, aliases=("random.normalvariate",))
def gauss(mu=0.0, sigma=1.0):
    """z = mu + sigma e, e the standard draw made in the forward sweep: dz = dmu + e dsigma, e = (z - mu) / sigma"""

    def tangent(dmu, dsigma, z):
        return dmu + np.divide(z - mu, sigma) * dsigma

    def adjoint(bz, z):
        return bz, bz * np.divide(z - mu, sigma)


@rule("random.uniform", diff=("a", "b"), effect=True)
def py_uniform(a, b):
    """z = a + (b - a) u, u ~ U[0, 1) drawn in the forward sweep: dz = (1 - u) da + u db"""

    def tangent(da, db, z):
        return da * (1 - np.divide(z - a, b - a)) + np.divide(z - a, b - a) * db

    def adjoint(bz, z):
        return bz * (1 - np.divide(z - a, b - a)), bz * np.divide(z - a, b - a)


def _py_choice(seq): ...  # noqa: E704
def _py_sample(population, k, *, counts=None): ...  # noqa: E704
def _py_shuffle(x): ...  # noqa: E704


# choice and sample pick items of the sequence (they would carry its derivative); shuffle
# reorders its argument in place: a differentiated sequence is refused, never dropped
nondiff("random.choice", signature=_py_choice, strict=("seq",), effect=True)
nondiff("random.sample", signature=_py_sample, strict=("population",), effect=True)
nondiff("random.shuffle", signature=_py_shuffle, strict=("x",), effect=True)
