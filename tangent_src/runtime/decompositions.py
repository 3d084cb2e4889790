"""Helpers of the decomposition rules (rules/decompositions.py): svd, pinv and eig.

Stage: none (run time); see tangent_src/runtime/__init__.py. Formulas: Townsend, "Differentiating
the singular value decomposition" (2016); Golub & Pereyra, "The differentiation of pseudo-inverses"
(1973); Giles, "An extended collection of matrix derivative results" (2008), 3.1. Matrices are the
last two axes, so stacks of matrices work as in numpy.
"""

import numpy as np

from .core import mT


def divided_by_gaps(w, c, used=None):
    """c[i, j] / (w_j - w_i) off the diagonal, 0 on it (for each matrix of a stack).

    Where w_i and w_j are equal (within sqrt(eps) of the largest |w|) the derivative it is part of
    does not exist (the singular vectors or eigenvectors of a repeated value are not unique): the
    result is NaN there, so that it shows, unless c[i, j] is 0 (then nothing depends on it: a
    function of the values alone, or of the vectors of values that are not repeated), or, where c
    is a product that the values themselves can make 0 (svd's dP S + S dP^T at repeated zero
    singular values), unless used[i, j], what c is made from, is 0. Taking the
    quotient as 0 instead would be silently wrong: V diag(w) V^T is the matrix itself, and the
    off-diagonal part of its derivative within an eigenspace is (w_j - w_i) / (w_j - w_i) = 1.

    An adjoint cannot tell a c that is 0 because nothing reads those vectors from one that is 0
    because what reads them cancels exactly at the tie (V h(w) V^-1, or V h(w) V^T with h zero at
    the repeated value, where numpy's vectors are exact, as for a diagonal matrix): the derivative of
    such a function exists, but needs how c grows as the values part. `unequal_at_ties` catches
    most of these from the values' adjoint; a tangent shows them all (its NaN propagates)."""
    gaps = np.expand_dims(w, -2) - np.expand_dims(w, -1)
    eye = _svd_eye(w)
    scale = np.expand_dims(np.max(np.abs(w), axis=-1, keepdims=True), -1)
    tied = np.abs(gaps) <= np.sqrt(np.finfo(gaps.dtype).eps) * scale
    undefined = np.where(((c if used is None else used) == 0) | (eye == 1), 0.0, np.nan)
    return np.where(tied, undefined, c / np.where(tied, 1.0, gaps))


def unequal_at_ties(w, g):
    """NaN at [i, j] where w_i == w_j exactly but g_i and g_j differ (beyond rounding), else 0: a
    term added to the matrix an adjoint of the values w (eigenvalues, singular values) with
    adjoint g builds, for each matrix of a stack.

    A function of repeated values has a derivative only if it is symmetric in them (their sum, a
    trace, a determinant), and then its adjoints g_i and g_j are equal: otherwise (w[0], or
    sum(w * y), of repeated w) the result depends on which vectors numpy chose for the eigenspace,
    and NaN says so. This also catches the exact cancellations divided_by_gaps cannot see, unless
    they happen to leave g equal."""
    same = np.expand_dims(w, -2) == np.expand_dims(w, -1)
    gi, gj = np.expand_dims(g, -1), np.expand_dims(g, -2)
    apart = np.abs(gi - gj)
    apart = apart > np.sqrt(np.finfo(apart.dtype).eps) * np.maximum(np.abs(gi), np.abs(gj))
    return np.where(same & apart, np.nan, 0.0)

# ---------------------------------------------------------------- svd


def _svd_factors(a, z, full_matrices, compute_uv, hermitian):
    """(U, s, V) of the reduced SVD a = U diag(s) V^T, from the result where it has them, after
    checking that the derivative covers the call."""
    if hermitian:
        raise ValueError("the derivative of np.linalg.svd is implemented for hermitian=False only")
    m, n = np.shape(a)[-2:]
    if compute_uv and full_matrices and m != n:
        raise ValueError(
            "the derivative of np.linalg.svd with full_matrices=True is implemented for square matrices "
            f"only (got a of shape {np.shape(a)}): the extra singular vectors are not unique; "
            "pass full_matrices=False")
    if compute_uv:
        u, s, vh = z
    else:
        s = z
        u, _, vh = np.linalg.svd(a, full_matrices=False)
    return u, s, mT(vh)


def svd_tangent(a, da, z, full_matrices=True, compute_uv=True, hermitian=False):
    """Tangent of U, s, Vh = svd(a) (Townsend 2016): with dP = U^T da V, S = diag(s) and
    F[i, j] = 1 / (s_j^2 - s_i^2): ds = diag(dP), dU = U (F * (dP S + S dP^T)) + (I - U U^T) da V S^-1,
    dV = V (F * (S dP + dP^T S)) + (I - V V^T) da^T U S^-1, dVh = dV^T. For s alone (compute_uv=False)
    only ds (at repeated singular values, the derivative of any symmetric function of s: their sum,
    their norms).

    The singular vectors need distinct singular values: where two are equal, the derivatives that
    depend on the choice of vectors are NaN (divided_by_gaps); a non-square a needs nonzero ones (S^-1)."""
    u, s, v = _svd_factors(a, z, full_matrices, compute_uv, hermitian)
    dp = mT(u) @ da @ v
    ds = np.diagonal(dp, axis1=-2, axis2=-1)
    if not compute_uv:
        return ds
    row, col = np.expand_dims(s, -1), np.expand_dims(s, -2)  # S X and X S: rows and columns scaled
    used = np.abs(dp) + np.abs(mT(dp))  # dp[i, j] or dp[j, i]: the scaled sums are 0 at s_i = s_j = 0
    du = u @ divided_by_gaps(s * s, dp * col + row * mT(dp), used)
    dv = v @ divided_by_gaps(s * s, row * dp + mT(dp) * col, used)
    if np.shape(u)[-2] > np.shape(s)[-1]:
        du = du + (da @ v - u @ dp) / col
    if np.shape(v)[-2] > np.shape(s)[-1]:
        dv = dv + (mT(da) @ u - v @ mT(dp)) / col
    return du, ds, mT(dv)


