import numpy as np
from tangent_src.runtime import (
    check_real,
    matmul_adjoint_lhs,
    matmul_adjoint_rhs,
    unbroadcast,
    unreduce,
    zeros_like_tree,
)


def vjp_loss(W, U, b, xs, h0, bout):
    """Vector-Jacobian product of loss(W, U, b, xs, h0) with respect to W, U, b.

    The adjoint of a value v is written bv ("v bar"): the derivative of the
    result with respect to v, accumulated from the result backwards.

    Arguments: those of loss, then bout, a cotangent shaped like its result.
    Returns: (bW, bU, bb), the cotangent pulled back to W, U, b.
    """
    check_real(W, U, b)
    h = h0
    t1 = xs.shape
    t2 = t1[0]
    tape = []
    for t in range(t2):
        t3 = W @ h
        t4 = xs[t]
        t5 = U @ t4
        t6 = t3 + t5
        t7 = t6 + b
        h_2 = np.tanh(t7)
        tape.append((h, np.shape(t3), t4, np.shape(t5), np.shape(t6)))
        h = h_2
    t8 = h**2
    bt8 = unreduce(bout, like=t8)
    bh = 2 * h * bt8
    bU = zeros_like_tree(U)
    bW = zeros_like_tree(W)
    bb = zeros_like_tree(b)
    while tape:
        h_2 = h
        h, t3_shape, t4, t5_shape, t6_shape = tape.pop()
        bt7 = (1 - h_2**2) * bh
        bt6 = unbroadcast(bt7, like=t6_shape)
        bb = bb + unbroadcast(bt7, like=b)
        bt3 = unbroadcast(bt6, like=t3_shape)
        bt5 = unbroadcast(bt6, like=t5_shape)
        bU = bU + matmul_adjoint_lhs(bt5, U, t4)
        bW = bW + matmul_adjoint_lhs(bt3, W, h)
        bh = matmul_adjoint_rhs(bt3, W, h)
    return bW, bU, bb
