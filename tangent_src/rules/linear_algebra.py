"""Products and numpy.linalg: vdot, inner, outer, tensordot, einsum, kron, inv, solve, det,
slogdet, cholesky, eigh, eigvalsh, qr, lstsq, matrix_power, diag, diagonal, triu, tril
(numpy.trace is in statistics.py).

The matrix algebra lives in runtime helpers whose docstrings give the formulas
(Giles, "An extended collection of matrix derivative results for forward and
reverse mode AD", 2008; Murray, "Differentiation of the Cholesky decomposition",
2016; Walter & Lehmann, "Algorithmic differentiation of linear algebra
functions with application in optimum experimental design", 2018). Matrix
functions act on the last two axes, so stacks of matrices work as in numpy.

Results with several outputs (`q, r = np.linalg.qr(a)`) are tuples: their
tangent is the tuple of the outputs' tangents, and the adjoint gets `bz` as the
tuple of the outputs' adjoints (zeros for an output not used).
"""

import numpy as np

from .registry import array_method, rule
from ..runtime import (  # noqa: F401  (names used by templates)
    cholesky_adjoint,
    cholesky_tangent,
    det_cofactor,
    eigh_adjoint,
    eigh_tangent,
    eigvalsh_adjoint,
    eigvalsh_tangent,
    einsum_adjoint,
    einsum_adjoint_first,
    einsum_tangent,
    inner_adjoint_lhs,
    inner_adjoint_rhs,
    kron_adjoint_lhs,
    kron_adjoint_rhs,
    lstsq_adjoint_lhs,
    lstsq_adjoint_rhs,
    lstsq_tangent,
    matrix_power_adjoint,
    matrix_power_tangent,
    mT,
    outer_adjoint_lhs,
    outer_adjoint_rhs,
    per_matrix,
    qr_adjoint,
    qr_tangent,
    solve_adjoint_lhs,
    solve_adjoint_rhs,
    solve_tangent,
    tensordot_adjoint_lhs,
    tensordot_adjoint_rhs,
    unbroadcast,
    undiag,
    undiagonal,
)


# ---------------------------------------------------------------- domains: inputs where the derivative exists


