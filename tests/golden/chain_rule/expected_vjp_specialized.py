import numpy as np


def vjp_f(x, y, bout):
    """Vector-Jacobian product of f(x, y) with respect to x, y.

    The adjoint of a value v is written bv ("v bar"): the derivative of the
    result with respect to v, accumulated from the result backwards.

    Arguments: those of f, then bout, a cotangent shaped like its result.
    Returns: (bx, by), the cotangent pulled back to x, y.
    """
    t1 = y**2
    t2 = x + t1
    bt2 = np.cos(t2) * bout
    by = 2 * y * bt2
    return bt2, by
