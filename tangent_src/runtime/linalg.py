"""Helpers of the products and linear-algebra rules (dot, tensordot, inv, solve, det, cholesky, eigh, qr, lstsq,
cross, convolve).

Stage: none (run time); see tangent_src/runtime/__init__.py.
"""

import numpy as np

from .core import dot_adjoint_lhs, dot_adjoint_rhs, inverse_axes, mT, size_of, unbroadcast
from .decompositions import divided_by_gaps, unequal_at_ties

# ---------------------------------------------------------------- products and numpy.linalg (rules/linear_algebra.py)


def _positive_axis_list(axes, ndim):
    return [int(a) % ndim for a in axes]


def _contract_or_scale(g, x, g_axes, x_axes):
    """np.tensordot(g, x, axes=(g_axes, x_axes)); a 0-d g (nothing left to contract) scales x."""
    if np.ndim(g) == 0 and not g_axes:
        return g * x
    return np.tensordot(g, x, axes=(list(g_axes), list(x_axes)))


def inner_adjoint_lhs(g, a, b):
    """Adjoint of z = inner(a, b) for a: ba[A, k] = sum_B g[A, B] b[B, k] (a scalar operand multiplies)."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * b, a)
    na, nb = np.ndim(a) - 1, np.ndim(b) - 1
    return _contract_or_scale(g, b, range(na, na + nb), range(nb))


def inner_adjoint_rhs(g, a, b):
    """Adjoint of z = inner(a, b) for b: bb[B, k] = sum_A g[A, B] a[A, k] (a scalar operand multiplies)."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * a, b)
    na = np.ndim(a) - 1
    return _contract_or_scale(g, a, range(na), range(na))


def outer_adjoint_lhs(g, a, b):
    """Adjoint of z = outer(a, b) (operands flattened) for a: ba = g @ ravel(b), shaped like a."""
    column = g[:, 0] * b if np.ndim(b) == 0 else g @ np.ravel(b)
    return np.reshape(column, np.shape(a))


def outer_adjoint_rhs(g, a, b):
    """Adjoint of z = outer(a, b) (operands flattened) for b: bb = ravel(a) @ g, shaped like b."""
    row = a * g[0] if np.ndim(a) == 0 else np.ravel(a) @ g
    return np.reshape(row, np.shape(b))


def _tensordot_axes(axes, nda, ndb):
    """The contracted axes of a and of b, paired, as lists of non-negative ints."""
    if isinstance(axes, (int, np.integer)):
        return list(range(nda - axes, nda)), list(range(axes))
    a_axes, b_axes = axes
    a_axes = [a_axes] if isinstance(a_axes, (int, np.integer)) else list(a_axes)
    b_axes = [b_axes] if isinstance(b_axes, (int, np.integer)) else list(b_axes)
    return _positive_axis_list(a_axes, nda), _positive_axis_list(b_axes, ndb)


def tensordot_adjoint_lhs(g, a, b, axes=2):
    """Adjoint of z = tensordot(a, b, axes) for a: g contracted with b over b's free axes,
    then the axes put back in a's order (z's axes are a's free axes, then b's)."""
    a_axes, b_axes = _tensordot_axes(axes, np.ndim(a), np.ndim(b))
    free_a = [i for i in range(np.ndim(a)) if i not in a_axes]
    free_b = [i for i in range(np.ndim(b)) if i not in b_axes]
    ga = _contract_or_scale(g, b, range(len(free_a), len(free_a) + len(free_b)), free_b)
    order = free_a + [a_axes[j] for j in sorted(range(len(b_axes)), key=lambda j: b_axes[j])]
    return np.transpose(ga, inverse_axes(tuple(order)))


def tensordot_adjoint_rhs(g, a, b, axes=2):
    """Adjoint of z = tensordot(a, b, axes) for b: a contracted with g over a's free axes,
    then the axes put back in b's order."""
    a_axes, b_axes = _tensordot_axes(axes, np.ndim(a), np.ndim(b))
    free_a = [i for i in range(np.ndim(a)) if i not in a_axes]
    free_b = [i for i in range(np.ndim(b)) if i not in b_axes]
    if np.ndim(g) == 0 and not free_a:
        gb = g * a
    else:
        gb = np.tensordot(a, g, axes=(free_a, list(range(len(free_a)))))
    order = [b_axes[j] for j in sorted(range(len(a_axes)), key=lambda j: a_axes[j])] + free_b
    return np.transpose(gb, inverse_axes(tuple(order)))