def svd_adjoint(g, a, z, full_matrices=True, compute_uv=True, hermitian=False):
    """Adjoint of U, s, Vh = svd(a) (Townsend 2016): with J = F * (U^T bU - bU^T U) and
    K = F * (V^T bV - bV^T V), bV = bVh^T: ba = U (diag(bs) + J S + S K) V^T
    + (I - U U^T) bU S^-1 V^T + U S^-1 bV^T (I - V V^T). For s alone, ba = U diag(bs) V^T."""
    u, s, v = _svd_factors(a, z, full_matrices, compute_uv, hermitian)
    gu, gs, gv = g if compute_uv else (None, g, None)
    inner = np.expand_dims(gs, -1) * _svd_eye(s) + unequal_at_ties(s, gs)
    if not compute_uv:
        return u @ inner @ mT(v)
    gv = mT(gv)
    row, col = np.expand_dims(s, -1), np.expand_dims(s, -2)
    inner = (inner + divided_by_gaps(s * s, mT(u) @ gu - mT(gu) @ u) * col
             + row * divided_by_gaps(s * s, mT(v) @ gv - mT(gv) @ v))
    total = u @ inner @ mT(v)
    if np.shape(u)[-2] > np.shape(s)[-1]:
        total = total + ((gu - u @ (mT(u) @ gu)) / col) @ mT(v)
    if np.shape(v)[-2] > np.shape(s)[-1]:
        total = total + (u / col) @ (mT(gv) - (mT(gv) @ v) @ mT(v))
    return total


def _svd_eye(s):
    """The k x k identity (k = len(s)), made like s."""
    k = np.shape(s)[-1]
    return np.tril(np.triu(np.ones_like(s, shape=(k, k))))


# ---------------------------------------------------------------- pinv


def _check_pinv(hermitian):
    if hermitian:
        raise ValueError("the derivative of np.linalg.pinv is implemented for hermitian=False only")


def pinv_tangent(a, da, z, hermitian=False):
    """Tangent of P = pinv(a), a of full rank (Golub & Pereyra 1973):
    dP = -P da P + P P^T da^T (I - a P) + (I - P a) da^T P^T P."""
    _check_pinv(hermitian)
    p, dat = z, mT(da)
    return -(p @ da @ p) + p @ (mT(p) @ (dat - (dat @ a) @ p)) + (dat - p @ (a @ dat)) @ (mT(p) @ p)


def pinv_adjoint(g, a, z, hermitian=False):
    """Adjoint of P = pinv(a), a of full rank:
    ba = -P^T bP P^T + (I - a P) bP^T P P^T + P^T P bP^T (I - P a)."""
    _check_pinv(hermitian)
    p, gt = z, mT(g)
    return -(mT(p) @ g @ mT(p)) + (gt - a @ (p @ gt)) @ (p @ mT(p)) + (mT(p) @ p) @ (gt - (gt @ p) @ a)


# ---------------------------------------------------------------- eig


def _real_eig(z):
    """(w, V) of eig(a), after checking that they are real: the derivative is implemented for real
    input with real eigenvalues."""
    w, v = z
    if np.iscomplexobj(w) or np.iscomplexobj(v):
        raise ValueError(
            "the derivative of np.linalg.eig is implemented for real eigenvalues only, but this matrix has "
            "complex ones; for a symmetric matrix use np.linalg.eigh")
    return w, v


def _unit_columns(v, x):
    """x without its component along each (unit) column of v: x_j - v_j (v_j^T x_j). numpy's
    eigenvectors have norm 1, so their derivatives are orthogonal to them."""
    return x - v * np.sum(v * x, axis=-2, keepdims=True)


def eig_tangent(da, z):
    """Tangent of w, V = eig(a), a V = V diag(w), real distinct eigenvalues, unit eigenvectors
    (Giles 2008, 3.1): with X = V^-1 da V and F[i, j] = 1 / (w_j - w_i): dw = diag(X),
    dV = V (F * X), less each column's component along its eigenvector (they keep norm 1);
    NaN where two eigenvalues are equal (divided_by_gaps)."""
    w, v = _real_eig(z)
    x = np.linalg.solve(v, da @ v)
    return np.diagonal(x, axis1=-2, axis2=-1), _unit_columns(v, v @ divided_by_gaps(w, x))


def eig_adjoint(g, z):
    """Adjoint of w, V = eig(a): with bV' = bV less each column's component along its eigenvector,
    G = diag(bw) + F * (V^T bV'), ba = V^-T G V^T."""
    w, v = _real_eig(z)
    gw, gv = g
    inner = (np.expand_dims(gw, -1) * _svd_eye(w) + unequal_at_ties(w, gw)
             + divided_by_gaps(w, mT(v) @ _unit_columns(v, gv)))
    return np.linalg.solve(mT(v), inner @ mT(v))
