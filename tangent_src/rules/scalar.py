"""The `math` module: functions of Python numbers, with derivatives written with `math` too.

Scalar code stays scalar code: the derivative of `math.sin(x)` is `math.cos(x) * dx`,
which costs what the primal costs (numpy's functions on a Python float cost many
times more).
"""

import math

from .registry import elementwise, positive, unit_interval


@elementwise("math.sin")
def sin(x, z):
    """d sin(x) = cos(x) dx"""
    return math.cos(x)


@elementwise("math.cos")
def cos(x, z):
    """d cos(x) = -sin(x) dx"""
    return -math.sin(x)


@elementwise("math.tan", domain=unit_interval)
def tan(x, z):
    """d tan(x) = (1 + tan(x)**2) dx"""
    return 1 + z**2


@elementwise("math.asin", domain=unit_interval)
def asin(x, z):
    """d asin(x) = dx / sqrt(1 - x**2); infinite at x = +-1 (math.inf, not a ZeroDivisionError)"""
    return 1 / math.sqrt(1 - x**2) if abs(x) != 1 else math.inf


@elementwise("math.acos", domain=unit_interval)
def acos(x, z):
    """d acos(x) = -dx / sqrt(1 - x**2); infinite at x = +-1 (-math.inf, not a ZeroDivisionError)"""
    return -1 / math.sqrt(1 - x**2) if abs(x) != 1 else -math.inf


@elementwise("math.atan")
def atan(x, z):
    """d atan(x) = dx / (1 + x**2)"""
    return 1 / (1 + x**2)


@elementwise("math.sinh")
def sinh(x, z):
    """d sinh(x) = cosh(x) dx"""
    return math.cosh(x)


@elementwise("math.cosh")
def cosh(x, z):
    """d cosh(x) = sinh(x) dx"""
    return math.sinh(x)


@elementwise("math.tanh")
def tanh(x, z):
    """d tanh(x) = (1 - tanh(x)**2) dx"""
    return 1 - z**2


@elementwise("math.exp")
def exp(x, z):
    """d exp(x) = exp(x) dx"""
    return z


@elementwise("math.expm1")
def expm1(x, z):
    """d (exp(x) - 1) = exp(x) dx"""
    return z + 1


@elementwise("math.log", domain=positive)
def log(x, z):
    """d log(x) = dx / x"""
    return 1 / x


@elementwise("math.log1p", domain=positive)
def log1p(x, z):
    """d log(1 + x) = dx / (1 + x)"""
    return 1 / (1 + x)


@elementwise("math.sqrt", domain=positive)
def sqrt(x, z):
    """d sqrt(x) = dx / (2 sqrt(x)); infinite at x = 0 (math.inf there, not a ZeroDivisionError)"""
    return 0.5 / z if z != 0 else math.inf


@elementwise("math.pow", domain={"x": positive, "y": positive})
def pow(x, y, z):
    """z = x ** y (floats): dz = y x**(y-1) dx + z log(x) dy"""
    # At x = 0: slope 0 for y = 0 (z = 1 is constant) and y > 1, 1 for y = 1, infinite for
    # 0 < y < 1 (math.inf, where 0.0 ** (y - 1) would raise). In y: 0 where z = 0 (0**y, y > 0),
    # NaN for x < 0 (math.pow is defined there only at integer y: no derivative in y).
    return (y * x ** (y - 1) if x != 0 or y >= 1 else (0.0 if y == 0 else math.inf),
            z * math.log(x) if x > 0 else (0.0 if z == 0 else math.nan))


@elementwise("math.fabs")
def fabs(x, z):
    """d |x| = sign(x) dx; 0 at x = 0"""
    return math.copysign(1.0, x) if x != 0 else 0.0


def _above_one(rng, shape):
    """Values in [1.5, 3.5), inside the domain of acosh and away from its infinite slope at 1."""
    return rng.uniform(1.5, 3.5, shape)


@elementwise("math.asinh")
def asinh(x, z):
    """d asinh(x) = dx / sqrt(x**2 + 1)"""
    return 1 / math.sqrt(x * x + 1)


@elementwise("math.acosh", domain=_above_one)
def acosh(x, z):
    """d acosh(x) = dx / sqrt(x**2 - 1); infinite at x = 1"""
    return 1 / math.sqrt(x * x - 1) if x != 1 else math.inf


@elementwise("math.atanh", domain=unit_interval)
def atanh(x, z):
    """d atanh(x) = dx / (1 - x**2)"""
    return 1 / (1 - x * x)


@elementwise("math.log2", domain=positive)
def log2(x, z):
    """d log2(x) = dx / (x ln 2)"""
    return 1 / (x * math.log(2))


@elementwise("math.log10", domain=positive)
def log10(x, z):
    """d log10(x) = dx / (x ln 10)"""
    return 1 / (x * math.log(10))


@elementwise("math.degrees")
def degrees(x, z):
    """z = x 180 / pi"""
    return 180 / math.pi


@elementwise("math.radians")
def radians(x, z):
    """z = x pi / 180"""
    return math.pi / 180


@elementwise("math.erf")
def erf(x, z):
    """d erf(x) = 2 / sqrt(pi) exp(-x**2) dx"""
    return 2 / math.sqrt(math.pi) * math.exp(-x * x)


@elementwise("math.erfc")
def erfc(x, z):
    """d erfc(x) = -2 / sqrt(pi) exp(-x**2) dx"""
    return -2 / math.sqrt(math.pi) * math.exp(-x * x)


def _off_origin(rng, shape):
    """Points at distance at least 0.5 from the origin (the pair's one kink)."""
    return rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


@elementwise("math.hypot", domain={"x": _off_origin, "y": _off_origin})
def hypot(x, y, z):
    """z = sqrt(x**2 + y**2): dz = (x dx + y dy) / z; 0 at the origin (the subgradient's centre)"""
    return x / z if z != 0 else 0.0, y / z if z != 0 else 0.0


@elementwise("math.atan2", domain={"y": _off_origin, "x": _off_origin})
def atan2(y, x, z):
    """z = atan2(y, x): dz = (x dy - y dx) / (x**2 + y**2); 0 at the origin, where the angle has no limit"""
    return (x / (x * x + y * y) if x * x + y * y != 0 else 0.0,
            -y / (x * x + y * y) if x * x + y * y != 0 else 0.0)


@elementwise("math.copysign", domain={"x": _off_origin, "y": _off_origin})
def copysign(x, y, z):
    """z = |x| with y's sign: dz = sign(x) sign(y) dx; y only chooses the sign (no derivative in y)"""
    return math.copysign(1.0, x) * math.copysign(1.0, y) if x != 0 else 0.0, 0.0
