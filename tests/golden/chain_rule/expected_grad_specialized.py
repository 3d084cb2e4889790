import numpy as np


def grad_f(x, y):
    """Gradient of f(x, y) with respect to x, y, by reverse mode.

    The adjoint of a value v is written bv ("v bar"): the derivative of the
    result with respect to v, accumulated from the result backwards.

    Returns: (bx, by), the derivatives of f's scalar result.
    """
    t1 = y**2
    t2 = x + t1
    bt2 = np.cos(t2)
    by = 2 * y * bt2
    return bt2, by