def dot_adjoint_left(g, a, b):
    """Adjoint of z = dot(a, b) for a. Scalars multiply; up to 2-D it is matmul's; for N-d operands
    z[I, J, m] = sum_k a[I, k] b[J, k, m], tensordot(a, b, axes=([-1], [-2])) (b's only axis for a
    1-D b), so ba is tensordot's adjoint."""
    if np.ndim(a) == 0 or np.ndim(b) == 0 or max(np.ndim(a), np.ndim(b)) <= 2:
        return dot_adjoint_lhs(g, a, b)
    return tensordot_adjoint_lhs(g, a, b, axes=_dot_axes(a, b))


def dot_adjoint_right(g, a, b):
    """Adjoint of z = dot(a, b) for b: as dot_adjoint_left, for the other operand."""
    if np.ndim(a) == 0 or np.ndim(b) == 0 or max(np.ndim(a), np.ndim(b)) <= 2:
        return dot_adjoint_rhs(g, a, b)
    return tensordot_adjoint_rhs(g, a, b, axes=_dot_axes(a, b))


def _dot_axes(a, b):
    """The axes np.dot contracts: a's last and b's second to last (its only one when 1-D)."""
    return ([np.ndim(a) - 1], [max(np.ndim(b) - 2, 0)])


def _ones_on_diagonal(x, n, m=None, k=0):
    """An n x m matrix (m = n by default) with ones on diagonal k, made like x (its type, device)."""
    ones = np.ones_like(x, shape=(n, n if m is None else m))
    return np.tril(np.triu(ones, k), k)


def _kron_shapes(a, b):
    nd = max(np.ndim(a), np.ndim(b))
    sa = (1,) * (nd - np.ndim(a)) + tuple(np.shape(a))
    sb = (1,) * (nd - np.ndim(b)) + tuple(np.shape(b))
    return nd, sa, sb


def kron_adjoint_lhs(g, a, b):
    """Adjoint of z = kron(a, b) for a: z[i * nb + j] = a[i] b[j] (per axis), so ba[i] = sum_j g[i, j] b[j]
    with g reshaped to interleaved (a, b) axes."""
    nd, sa, sb = _kron_shapes(a, b)
    g = np.reshape(g, tuple(n for pair in zip(sa, sb) for n in pair))
    spread = np.reshape(b, tuple(n for m in sb for n in (1, m)))
    return np.reshape(np.sum(g * spread, axis=tuple(range(1, 2 * nd, 2))), np.shape(a))


def kron_adjoint_rhs(g, a, b):
    """Adjoint of z = kron(a, b) for b: bb[j] = sum_i g[i, j] a[i], g reshaped to interleaved (a, b) axes."""
    nd, sa, sb = _kron_shapes(a, b)
    g = np.reshape(g, tuple(n for pair in zip(sa, sb) for n in pair))
    spread = np.reshape(a, tuple(n for m in sa for n in (m, 1)))
    return np.reshape(np.sum(g * spread, axis=tuple(range(0, 2 * nd, 2))), np.shape(b))


def det_cofactor(a):
    """The cofactor matrix adj(a)^T, d det(a) / da, for each matrix of a stack: det(a) a^-T where a is
    invertible. From the SVD a = U diag(s) V^T: adj(a)^T = det(U) det(V) U diag(p) V^T with
    p_i = prod_{j != i} s_j, so it exists for singular a too (rank n - 1 or less)."""
    u, s, vt = np.linalg.svd(a)
    eye = _ones_on_diagonal(s, np.shape(s)[-1])
    others = np.prod(np.expand_dims(s, -2) * (1 - eye) + eye, axis=-1)  # p_i: s with s_i left out
    sign = np.linalg.det(u) * np.linalg.det(vt)
    return per_matrix(sign) * ((u * np.expand_dims(others, -2)) @ vt)


def per_matrix(s):
    """s[..., None, None]: one scalar per matrix of a stack, shaped to scale those matrices
    (a Python or 0-d scalar is left as it is)."""
    return s if np.ndim(s) == 0 else np.expand_dims(s, (-2, -1))


def _solve_columns(x, b):
    """x as a stack of matrices: a trailing axis of one where b, the right side of a solve, is a vector."""
    return np.expand_dims(x, -1) if np.ndim(b) == 1 else x


