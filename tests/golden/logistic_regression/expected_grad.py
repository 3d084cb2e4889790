import numpy as np
from tangent_src.runtime import (
    check_real,
    matmul_adjoint_rhs,
    reduced_size,
    scalar_seed,
    unbroadcast,
    unreduce,
)


def grad_loss(w, b, X, y):
    """Gradient of loss(w, b, X, y) with respect to w, b, by reverse mode.

    The adjoint of a value v is written bv ("v bar"): the derivative of the
    result with respect to v, accumulated from the result backwards.

    Returns: (bw, bb), the derivatives of loss's scalar result.
    """
    check_real(w, b)
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
    t12 = np.mean(t11)
    out = -t12
    bout = scalar_seed(out, "loss")
    bt12 = -bout
    bt11 = unreduce(bt12, like=t11) / reduced_size(t11, t12)
    bt9 = unbroadcast(t7 * bt11, like=t9)
    bt8 = bt9 / t8
    bp = -bt8
    bt5 = unbroadcast(y * bt11, like=t5)
    bp = bp + bt5 / p
    bt4 = -(p * bp) / t4
    bt2 = t3 * bt4
    bz = -bt2
    bt1 = unbroadcast(bz, like=t1)
    bb = unbroadcast(bz, like=b)
    bw = matmul_adjoint_rhs(bt1, X, w)
    return bw, bb
