"""Cases for tangent_src/rules/ufuncs.py: more ufuncs, and non-differentiable functions as constants."""

from __future__ import annotations

import numpy as np

from casekit import F, Case, _bands, _binary, _unary, case, distinct, large, not_near_integer, small

UNARY = ("exp2", "log2", "log10", "cbrt", "reciprocal", "deg2rad", "rad2deg", "degrees", "radians", "sinc",
         "arcsinh", "arccosh", "arctanh", "fabs")
away_from_half = _bands((-2.4, -2.1), (-1.9, -1.6), (-1.4, -1.1), (-0.9, -0.6), (-0.4, 0.4), (0.6, 0.9),
                        (1.1, 1.4), (1.6, 1.9), (2.1, 2.4))  # rint and around jump at half-integers
nonzero = _bands((-2.0, -0.5), (0.5, 2.0))
zero = lambda rng, shape: np.zeros(shape)  # noqa: E731
near_zero = lambda rng, shape: rng.uniform(-0.02, 0.02, shape)  # noqa: E731  (sinc's series and its formula)
sorted_values = lambda rng, shape: np.sort(distinct(rng, shape))  # noqa: E731

CASES: dict[str, list[Case]] = {
    **{f"numpy.{name}": _unary(f"np.{name}(x)") for name in UNARY},
    "numpy.sinc": [
        case("np.sinc(x)", (5,), x=near_zero),
        case("np.sinc(x)", (3,), x=zero),
        case("np.sinc(x)", F, x=zero),
        case("np.sinc(x) * y", (2, 3), (3,)),
    ],
    "numpy.reciprocal": [case("np.reciprocal(x) * y", (2, 3), (2, 1), x=nonzero)],
    "numpy.exp2": [case("np.exp2(x * y)", (4, 1), (5,))],
    "numpy.log2": [case("np.log2(x + y)", (2, 3), (), x=lambda rng, s: rng.uniform(1.0, 2.0, s),
                        y=lambda rng, s: rng.uniform(0.5, 1.0, s))],
    "numpy.logaddexp": _binary("np.logaddexp(x, y)") + [case("np.logaddexp(x, 0.0)", (2, 3)),
                                                         case("np.logaddexp(x, x)", (3,))],
    "numpy.logaddexp2": _binary("np.logaddexp2(x, y)") + [case("np.logaddexp2(2.0 * x, y)", (2, 3), (2, 1))],
    "numpy.float_power": _binary("np.float_power(x, y)") + [
        case("np.float_power(x, 2)", (2, 3)),
        case("np.float_power(x, -0.5)", (3,)),
        case("np.float_power(2.0, y)", (2, 3), names="y"),
    ],
    "numpy.hypot": _binary("np.hypot(x, y)") + [
        case("np.hypot(x, 3.0)", (2, 3)),
        case("np.hypot(x, y)", F, F),
        case("np.hypot(x, x)", (3,)),
        case("np.hypot(x, 0.0 * x)", (3,), x=lambda rng, s: np.array([0.0, 1.5, -0.7])),  # 0 at the origin
    ],
    "numpy.arctan2": _binary("np.arctan2(x, y)") + _binary("np.arctan2(y, x)") + [
        case("np.arctan2(x, -1.0)", (2, 3)),  # near the jump from pi to -pi: the formula holds on either side
        case("np.arctan2(np.sin(x), np.cos(x))", (3,)),
        case("np.arctan2(x, y)", F, F),
    ],
    "numpy.fmax": _binary("np.fmax(x, y)", x=large, y=small) + _binary("np.fmax(y, x)", x=large, y=small)
    + [case("np.fmax(x, 0.0)", (2, 3), x=large), case("np.fmax(x, np.nan)", (2, 3)),
       case("np.fmax(np.nan, x)", (3,))],
    "numpy.fmin": _binary("np.fmin(x, y)", x=large, y=small) + _binary("np.fmin(y, x)", x=large, y=small)
    + [case("np.fmin(x, 1.0)", (2, 3), x=_bands((-1.0, 0.8), (1.2, 2.0))), case("np.fmin(x, np.nan)", (2, 3))],
    "numpy.fmod": _binary("np.fmod(x, y)") + [case("np.fmod(x, 1.0)", (2, 3), x=not_near_integer),
                                               case("np.fmod(x, -1.0)", F, x=not_near_integer)],
    "numpy.remainder": _binary("np.remainder(x, y)") + [
        case("np.mod(x, y)", (2, 3), (3,)),
        case("np.remainder(x, 1.0)", (2, 3), x=not_near_integer),
        case("np.mod(x, -1.0)", (3,), x=not_near_integer),
    ],
    "numpy.copysign": _binary("np.copysign(x, y)") + [
        case("np.copysign(x, -0.0)", (2, 3)),  # signed zero: z = -|x|
        case("np.copysign(x, 0.0)", (2, 3)),
        case("np.copysign(2.0, y) * y", (2, 3), names="y"),  # no derivative through the sign
    ],
    "numpy.fabs": [case("np.fabs(x - y)", (2, 3), (3,), x=large, y=small)],
    "numpy.deg2rad": [case("np.sin(np.deg2rad(x * 90.0))", (2, 3))],
    "numpy.rad2deg": [case("np.rad2deg(np.arctan2(x, y))", (2, 3), (3,), x=nonzero, y=nonzero)],
    "operator.truediv": [case("np.true_divide(x, y)", (2, 3), (3,))],
    # ---- non-differentiable primitives: their results flow into derivatives as constants
    "numpy.isfinite": [case("x * np.isfinite(x)", (2, 3)), case("np.where(np.isfinite(1.0 / y), x, 0.0)", (3,), (3,))],
    "numpy.isnan": [case("np.where(np.isnan(x), 0.0, x ** 2)", (2, 3))],
    "numpy.isinf": [case("np.where(np.isinf(x / y), 0.0, x * y)", (2, 3), (3,), y=nonzero)],
    "numpy.signbit": [case("np.where(np.signbit(x), -x, x)", (2, 3), x=nonzero),
                      case("x * np.signbit(y)", (3,), (2, 3), y=nonzero)],
    "numpy.logical_xor": [case("np.where(np.logical_xor(x > 0, y > 0), x * y, x + y)", (2, 3), (3,),
                               x=nonzero, y=nonzero)],
    "numpy.rint": [case("x - np.rint(x)", (2, 3), x=away_from_half)],
    "numpy.around": [case("x - np.around(x)", (2, 3), x=away_from_half),
                     case("x * np.around(y, 1)", (3,), (3,), y=lambda rng, s: 0.1 * away_from_half(rng, s))],
    "numpy.trunc": [case("x - np.trunc(x)", (2, 3), x=not_near_integer)],
    "numpy.fix": [case("x * np.fix(x)", (2, 3), x=not_near_integer)],
    "numpy.heaviside": [case("np.heaviside(x, 0.5) * x", (2, 3), x=nonzero)],
    "numpy.floor_divide": [case("x - np.floor_divide(x, 1.0)", (2, 3), x=not_near_integer),
                           case("x - np.floor_divide(x, y) * y", (2, 3), (3,), x=not_near_integer,
                                y=lambda rng, s: rng.uniform(0.95, 1.05, s))],
    "numpy.argsort": [case("x[np.argsort(x)]", (5,), x=distinct), case("x[x.argsort()] * y", (4,), (4,), x=distinct),
                      case("x[np.arange(2, like=x)[:, None], np.argsort(x, axis=-1)]", (2, 3), x=distinct)],
    "numpy.nonzero": [case("x[np.nonzero(x > 0)]", (2, 3), x=nonzero), case("x[(x > 0).nonzero()] ** 2", (4,),
                                                                              x=nonzero)],
    "numpy.count_nonzero": [case("x * np.count_nonzero(x > 0)", (2, 3), x=nonzero),
                            case("x * np.count_nonzero(x > 0, axis=0)", (2, 3), x=nonzero)],
    "numpy.any": [case("np.where(np.any(x > 1.0, axis=0), x, -x)", (2, 3), x=nonzero),
                  case("x * (x > 1.0).any()", (3,), x=nonzero), case("x * np.any(x > 0)", F, x=nonzero)],
    "numpy.all": [case("np.where(np.all(x > -1.0, axis=-1, keepdims=True), x, 2.0 * x)", (2, 3), x=nonzero),
                  case("x * (x > 0).all()", (3,), x=nonzero)],
    "numpy.searchsorted": [case("x * np.searchsorted(y, x)", (2, 3), (4,), x=large, y=sorted_values)],
    "numpy.digitize": [case("x * np.digitize(x, y)", (2, 3), (4,), x=large, y=sorted_values)],
    "numpy.bincount": [case("x * np.bincount(np.argsort(x))", (3,), x=distinct)],
    # histogram refuses a differentiated `a` (its bin edges move with it): here it counts constants
    "numpy.histogram": [case("counts, edges = np.histogram(np.linspace(0.0, 1.0, 10) ** 2, 3)\nreturn x * counts",
                             (3,))],
    "numpy.full_like": [case("np.full_like(x, 2.0) * x", (2, 3)), case("np.full_like(x, 0.5) + y", (3,), (2, 3))],
    "numpy.empty_like": [case("e = np.empty_like(x)\ne[...] = 3.0\nreturn e * x", (2, 3))],
    "numpy.eye": [case("x @ np.eye(3, like=x)", (2, 3)), case("x * np.eye(2, 3, like=x)", (2, 3))],
    "numpy.identity": [case("x @ np.identity(3, like=x) - x", (3, 3))],
    "numpy.arange": [case("x * np.arange(3, like=x)", (2, 3)), case("x ** np.arange(1.0, 4.0, like=x)", (3,))],
    "numpy.full": [case("x + np.full((2, 3), 1.5, like=x)", (2, 3))],
    "numpy.empty": [case("e = np.empty((3,), like=x)\ne[...] = 2.0\nreturn e * x", (3,))],
    "numpy.linspace": [case("x * np.linspace(0.0, 1.0, 3)[1]", (2, 3))],
    # random numbers. The legacy functions share numpy's global state, which a function cannot seed (an
    # expression statement is refused, and an unused `s = np.random.seed(0)` is dropped as dead code), so
    # these draws are degenerate ones, the same every time; they show the call flows through as a constant.
    "numpy.random.normal": [case("x * np.random.normal(2.0, 0.0)", (2, 3))],
    "numpy.random.uniform": [case("x * np.random.uniform(1.5, 1.5)", (3,))],
    "numpy.random.randint": [case("x[np.random.randint(0, 1)] * x", (3,))],
    "numpy.random.choice": [case("x[np.random.choice(1)] * x", (3,))],
    "numpy.random.permutation": [case("x * np.random.permutation(1)[0]", (2, 3))],
    "numpy.random.rand": [case("x * (np.random.rand() < 1.0)", (2, 3))],
    "numpy.random.random": [case("x * (np.random.random() < 1.0)", (3,))],
    "numpy.random.random_sample": [case("x * (np.random.random_sample() < 1.0)", F)],
    "numpy.random.randn": [case("x * (np.random.randn() < np.inf)", (3,))],
    "numpy.random.standard_normal": [case("x * (np.random.standard_normal() < np.inf)", (2, 3))],
    # a Generator seeded inside the function draws the same numbers in every derivative
    "numpy.random.default_rng": [
        case("rng = np.random.default_rng(0)\nreturn x * rng.standard_normal()", (2, 3)),
        case("rng = np.random.default_rng(1)\nreturn x + rng.normal(0.0, 0.1) * x ** 2", (3,)),
        case("rng = np.random.default_rng(2)\nreturn x * rng.uniform(1.0, 2.0)", F),
        case("rng = np.random.default_rng(3)\nreturn x[rng.integers(0, 3)] * x", (3,)),
        case("rng = np.random.default_rng(4)\nreturn x[rng.choice(4)] * rng.random()", (4,)),
    ],
}
