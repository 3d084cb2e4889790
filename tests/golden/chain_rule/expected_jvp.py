import numpy as np
from tangent_src.runtime import check_real


def jvp_f(x, y, dx, dy):
    """Forward-mode derivative of f(x, y) with respect to x, y.

    The tangent of a value v is written dv ("v dot"): its derivative along the
    direction given by the input tangents.

    Arguments: those of f, then the tangents dx, dy of x, y.
    Returns: (f's value, its tangent).
    """
    check_real(x, y)
    t1 = y**2
    dt1 = 2 * y * dy
    t2 = x + t1
    dt2 = dx + dt1
    out = np.sin(t2)
    dout = np.cos(t2) * dt2
    return out, dout
