"""One-line suites: `def f(x): return ...` and `if c: return ...` (they were refused, the first with a
message about a missing return, the second naming libcst's SimpleStatementSuite)."""

import numpy as np
import pytest

import tangent_src as ts
from helpers import dot_product_check, make_function

PROGRAMS = {
    "def": ("def f(x): return np.sum(np.sin(x) * x)", lambda x: np.cos(x) * x + np.sin(x)),
    "def_two_statements": ("def f(x): y = x * 2.0; return np.sum(y * y)", lambda x: 8.0 * x),
    "if_return": ("def f(x):\n    if np.sum(x) > 0: return np.sum(x ** 2)\n    return np.sum(x)",
                  lambda x: 2 * x if np.sum(x) > 0 else np.ones_like(x)),
    "loop_and_branch": ("def f(x):\n    s = 0.0\n    for i in range(3): s = s + np.sum(x * i)\n"
                        "    if s < 0: s = -s\n    else: s = 2.0 * s\n    return s",
                        lambda x: (6.0 if np.sum(x) > 0 else -3.0) * np.ones_like(x)),
}


@pytest.mark.parametrize("sign", [1.0, -1.0])
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_one_line_suites(name, sign):
    source, expected = PROGRAMS[name]
    f = make_function(source)
    x = sign * np.array([0.3, 0.7, 1.1])
    np.testing.assert_allclose(ts.grad(f)(x), expected(x), rtol=1e-12)
    for mode in ("reverse", "forward"):
        assert ts.check_grad(f, (x,), mode=mode) < 1e-6
    dot_product_check(f, (x,), 0, np.random.default_rng(1))
