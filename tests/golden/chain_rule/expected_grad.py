import numpy as np
from tangent_src.runtime import check_real, scalar_seed, unbroadcast


def grad_f(x, y):
    """Gradient of f(x, y) with respect to x, y, by reverse mode.

    The adjoint of a value v is written bv ("v bar"): the derivative of the
    result with respect to v, accumulated from the result backwards.

    Returns: (bx, by), the derivatives of f's scalar result.
    """
    check_real(x, y)
    t1 = y**2
    t2 = x + t1
    out = np.sin(t2)
    bout = scalar_seed(out, "f")
    bt2 = np.cos(t2) * bout
    bx = unbroadcast(bt2, like=x)
    bt1 = unbroadcast(bt2, like=t1)
    by = 2 * y * bt1
    return bx, by
