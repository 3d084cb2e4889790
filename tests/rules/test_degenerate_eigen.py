"""Derivatives of eigh, eig and svd at repeated eigenvalues (singular values).

At a repeated eigenvalue the eigenvectors are not unique (any rotation within the eigenspace is
as good) and not differentiable, so the derivative of a function of them exists only when the code
that follows does not depend on that choice, which a rule cannot see. The rules (the runtime's
divided_by_gaps and unequal_at_ties) choose:

* right, and checked here by central differences in both modes, where the result does not go
  through the eigenvectors of the repeated value: symmetric functions of the eigenvalues (sum,
  log-determinant, squared norm), and eigenvectors of a simple eigenvalue beside a repeated one;
* NaN where it does, even when the composed function is smooth: sum(V diag(w) V^T * c) is
  sum(x * c) for a symmetric x, but its derivative at a tie is a limit (w_j - w_i) / (w_j - w_i)
  that the rule of eigh, seeing only its own cotangent, cannot take. NaN, never the silently wrong
  number (the diagonal part alone) that taking 1 / (w_j - w_i) as 0 gave;
* NaN in reverse mode for a function of repeated eigenvalues that is not symmetric in them (w[0]
  at a tie has no derivative). Forward mode gives diag(V^T dS V) there, a number where no
  derivative exists: a tangent cannot know that what follows it is not symmetric.

Away from ties the same functions are checked against central differences in both modes, and by
the dot-product test.
"""

from __future__ import annotations

import numpy as np
import pytest

import tangent_src as ts
from helpers import dot_product_check, make_function

RNG = np.random.default_rng(7)
C = RNG.standard_normal((3, 3))
Q = np.linalg.qr(RNG.standard_normal((3, 3)))[0]


def _symmetric(values: list[float]) -> np.ndarray:
    x = (Q * values) @ Q.T
    return (x + x.T) / 2


TIE = 2.0 * np.eye(3)  # numpy's eigenvectors are exact: the identity
ROTATED_TIE = _symmetric([1.0, 1.0, 5.0])  # a double eigenvalue 1, a simple one 5
DISTINCT = _symmetric([1.0, 2.0, 5.0])
NONSYMMETRIC = np.array([[2.0, 0.3, 0.1], [0.2, 1.0, 0.4], [0.1, 0.5, -1.0]])  # real distinct eigenvalues


def _function(body: str):
    return make_function(f"def f(x, c):\n    {body}\n")


def _modes(f, x: np.ndarray) -> dict[str, np.ndarray]:
    """The gradient (reverse mode) and the tangent along C (forward mode) at x."""
    return {"reverse": ts.grad(f)(x, C), "forward": np.asarray(ts.jvp(f)(x, C, C)[1])}


# through the eigenvectors of a repeated value: smooth, but the rules cannot take the limit
RECONSTRUCTIONS = [
    ("s, v = np.linalg.eigh(x)\n    return np.sum((v * s) @ v.T * c)", "eigh"),  # sum(x * c)
    ("s, v = np.linalg.eigh(x)\n    return np.sum(v @ np.diag(s) @ np.linalg.inv(v) * c)", "eigh"),
    ("s, v = np.linalg.eigh(x)\n    return np.sum((v * (s - 2.0)) @ v.T * c)", "eigh"),  # 0 at the tie
    ("s, v = np.linalg.eigh(x)\n    return np.sum((v * np.exp(s)) @ v.T * c)", "eigh"),  # sum(expm(x) * c)
    ("s, v = np.linalg.eig(x)\n    return np.sum((v * s) @ np.linalg.inv(v) * c)", "eig"),
    ("u, s, vh = np.linalg.svd(x)\n    return np.sum((u * s) @ vh * c)", "svd"),
]


@pytest.mark.parametrize("body, kind", RECONSTRUCTIONS)
def test_through_the_eigenvectors_of_a_tie_is_nan_in_both_modes(body: str, kind: str):
    f = _function(body)
    also = {"eigh": [ROTATED_TIE], "eig": [], "svd": [np.zeros((3, 3)), np.diag([3.0, 0.0, 0.0])]}[kind]
    for x in [TIE, *also]:  # svd: repeated zero singular values too
        found = _modes(f, x)
        assert np.isnan(found["reverse"]).any(), (x, found["reverse"])
        assert np.isnan(found["forward"]), (x, found["forward"])


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("body, kind", RECONSTRUCTIONS)
def test_the_same_functions_are_exact_at_distinct_eigenvalues(body: str, kind: str, mode: str):
    f = _function(body)
    x = NONSYMMETRIC if kind in ("eig", "svd") else DISTINCT
    assert ts.check_grad(f, (x, C), 0, mode=mode) < 1e-6


