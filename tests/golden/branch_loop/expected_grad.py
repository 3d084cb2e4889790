import numpy as np
from tangent_src.runtime import check_real, scalar_seed, unbroadcast, zeros_like_tree


def grad_f(v0, leak, drive):
    """Gradient of f(v0, leak, drive) with respect to v0, leak, drive, by reverse mode.

    The adjoint of a value v is written bv ("v bar"): the derivative of the
    result with respect to v, accumulated from the result backwards.

    Returns: (bv0, bleak, bdrive), the derivatives of f's scalar result.
    """
    check_real(v0, leak, drive)
    v = v0
    tape = []
    for t in range(STEPS):
        t1 = v > 0
        if t1:
            t2 = leak * v
            v_4 = t2 + drive
            tape.append(np.shape(t2))
        else:
            t3 = 0.5 * v
            t4 = drive * drive
            v_4 = t3 + t4
            tape.append((np.shape(t3), np.shape(t4)))
        t5 = v_4 > 1.0
        tape.append((t1, v))
        v = v_4
        if t5:
            break
    out = v * v
    bout = scalar_seed(out, "f")
    bv = 2 * v * bout
    bdrive = zeros_like_tree(drive)
    bleak = zeros_like_tree(leak)
    while tape:
        t1, v = tape.pop()
        bv_4 = bv
        if t1:
            t2_shape = tape.pop()
            bt2 = unbroadcast(bv_4, like=t2_shape)
            bdrive = bdrive + unbroadcast(bv_4, like=drive)
            bleak = bleak + unbroadcast(v * bt2, like=leak)
            bv = unbroadcast(leak * bt2, like=v)
        else:
            t3_shape, t4_shape = tape.pop()
            bt3 = unbroadcast(bv_4, like=t3_shape)
            bt4 = unbroadcast(bv_4, like=t4_shape)
            bdrive = bdrive + 2 * drive * bt4
            bv = 0.5 * bt3
    return bv, bleak, bdrive
