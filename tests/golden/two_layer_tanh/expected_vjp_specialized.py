import numpy as np
from tangent_src.runtime import extremum_weights, unreduce


def vjp_loss(W1, b1, W2, b2, X, Y, bout):
    """Vector-Jacobian product of loss(W1, b1, W2, b2, X, Y) with respect to W1, b1, W2, b2.

    The adjoint of a value v is written bv ("v bar"): the derivative of the
    result with respect to v, accumulated from the result backwards.

    Arguments: those of loss, then bout, a cotangent shaped like its result.
    Returns: (bW1, bb1, bW2, bb2), the cotangent pulled back to W1, b1, W2, b2.
    """
    t1 = X @ W1
    t2 = t1 + b1
    h = np.tanh(t2)
    t3 = h @ W2
    logits = t3 + b2
    t4 = np.max(logits, axis=1, keepdims=True)
    shifted = logits - t4
    t5 = np.exp(shifted)
    t6 = np.sum(t5, axis=1, keepdims=True)
    t7 = np.log(t6)
    logp = shifted - t7
    t8 = Y * logp
    t9 = np.sum(t8, axis=1)
    bt10 = -bout
    bt9 = unreduce(bt10, like=t9) / t9.size
    bt8 = np.broadcast_to(bt9[:, None], t8.shape)
    blogp = Y * bt8
    bt7 = (-blogp).sum(axis=1, keepdims=True)
    bt6 = bt7 / t6
    bt5 = np.broadcast_to(bt6, t5.shape)
    bshifted = blogp + t5 * bt5
    bt4 = (-bshifted).sum(axis=1, keepdims=True)
    where_max = extremum_weights(logits, t4, axis=1, keepdims=True)
    blogits = bshifted + where_max * np.broadcast_to(bt4, logits.shape)
    bb2 = blogits.sum(axis=0)
    bh = blogits @ W2.T
    bW2 = h.T @ blogits
    bt2 = (1 - h**2) * bh
    bb1 = bt2.sum(axis=0)
    bW1 = X.T @ bt2
    return bW1, bb1, bW2, bb2
