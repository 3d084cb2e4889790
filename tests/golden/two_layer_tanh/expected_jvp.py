import numpy as np
from tangent_src.runtime import check_real, extremum_weights


def jvp_loss(W1, b1, W2, b2, X, Y, dW1, db1, dW2, db2):
    """Forward-mode derivative of loss(W1, b1, W2, b2, X, Y) with respect to W1, b1, W2, b2.

    The tangent of a value v is written dv ("v dot"): its derivative along the
    direction given by the input tangents.

    Arguments: those of loss, then the tangents dW1, db1, dW2, db2 of W1, b1, W2, b2.
    Returns: (loss's value, its tangent).
    """
    check_real(W1, b1, W2, b2)
    t1 = X @ W1
    dt1 = X @ dW1
    t2 = t1 + b1
    dt2 = dt1 + db1
    h = np.tanh(t2)
    dh = (1 - h**2) * dt2
    t3 = h @ W2
    dt3 = dh @ W2 + h @ dW2
    logits = t3 + b2
    dlogits = dt3 + db2
    t4 = np.max(logits, axis=1, keepdims=True)
    where_max = extremum_weights(logits, t4, axis=1, keepdims=True)
    dt4 = np.sum(where_max * dlogits, axis=1, keepdims=True)
    shifted = logits - t4
    dshifted = dlogits - dt4
    t5 = np.exp(shifted)
    dt5 = t5 * dshifted
    t6 = np.sum(t5, axis=1, keepdims=True)
    dt6 = np.sum(dt5, axis=1, keepdims=True)
    t7 = np.log(t6)
    dt7 = dt6 / t6
    logp = shifted - t7
    dlogp = dshifted - dt7
    t8 = Y * logp
    dt8 = Y * dlogp
    t9 = np.sum(t8, axis=1)
    dt9 = np.sum(dt8, axis=1)
    t10 = np.mean(t9)
    dt10 = np.mean(dt9)
    out = -t10
    dout = -dt10
    return out, dout
