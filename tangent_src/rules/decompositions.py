"""numpy.linalg decompositions beyond the symmetric ones: svd, pinv and eig (of real input with
real eigenvalues). eigh, cholesky, qr and lstsq are in linear_algebra.py.

The matrix algebra lives in runtime/decompositions.py, whose docstrings give the formulas.
Results with several outputs (`u, s, vh = np.linalg.svd(a)`) are tuples: their tangent is the
tuple of the outputs' tangents, and the adjoint gets `bz` as the tuple of their adjoints.
"""

import numpy as np

from .registry import rule
from ..runtime import eig_adjoint, eig_tangent, pinv_adjoint, pinv_tangent, svd_adjoint, svd_tangent  # noqa: F401

# ---------------------------------------------------------------- domains: inputs where the derivative exists


def _orthonormal(rng: np.random.Generator, rows: int, cols: int, lead: tuple) -> np.ndarray:
    return np.linalg.qr(rng.standard_normal((*lead, rows, cols)))[0]


def distinct_singular_values(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Matrices (stacked) U diag(s) V^T with singular values 1, 2, ..., k (plus noise below 0.3):
    distinct, at least 0.7 apart, none near zero."""
    *lead, m, n = shape
    k = min(m, n)
    s = np.arange(1.0, k + 1) + rng.uniform(0.0, 0.3, (*lead, k))
    u, v = _orthonormal(rng, m, k, tuple(lead)), _orthonormal(rng, n, k, tuple(lead))
    return (u * s[..., None, :]) @ np.swapaxes(v, -1, -2)


def full_rank(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Matrices of full rank, tall or wide: standard normal plus 2 on the main diagonal."""
    return rng.standard_normal(shape) + 2 * np.eye(shape[-2], shape[-1])


def real_distinct_eigenvalues(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Nonsymmetric square matrices (stacked) Q diag(w) Q^-1, Q well conditioned, with eigenvalues
    1, 2, ..., n (plus noise below 0.3): real, distinct, at least 0.7 apart."""
    n = shape[-1]
    q = np.eye(n) + 0.3 * rng.standard_normal(shape)
    w = np.arange(1.0, n + 1) + rng.uniform(0.0, 0.3, shape[:-1])
    return (q * w[..., None, :]) @ np.linalg.inv(q)


# ---------------------------------------------------------------- rules


# full_matrices=True is differentiated for square matrices only (the extra singular vectors of a
# non-square one are not unique: a clear error at run time); hermitian=True is refused the same way.
# At repeated singular values the singular vectors are not differentiable (any rotation within the
# shared subspace is as good): the derivatives through u or vh are NaN there, so that it shows (a zero
# would be silently wrong); those through s alone are the derivatives of symmetric functions of s.
# In the docstring F[i, j] = 1 / (s_j^2 - s_i^2) and P_U = I - U U^T; svd_tangent has dV too
@rule("numpy.linalg.svd", diff=("a",), domain={"a": distinct_singular_values})
def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """U, s, Vh = svd(a), distinct s > 0: dP = U^T da V, ds = diag(dP), dU = U (F * (dP S + S dP^T)) + P_U da V / s"""

    def tangent(da, z):
        return svd_tangent(a, da, z, full_matrices=full_matrices, compute_uv=compute_uv, hermitian=hermitian)

    def adjoint(bz, z):
        return svd_adjoint(bz, a, z, full_matrices=full_matrices, compute_uv=compute_uv, hermitian=hermitian)


# a of full rank: where the rank changes, pinv is not continuous. rcond and rtol only set that rank
@rule("numpy.linalg.pinv", diff=("a",), domain={"a": full_rank})
def pinv(a, rcond=None, hermitian=False, *, rtol=None):
    """P = pinv(a), a of full rank: dP = -P da P + P P^T da^T (I - a P) + (I - P a) da^T P^T P (Golub & Pereyra)"""

    def tangent(da, z):
        return pinv_tangent(a, da, z, hermitian=hermitian)

    def adjoint(bz, z):
        return pinv_adjoint(bz, a, z, hermitian=hermitian)


# real input with real, distinct eigenvalues (complex ones are a clear error at run time; through V,
# repeated ones give NaN, as for svd); numpy normalizes each eigenvector to norm 1, so their
# derivatives are orthogonal to them
@rule("numpy.linalg.eig", diff=("a",), domain={"a": real_distinct_eigenvalues})
def eig(a):
    """w, V = eig(a), real distinct w: X = V^-1 da V, dw = diag(X), dV = V (X / (w_j - w_i)), less its part along V"""

    def tangent(da, z):
        return eig_tangent(da, z)

    def adjoint(bz, z):
        return eig_adjoint(bz, z)
