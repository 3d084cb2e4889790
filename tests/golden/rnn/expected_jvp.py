import numpy as np
from tangent_src.runtime import check_real, zeros_like_tree


def jvp_loss(W, U, b, xs, h0, dW, dU, db):
    """Forward-mode derivative of loss(W, U, b, xs, h0) with respect to W, U, b.

    The tangent of a value v is written dv ("v dot"): its derivative along the
    direction given by the input tangents.

    Arguments: those of loss, then the tangents dW, dU, db of W, U, b.
    Returns: (loss's value, its tangent).
    """
    check_real(W, U, b)
    h = h0
    dh = zeros_like_tree(h)
    t1 = xs.shape
    t2 = t1[0]
    for t in range(t2):
        t3 = W @ h
        dt3 = dW @ h + W @ dh
        t4 = xs[t]
        t5 = U @ t4
        dt5 = dU @ t4
        t6 = t3 + t5
        dt6 = dt3 + dt5
        t7 = t6 + b
        dt7 = dt6 + db
        h_2 = np.tanh(t7)
        dh_2 = (1 - h_2**2) * dt7
        h = h_2
        dh = dh_2
    t8 = h**2
    dt8 = 2 * h * dh
    out = np.sum(t8)
    dout = np.sum(dt8)
    return out, dout