def _solve_uncolumns(x, b):
    return x[..., 0] if np.ndim(b) == 1 else x


def solve_tangent(a, da, db, z, b):
    """Tangent of z = solve(a, b), a z = b: dz = a^-1 (db - da z) (b a vector or a stack of matrices)."""
    return _solve_uncolumns(np.linalg.solve(a, _solve_columns(db, b) - da @ _solve_columns(z, b)), b)


def _solve_transposed(g, a, b):
    """a^-T g (g shaped like the result of solve(a, b)), as a stack of matrices."""
    return np.linalg.solve(mT(a), _solve_columns(g, b))


def solve_adjoint_lhs(g, a, b, z):
    """Adjoint of z = solve(a, b) for a: ba = -(a^-T g) z^T."""
    return unbroadcast(-_solve_transposed(g, a, b) @ mT(_solve_columns(z, b)), a)


def solve_adjoint_rhs(g, a, b):
    """Adjoint of z = solve(a, b) for b: bb = a^-T g."""
    return unbroadcast(_solve_uncolumns(_solve_transposed(g, a, b), b), b)


def symmetric_part(x):
    """(x + x^T) / 2, for each matrix of a stack."""
    return (x + mT(x)) / 2


def read_triangle(x, lower=True):
    """The symmetric matrix numpy decomposes when given x (cholesky, eigh and eigvalsh read one
    triangle and ignore the other): tril(x) + tril(x, -1)^T, or from the upper triangle."""
    if lower:
        return np.tril(x) + mT(np.tril(x, -1))
    return np.triu(x) + mT(np.triu(x, 1))


def unread_triangle(g, lower=True):
    """The adjoint of `read_triangle` for a symmetric g: the read triangle of g with its
    off-diagonal entries counted twice (each is read into two places), zero in the other."""
    if lower:
        return np.tril(g) + np.tril(g, -1)
    return np.triu(g) + np.triu(g, 1)


def _lower(uplo):
    """Whether eigh/eigvalsh's UPLO ('L' or 'U', any case) reads the lower triangle."""
    return uplo.upper() == "L"


def _cholesky_phi(x):
    """Phi(x): the lower triangle of x with its diagonal halved (Murray 2016)."""
    return (np.tril(x) + np.tril(x, -1)) / 2


def cholesky_tangent(da, z, upper=False):
    """Tangent of L = cholesky(a), a = L L^T (Murray 2016): dL = L Phi(L^-1 da L^-T), Phi the lower
    triangle with the diagonal halved; da is read as numpy reads a, from its lower triangle (its
    upper one with upper=True, z = L^T then)."""
    low = mT(z) if upper else z
    inner = np.linalg.solve(low, mT(np.linalg.solve(low, read_triangle(da, lower=not upper))))  # L^-1 da L^-T
    dlow = low @ _cholesky_phi(inner)
    return mT(dlow) if upper else dlow


def cholesky_adjoint(g, z, upper=False):
    """Adjoint of L = cholesky(a) (Murray 2016): G = sym(L^-T Phi(L^T bL) L^-1), sym(x) = (x + x^T) / 2,
    the gradient for the symmetric matrix numpy reads, then ba = its read triangle, off-diagonal
    entries twice (the unread triangle of a gets 0)."""
    low, glow = (mT(z), mT(g)) if upper else (z, g)
    p = _cholesky_phi(mT(low) @ glow)
    sym = symmetric_part(np.linalg.solve(mT(low), mT(np.linalg.solve(mT(low), mT(p)))))
    return unread_triangle(sym, lower=not upper)


# At a repeated eigenvalue the eigenvectors are not differentiable: any rotation within its
# eigenspace is as good, and the derivative of the composed function depends on how the code that
# follows combines them, which a rule cannot see. Taking 1 / (w_j - w_i) as 0 there is wrong even
# for functions that do not depend on that choice: V diag(w) V^T is the matrix itself, whose
# derivative is the identity, but with that 0 its off-diagonal part within the eigenspace is lost
# ((w_j - w_i) / (w_j - w_i) is 1, not 0). So eigh, like svd and eig, uses divided_by_gaps: NaN
# where two eigenvalues tie, unless the term it multiplies is 0 (nothing depends on those
# eigenvectors' rotation: a function of the eigenvalues alone, or of eigenvectors whose
# eigenvalues are simple). See divided_by_gaps for the one case this cannot tell apart.


