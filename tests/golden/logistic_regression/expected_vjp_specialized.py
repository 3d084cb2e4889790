import numpy as np
from tangent_src.runtime import unreduce


def vjp_loss(w, b, X, y, bout):
    """Vector-Jacobian product of loss(w, b, X, y) with respect to w, b.

    The adjoint of a value v is written bv ("v bar"): the derivative of the
    result with respect to v, accumulated from the result backwards.

    Arguments: those of loss, then bout, a cotangent shaped like its result.
    Returns: (bw, bb), the cotangent pulled back to w, b.
    """
    t1 = X @ w
    z = t1 + b
    t2 = -z
    t3 = np.exp(t2)
    t4 = 1 + t3
    p = 1 / t4
    t5 = np.log(p)
    t6 = y * t5
    t7 = 1 - y
    t8 = 1 - p
    t9 = np.log(t8)
    t10 = t7 * t9
    t11 = t6 + t10
    bt12 = -bout
    bt11 = unreduce(bt12, like=t11) / y.size
    bt9 = t7 * bt11
    bt8 = bt9 / t8
    bp = -bt8
    bt5 = y * bt11
    bp = bp + bt5 / p
    bt4 = -(p * bp) / t4
    bt2 = t3 * bt4
    bz = -bt2
    bb = bz.sum(axis=0)
    bw = X.T @ bz
    return bw, bb