def invertible(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Square matrices (stacked) a + n I, a standard normal: well conditioned."""
    n = shape[-1]
    return rng.standard_normal(shape) + n * np.eye(n)


def symmetric_positive_definite(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Symmetric positive definite matrices (stacked) V diag(w) V^T with eigenvalues
    1, 2, ..., n (plus noise below 0.3): distinct, at least 0.7 apart."""
    n = shape[-1]
    v = np.linalg.qr(rng.standard_normal(shape))[0]
    w = np.arange(1.0, n + 1) + rng.uniform(0.0, 0.3, shape[:-1])
    return (v * w[..., None, :]) @ np.swapaxes(v, -1, -2)


def full_column_rank(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Tall (or square) matrices of full column rank: standard normal plus 2 on the main diagonal."""
    return rng.standard_normal(shape) + 2 * np.eye(shape[-2], shape[-1])


# ---------------------------------------------------------------- products


@rule("numpy.vdot")
def vdot(a, b):
    """z = vdot(a, b) = sum(ravel(a) * ravel(b)) (real arrays): ba = bz b, bb = bz a (reshaped)"""

    def tangent(da, db):
        return np.vdot(da, b) + np.vdot(a, db)

    def adjoint(bz):
        return bz * np.reshape(b, np.shape(a)), bz * np.reshape(a, np.shape(b))


@rule("numpy.inner")
def inner(a, b):
    """z[A, B] = sum_k a[A, k] b[B, k]: ba = bz contracted with b over B, bb = bz with a over A"""

    def tangent(da, db):
        return np.inner(da, b) + np.inner(a, db)

    def adjoint(bz):
        return inner_adjoint_lhs(bz, a, b), inner_adjoint_rhs(bz, a, b)


@rule("numpy.outer", aliases=("numpy.linalg.outer",))
def outer(a, b):
    """z[i, j] = a[i] b[j] (operands flattened): ba = bz @ b, bb = a @ bz"""

    def tangent(da, db):
        return np.outer(da, b) + np.outer(a, db)

    def adjoint(bz):
        return outer_adjoint_lhs(bz, a, b), outer_adjoint_rhs(bz, a, b)


@rule("numpy.tensordot", diff=("a", "b"), aliases=("numpy.linalg.tensordot",))
def tensordot(a, b, axes=2):
    """z = tensordot(a, b, axes), bilinear: ba = bz contracted with b over b's free axes, bb likewise"""

    def tangent(da, db):
        return np.tensordot(da, b, axes=axes) + np.tensordot(a, db, axes=axes)

    def adjoint(bz):
        return tensordot_adjoint_lhs(bz, a, b, axes=axes), tensordot_adjoint_rhs(bz, a, b, axes=axes)


# the sublist form einsum(x0, [0, 1], x1, [1, 2], [0, 2]) binds x0 to `subscripts` and the rest to
# `operands`; the helpers turn it into the subscripts form. In the subscripts form dsubscripts is
# zero, so the second tangent term (and the first adjoint) drop out
@rule("numpy.einsum", diff=("subscripts", "operands"))
def einsum(subscripts, *operands, optimize=False):
    """z = einsum(subscripts, x_1, ..., x_n), linear in each x_k: bx_k = einsum of bz with the others"""

    def tangent(dsubscripts, doperands):
        return (einsum_tangent(subscripts, operands, doperands, optimize=optimize)
                + np.einsum(dsubscripts, *operands, optimize=optimize))

    def adjoint(bz):
        return (einsum_adjoint_first(bz, subscripts, operands, optimize=optimize),
                einsum_adjoint(bz, subscripts, operands, optimize=optimize))


@rule("numpy.kron")
def kron(a, b):
    """z = kron(a, b), z[i nb + j] = a[i] b[j] per axis: ba[i] = sum_j bz[i, j] b[j], bb likewise"""

    def tangent(da, db):
        return np.kron(da, b) + np.kron(a, db)

    def adjoint(bz):
        return kron_adjoint_lhs(bz, a, b), kron_adjoint_rhs(bz, a, b)


@rule("numpy.linalg.matrix_power", diff=("a",), domain={"a": invertible})
def matrix_power(a, n):
    """z = a^n (n an integer, a invertible if n < 0): dz = sum_k a^k da a^(n-1-k)"""

    def tangent(da):
        return matrix_power_tangent(a, da, n)

    def adjoint(bz):
        return matrix_power_adjoint(bz, a, n)


# ---------------------------------------------------------------- numpy.linalg


@rule("numpy.linalg.inv", domain={"a": invertible})
def inv(a):
    """z = a^-1: dz = -z da z; ba = -z^T bz z^T"""

    def tangent(da, z):
        return -(z @ da @ z)

    def adjoint(bz, z):
        return -(mT(z) @ bz @ mT(z))


@rule("numpy.linalg.solve", domain={"a": invertible})
def solve(a, b):
    """z = a^-1 b: dz = a^-1 (db - da z); bb = a^-T bz, ba = -bb z^T (b a vector or matrices)"""

    def tangent(da, db, z):
        return solve_tangent(a, da, db, z, b)

    def adjoint(bz, z):
        return solve_adjoint_lhs(bz, a, b, z), solve_adjoint_rhs(bz, a, b)


@rule("numpy.linalg.det", domain={"a": invertible})
def det(a):
    """z = det(a): dz = sum(adj(a)^T * da) (Jacobi's formula; det(a) tr(a^-1 da) for invertible a);
    ba = bz adj(a)^T"""

    def tangent(da):
        return np.sum(det_cofactor(a) * da, axis=(-2, -1))

    def adjoint(bz):
        return per_matrix(bz) * det_cofactor(a)


@rule("numpy.linalg.slogdet", domain={"a": invertible})
def slogdet(a):
    """sign, logabsdet = slogdet(a): d logabsdet = tr(a^-1 da), ba = blogabsdet a^-T; the sign is
    piecewise constant (no derivative)"""

    def tangent(da, z):
        return np.zeros_like(z[0]), np.trace(np.linalg.solve(a, da), axis1=-2, axis2=-1)

    def adjoint(bz):
        return per_matrix(bz[1]) * mT(np.linalg.inv(a))


# numpy reads only one triangle of a symmetric input (cholesky, eigh, eigvalsh: the lower one
# unless upper=True or UPLO='U') and decomposes S = tril(a) + tril(a, -1)^T. These rules give
# the derivative of that function, the one numpy computes, for any a: the tangent reads da
# the same way, and the gradient is zero on the unread triangle and counts each read
# off-diagonal entry twice (it stands for two entries of S). For a symmetric a and da this is
# the derivative on symmetric matrices; it is not JAX's or PyTorch's symmetrized gradient.


@rule("numpy.linalg.cholesky", diff=("a",), domain={"a": symmetric_positive_definite})
def cholesky(a, upper=False):
    """L = cholesky(a), a = L L^T: dL = L Phi(L^-1 da L^-T), Phi the lower triangle with half the diagonal"""

    def tangent(da, z):
        return cholesky_tangent(da, z, upper=upper)

    def adjoint(bz, z):
        return cholesky_adjoint(bz, z, upper=upper)


@rule("numpy.linalg.eigh", diff=("a",), domain={"a": symmetric_positive_definite})
def eigh(a, UPLO="L"):  # noqa: N803  (numpy's name)
    """w, V = eigh(a), S = V diag(w) V^T, distinct eigenvalues: dw = diag(V^T dS V),
    dV = V (F * V^T dS V), F[i, j] = 1 / (w_j - w_i), S = tril(a) + tril(a, -1)^T (UPLO='L')"""

    def tangent(da, z):
        return eigh_tangent(da, z, UPLO=UPLO)

    def adjoint(bz, z):
        return eigh_adjoint(bz, z, UPLO=UPLO)


@rule("numpy.linalg.eigvalsh", diff=("a",), domain={"a": symmetric_positive_definite})
def eigvalsh(a, UPLO="L"):  # noqa: N803  (numpy's name)
    """w = eigvalsh(a), distinct eigenvalues: dw_i = v_i^T dS v_i, dS = tril(da) + tril(da, -1)^T (UPLO='L');
    ba = the read triangle of V diag(bw) V^T, its off-diagonal entries twice"""

    def tangent(da):
        return eigvalsh_tangent(a, da, UPLO=UPLO)

    def adjoint(bz):
        return eigvalsh_adjoint(bz, a, UPLO=UPLO)


@rule("numpy.linalg.qr", diff=("a",), domain={"a": full_column_rank})
def qr(a, mode="reduced"):
    """Q, R = qr(a), reduced, a of full column rank: C = Q^T da R^-1, dR = (C - Omega) R,
    dQ = da R^-1 - Q (C - Omega), Omega = tril(C, -1) - tril(C, -1)^T"""

    def tangent(da, z):
        return qr_tangent(da, z, mode=mode)

    def adjoint(bz, z):
        return qr_adjoint(bz, z, mode=mode)


@rule("numpy.linalg.lstsq", diff=("a", "b"), domain={"a": full_column_rank})
def lstsq(a, b, rcond=None):
    """x, res, rank, s = lstsq(a, b), a of full column rank: dx = (a^T a)^-1 (da^T r + a^T (db - da x)),
    r = b - a x; res and s are differentiated too, rank (an integer) is not"""

    def tangent(da, db, z):
        return lstsq_tangent(a, b, da, db, z)

    def adjoint(bz, z):
        return lstsq_adjoint_lhs(bz, a, b, z), lstsq_adjoint_rhs(bz, a, b, z)


# ---------------------------------------------------------------- diagonals and triangles (linear)


@rule("numpy.diag", diff=("v",))
def diag(v, k=0):
    """z = diag(v, k): v on the k-th diagonal of a matrix (v a vector), or the k-th diagonal of v (a matrix)"""

    def tangent(dv):
        return np.diag(dv, k=k)

    def adjoint(bz):
        return undiag(bz, like=v, k=k)


@rule("numpy.diagonal", diff=("a",))
def diagonal(a, offset=0, axis1=0, axis2=1):
    """z = diagonal(a, offset, axis1, axis2): the adjoint puts bz back on that diagonal of zeros"""

    def tangent(da):
        return np.diagonal(da, offset=offset, axis1=axis1, axis2=axis2)

    def adjoint(bz):
        return undiagonal(bz, like=a, offset=offset, axis1=axis1, axis2=axis2)


@rule("numpy.triu", diff=("m",))
def triu(m, k=0):
    """z = triu(m, k), m with the elements below diagonal k zeroed: the adjoint zeroes them in bz"""

    def tangent(dm):
        return np.triu(dm, k=k)

    def adjoint(bz):
        return unbroadcast(np.triu(bz, k=k), like=m)  # a 1-D m is broadcast to rows first


@rule("numpy.tril", diff=("m",))
def tril(m, k=0):
    """z = tril(m, k), m with the elements above diagonal k zeroed: the adjoint zeroes them in bz"""

    def tangent(dm):
        return np.tril(dm, k=k)

    def adjoint(bz):
        return unbroadcast(np.tril(bz, k=k), like=m)  # a 1-D m is broadcast to rows first


array_method("diagonal", "numpy.diagonal")
