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
    """d asin(x) = dx / sqrt(1 - x**2)"""
    return 1 / math.sqrt(1 - x**2)


@elementwise("math.acos", domain=unit_interval)
def acos(x, z):
    """d acos(x) = -dx / sqrt(1 - x**2)"""
    return -1 / math.sqrt(1 - x**2)


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
    """d sqrt(x) = dx / (2 sqrt(x))"""
    return 0.5 / z


@elementwise("math.pow", domain={"x": positive, "y": positive})
def pow(x, y, z):
    """z = x ** y (floats): dz = y x**(y-1) dx + z log(x) dy"""
    return y * x ** (y - 1), z * math.log(x)


@elementwise("math.fabs")
def fabs(x, z):
    """d |x| = sign(x) dx; 0 at x = 0"""
    return math.copysign(1.0, x) if x != 0 else 0.0
