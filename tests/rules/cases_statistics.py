"""Cases for rules/statistics.py: prod, var, std, cumsum, cumprod, average, nansum, nanmean,
linalg.norm, trace, ptp and scipy.special.logsumexp, over axes (None, 0, -1, tuples), keepdims,
ddof, the method spellings, and inputs with exact zeros (prod, cumprod) or NaNs (nansum, nanmean).
"""

from __future__ import annotations

import numpy as np

from casekit import F, Case, Sampler, _bands, case, distinct, positive


def _zeros(count: int) -> Sampler:
    """Standard normal values with `count` exact zeros planted in one row (the same slice along
    the last axis, so a reduction over it sees them all; any other axis sees one per slice)."""

    def sample(rng: np.random.Generator, shape: tuple) -> np.ndarray:
        x = rng.standard_normal(shape)
        if x.ndim == 0:
            return np.zeros(shape)
        row = tuple(rng.integers(0, n) for n in shape[:-1])
        for j in rng.choice(shape[-1], size=count, replace=False):
            x[row + (j,)] = 0.0
        return x

    return sample


one_zero = _zeros(1)
two_zeros = _zeros(2)


def constant(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Every element 1.5: the kink of std (central differences give 0 there, the rule's choice)."""
    return np.full(shape, 1.5)


def distinct_magnitudes(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Values whose absolute values are at least 0.1 apart and away from 0, with random signs:
    no ties for the inf-norms, no kink of |x|."""
    n = int(np.prod(shape, dtype=int))
    magnitudes = (rng.permutation(n) + rng.uniform(0.1, 0.9, n)) * 0.5 + 0.2
    return (magnitudes * rng.choice([-1.0, 1.0], n)).reshape(shape)


some_negative = _bands((-2.0, -0.5), (0.5, 2.0))  # np.log gives NaN at the negative ones
not_near_one = _bands((-2.0, 0.8), (1.2, 2.0))  # for np.where(x > 1.0, np.nan, x)

AXES = [((4,), ""), ((2, 3), ""), ((2, 3), ", axis=0"), ((2, 3), ", axis=-1"), ((2, 3, 2), ", axis=1"),
        ((2, 3, 2), ", axis=(0, 2)"), ((2, 3, 2), ", axis=-1, keepdims=True"), ((2, 3), ", keepdims=True"),
        ((2, 3, 2), ", axis=(0, 2), keepdims=True"), ((2, 3), ", axis=None")]


def _over_axes(call: str, **samplers: Sampler) -> list[Case]:
    """`call` with its axis keywords for each of the shapes and axes above: np.prod(x{}) and so on."""
    return [case(call.format(axes), shape, **samplers) for shape, axes in AXES]


CASES: dict[str, list[Case]] = {
    "numpy.prod": _over_axes("np.prod(x{})") + [
        case("np.prod(x)", (3,), x=one_zero),
        case("np.prod(x)", (5,), x=two_zeros),
        case("np.prod(x, axis=-1)", (3, 3), x=one_zero),
        case("np.prod(x, axis=-1)", (2, 4), x=two_zeros),
        case("np.prod(x, axis=0)", (2, 4), x=two_zeros),  # one zero in each of two slices
        case("np.prod(x, axis=(0, 2), keepdims=True)", (2, 3, 3), x=one_zero),
        case("np.prod(x, axis=(1, 2))", (2, 3, 2), x=two_zeros),
        case("np.prod(x, 1)", (2, 3)),
        case("np.prod(x)", ()),
        case("np.prod(x)", F),
        case("np.prod(x * y, axis=0)", (2, 3), (3,)),
        case("x.prod()", (2, 3)),
        case("x.prod(axis=1)", (2, 3), x=one_zero),
        case("x.prod(0, keepdims=True)", (2, 3)),
        case("x.prod(axis=-1)", (3, 4), x=two_zeros),
    ],
    "numpy.var": _over_axes("np.var(x{})") + _over_axes("np.var(x, ddof=1{})") + [
        case("np.var(x, 0)", (3, 2)),
        case("np.var(x, axis=(0, 1), ddof=1)", (2, 3, 2)),
        case("np.var(x)", F),
        case("x.var()", (2, 3)),
        case("x.var(ddof=1)", (4,)),
        case("x.var(axis=-1, ddof=1, keepdims=True)", (2, 3)),
        case("x.var(0)", (3, 2)),
    ],
    "numpy.std": _over_axes("np.std(x{})") + _over_axes("np.std(x, ddof=1{})") + [
        case("np.std(x, 0)", (3, 2)),
        case("np.std(x)", F),
        case("np.std(x, axis=0)", (3, 2), x=constant),  # a constant slice: the kink, derivative 0
        case("np.std(x, ddof=1)", (5,), x=constant),
        case("x.std()", (2, 3)),
        case("x.std(ddof=1)", (4,)),
        case("x.std(axis=-1, ddof=1, keepdims=True)", (2, 3)),
        case("x.std(1)", (2, 3, 2)),
    ],
    "numpy.cumsum": [
        case("np.cumsum(x)", (4,)),
        case("np.cumsum(x)", (2, 3)),
        case("np.cumsum(x, axis=0)", (2, 3)),
        case("np.cumsum(x, axis=-1)", (2, 3, 2)),
        case("np.cumsum(x, 1)", (2, 3, 2)),
        case("np.cumsum(x)", ()),
        case("np.cumsum(x)", F),
        case("np.cumsum(x * y, axis=1) ** 2", (2, 3), (3,)),
        case("x.cumsum()", (2, 3)),
        case("x.cumsum(axis=-1)", (2, 3)),
        case("x.cumsum(0)", (3, 2)),
    ],
    "numpy.cumprod": [
        case("np.cumprod(x)", (4,)),
        case("np.cumprod(x)", (2, 3)),
        case("np.cumprod(x, axis=0)", (2, 3)),
        case("np.cumprod(x, axis=-1)", (2, 3, 2)),
        case("np.cumprod(x, 1)", (2, 3, 2)),
        case("np.cumprod(x, axis=-1)", (3, 5)),  # five, so the doubling scan takes three steps
        case("np.cumprod(x)", (6,), x=one_zero),
        case("np.cumprod(x)", (7,), x=two_zeros),
        case("np.cumprod(x, axis=-1)", (2, 5), x=one_zero),
        case("np.cumprod(x, axis=-1)", (2, 4), x=two_zeros),
        case("np.cumprod(x, axis=0)", (3, 4), x=two_zeros),
        case("np.cumprod(x)", ()),
        case("np.cumprod(x)", F),
        case("np.cumprod(x * y, axis=1)", (2, 3), (3,)),
        case("x.cumprod()", (2, 3)),
        case("x.cumprod(axis=-1)", (2, 3), x=one_zero),
        case("x.cumprod(0)", (3, 2)),
    ],
    "numpy.average": _over_axes("np.average(x{})") + [
        case("np.average(x, weights=w)", (4,), (4,), names="x, w", w=positive),
        case("np.average(x, axis=0, weights=w)", (2, 3), (2,), names="x, w", w=positive),
        case("np.average(x, axis=-1, weights=w)", (2, 3), (2, 3), names="x, w", w=positive),
        case("np.average(x, axis=1, weights=w, keepdims=True)", (2, 3, 2), (3,), names="x, w", w=positive),
        case("np.average(x, axis=(0, 2), weights=w)", (2, 3, 2), (2, 2), names="x, w", w=positive),
        case("np.average(x, axis=(2, 0), weights=w)", (2, 3, 4), (4, 2), names="x, w", w=positive),
        case("np.average(x, weights=w)", (2, 3), (2, 3), names="x, w", w=positive),
        case("np.average(x, 1, w)", (2, 3), (3,), names="x, w", w=positive),
        case("np.average(x)", F),
        case("np.average(x, axis=0, weights=w * w)", (3, 2), (3,), names="x, w", w=positive),
    ],
    "numpy.nansum": _over_axes("np.nansum(x{})") + [
        case("np.nansum(np.log(x))", (2, 3), x=some_negative),  # NaN where x < 0
        case("np.nansum(np.log(x), axis=0, keepdims=True)", (3, 2), x=some_negative),
        case("np.nansum(np.where(x > 1.0, np.nan, x), axis=-1)", (2, 3, 2), x=not_near_one),
        case("np.nansum(x, 1)", (2, 3)),
        case("np.nansum(x)", F),
    ],
    "numpy.nanmean": _over_axes("np.nanmean(x{})") + [
        case("np.nanmean(np.log(x))", (2, 3), x=some_negative),
        case("np.nanmean(np.log(x), axis=0, keepdims=True)", (4, 2), x=some_negative),
        case("np.nanmean(np.where(x > 1.0, np.nan, x), axis=-1)", (2, 3, 2), x=not_near_one),
        case("np.nanmean(x, 1)", (2, 3)),
    ],
    "numpy.linalg.norm": [
        # the 2-norm of everything (vectors, and the Frobenius norm of matrices and beyond)
        case("np.linalg.norm(x)", (4,)),
        case("np.linalg.norm(x)", (2, 3)),
        case("np.linalg.norm(x)", (2, 3, 2)),
        case("np.linalg.norm(x, 2)", (4,)),
        case("np.linalg.norm(x, axis=0)", (2, 3)),
        case("np.linalg.norm(x, axis=-1, keepdims=True)", (2, 3, 2)),
        case("np.linalg.norm(x, keepdims=True)", (2, 3)),
        case("np.linalg.norm(x * y, axis=1)", (2, 3), (3,)),
        # vector norms of other orders
        case("np.linalg.norm(x, 1)", (4,), x=distinct_magnitudes),
        case("np.linalg.norm(x, ord=1, axis=-1)", (2, 3), x=distinct_magnitudes),
        case("np.linalg.norm(x, ord=np.inf)", (4,), x=distinct_magnitudes),
        case("np.linalg.norm(x, ord=np.inf, axis=0, keepdims=True)", (3, 2), x=distinct_magnitudes),
        case("np.linalg.norm(x, ord=-np.inf)", (4,), x=distinct_magnitudes),
        case("np.linalg.norm(x, ord=-np.inf, axis=1)", (2, 3, 2), x=distinct_magnitudes),
        case("np.linalg.norm(x, ord=3)", (4,), x=distinct_magnitudes),
        case("np.linalg.norm(x, ord=0.5, axis=0)", (3, 2), x=distinct_magnitudes),
        case("np.linalg.norm(x, ord=0) * x", (3,), x=distinct_magnitudes),  # a count: derivative 0
        # matrix norms
        case("np.linalg.norm(x, 'fro')", (2, 3)),
        case("np.linalg.norm(x, ord='fro', axis=(0, 2))", (2, 3, 2)),
        case("np.linalg.norm(x, ord='fro', axis=(-1, 0), keepdims=True)", (2, 3, 2)),
        case("np.linalg.norm(x, axis=(0, 2))", (2, 3, 2)),
        case("np.linalg.norm(x, ord=2)", (2, 3)),
        case("np.linalg.norm(x, ord=2)", (3, 2)),
        case("np.linalg.norm(x, ord=2, axis=(0, 2), keepdims=True)", (2, 3, 4)),
        case("np.linalg.norm(x, ord=-2)", (3, 2)),
        case("np.linalg.norm(x, ord='nuc')", (2, 3)),
        case("np.linalg.norm(x, ord='nuc', axis=(-1, -2))", (2, 3, 2)),
        case("np.linalg.norm(x, ord=1)", (2, 3), x=distinct_magnitudes),
        case("np.linalg.norm(x, ord=-1, axis=(2, 0))", (2, 3, 4), x=distinct_magnitudes),
        case("np.linalg.norm(x, ord=np.inf)", (3, 2), x=distinct_magnitudes),
        case("np.linalg.norm(x, ord=-np.inf, axis=(1, 2), keepdims=True)", (2, 3, 2), x=distinct_magnitudes),
    ],
    "numpy.trace": [
        case("np.trace(x)", (3, 3)),
        case("np.trace(x)", (2, 3)),
        case("np.trace(x, 1)", (3, 4)),
        case("np.trace(x, offset=-1)", (4, 3)),
        case("np.trace(x, axis1=1, axis2=2)", (2, 3, 3)),
        case("np.trace(x, offset=1, axis1=-1, axis2=0)", (3, 2, 4)),
        case("np.trace(x * y) ** 2", (2, 2), (2,)),
        case("x.trace()", (3, 3)),
        case("x.trace(1)", (2, 3)),
        case("x.trace(axis1=0, axis2=2)", (2, 3, 2)),
    ],
    "numpy.ptp": _over_axes("np.ptp(x{})", x=distinct) + [
        case("np.ptp(x, 1)", (2, 3), x=distinct),
        case("np.ptp(x, axis=0)", (3, 2), x=constant),  # a constant slice: max and min weights cancel
    ],
    "scipy.special.logsumexp": [
        case("scipy.special.logsumexp(x)", (4,)),
        case("scipy.special.logsumexp(x)", (2, 3)),
        case("scipy.special.logsumexp(x, axis=0)", (2, 3)),
        case("scipy.special.logsumexp(x, axis=-1, keepdims=True)", (2, 3, 2)),
        case("scipy.special.logsumexp(x, axis=(0, 2))", (2, 3, 2)),
        case("scipy.special.logsumexp(x, 1)", (2, 3)),
        case("scipy.special.logsumexp(x * 300.0, axis=0)", (3, 2)),  # exp(300 x) overflows; the rule does not
        case("scipy.special.logsumexp(x, b=y)", (2, 3), (2, 3), y=positive),
        case("scipy.special.logsumexp(x, axis=-1, b=y)", (2, 3), (3,), y=positive),
        case("scipy.special.logsumexp(x, axis=(0, 2), b=y, keepdims=True)", (2, 3, 2), (3, 1), y=positive),
        case("scipy.special.logsumexp(x, 0, y)", (3, 2), (3, 2), y=positive),
    ],
    # issue 11: order statistics (values kept apart: no ties), and outer ufuncs
    "numpy.median": [
        case("np.median(x)", (5,), x=distinct),
        case("np.median(x)", (4,), x=distinct),
        case("np.median(x, axis=0)", (4, 3), x=distinct),
        case("np.median(x, axis=-1, keepdims=True)", (2, 5), x=distinct),
    ],
    "numpy.quantile": [
        case("np.quantile(x, 0.3)", (6,), x=distinct),
        case("np.quantile(x, 0.75, axis=1)", (2, 5), x=distinct),
        case("np.quantile(x, 1.0)", (4,), x=distinct),
    ],
    "numpy.percentile": [
        case("np.percentile(x, 30.0)", (6,), x=distinct),
        case("np.percentile(x, 90, axis=0, keepdims=True)", (5, 2), x=distinct),
    ],
    "numpy.add.outer": [
        case("np.add.outer(x, y)", (3,), (2,)),
        case("np.add.outer(x, y) ** 2", (2, 2), (3,)),
    ],
    "numpy.subtract.outer": [
        case("np.subtract.outer(x, y) ** 2", (3,), (4,)),
    ],
    "numpy.multiply.outer": [
        case("np.multiply.outer(x, y)", (3,), (2,)),
        case("np.multiply.outer(x, y) * 2.0", (2,), (2, 3)),
    ],
}
