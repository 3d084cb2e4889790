"""Cases for tangent_src/rules/stencils.py: np.gradient (uniform and coordinate spacings,
edge_order 1 and 2, one axis or several) and sliding_window_view (one or several window axes,
windows along the same axis twice)."""

from __future__ import annotations

from casekit import case

KNOTS = "c = np.cumsum(np.ones_like(x))\nxs = c * 0.5 + c ** 2 * 0.1\n"  # uneven coordinates (constants)
WINDOWS = "np.lib.stride_tricks.sliding_window_view"

CASES = {
    "numpy.gradient": [
        case("np.gradient(x)", (6,)),
        case("np.gradient(x, 0.5)", (5,)),
        case("np.gradient(x, edge_order=2)", (6,)),
        case("np.gradient(x, 2.0, edge_order=2)", (3,)),
        case("np.gradient(x)", (2,)),
        case("a, b = np.gradient(x)\nreturn a * b", (4, 5)),
        case("a, b = np.gradient(x, 0.5, 2.0, edge_order=2)\nreturn a + 3.0 * b", (3, 4)),
        case("np.gradient(x, axis=1)", (3, 4, 2)),
        case("np.gradient(x, 0.25, axis=-1, edge_order=2)", (2, 5)),
        case("a, b = np.gradient(x, axis=(0, 2))\nreturn a - b", (3, 2, 4)),
        case(KNOTS + "return np.gradient(x, xs)", (5,)),
        case(KNOTS + "return np.gradient(x, xs, edge_order=2)", (5,)),
        case(KNOTS + "a, b = np.gradient(y, xs, 1.5)\nreturn a * b", (5,), (5, 3), names="x, y"),
        case("np.gradient(x * y)", (5,), (5,)),
    ],
    "numpy.lib.stride_tricks.sliding_window_view": [
        case(f"{WINDOWS}(x, 3)", (6,)),
        case(f"{WINDOWS}(x, 1)", (4,)),
        case(f"{WINDOWS}(x, (2, 2))", (3, 4)),
        case(f"{WINDOWS}(x, 2, axis=0)", (3, 4)),
        case(f"{WINDOWS}(x, 3, axis=-1) * y", (2, 5), (3,)),
        case(f"{WINDOWS}(x, (2, 3), axis=(1, 0))", (4, 3, 2)),
        case(f"{WINDOWS}(x, (2, 2), axis=(0, 0))", (5,)),  # windows of windows along one axis
        case(f"np.sum({WINDOWS}(x, 3) * y, axis=-1)", (7,), (3,)),  # a correlation
        case(f"{WINDOWS}(x, x.shape)", (2, 3)),  # one window, all of x
    ],
}
