import numpy as np
from tangent_src.runtime import unreduce


def vjp_loss(W, U, b, xs, h0, bout):
    """Vector-Jacobian product of loss(W, U, b, xs, h0) with respect to W, U, b.

    The adjoint of a value v is written bv ("v bar"): the derivative of the
    result with respect to v, accumulated from the result backwards.

    Arguments: those of loss, then bout, a cotangent shaped like its result.
    Returns: (bW, bU, bb), the cotangent pulled back to W, U, b.
    """
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
        tape.append((h, t4))
        h = h_2
    t8 = h**2
    bt8 = unreduce(bout, like=t8)
    bh = 2 * h * bt8
    bU = np.zeros_like(U)
    bW = np.zeros_like(W)
    bb = np.zeros_like(b)
    while tape:
        h_2 = h
        h, t4 = tape.pop()
        bt7 = (1 - h_2**2) * bh
        bb = bb + bt7
        bU = bU + np.outer(bt7, t4)
        bW = bW + np.outer(bt7, h)
        bh = W.T @ bt7
    return bW, bU, bb
