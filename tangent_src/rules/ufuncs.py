"""More numpy ufuncs, by their partial derivatives, and the non-differentiable numpy functions.

Each differentiable entry returns dz/dp for its parameters (see registry.elementwise);
both derivative directions, and the undoing of broadcasting, follow from that.
Constants are Python floats (`math.log(2)`), which keep float32 values float32.
The second half lists functions whose results carry no derivative: tests,
rounding, sorting and counting, array creation and random numbers.
"""

import math

import numpy as np

from ..runtime import sinc_slope  # noqa: F401  (a name the templates use)
from .registry import array_method, elementwise, nondiff, nonzero, positive, unit_interval


def above_one(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Values in [1.5, 3.5), inside the domain of arccosh and away from its edge at 1."""
    return rng.uniform(1.5, 3.5, shape)


def off_origin(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Values of magnitude in [0.5, 2] with random sign: points (x, y) far from (0, 0)."""
    return nonzero(rng, shape)


def _sign(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return rng.choice([-1.0, 1.0], shape)


def near_two(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Divisors of magnitude in [1.95, 2.05], random sign (for fmod and remainder)."""
    return rng.uniform(1.95, 2.05, shape) * _sign(rng, shape)


def between_even(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Values 2 (k + u), k in -3..2, u in [0.2, 0.8]: divided by `near_two` values they stay
    at least 0.1 away from an integer, so fmod and remainder do not jump nearby."""
    return 2.0 * (rng.integers(-3, 3, shape) + rng.uniform(0.2, 0.8, shape))


# ---- exponentials and logarithms in other bases


@elementwise("numpy.exp2")
def exp2(x, z):
    """d 2**x = log(2) 2**x dx"""
    return z * math.log(2)


@elementwise("numpy.log2", domain=positive)
def log2(x, z):
    """d log2(x) = dx / (x log(2))"""
    return 1 / (x * math.log(2))


@elementwise("numpy.log10", domain=positive)
def log10(x, z):
    """d log10(x) = dx / (x log(10))"""
    return 1 / (x * math.log(10))


@elementwise("numpy.logaddexp")
def logaddexp(x, y, z):
    """z = log(exp(x) + exp(y)): dz = exp(x - z) dx + exp(y - z) dy (the softmax weights)"""
    return np.exp(x - z), np.exp(y - z)


@elementwise("numpy.logaddexp2")
def logaddexp2(x, y, z):
    """z = log2(2**x + 2**y): dz = 2**(x - z) dx + 2**(y - z) dy"""
    return np.exp2(x - z), np.exp2(y - z)


# ---- powers and roots


@elementwise("numpy.cbrt", domain=nonzero)
def cbrt(x, z):
    """d x**(1/3) = dx / (3 cbrt(x)**2); infinite at x = 0, like sqrt's"""
    return 1 / (3 * z**2)


@elementwise("numpy.reciprocal", domain=nonzero)
def reciprocal(x, z):
    """d (1/x) = -dx / x**2 = -z**2 dx"""
    return -(z**2)


@elementwise("numpy.float_power", domain={"x": positive, "y": nonzero})
def float_power(x, y, z):
    """z = x ** y in float64: dz = y x**(y-1) dx + z log(x) dy (the dy term needs x > 0, or x = 0 < y)"""
    # The edge points are those of operator.pow (rules/elementwise.py): x**0 has slope 0 also
    # at x = 0, and 0**y slope 0 in y for y > 0.
    return y * np.float_power(x, y - 1 + 0 ** (y * y)), z * np.log(np.where(z == 0, 1, x))


# ---- geometry: lengths and angles


@elementwise("numpy.hypot", domain=off_origin)
def hypot(x, y, z):
    """z = sqrt(x**2 + y**2): dz = (x dx + y dy) / z"""
    # At the origin hypot has a cone point, like |x| at 0; the gradient there is taken to be 0,
    # the centre of the subgradient disc (dividing by 1 instead of z = 0 gives exactly that).
    length = np.where(z == 0, 1, z)
    return x / length, y / length


@elementwise("numpy.arctan2", domain=off_origin)
def arctan2(y, x, z):
    """z = arctan2(y, x), the angle of the point (x, y): dz = (x dy - y dx) / (x**2 + y**2)"""
    # The angle jumps across the negative x axis (from pi to -pi); there the formula gives the
    # one-sided derivative. At the origin the angle has no limit and no derivative: 0 is taken
    # (dividing by 1 where r2 = 0), rather than the formula's 0 / 0 = NaN.
    r2 = x**2 + y**2
    r2_or_1 = np.where(r2 == 0, 1, r2)
    return x / r2_or_1, -y / r2_or_1


@elementwise("numpy.deg2rad")
def deg2rad(x, z):
    """z = x pi / 180"""
    return math.pi / 180


@elementwise("numpy.radians")
def radians(x, z):
    """z = x pi / 180 (the same function as deg2rad, a distinct numpy object)"""
    return math.pi / 180


@elementwise("numpy.rad2deg")
def rad2deg(x, z):
    """z = x 180 / pi"""
    return 180 / math.pi


@elementwise("numpy.degrees")
def degrees(x, z):
    """z = x 180 / pi (the same function as rad2deg, a distinct numpy object)"""
    return 180 / math.pi


@elementwise("numpy.sinc")
def sinc(x, z):
    """z = sin(pi x) / (pi x): dz = (cos(pi x) - z) / x dx, and 0 at x = 0 (sinc is even there)"""
    return sinc_slope(x, z)


# ---- inverse hyperbolic functions


@elementwise("numpy.arcsinh")
def arcsinh(x, z):
    """d arcsinh(x) = dx / sqrt(x**2 + 1)"""
    return 1 / np.sqrt(x**2 + 1)


@elementwise("numpy.arccosh", domain=above_one)
def arccosh(x, z):
    """d arccosh(x) = dx / sqrt(x**2 - 1), for x > 1"""
    return 1 / np.sqrt(x**2 - 1)


@elementwise("numpy.arctanh", domain=unit_interval)
def arctanh(x, z):
    """d arctanh(x) = dx / (1 - x**2), for |x| < 1"""
    return 1 / (1 - x**2)


# ---- kinks and jumps: the value at the kink or jump is a choice


@elementwise("numpy.fabs", domain=nonzero)
def fabs(x, z):
    """d |x| = sign(x) dx; 0 at x = 0 (the midpoint of the subgradient [-1, 1])"""
    return np.sign(x)


@elementwise("numpy.fmax")
def fmax(x, y, z):
    """z = max(x, y) elementwise, ignoring NaN: the derivative goes to the argument z equals"""
    # At a tie it goes to x, as for maximum. Testing z == x (not x >= y) also sends it to y when
    # x is NaN, because fmax then returns y.
    return z == x, z != x


@elementwise("numpy.fmin")
def fmin(x, y, z):
    """z = min(x, y) elementwise, ignoring NaN: the derivative goes to the argument z equals"""
    # At a tie it goes to x, as for minimum; when x is NaN, fmin returns y and z == x fails.
    return z == x, z != x


@elementwise("numpy.fmod", domain={"x": between_even, "y": near_two})
def fmod(x, y, z):
    """z = x - trunc(x / y) y (the sign of x): dz = dx - trunc(x / y) dy"""
    # z jumps where x / y crosses an integer; there the derivative is the formula's one-sided value.
    return 1, -np.trunc(x / y)


@elementwise("numpy.remainder", domain={"x": between_even, "y": near_two}, aliases=("numpy.mod", "operator.mod"))
def remainder(x, y, z):
    """z = x - floor(x / y) y (the sign of y, Python's %): dz = dx - floor(x / y) dy"""
    # z jumps where x / y crosses an integer; there the derivative is the formula's one-sided value.
    return 1, -np.floor(x / y)


@elementwise("numpy.copysign", domain=nonzero)
def copysign(x, y, z):
    """z = |x| with the sign of y: dz = sign(x) sign(z) dx; no derivative in y (only its sign counts)"""
    # sign(z) rather than sign(y): it is the sign copysign used, right for y = -0.0 too.
    # At x = 0 (the kink of |x|) the derivative is 0, as for abs.
    return np.sign(x) * np.sign(z), None


# ---- non-differentiable: their results carry no derivative

# tests of values and of signs: booleans
nondiff("numpy.isnan", "numpy.isinf", "numpy.isfinite", "numpy.signbit", "numpy.logical_xor")
# rounding and steps: piecewise constant, derivative zero wherever it exists
nondiff("numpy.rint", "numpy.trunc", "numpy.fix", "numpy.around", "numpy.heaviside", "numpy.floor_divide")
# sorting, searching and counting: integers and booleans
nondiff("numpy.argsort", "numpy.nonzero", "numpy.count_nonzero", "numpy.any", "numpy.all",
        "numpy.searchsorted", "numpy.digitize")
# indices made from shapes and counts (pairwise-distance code: A[np.triu_indices(n, 1)])
nondiff("numpy.triu_indices", "numpy.tril_indices", "numpy.diag_indices", "numpy.indices", "numpy.unravel_index",
        "numpy.ravel_multi_index", "numpy.flatnonzero", "numpy.argwhere")


def _bincount(x, weights=None, minlength=0): ...  # noqa: E704


def _histogram(a, bins=10, range=None, density=None, weights=None): ...  # noqa: E704, A002


# counts are integers, but bincount's weights add up (linear in them), and histogram's bin
# edges (from a's min and max, or `range`), its density and its weighted counts move with a:
# refused if they vary, never dropped
nondiff("numpy.bincount", signature=_bincount, strict=("weights",))
nondiff("numpy.histogram", signature=_histogram, strict=("a", "bins", "range", "weights"))
# array creation from shapes and constants (zeros and ones are in nondiff.py)
# (linspace and arange move with their endpoints: rules/creation.py)
nondiff("numpy.empty", "numpy.eye", "numpy.identity", "numpy.empty_like")


def _full(shape, fill_value, dtype=None, order="C", *, like=None): ...  # noqa: E704


def _full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, *, device=None): ...  # noqa: E704


# the value an array is filled with would carry a derivative: refused if it varies, never dropped
nondiff("numpy.full", signature=_full, strict=("fill_value",))
nondiff("numpy.full_like", signature=_full_like, strict=("fill_value",))
# random draws: rules/draws.py

array_method("argsort", "numpy.argsort")
array_method("nonzero", "numpy.nonzero")
array_method("any", "numpy.any")
array_method("all", "numpy.all")
