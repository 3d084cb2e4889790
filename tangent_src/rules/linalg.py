"""Products of arrays: matmul (the @ operator) and dot."""

import numpy as np

from .registry import rule
from ..runtime import dot_adjoint_left, dot_adjoint_right, matmul_adjoint_lhs, matmul_adjoint_rhs  # noqa: F401


@rule("operator.matmul", aliases=("numpy.matmul",))
def matmul(a, b):
    """z = a @ b: dz = da @ b + a @ db; ba = bz @ b^T, bb = a^T @ bz"""

    def tangent(da, db):
        return da @ b + a @ db

    def adjoint(bz):
        return matmul_adjoint_lhs(bz, a, b), matmul_adjoint_rhs(bz, a, b)


@rule("numpy.dot")
def dot(a, b):
    """z = dot(a, b): matmul for 1-D and 2-D operands, a product for scalars, tensordot(a, b, ([-1], [-2])) N-d"""

    def tangent(da, db):
        return np.dot(da, b) + np.dot(a, db)

    def adjoint(bz):
        return dot_adjoint_left(bz, a, b), dot_adjoint_right(bz, a, b)
