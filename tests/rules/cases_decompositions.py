"""Cases for tangent_src/rules/decompositions.py: svd, pinv and eig.

Inputs come from the rules' domains: matrices with distinct singular values well away from
zero (svd), of full rank (pinv), nonsymmetric with real distinct eigenvalues (eig). Singular
vectors and eigenvectors are defined up to sign; the functions use them in ways that do
not depend on the sign (u * s, v v^T, ...) where the sign LAPACK picks could change between
the finite-difference points, and as they are elsewhere (it does not change for small steps).
"""

from __future__ import annotations

from casekit import case
from tangent_src.rules.decompositions import distinct_singular_values as gaps
from tangent_src.rules.decompositions import full_rank
from tangent_src.rules.decompositions import real_distinct_eigenvalues as real_eig

CASES = {
    "numpy.linalg.svd": [
        case("u, s, vh = np.linalg.svd(x, full_matrices=False)\nreturn u * s @ vh", (4, 3), x=gaps),
        case("u, s, vh = np.linalg.svd(x, full_matrices=False)\nreturn u", (4, 3), x=gaps),
        case("u, s, vh = np.linalg.svd(x, full_matrices=False)\nreturn vh", (3, 5), x=gaps),
        case("u, s, vh = np.linalg.svd(x)\nreturn u * s + vh", (3, 3), x=gaps),  # square: full is reduced
        case("np.linalg.svd(x, compute_uv=False)", (4, 3), x=gaps),
        case("np.linalg.svd(x, compute_uv=False)", (2, 3, 5), x=gaps),
        case("np.linalg.svd(x, False, False)", (3, 3), x=gaps),
        case("u, s, vh = np.linalg.svd(x, full_matrices=False)\nreturn s", (2, 5, 3), x=gaps),
        case("u, s, vh = np.linalg.svd(x, full_matrices=False)\nreturn u[..., :1] * vh[..., :1, :]", (2, 3, 4),
             x=gaps),
        case("u, s, vh = np.linalg.svd(x, full_matrices=False)\nreturn np.sum(s) * u @ vh", (4, 2), x=gaps),
    ],
    "numpy.linalg.pinv": [
        case("np.linalg.pinv(x)", (3, 3), x=full_rank),
        case("np.linalg.pinv(x)", (4, 3), x=full_rank),
        case("np.linalg.pinv(x)", (2, 5), x=full_rank),
        case("np.linalg.pinv(x) @ y", (2, 4, 3), (4,), x=full_rank),
        case("np.linalg.pinv(x, rcond=1e-12)", (3, 2), x=full_rank),
    ],
    "numpy.linalg.eig": [
        case("w, v = np.linalg.eig(x)\nreturn w", (3, 3), x=real_eig),
        case("w, v = np.linalg.eig(x)\nreturn v", (3, 3), x=real_eig),
        case("w, v = np.linalg.eig(x)\nreturn v * w[..., None, :]", (2, 4, 4), x=real_eig),
        case("np.linalg.eig(x)[1][:, 0] * np.linalg.eig(x)[0][1]", (2, 2), x=real_eig),
        case("w, v = np.linalg.eig(x)\nreturn np.sum(w * w) * v[0]", (3, 3), x=real_eig),
    ],
}
