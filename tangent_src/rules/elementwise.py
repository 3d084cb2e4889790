"""Elementwise primitives: operators and ufuncs, each given by its partial derivatives.

Each function returns dz/dp for its parameters (see registry.elementwise); both
derivative directions, and the undoing of broadcasting, follow from that.
"""

import numpy as np

from .registry import elementwise, nonzero, positive, unit_interval

# ---- arithmetic operators


@elementwise("operator.add", aliases=("numpy.add",))
def add(x, y, z):
    """z = x + y"""
    return 1, 1


@elementwise("operator.sub", aliases=("numpy.subtract",))
def sub(x, y, z):
    """z = x - y"""
    return 1, -1


@elementwise("operator.mul", aliases=("numpy.multiply",))
def mul(x, y, z):
    """z = x * y"""
    return y, x


@elementwise("operator.truediv", domain={"x": nonzero, "y": nonzero}, aliases=("numpy.divide",),
             adjoints={"y": "-unbroadcast(z * bz, like=y) / y"})  # y is constant along what is summed
def truediv(x, y, z):
    """z = x / y: dz = dx / y - (z / y) dy"""
    return 1 / y, -z / y


@elementwise("operator.pow", domain={"x": positive, "y": nonzero}, aliases=("numpy.power", "builtins.pow"))
def pow(x, y, z):
    """z = x ** y: dz = y x**(y-1) dx + z log(x) dy (the dy term needs x > 0, or x = 0 < y)"""
    # x**0 is 1 everywhere, also at x = 0, where y x**(y-1) would be 0 * inf (and 0.0 ** -1.0 a
    # ZeroDivisionError): the exponent is raised by 0 ** (y * y), which is 1 where y == 0 and 0
    # elsewhere, and folds away for a literal exponent (x ** 2 gives 2 * x). Where the slope is
    # infinite (x = 0, 0 < y < 1) it is inf for arrays; Python floats raise there, as 0.0 ** -0.5
    # does. 0**y is 0 for y > 0, constant in y, where z log(x) would be 0 * -inf: log(1) is
    # taken where z == 0. For x < 0 numpy's x**y is NaN at non-integer y: the dy term is NaN.
    return y * x ** (y - 1 + 0 ** (y * y)), z * np.log(np.where(z == 0, 1, x))


@elementwise("operator.neg", aliases=("numpy.negative",))
def neg(x, z):
    """z = -x"""
    return -1


@elementwise("operator.pos", aliases=("numpy.positive",))
def pos(x, z):
    """z = +x"""
    return 1


# ---- trigonometric and hyperbolic


@elementwise("numpy.sin")
def sin(x, z):
    """d sin(x) = cos(x) dx"""
    return np.cos(x)


@elementwise("numpy.cos")
def cos(x, z):
    """d cos(x) = -sin(x) dx"""
    return -np.sin(x)


@elementwise("numpy.tan", domain=unit_interval)
def tan(x, z):
    """d tan(x) = (1 + tan(x)**2) dx"""
    return 1 + z**2


@elementwise("numpy.arcsin", domain=unit_interval)
def arcsin(x, z):
    """d arcsin(x) = dx / sqrt(1 - x**2)"""
    return 1 / np.sqrt(1 - x**2)


@elementwise("numpy.arccos", domain=unit_interval)
def arccos(x, z):
    """d arccos(x) = -dx / sqrt(1 - x**2)"""
    return -1 / np.sqrt(1 - x**2)


@elementwise("numpy.arctan")
def arctan(x, z):
    """d arctan(x) = dx / (1 + x**2)"""
    return 1 / (1 + x**2)


@elementwise("numpy.sinh")
def sinh(x, z):
    """d sinh(x) = cosh(x) dx"""
    return np.cosh(x)


@elementwise("numpy.cosh")
def cosh(x, z):
    """d cosh(x) = sinh(x) dx"""
    return np.sinh(x)


@elementwise("numpy.tanh")
def tanh(x, z):
    """d tanh(x) = (1 - tanh(x)**2) dx"""
    return 1 - z**2


# ---- exponentials, logarithms, roots


@elementwise("numpy.exp")
def exp(x, z):
    """d exp(x) = exp(x) dx"""
    return z


@elementwise("numpy.log", domain=positive)
def log(x, z):
    """d log(x) = dx / x"""
    return 1 / x


@elementwise("numpy.log1p", domain=positive)
def log1p(x, z):
    """d log(1 + x) = dx / (1 + x)"""
    return 1 / (1 + x)


@elementwise("numpy.expm1")
def expm1(x, z):
    """d (exp(x) - 1) = exp(x) dx = (z + 1) dx"""
    return z + 1


@elementwise("numpy.sqrt", domain=positive)
def sqrt(x, z):
    """d sqrt(x) = dx / (2 sqrt(x)); infinite at x = 0 (inf, a one-sided derivative)"""
    return 0.5 / z


@elementwise("numpy.square")
def square(x, z):
    """d x**2 = 2 x dx"""
    return 2 * x


# ---- kinks: the value at the kink is a choice (ChainRules' advice: pick a useful one)


@elementwise("numpy.abs", domain=nonzero, aliases=("builtins.abs", "numpy.absolute"))
def abs(x, z):
    """d |x| = sign(x) dx; 0 at x = 0 (the midpoint of the subgradient [-1, 1])"""
    return np.sign(x)


@elementwise("numpy.maximum", aliases=("builtins.max",))
def maximum(x, y, z):
    """z = max(x, y) elementwise; at a tie the derivative goes to x"""
    return x >= y, x < y


@elementwise("numpy.minimum", aliases=("builtins.min",))
def minimum(x, y, z):
    """z = min(x, y) elementwise; at a tie the derivative goes to x"""
    return x <= y, x > y


@elementwise("numpy.where")
def where(condition, x, y, z):
    """z = x where condition holds, else y"""
    # `condition != 0`, not the condition itself: numpy takes any nonzero number as true, and a
    # float condition of -1.0 must give the slope 1, not -1.
    return None, condition != 0, condition == 0


@elementwise("numpy.clip")
def clip(a, a_min=None, a_max=None, z=None):
    """z = a clipped to [a_min, a_max]: the derivative goes to whichever of the three z equals (to a at a tie)"""
    # At a == a_min (or a_max) a gets the one-sided slope 1 of the side where it moves z; when
    # a == a_min == a_max, z is pinned and does not move with a: the slope 1 goes to a_max, whose
    # one-sided slope it is, as when a_min == a_max pins z away from a. (numpy does not check
    # a_min <= a_max; above it z = a_max, and a tie of a with a_max there still gives a slope 1.)
    return ((z == a) & ((z != a_min) | (z != a_max)), (z == a_min) & (z != a) & (z != a_max),
            (z == a_max) & ((z != a) | (z == a_min)))
