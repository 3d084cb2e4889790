"""Cases for tangent_src/rules/conversions.py: np.float64, np.float32, float(), the real and
imaginary parts and the conjugate of real arrays (and their method spellings), np.nan_to_num.

np.float32 rounds: central differences of a rounded value are noise, so its cases round
something whose derivative they do not read, and tests/rules/test_rule_limits.py checks its
derivative in float32 precision. builtins.reversed is checked there too.
"""

from __future__ import annotations

from casekit import F, _bands, case

above_one = _bands((-2.0, 0.8), (1.2, 2.0))  # for np.where(x > 1.0, np.nan, x): NaNs away from the edge

CASES = {
    "numpy.float64": [
        case("np.float64(x) * x", ()),
        case("np.float64(x) * y", F, (3,)),
        case("np.float64(x)", (2, 3)),  # of an array: an array
        case("np.float64(np.sum(x)) ** 2", (3,)),
        case("np.float64(x[0]) + x", (3,)),
    ],
    "numpy.float32": [
        case("np.float32(x) * 0.0 + x * np.float32(2.0)", (3,)),
        case("np.float32(x * 0.0) * y + x", F, ()),
    ],
    "builtins.float": [
        case("float(x) * x", ()),
        case("float(x) ** 2", F),
        case("float(np.sum(x)) * x", (3,)),
        case("float(x[1]) + x", (2,)),
        case("y * float(x)", (), (2, 3)),
    ],
    "numpy.real": [
        case("np.real(x)", (2, 3)),
        case("np.real(x) * y", (3,), (2, 3)),
        case("x.real ** 2", (3,)),
        case("np.real(x)", F),
    ],
    "numpy.imag": [
        case("np.imag(x) + x", (2, 3)),
        case("x.imag * y + y", (3,), (3,)),
        case("np.imag(x) + x", F),
    ],
    "numpy.conjugate": [
        case("np.conj(x) * x", (2, 3)),
        case("np.conjugate(x) * y", (3,), (2, 3)),
        case("x.conj() + x.conjugate() ** 2", (3,)),
        case("np.conj(x)", F),
    ],
    "numpy.nan_to_num": [
        case("np.nan_to_num(x)", (2, 3)),
        case("np.nan_to_num(np.where(x > 1.0, np.nan, x))", (2, 3), x=above_one),
        case("np.nan_to_num(np.where(x > 1.0, np.inf, x), posinf=5.0) * y", (2, 3), (3,), x=above_one),
        case("np.nan_to_num(np.where(x > 1.0, -np.inf, x), nan=1.0, neginf=-2.0)", (4,), x=above_one),
        case("np.nan_to_num(x, copy=False) * 2.0", (3,)),
        case("np.nan_to_num(x)", F),
    ],
}