def eigh_tangent(da, z, UPLO="L"):  # noqa: N803  (numpy's name)
    """Tangent of w, V = eigh(a), a = V diag(w) V^T with distinct eigenvalues (Giles 2008, 3.1):
    with X = V^T dS V: dw = diag(X), dV = V (F * X), F[i, j] = 1 / (w_j - w_i); dS is da read as
    numpy reads a, from the triangle UPLO names (tril(da) + tril(da, -1)^T for 'L'). Where two
    eigenvalues are equal, the columns of dV that mix their eigenvectors are NaN (divided_by_gaps);
    dw stays diag(X), right for any symmetric function of the tied eigenvalues (their sum, a trace)."""
    w, v = z
    x = mT(v) @ read_triangle(da, _lower(UPLO)) @ v
    return np.diagonal(x, axis1=-2, axis2=-1), v @ divided_by_gaps(w, x)


def eigh_adjoint(g, z, UPLO="L"):  # noqa: N803  (numpy's name)
    """Adjoint of w, V = eigh(a) (Giles 2008, 3.1): G = sym(V (diag(bw) + F * (V^T bV)) V^T) for the
    symmetric matrix numpy reads; ba is G's read triangle, off-diagonal entries twice, 0 elsewhere.
    NaN where two eigenvalues are equal and bV pairs their eigenvectors (divided_by_gaps)."""
    w, v = z
    gw, gv = g
    eye = _ones_on_diagonal(w, np.shape(w)[-1])
    inner = divided_by_gaps(w, mT(v) @ gv) + np.expand_dims(gw, -1) * eye + unequal_at_ties(w, gw)
    return unread_triangle(symmetric_part(v @ inner @ mT(v)), _lower(UPLO))


def eigvalsh_tangent(a, da, UPLO="L"):  # noqa: N803  (numpy's name)
    """Tangent of w = eigvalsh(a) (distinct eigenvalues): dw_i = v_i^T dS v_i, V the eigenvectors of
    a and dS da read from the triangle UPLO names, as numpy reads a."""
    v = np.linalg.eigh(a, UPLO=UPLO)[1]
    return np.sum(v * (read_triangle(da, _lower(UPLO)) @ v), axis=-2)


def eigvalsh_adjoint(g, a, UPLO="L"):  # noqa: N803  (numpy's name)
    """Adjoint of w = eigvalsh(a): V diag(bw) V^T, V the eigenvectors of a, for the symmetric
    matrix numpy reads; ba is its read triangle, off-diagonal entries twice, 0 elsewhere. NaN
    where two eigenvalues are equal but their adjoints are not (unequal_at_ties)."""
    w, v = np.linalg.eigh(a, UPLO=UPLO)
    inner = np.expand_dims(g, -1) * _ones_on_diagonal(w, np.shape(w)[-1]) + unequal_at_ties(w, g)
    return unread_triangle(v @ inner @ mT(v), _lower(UPLO))


def _qr_factors(z, mode):
    """(Q, R) from the result of qr(a, mode), after checking that the derivative covers the case."""
    if mode != "reduced":
        raise ValueError(f"the derivative of np.linalg.qr is implemented for mode='reduced', not {mode!r}")
    q, r = z
    if np.shape(r)[-2] != np.shape(r)[-1]:
        raise ValueError("the derivative of np.linalg.qr is implemented for square or tall matrices "
                         f"(rows >= columns); got R of shape {np.shape(r)}")
    return q, r


def _qr_right_solve(x, r):
    """x R^-1 (R invertible)."""
    return mT(np.linalg.solve(mT(r), mT(x)))


def qr_tangent(da, z, mode="reduced"):
    """Tangent of Q, R = qr(a), reduced, a of full column rank (Walter & Lehmann 2018):
    C = Q^T da R^-1, Omega = tril(C, -1) - tril(C, -1)^T, dR = (C - Omega) R,
    dQ = da R^-1 - Q (C - Omega)."""
    q, r = _qr_factors(z, mode)
    x = _qr_right_solve(da, r)
    c = mT(q) @ x
    upper = c - np.tril(c, -1) + mT(np.tril(c, -1))  # C - Omega, upper triangular
    return x - q @ upper, upper @ r


