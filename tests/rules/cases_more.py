"""Cases for tangent_src/rules/more.py: diff, fliplr, flipud, rot90, atleast_1d, atleast_2d, atleast_3d
(of one array and of several), column_stack, dstack, nanmax, nanmin, nanvar, nanstd, cross, convolve and
interp, with negative axes, keepdims, ddof, broadcasting, inputs with NaNs (the nan-reductions) and points away from
the knots (interp).
"""

from __future__ import annotations

import numpy as np

from casekit import F, Case, Sampler, _bands, case, distinct, not_near_integer


def _nan_candidates(keep: int) -> Sampler:
    """Distinct values (no ties) below 0.6, except that some elements whose indices are all >= keep
    exceed 1.2: np.where(x > 1.0, np.nan, x) makes those NaN, and every slice along any axes keeps the
    elements with indices below `keep` on the reduced axes, so no slice has fewer than `keep` numbers."""

    def sample(rng: np.random.Generator, shape: tuple) -> np.ndarray:
        x = distinct(rng, shape)
        x = x - np.max(x) + 0.5
        if x.ndim == 0:
            return x
        candidates = np.all(np.indices(shape) >= keep, axis=0) & (rng.uniform(size=shape) < 0.6)
        return np.where(candidates, rng.uniform(1.2, 2.0, shape), x)

    return sample


nan_below_one = _nan_candidates(1)  # at least one number per slice
nan_below_two = _nan_candidates(2)  # at least two: var and std with ddof=1