@pytest.mark.parametrize("body, kind", RECONSTRUCTIONS)
def test_dot_product_at_distinct_eigenvalues(body: str, kind: str):
    x = NONSYMMETRIC if kind in ("eig", "svd") else DISTINCT
    dot_product_check(_function(body), (x, C), 0, np.random.default_rng(0))


# not through the eigenvectors of a repeated value: right at the tie
WELL_DEFINED = [
    ("w, v = np.linalg.eigh(x)\n    return np.sum(w)", [TIE, ROTATED_TIE]),
    ("w, v = np.linalg.eigh(x)\n    return np.sum(np.log(w)) * c[0, 0]", [TIE, ROTATED_TIE]),
    ("w, v = np.linalg.eigh(x, UPLO='U')\n    return np.sum(w ** 2)", [TIE, ROTATED_TIE]),
    ("w, v = np.linalg.eig(x)\n    return np.sum(w ** 2)", [TIE]),
    ("u, s, vh = np.linalg.svd(x)\n    return np.sum(s ** 2)", [TIE]),
    # the eigenvector of the simple eigenvalue 5 (sign-free: an outer product, a product of entries)
    ("w, v = np.linalg.eigh(x)\n    return np.sum(np.outer(v[:, 2], v[:, 2]) * c)", [ROTATED_TIE]),
    ("w, v = np.linalg.eigh(x)\n    return w[2] * v[0, 2] * v[1, 2] + np.sum(w)", [ROTATED_TIE]),
]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("body, points", WELL_DEFINED)
def test_what_does_not_depend_on_the_rotation_is_right_at_a_tie(body: str, points: list, mode: str):
    f = _function(body)
    for x in points:
        assert ts.check_grad(f, (x, C), 0, mode=mode) < 1e-6


@pytest.mark.parametrize("body", [
    "w, v = np.linalg.eigh(x)\n    return w[0]",
    "w, v = np.linalg.eigh(x)\n    return np.sum(w * c[0])",
    "w, v = np.linalg.eig(x)\n    return np.sum(w * c[0])",
    "u, s, vh = np.linalg.svd(x)\n    return np.sum(s * c[0])",
    "return np.sum(np.linalg.eigvalsh(x) * c[0])",
])
def test_a_function_of_tied_values_not_symmetric_in_them_is_nan_in_reverse_mode(body: str):
    grad = ts.grad(_function(body))(TIE, C)
    assert np.isnan(grad[np.tril_indices(3)]).all()  # eigh and eigvalsh read the lower triangle only


def _central_difference(f, x: np.ndarray, direction: np.ndarray, h: float = 1e-6) -> float:
    return (f(x + h * direction, C) - f(x - h * direction, C)) / (2 * h)


def test_a_stack_is_nan_only_in_its_tied_matrix():
    """In a stack, the tied matrix's gradient is NaN, the other's is right; a tangent that does not
    move the tied matrix is right too."""
    f = _function("s, v = np.linalg.eigh(x)\n"
                  "    return np.sum(np.matmul(v * s[..., None, :], np.swapaxes(v, -1, -2)) * c)")
    x = np.stack([TIE, DISTINCT])
    grad = ts.grad(f)(x, C)
    assert np.isnan(grad[0][np.tril_indices(3)]).all()
    for i, j in [(0, 0), (1, 0), (2, 1), (0, 2)]:
        direction = np.zeros_like(x)
        direction[1, i, j] = 1.0
        np.testing.assert_allclose(grad[1, i, j], _central_difference(f, x, direction), rtol=1e-6, atol=1e-8)
    direction = np.stack([np.zeros((3, 3)), np.tril(C)])  # eigh reads the lower triangle
    tangent = ts.jvp(f)(x, C, direction)[1]
    np.testing.assert_allclose(tangent, _central_difference(f, x, direction), rtol=1e-6)
