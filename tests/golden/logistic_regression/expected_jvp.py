import numpy as np
from tangent_src.runtime import check_real


def jvp_loss(w, b, X, y, dw, db):
    """Forward-mode derivative of loss(w, b, X, y) with respect to w, b.

    The tangent of a value v is written dv ("v dot"): its derivative along the
    direction given by the input tangents.

    Arguments: those of loss, then the tangents dw, db of w, b.
    Returns: (loss's value, its tangent).
    """
    check_real(w, b)
    t1 = X @ w
    dt1 = X @ dw
    z = t1 + b
    dz = dt1 + db
    t2 = -z
    dt2 = -dz
    t3 = np.exp(t2)
    dt3 = t3 * dt2
    t4 = 1 + t3
    p = 1 / t4
    dp = -p / t4 * dt3
    t5 = np.log(p)
    dt5 = dp / p
    t6 = y * t5
    dt6 = y * dt5
    t7 = 1 - y
    t8 = 1 - p
    dt8 = -dp
    t9 = np.log(t8)
    dt9 = dt8 / t8
    t10 = t7 * t9
    dt10 = t7 * dt9
    t11 = t6 + t10
    dt11 = dt6 + dt10
    t12 = np.mean(t11)
    dt12 = np.mean(dt11)
    out = -t12
    dout = -dt12
    return out, dout
