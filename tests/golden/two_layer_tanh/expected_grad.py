import numpy as np
from tangent_src.runtime import (
    check_real,
    extremum_weights,
    matmul_adjoint_lhs,
    matmul_adjoint_rhs,
    reduced_size,
    scalar_seed,
    unbroadcast,
    unreduce,
)


def grad_loss(W1, b1, W2, b2, X, Y):
    """Gradient of loss(W1, b1, W2, b2, X, Y) with respect to W1, b1, W2, b2, by reverse mode.

    The adjoint of a value v is written bv ("v bar"): the derivative of the
    result with respect to v, accumulated from the result backwards.

    Returns: (bW1, bb1, bW2, bb2), the derivatives of loss's scalar result.
    """
    check_real(W1, b1, W2, b2)
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
    t10 = np.mean(t9)
    out = -t10
    bout = scalar_seed(out, "loss")
    bt10 = -bout
    bt9 = unreduce(bt10, like=t9) / reduced_size(t9, t10)
    bt8 = unreduce(bt9, like=t8, axis=1)
    blogp = unbroadcast(Y * bt8, like=logp)
    bshifted = unbroadcast(blogp, like=shifted)
    bt7 = unbroadcast(-blogp, like=t7)
    bt6 = bt7 / t6
    bt5 = unreduce(bt6, like=t5, axis=1, keepdims=True)
    bshifted = bshifted + t5 * bt5
    blogits = unbroadcast(bshifted, like=logits)
    bt4 = unbroadcast(-bshifted, like=t4)
    where_max = extremum_weights(logits, t4, axis=1, keepdims=True)
    blogits = blogits + where_max * unreduce(bt4, like=logits, axis=1, keepdims=True)
    bt3 = unbroadcast(blogits, like=t3)
    bb2 = unbroadcast(blogits, like=b2)
    bh = matmul_adjoint_lhs(bt3, h, W2)
    bW2 = matmul_adjoint_rhs(bt3, h, W2)
    bt2 = (1 - h**2) * bh
    bt1 = unbroadcast(bt2, like=t1)
    bb1 = unbroadcast(bt2, like=b1)
    bW1 = matmul_adjoint_rhs(bt1, X, W1)
    return bW1, bb1, bW2, bb2
