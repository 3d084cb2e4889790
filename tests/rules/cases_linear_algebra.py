"""Cases for products and numpy.linalg (tangent_src/rules/linear_algebra.py).

Matrix inputs come from samplers that keep them where the derivative exists:
well-conditioned square matrices for inv, solve, det and matrix_power,
symmetric positive definite matrices with well separated eigenvalues for
cholesky and eigh, tall matrices of full column rank for qr and lstsq.
Cholesky and eigh read only one triangle of their input; their rules give the
derivative of what numpy computes. Some cases symmetrize the input inside the
function, (x + x^T) / 2; others pass a nonsymmetric x (`lower_read`, `upper_read`)
whose unread triangle is noise, which must get a zero gradient.
"""

from __future__ import annotations

import numpy as np

from casekit import F, case
from tangent_src.rules.linear_algebra import full_column_rank, invertible, symmetric_positive_definite

spd = symmetric_positive_definite
SYM = "(x + x.T) / 2"  # a symmetric matrix from x (its values unchanged when x is symmetric)
SYM3 = "(x + np.transpose(x, (0, 2, 1))) / 2"  # the same for a stack of matrices


def lower_read(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Nonsymmetric matrices whose lower triangle is that of a well-conditioned SPD matrix: the
    upper triangle, which numpy ignores (UPLO='L', cholesky), is noise."""
    return spd(rng, shape) + np.triu(rng.standard_normal(shape), 1)


def upper_read(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """The same with noise in the lower triangle, ignored with UPLO='U' (cholesky's upper=True)."""
    return spd(rng, shape) + np.tril(rng.standard_normal(shape), -1)


def negative_det(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Well-conditioned matrices whose determinant is negative (two rows swapped)."""
    return invertible(rng, shape)[..., [1, 0, *range(2, shape[-2])], :]


def singular(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Square matrices of rank n - 1: det is 0, its derivative (the cofactor matrix) is not."""
    n = shape[-1]
    return rng.standard_normal((*shape[:-1], n - 1)) @ rng.standard_normal((*shape[:-2], n - 1, n))


CASES = {
    "numpy.vdot": [
        case("np.vdot(x, y)", (3,), (3,)),
        case("np.vdot(x, y)", (2, 3), (6,)),
        case("np.vdot(x, y)", (2, 3), (3, 2)),
        case("np.vdot(x, y) * x", (2, 2), (4,)),
    ],
    # N-d operands (the 1-D and 2-D ones are in test_rules.py): a's last axis with b's second to last
    "numpy.dot": [
        case("np.dot(x, y)", (2, 3, 4), (4,)),
        case("np.dot(x, y)", (4,), (2, 4, 5)),
        case("np.dot(x, y)", (2, 3, 4), (4, 2)),
        case("np.dot(x, y)", (3, 4), (2, 4, 5)),
        case("np.dot(x, y)", (2, 3, 4), (5, 4, 2)),
        case("x.dot(y)", (2, 2, 3), (3, 2)),
        case("np.dot(x, y)", (2, 3, 4), ()),
    ],
    "numpy.inner": [
        case("np.inner(x, y)", (3,), (3,)),
        case("np.inner(x, y)", (2, 3), (3,)),
        case("np.inner(x, y)", (3,), (4, 3)),
        case("np.inner(x, y)", (2, 3), (4, 3)),
        case("np.inner(x, y)", (2, 2, 3), (4, 3)),
        case("np.inner(x, y)", (), (2, 3)),
        case("np.inner(x, y)", (2, 3), ()),
        case("np.inner(x, x)", (2, 3)),
        case("np.inner(x, y)", F, (3,)),
    ],
    "numpy.outer": [
        case("np.outer(x, y)", (3,), (4,)),
        case("np.outer(x, y)", (2, 3), (4,)),
        case("np.outer(x, y)", (3,), (2, 2)),
        case("np.outer(x, y)", (), (3,)),
        case("np.outer(x, y)", (3,), ()),
        case("np.outer(x, x)", (3,)),
        case("np.linalg.outer(x, y)", (3,), (2,)),
    ],
    "numpy.tensordot": [
        case("np.tensordot(x, y)", (2, 3, 4), (3, 4, 5)),
        case("np.tensordot(x, y, axes=1)", (2, 3), (3, 4)),
        case("np.tensordot(x, y, 1)", (2, 3, 4), (4, 2)),
        case("np.tensordot(x, y, axes=0)", (2,), (3,)),
        case("np.tensordot(x, y, axes=2)", (2, 3), (2, 3)),
        case("np.tensordot(x, y, axes=([1, 0], [0, 1]))", (3, 2, 4), (2, 3, 5)),
        case("np.tensordot(x, y, axes=((0,), (1,)))", (3, 2), (4, 3)),
        case("np.tensordot(x, y, axes=([-1], [0]))", (2, 3), (3, 4)),
        case("np.tensordot(x, y, axes=(2, 0))", (2, 3, 4), (4, 5)),
        case("np.tensordot(x, y, axes=([0, 2], [2, 1]))", (2, 3, 4), (5, 4, 2)),
        case("np.linalg.tensordot(x, y, axes=1)", (2, 3), (3,)),
    ],
    "numpy.einsum": [
        case("np.einsum('ij,jk->ik', x, y)", (2, 3), (3, 4)),
        case("np.einsum('ij,jk', x, y)", (2, 3), (3, 4)),
        case("np.einsum('i,i', x, y)", (3,), (3,)),
        case("np.einsum('i,i->', x, y)", (3,), (3,)),
        case("np.einsum('i,j->ij', x, y)", (2,), (3,)),
        case("np.einsum('ij->', x)", (2, 3)),
        case("np.einsum('ij->i', x)", (2, 3)),
        case("np.einsum('ij->ji', x)", (2, 3)),
        case("np.einsum('ji', x)", (2, 3)),
        case("np.einsum('Ba', x)", (2, 3)),
        case("np.einsum('ii', x)", (3, 3)),
        case("np.einsum('ii->i', x)", (3, 3)),
        case("np.einsum('iij->j', x)", (3, 3, 2)),
        case("np.einsum('ii,i->i', x, y)", (3, 3), (3,)),
        case("np.einsum('bij,bjk->bik', x, y)", (2, 3, 4), (2, 4, 2)),
        case("np.einsum('ij,ij,ij->i', x, y, w)", (2, 3), (2, 3), (2, 3)),
        case("np.einsum('ij,jk,kl->il', x, y, w, optimize=True)", (2, 3), (3, 4), (4, 2)),
        case("np.einsum('ij,ij->', x, x)", (2, 3)),
        case("np.einsum('...ij,...jk->...ik', x, y)", (2, 3, 4), (4, 5)),
        case("np.einsum('...ij,...jk', x, y)", (2, 1, 3, 4), (5, 4, 2)),
        case("np.einsum('i...,i...', x, y)", (2, 3), (2, 3)),
        case("np.einsum('a...b,b->a...', x, y)", (2, 3, 4), (4,)),
        case("np.einsum('a...b,...b->a...', x, y)", (2, 5, 3, 4), (3, 4)),
        case("np.einsum('...i,...i->...', x, y)", (2, 3), (3,)),
        case("np.einsum('ij, jk -> ik', x, y)", (2, 3), (3, 4)),
        case("np.einsum('i,i->i', x, y)", (1,), (3,)),
        case("np.einsum('ab...,b...->a...', x, y)", (2, 3, 4), (1, 4)),
        case("np.einsum('ij,j->i', x, y)", (2, 1), (3,)),
        case("np.einsum('ii,ij->j', x, y)", (3, 3), (3, 2)),
        case("np.einsum('...ii->...i', x)", (2, 3, 3)),
        case("np.einsum('iii->i', x)", (2, 2, 2)),
        case("np.einsum(',i->i', x, y)", (), (3,)),
        case("np.einsum('ijk,jil->kl', x, y)", (2, 3, 4), (3, 2, 5)),
        # the sublist form: integer labels, operands and sublists interleaved
        case("np.einsum(x, [0, 1], [1, 0])", (2, 3)),
        case("np.einsum(x, [0, 1])", (2, 3)),
        case("np.einsum(x, [1, 0])", (2, 3)),  # implicit output: the labels in increasing order
        case("np.einsum(x, [0, 0])", (3, 3)),
        case("np.einsum(x, [0, 1], y, [1, 2], [0, 2])", (2, 3), (3, 4)),
        case("np.einsum(x, [0, 1], y, [1, 2])", (2, 3), (3, 4)),
        case("np.einsum(x, [0, 1], y, [1], w, [0], [])", (2, 3), (3,), (2,)),
        case("np.einsum(x, [Ellipsis, 0], y, [0], [Ellipsis])", (2, 3, 4), (4,)),
        case("np.einsum(x, [30, 27], y, [27], [30])", (2, 3), (3,)),  # labels past 'Z'
        case("np.einsum(x, [0, 1], x, [0, 1], [])", (2, 3)),

    ],
    "numpy.kron": [
        case("np.kron(x, y)", (2,), (3,)),
        case("np.kron(x, y)", (2, 2), (3, 1)),
        case("np.kron(x, y)", (2, 3), (4,)),
        case("np.kron(x, y)", (3,), (2, 2)),
        case("np.kron(x, y)", (), (2, 2)),
        case("np.kron(x, y)", (2, 1, 2), (2, 2)),
        case("np.kron(x, x)", (2, 2)),
    ],
    "numpy.linalg.matrix_power": [
        case("np.linalg.matrix_power(x, 3)", (3, 3), x=invertible),
        case("np.linalg.matrix_power(x, 1)", (3, 3), x=invertible),
        case("np.linalg.matrix_power(x, 2)", (2, 3, 3), x=invertible),
        case("np.linalg.matrix_power(x, 0) * x", (3, 3), x=invertible),
        case("np.linalg.matrix_power(x, -2)", (3, 3), x=invertible),
        case("np.linalg.matrix_power(x, n=5) / 100", (2, 2), x=invertible),
    ],
    "numpy.linalg.inv": [
        case("np.linalg.inv(x)", (3, 3), x=invertible),
        case("np.linalg.inv(x)", (2, 3, 3), x=invertible),
        case("np.linalg.inv(x)", (1, 1), x=invertible),
        case("np.linalg.inv(x) @ y", (3, 3), (3, 2), x=invertible),
    ],
    "numpy.linalg.solve": [
        case("np.linalg.solve(x, y)", (3, 3), (3,), x=invertible),
        case("np.linalg.solve(x, y)", (3, 3), (3, 2), x=invertible),
        case("np.linalg.solve(x, y)", (2, 3, 3), (2, 3, 2), x=invertible),
        case("np.linalg.solve(x, y)", (2, 3, 3), (3, 2), x=invertible),
        case("np.linalg.solve(x, y)", (3, 3), (2, 3, 2), x=invertible),
        case("np.linalg.solve(x, x[0])", (3, 3), x=invertible),
    ],
    "numpy.linalg.det": [
        case("np.linalg.det(x)", (3, 3), x=invertible),
        case("np.linalg.det(x)", (2, 3, 3), x=invertible),
        case("np.linalg.det(x)", (1, 1), x=invertible),
        case("np.linalg.det(-x)", (3, 3), x=invertible),  # a negative determinant
        case("np.linalg.det(x) * y", (2, 2), (3,), x=invertible),
        case("np.linalg.det(x.T)", (3, 3), x=singular),
        case("2.0 * np.linalg.det(x)", (2, 3, 3), x=singular),
        case("np.linalg.det(np.outer(x, y) + w)", (3,), (3,), (3, 3)),
    ],
    "numpy.linalg.slogdet": [
        case("sign, logdet = np.linalg.slogdet(x)\nreturn sign * logdet", (3, 3), x=negative_det),
        case("sign, logdet = np.linalg.slogdet(x)\nreturn logdet", (2, 3, 3), x=invertible),
        case("sign, logdet = np.linalg.slogdet(x)\nreturn sign", (3, 3), x=invertible),
        case("np.linalg.slogdet(x)[1]", (3, 3), x=invertible),
        case("s, logdet = np.linalg.slogdet(x)\nreturn s * np.exp(logdet) * y", (3, 3), (2,), x=negative_det),
    ],
    "numpy.linalg.cholesky": [
        case(f"np.linalg.cholesky({SYM})", (3, 3), x=spd),
        case(f"np.linalg.cholesky({SYM3})", (2, 3, 3), x=spd),
        case(f"np.linalg.cholesky({SYM}, upper=True)", (3, 3), x=spd),
        case("np.linalg.cholesky(x @ x.T)", (3, 3), x=invertible),
        case(f"np.sum(np.log(np.diagonal(np.linalg.cholesky({SYM}))))", (4, 4), x=spd),
        # nonsymmetric inputs: the derivative of what numpy computes, which reads one triangle
        case("np.linalg.cholesky(x)", (3, 3), x=lower_read),
        case("np.linalg.cholesky(x, upper=True)", (3, 3), x=upper_read),
        case("np.linalg.cholesky(x)", (2, 3, 3), x=lower_read),
    ],
    "numpy.linalg.eigh": [
        case(f"w, v = np.linalg.eigh({SYM})\nreturn np.sum(w * y) + np.sum(v * c)", (3, 3), (3,), (3, 3),
             names="x, y, c", x=spd),
        case(f"w, v = np.linalg.eigh({SYM3})\nreturn np.sum(w * y) + np.sum(v * c)", (2, 3, 3), (2, 3),
             (2, 3, 3), names="x, y, c", x=spd),
        case(f"w, v = np.linalg.eigh({SYM})\nreturn w", (4, 4), x=spd),
        case(f"w, v = np.linalg.eigh({SYM})\nreturn v", (3, 3), x=spd),
        case(f"np.linalg.eigh({SYM})[1] ** 2", (3, 3), x=spd),
        case(f"w, v = np.linalg.eigh({SYM}, UPLO='U')\nreturn (v * np.sqrt(w)) @ v.T", (3, 3), x=spd),
        case("w, v = np.linalg.eigh(x)\nreturn np.sum(w * y) + np.sum(v * c)", (3, 3), (3,), (3, 3),
             names="x, y, c", x=lower_read),
        case("w, v = np.linalg.eigh(x, UPLO='U')\nreturn np.sum(w * y) + np.sum(v * c)", (3, 3), (3,), (3, 3),
             names="x, y, c", x=upper_read),
        case("w, v = np.linalg.eigh(x, 'U')\nreturn w", (2, 3, 3), x=upper_read),
        case("np.linalg.eigh(x)[0]", (4, 4), x=lower_read),
    ],
    "numpy.linalg.eigvalsh": [
        case(f"np.linalg.eigvalsh({SYM})", (3, 3), x=spd),
        case(f"np.linalg.eigvalsh({SYM3})", (2, 3, 3), x=spd),
        case("np.linalg.eigvalsh(x)", (3, 3), x=lower_read),
        case("np.linalg.eigvalsh(x, UPLO='U')", (3, 3), x=upper_read),
        case("np.linalg.eigvalsh(x, 'u')", (2, 3, 3), x=upper_read),
        case("np.sum(np.linalg.eigvalsh(x) ** 2)", (4, 4), x=lower_read),
    ],
    "numpy.linalg.qr": [
        case("q, r = np.linalg.qr(x)\nreturn np.sum(q * y) + np.sum(r * c)", (4, 3), (4, 3), (3, 3),
             names="x, y, c", x=full_column_rank),
        case("q, r = np.linalg.qr(x)\nreturn np.sum(q * y) + np.sum(r * c)", (3, 3), (3, 3), (3, 3),
             names="x, y, c", x=full_column_rank),
        case("q, r = np.linalg.qr(x)\nreturn np.sum(q * y) + np.sum(r * c)", (2, 4, 3), (2, 4, 3), (2, 3, 3),
             names="x, y, c", x=full_column_rank),
        case("q, r = np.linalg.qr(x)\nreturn q", (4, 3), x=full_column_rank),
        case("np.linalg.qr(x)[1]", (2, 3, 3), x=full_column_rank),
        case("q, r = np.linalg.qr(x, mode='reduced')\nreturn r", (5, 2), x=full_column_rank),
        case("np.linalg.qr(x)[0] @ y", (4, 3), (3,), x=full_column_rank),
    ],
    "numpy.linalg.lstsq": [
        case("np.linalg.lstsq(x, y)[0]", (4, 3), (4,), x=full_column_rank),
        case("np.linalg.lstsq(x, y, rcond=None)[0]", (5, 2), (5, 3), x=full_column_rank),
        case("np.linalg.lstsq(x, y)[0]", (3, 3), (3,), x=full_column_rank),
        case("sol, res, rank, s = np.linalg.lstsq(x, y)\nreturn np.sum(sol * c) + np.sum(res) + np.sum(s * s)",
             (5, 3), (5, 2), (3, 2), names="x, y, c", x=full_column_rank),
        case("sol, res, rank, s = np.linalg.lstsq(x, y)\nreturn res * rank", (4, 2), (4,), x=full_column_rank),
    ],
    "numpy.diag": [
        case("np.diag(x)", (3,)),
        case("np.diag(x, 1)", (3,)),
        case("np.diag(x, k=-2)", (2,)),
        case("np.diag(x)", (3, 3)),
        case("np.diag(x, k=1)", (3, 4)),
        case("np.diag(x, -1)", (4, 3)),
        case("np.diag(x, k=2)", (2, 3)),
    ],
    "numpy.diagonal": [
        case("np.diagonal(x)", (3, 3)),
        case("np.diagonal(x, offset=1)", (3, 4)),
        case("np.diagonal(x, -2)", (4, 3)),
        case("np.diagonal(x, axis1=1, axis2=2)", (2, 3, 4)),
        case("np.diagonal(x, 1, -1, 0)", (3, 2, 4)),
        case("np.diagonal(x, axis1=2, axis2=0)", (3, 2, 4)),
        case("x.diagonal()", (3, 3)),
        case("x.diagonal(1)", (3, 3)),
        case("x.diagonal(0, 1, 2)", (2, 3, 3)),
    ],
    "numpy.triu": [
        case("np.triu(x)", (3, 3)),
        case("np.triu(x, 1)", (3, 4)),
        case("np.triu(x, k=-1)", (2, 3, 3)),
        case("np.triu(x)", (3,)),
    ],
    "numpy.tril": [
        case("np.tril(x)", (3, 3)),
        case("np.tril(x, -1)", (4, 3)),
        case("np.tril(x, k=1)", (2, 3, 3)),
        case("np.tril(x, 1)", (3,)),
    ],
}
