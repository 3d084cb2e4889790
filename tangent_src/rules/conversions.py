"""Conversions: numpy's scalar constructors, Python's float(), the real and imaginary parts and the
conjugate of real arrays, np.nan_to_num, and reversed() over a list or tuple of values.

The conversions that keep the value (float64(x), float(x), real(x), conj(x) of a real x) have
derivative 1: the tangent is dx and the adjoint bz, shaped like the argument; no tangent or adjoint
is ever converted with float() (it may be an array on a GPU). Integer conversions (np.int64(x),
int(x)) are piecewise constant: they are in nondiff.py.
"""

import numpy as np

from .registry import array_attribute, array_method, rule
from ..runtime import unreversed  # noqa: F401  (names used by templates)

# ---- scalar constructors: the same value, maybe in another precision


@rule("numpy.float64", diff=("x",))
def float64(x=0.0):
    """z = x as float64 (a numpy scalar, or an array of the same shape for an array x): dz = dx, bx = bz"""

    def tangent(dx):
        return dx

    def adjoint(bz):
        return bz


# the rounding to float32 is taken to have derivative 1 (as astype does); the tangent and the
# adjoint keep their own precision
@rule("numpy.float32", diff=("x",))
def float32(x=0.0):
    """z = x rounded to float32 (a numpy scalar, or an array for an array x): dz = dx, bx = bz"""

    def tangent(dx):
        return dx

    def adjoint(bz):
        return bz


@rule("builtins.float", diff=("x",))
def python_float(x=0.0):
    """z = float(x), a Python float of a number or a 0-d array: dz = dx, bx = bz"""

    def tangent(dx):
        return dx

    def adjoint(bz):
        return bz


# ---- parts of real arrays (complex values are refused where the function starts: check_real)


@rule("numpy.real", diff=("val",))
def real(val):
    """z = the real part of val, val itself for a real val: dz = real(dval), bval = real(bz)"""

    def tangent(dval):
        return np.real(dval)

    def adjoint(bz):
        return np.real(bz)


@rule("numpy.imag", diff=("val",))
def imag(val):
    """z = the imaginary part of val, zeros for a real val: dz = imag(dval), zeros; bval = imag(bz), zeros"""

    def tangent(dval):
        return np.imag(dval)

    def adjoint(bz):
        return np.imag(bz)


@rule("numpy.conjugate", aliases=("numpy.conj",))
def conjugate(x):
    """z = the complex conjugate of x, x itself for a real x: dz = conj(dx), bx = conj(bz)"""

    def tangent(dx):
        return np.conjugate(dx)

    def adjoint(bz):
        return np.conjugate(bz)


array_attribute("real", "numpy.real")
array_attribute("imag", "numpy.imag")
array_method("conj", "numpy.conjugate")
array_method("conjugate", "numpy.conjugate")

# ---- NaN and infinities replaced by numbers


# nan, posinf and neginf are constants: the replaced elements' derivative is 0 (a differentiated
# replacement value is refused)
@rule("numpy.nan_to_num", diff=("x",))
def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """z = x with NaN and infinities replaced by numbers: dz = dx where x is finite, 0 where it was replaced"""

    def tangent(dx):
        return np.where(np.isfinite(x), dx, 0.0)

    def adjoint(bz):
        return np.where(np.isfinite(x), bz, 0.0)


# ---- reversed iteration over a list or tuple of values (over a range it is a constant)


@rule("builtins.reversed", diff=("sequence",))
def python_reversed(sequence):
    """z = the items of sequence in reverse order: dz = the tangents reversed, bsequence = bz's items reversed"""

    def tangent(dsequence):
        return dsequence[::-1]

    def adjoint(bz):
        return unreversed(bz, like=sequence)