def log_nan(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """exp of nan_below_one's numbers and -1 at its NaN places: np.log gives distinct values and NaNs."""
    x = nan_below_one(rng, shape)
    return np.where(x > 1.0, -1.0, np.exp(x))


def constant(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Every element 0.5: the kink of nanstd (central differences give 0 there, the rule's choice)."""
    return np.full(shape, 0.5)


# knots at multiples of 1.1 below, reduced modulo the period 6: x stays away from them
between_periodic_knots = _bands((0.2, 0.9), (1.3, 2.0), (2.4, 3.1), (3.5, 4.2), (4.6, 5.3), (5.7, 6.3),
                                (-0.4, -0.1), (6.7, 7.0))

NAN = "np.where(x > 1.0, np.nan, x)"
AXES_DDOF = [((5,), ""), ((3, 4), ", axis=0"), ((4, 3), ", axis=-1"), ((3, 2, 3), ", axis=(0, 2)"),
             ((2, 3, 4), ", axis=-1, keepdims=True"), ((3, 4), ", keepdims=True")]
AXES = [((4,), ""), ((2, 3), ", axis=0"), ((2, 3), ", axis=-1"), ((2, 3, 2), ", axis=(0, 2)"),
        ((2, 3, 2), ", axis=-1, keepdims=True"), ((2, 3), ", keepdims=True"), ((3, 2, 2), ", axis=(-2, -1)"),
        ((2, 3), ", axis=None")]
KNOTS = "xp = np.cumsum(np.ones_like(y)) - 3.0\n"  # -2, -1, 0, 1, 2 for 5 values: constants, not differentiated


def _over_axes(call: str, axes_list: list = AXES, **samplers: Sampler) -> list[Case]:
    """`call` with each of the axis keywords above: np.nanmax(x{}) and so on."""
    return [case(call.format(axes), shape, **samplers) for shape, axes in axes_list]


def _nan_extremum(op: str) -> list[Case]:
    return _over_axes(f"np.{op}({NAN}{{}})", x=nan_below_one) + [
        case(f"np.{op}(x, axis=1)", (2, 3), x=distinct),  # no NaNs
        case(f"np.{op}(x, 0)", (3, 2), x=distinct),
        case(f"np.{op}(np.log(x), axis=-1)", (3, 4), x=log_nan),
        case(f"np.{op}(x)", F),
        case(f"np.{op}(x)", ()),
        case(f"np.{op}(np.stack([x, x]), axis=0)", (2, 3)),  # every element a tie of two: each gets 1/2
        case(f"np.{op}(np.concatenate([{NAN}, x]))", (4,), x=nan_below_one),  # a tie, and a NaN copy
        case(f"np.{op}({NAN}, axis=-1) * y", (2, 3), (2,), x=nan_below_one),
    ]


CASES: dict[str, list[Case]] = {
    # ---- differences and rearrangements
    "numpy.diff": [
        case("np.diff(x)", (5,)),
        case("np.diff(x, 2)", (6,)),
        case("np.diff(x, n=2, axis=0)", (4, 3)),
        case("np.diff(x, axis=-2)", (2, 4, 3)),
        case("np.diff(x, 1, -1) * y", (2, 5), (4,)),
        case("np.diff(x, n=3)", (2, 5)),
        case("np.diff(x, 2, axis=1)", (2, 4, 3)),
        case("np.diff(x, 0)", (3,)),
        case("np.diff(x * y, axis=0)", (3, 1), (1, 4)),
    ],
    "numpy.fliplr": [
        case("np.fliplr(x)", (2, 3)),
        case("np.fliplr(x) * y", (2, 3), (3,)),
        case("np.fliplr(x)", (2, 3, 2)),
    ],
    "numpy.flipud": [
        case("np.flipud(x)", (3,)),
        case("np.flipud(x) * x", (3, 2)),
        case("np.flipud(x) * y", (3, 2, 2), (2,)),
    ],
    "numpy.rot90": [
        case("np.rot90(x)", (2, 3)),
        case("np.rot90(x, 2)", (2, 3)),
        case("np.rot90(x, k=-1) * y", (2, 3), (2,)),
        case("np.rot90(x, 3, axes=(1, 2))", (2, 3, 4)),
        case("np.rot90(x, k=1, axes=(-1, 0))", (2, 3, 4)),
        case("np.rot90(x, 5, (0, -1))", (3, 2)),
        case("np.rot90(x, 0)", (2, 3)),
    ],
    # ---- at least 1 or 2 dimensions
    "numpy.atleast_1d": [
        case("np.atleast_1d(x)", ()),
        case("np.atleast_1d(x)", F),
        case("np.atleast_1d(x) * y", (3,), (2, 3)),
        case("np.atleast_1d(x)", (2, 3)),
        case("a, b = np.atleast_1d(x, y)\nreturn np.sum(a) * b", (3,), ()),
        case("a, b, c = np.atleast_1d(x, 2.0, y)\nreturn a * c + b", F, (2,)),
        case("return np.atleast_1d(x, y)[1]", (2, 3), ()),  # only one of the results used
    ],
    "numpy.atleast_2d": [
        case("np.atleast_2d(x)", ()),
        case("np.atleast_2d(x)", F),
        case("np.atleast_2d(x) * y", (3,), (2, 1)),
        case("np.atleast_2d(x)", (2, 3)),
        case("np.atleast_2d(x)", (2, 3, 2)),
        case("a, b = np.atleast_2d(x, y)\nreturn a @ b.T", (3,), (2, 3)),
    ],
    "numpy.atleast_3d": [
        case("np.atleast_3d(x)", ()),
        case("np.atleast_3d(x)", F),
        case("np.atleast_3d(x) * y", (3,), (2, 1, 1)),
        case("np.atleast_3d(x)", (2, 3)),
        case("np.atleast_3d(x)", (2, 3, 2)),
        case("a, b = np.atleast_3d(x, y)\nreturn a * b", (3,), (1, 3, 2)),
    ],
    # ---- joined
    "numpy.column_stack": [
        case("np.column_stack([x, y])", (3,), (3,)),
        case("np.column_stack((x, y, x))", (3,), (3, 2)),
        case("np.column_stack([x, y])", (2, 3), (2, 1)),
        case("np.column_stack([x, np.ones_like(x), x * y])", (3,), (3,)),
        case("np.column_stack([x, y])", (), ()),
        case("np.column_stack(x)", (2, 3)),  # an array's rows, each made a column
        case("np.column_stack([x, y]) * w", (2,), (2, 2), (3,)),
    ],
    "numpy.dstack": [
        case("np.dstack([x, y])", (2, 3), (2, 3)),
        case("np.dstack((x, y))", (3,), (3,)),
        case("np.dstack([x, y, x * y])", (2, 3, 1), (2, 3, 1)),
        case("np.dstack([x, y])", (2, 3), (2, 3, 2)),
        case("np.dstack([x, y])", (), ()),
        case("np.dstack(x)", (2, 3, 4)),  # an array's first-axis slices, each made a layer
        case("np.dstack([x, 2.0 * x]) * y", (2,), (2,)),
    ],
    # ---- reductions that ignore NaNs
    "numpy.nanmax": _nan_extremum("nanmax"),
    "numpy.nanmin": _nan_extremum("nanmin"),
    "numpy.nanvar": _over_axes(f"np.nanvar({NAN}{{}})", x=nan_below_one)
    + _over_axes(f"np.nanvar({NAN}, ddof=1{{}})", AXES_DDOF, x=nan_below_two) + [
        case("np.nanvar(np.log(x))", (2, 3), x=log_nan),
        case("np.nanvar(x, 0)", (3, 2)),
        case("np.nanvar(x, axis=-1, ddof=2)", (2, 4)),
        case("np.nanvar(x)", F),
        case(f"np.nanvar({NAN}, axis=0) * y", (3, 2), (2,), x=nan_below_one),
    ],
    "numpy.nanstd": _over_axes(f"np.nanstd({NAN}{{}})", x=nan_below_one)
    + _over_axes(f"np.nanstd({NAN}, ddof=1{{}})", AXES_DDOF, x=nan_below_two) + [
        case("np.nanstd(np.log(x), axis=-1)", (2, 4), x=log_nan),
        case("np.nanstd(x, 0)", (3, 2)),
        case("np.nanstd(x, axis=-1, ddof=2, keepdims=True)", (2, 4)),
        case("np.nanstd(x)", F),  # a single value: the kink z = 0, derivative 0
        case("np.nanstd(x, axis=0)", (3, 2), x=constant),  # constant slices: the kink, derivative 0
        case("np.nanstd(x, ddof=1)", (4,), x=constant),
    ],
    # ---- products
    "numpy.cross": [
        case("np.cross(x, y)", (3,), (3,)),
        case("np.cross(x, y)", (4, 3), (3,)),
        case("np.cross(x, y)", (2, 1, 3), (4, 3)),
        case("np.cross(x, x * y)", (2, 3), (2, 3)),
        case("np.cross(x, y, axisa=0, axisc=0)", (3, 4), (4, 3)),
        case("np.cross(x, y, axisa=-2, axisb=0, axisc=-2)", (2, 3, 4), (3, 1, 4)),
        case("np.cross(x, y, axis=0)", (3, 2), (3, 2)),
        case("np.cross(x, y, axis=-2)", (2, 3, 2), (3, 2)),
        case("np.sum(np.cross(x, y) * w)", (2, 3), (3,), (2, 3)),
    ],
    "numpy.convolve": [
        case("np.convolve(x, y)", (5,), (3,)),
        case("np.convolve(x, y, 'full')", (3,), (5,)),
        case("np.convolve(x, y, mode='same')", (5,), (3,)),
        case("np.convolve(x, y, mode='same')", (3,), (5,)),  # numpy swaps the two: the window is centred on y
        case("np.convolve(x, y, mode='same')", (6,), (2,)),
        case("np.convolve(x, y, mode='same')", (4,), (4,)),
        case("np.convolve(x, y, mode='valid')", (6,), (3,)),
        case("np.convolve(x, y, mode='valid')", (3,), (6,)),
        case("np.convolve(x, y, 'valid')", (4,), (4,)),
        case("np.convolve(x, x)", (4,)),
        case("np.convolve(x, y)", (1,), (3,)),
        case("np.convolve(x, y) * w", (3,), (2,), (4,)),
    ],
    "numpy.interp": [
        case(KNOTS + "return np.interp(x, xp, y)", (7,), (5,), x=not_near_integer),
        case(KNOTS + "return np.interp(x, xp, y)", (2, 3), (5,), x=not_near_integer),
        case(KNOTS + "return np.interp(x, xp, y)", F, (5,), x=not_near_integer),
        case(KNOTS + "return np.interp(x, xp, y)", (), (5,), x=not_near_integer),
        case(KNOTS + "return np.interp(x, xp, y, left=0.5, right=-1.0)", (8,), (5,), x=not_near_integer),
        case(KNOTS + "return np.interp(x, xp, y, 0.0, 1.0)", (2, 4), (5,), x=not_near_integer),
        case(KNOTS + "return np.interp(x, xp, y, right=2.0)", (6,), (5,), x=not_near_integer),
        case(KNOTS + "return np.interp(np.sin(x), xp, y * y)", (3,), (5,), x=_bands((-1.4, -0.1), (0.1, 1.4))),
        case(KNOTS + "return np.interp(x, xp * 0.5, np.exp(y))", (4,), (5,),
             x=lambda rng, s: rng.integers(-3, 3, s) * 0.5 + rng.uniform(0.1, 0.4, s)),
        # periodic: knots 4.4, 5.5, 1.1, 2.2, 3.3 (unsorted, as numpy allows with a period), x reduced modulo 6
        case("xp = np.roll(np.cumsum(np.ones_like(y)), 2) * 1.1\nreturn np.interp(x, xp, y, period=6.0)",
             (8,), (5,), x=between_periodic_knots),
    ],
}
