import numpy as np


def vjp_f(v0, leak, drive, bout):
    """Vector-Jacobian product of f(v0, leak, drive) with respect to v0, leak, drive.

    The adjoint of a value v is written bv ("v bar"): the derivative of the
    result with respect to v, accumulated from the result backwards.

    Arguments: those of f, then bout, a cotangent shaped like its result.
    Returns: (bv0, bleak, bdrive), the cotangent pulled back to v0, leak, drive.
    """
    v = v0
    tape = []
    for t in range(STEPS):
        t1 = v > 0
        if t1:
            t2 = leak * v
            v_4 = t2 + drive
        else:
            t3 = 0.5 * v
            t4 = drive * drive
            v_4 = t3 + t4
        t5 = v_4 > 1.0
        tape.append((t1, v))
        v = v_4
        if t5:
            break
    bv = 2 * v * bout
    bdrive = 0.0
    bleak = 0.0
    while tape:
        t1, v = tape.pop()
        bv_4 = bv
        if t1:
            bdrive = bdrive + bv_4
            bleak = bleak + v * bv_4
            bv = leak * bv_4
        else:
            bdrive = bdrive + 2 * drive * bv_4
            bv = 0.5 * bv_4
    return bv, bleak, bdrive