def qr_adjoint(g, z, mode="reduced"):
    """Adjoint of Q, R = qr(a), reduced (Walter & Lehmann 2018; as in PyTorch):
    M = R bR^T - bQ^T Q, ba = (bQ + Q copyltu(M)) R^-T, copyltu(M) the symmetric matrix
    with M's lower triangle."""
    q, r = _qr_factors(z, mode)
    gq, gr = g
    m = r @ mT(gr) - mT(gq) @ q
    sym = np.tril(m, -1) + mT(np.tril(m, -1)) + np.triu(np.tril(m))
    return mT(np.linalg.solve(r, mT(gq + q @ sym)))


def _check_lstsq(a):
    if np.shape(a)[-2] < np.shape(a)[-1]:
        raise ValueError("the derivative of np.linalg.lstsq is implemented for square or tall matrices "
                         f"of full column rank; got a of shape {np.shape(a)}")


def lstsq_tangent(a, b, da, db, z):
    """Tangent of x, res, rank, s = lstsq(a, b), a of full column rank (normal equations a^T a x = a^T b):
    r = b - a x, dx = (a^T a)^-1 (da^T r + a^T (db - da x)), dres = 2 sum(r * (db - da x)) per column,
    ds_i = u_i^T da v_i (u_i, v_i the singular vectors of a); rank has no derivative."""
    _check_lstsq(a)
    x, res, rank, s = z
    xc, bc, dbc = _solve_columns(x, b), _solve_columns(b, b), _solve_columns(db, b)
    r = bc - a @ xc
    change = dbc - da @ xc
    dx = _solve_uncolumns(np.linalg.solve(mT(a) @ a, mT(da) @ r + mT(a) @ change), b)
    dres = res * 0 if size_of(res) == 0 else np.reshape(2 * np.sum(r * change, axis=-2), np.shape(res))
    u, _, vt = np.linalg.svd(a, full_matrices=False)
    ds = np.sum(u * (da @ mT(vt)), axis=-2)
    return dx, dres, rank * 0, ds


def _lstsq_parts(g, a, b, z):
    _check_lstsq(a)
    x, res, rank, s = z
    gx, gres, grank, gs = g
    xc = _solve_columns(x, b)
    r = _solve_columns(b, b) - a @ xc
    y = np.linalg.solve(mT(a) @ a, _solve_columns(gx, b))
    gb = a @ y
    if size_of(res):
        gb = gb + 2 * r * gres
    return xc, r, y, gb, gs


def lstsq_adjoint_lhs(g, a, b, z):
    """Adjoint of x, res, rank, s = lstsq(a, b) for a: with y = (a^T a)^-1 bx and
    bb = a y + 2 r bres: ba = r y^T - bb x^T + U diag(bs) V^T."""
    xc, r, y, gb, gs = _lstsq_parts(g, a, b, z)
    u, _, vt = np.linalg.svd(a, full_matrices=False)
    return r @ mT(y) - gb @ mT(xc) + (u * np.expand_dims(gs, -2)) @ vt


def lstsq_adjoint_rhs(g, a, b, z):
    """Adjoint of x, res, rank, s = lstsq(a, b) for b: bb = a (a^T a)^-1 bx + 2 r bres, r = b - a x."""
    return _solve_uncolumns(_lstsq_parts(g, a, b, z)[3], b)


def undiagonal(g, like, offset=0, axis1=0, axis2=1):
    """Adjoint of z = diagonal(a, offset, axis1, axis2): g put on that diagonal of zeros shaped like a.

    With P[p, i] = [p = i + max(-offset, 0)] and Q[q, i] = [q = i + max(offset, 0)], the
    matrices along (axis1, axis2) are sum_i g[..., i] P[:, i] Q[:, i]^T.
    """
    shape = np.shape(like)
    ndim = len(shape)
    axis1, axis2 = axis1 % ndim, axis2 % ndim
    length = np.shape(g)[-1]
    rows = _ones_on_diagonal(g, shape[axis1], length, -max(-offset, 0))
    cols = _ones_on_diagonal(g, shape[axis2], length, -max(offset, 0))
    out = np.einsum("...i,pi,qi->...pq", g, rows, cols)
    return np.moveaxis(out, (-2, -1), (axis1, axis2))


def undiag(g, like, k=0):
    """Adjoint of z = diag(v, k): the k-th diagonal of g for a vector v (z is a matrix);
    g put on the k-th diagonal of zeros shaped like v for a matrix v (z is its diagonal)."""
    if np.ndim(like) == 1:
        return np.diag(g, k)
    return undiagonal(g, like, offset=k)


