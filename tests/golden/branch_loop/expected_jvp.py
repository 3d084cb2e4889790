import numpy as np
from tangent_src.runtime import check_real


def jvp_f(v0, leak, drive, dv0, dleak, ddrive):
    """Forward-mode derivative of f(v0, leak, drive) with respect to v0, leak, drive.

    The tangent of a value v is written dv ("v dot"): its derivative along the
    direction given by the input tangents.

    Arguments: those of f, then the tangents dv0, dleak, ddrive of v0, leak, drive.
    Returns: (f's value, its tangent).
    """
    check_real(v0, leak, drive)
    v = v0
    dv = dv0
    for t in range(STEPS):
        t1 = v > 0
        if t1:
            t2 = leak * v
            dt2 = v * dleak + leak * dv
            v_4 = t2 + drive
            dv_4 = dt2 + ddrive
        else:
            t3 = 0.5 * v
            dt3 = 0.5 * dv
            t4 = drive * drive
            dt4 = 2 * drive * ddrive
            v_4 = t3 + t4
            dv_4 = dt3 + dt4
        t5 = v_4 > 1.0
        v = v_4
        dv = dv_4
        if t5:
            break
    out = v * v
    dout = 2 * v * dv
    return out, dout