def _positive_power_tangent(a, da, n):
    """d(a^n) for n >= 1: T_1 = da, T_{j+1} = T_j a + a^j da."""
    power, tangent = a, da
    for _ in range(n - 1):
        tangent = tangent @ a + power @ da
        power = power @ a
    return tangent


def _positive_power_adjoint(g, a, n):
    """The adjoint of a^n for n >= 1: sum_k (a^k)^T g (a^(n-1-k))^T."""
    powers = [None, a]
    for _ in range(n - 2):
        powers.append(powers[-1] @ a)
    total = 0.0
    for k in range(n):
        left, right = powers[k], powers[n - 1 - k]
        term = g if right is None else g @ mT(right)
        total = total + (term if left is None else mT(left) @ term)
    return total


def matrix_power_tangent(a, da, n):
    """Tangent of z = a^n: sum_k a^k da a^(n-1-k); for n < 0, that of b^-n with b = a^-1, db = -b da b."""
    if n == 0:
        return da * 0
    if n < 0:
        b = np.linalg.inv(a)
        return _positive_power_tangent(b, -(b @ da @ b), -n)
    return _positive_power_tangent(a, da, n)


def matrix_power_adjoint(g, a, n):
    """Adjoint of z = a^n: sum_k (a^k)^T g (a^(n-1-k))^T; for n < 0, ba = -b^T bb b^T with b = a^-1."""
    if n == 0:
        return np.zeros_like(a)
    if n < 0:
        b = np.linalg.inv(a)
        return -(mT(b) @ _positive_power_adjoint(g, b, -n) @ mT(b))
    return _positive_power_adjoint(g, a, n)


def _cross_axes(a, b, axisa, axisb, axisc, axis):
    """The vector axes of np.cross (axis, when given, overrides the three), checked to hold 3-vectors."""
    if axis is not None:
        axisa = axisb = axisc = axis
    if np.shape(a)[axisa] != 3 or np.shape(b)[axisb] != 3:
        raise ValueError("the derivative of np.cross is implemented for 3-vectors; got vectors of "
                         f"lengths {np.shape(a)[axisa]} and {np.shape(b)[axisb]}")
    return axisa, axisb, axisc


def _cross_adjoint(g, x, other, x_axis, other_axis, axisc, first):
    gm = np.moveaxis(g, axisc, -1)
    om = np.moveaxis(other, other_axis, -1)
    gx = np.cross(om, gm) if first else np.cross(gm, om)
    return np.moveaxis(unbroadcast(gx, np.shape(np.moveaxis(x, x_axis, -1))), -1, x_axis)


def cross_adjoint_lhs(g, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Adjoint of z = cross(a, b) for a: <g, a x b> = <b x g, a> (the scalar triple product turns
    cyclically), so ba = b x g along a's vector axis, broadcast axes summed."""
    axisa, axisb, axisc = _cross_axes(a, b, axisa, axisb, axisc, axis)
    return _cross_adjoint(g, a, b, axisa, axisb, axisc, first=True)


def cross_adjoint_rhs(g, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Adjoint of z = cross(a, b) for b: <g, a x b> = <g x a, b>, so bb = g x a along b's vector
    axis, broadcast axes summed."""
    axisa, axisb, axisc = _cross_axes(a, b, axisa, axisb, axisc, axis)
    return _cross_adjoint(g, b, a, axisb, axisa, axisc, first=False)


def unconvolve(g, like, other, mode="full"):
    """Adjoint of z = convolve(a, v, mode) for a (like=a, other=v; for v swap them: convolution commutes).

    z is a window of the full convolution c[k] = sum_i a[i] v[k - i], of length m + n - 1, starting
    at (m + n - 1 - len(z)) // 2 (0 for "full", min(m, n) - 1 for "valid", (min(m, n) - 1) // 2 for
    "same"). So ba[i] = sum_k gc[k] v[k - i], gc = g put back in that window of zeros: the
    correlation of gc with v, correlate(gc, v, "valid").
    """
    size = size_of(like) + size_of(other) - 1
    start = (size - np.shape(g)[0]) // 2
    gc = np.concatenate([np.zeros_like(g, shape=(start,)), g,
                         np.zeros_like(g, shape=(size - start - np.shape(g)[0],))])
    other = other + np.zeros_like(g, shape=(size_of(other),))  # 1-D, on g's device (also for a scalar)
    return np.reshape(np.correlate(gc, other, mode="valid"), np.shape(like))
