"""Gradients of scaled dot-product attention, read off generated code.

Run it with `python examples/attention.py`. Attention (section 10, "Attention
Mechanisms") is

    S = Q K^T / sqrt(d),    A = softmax(S) (row by row),    O = A V

for n queries Q (n, d), m keys K (m, d) and m values V (m, d_v); the softmax
is written out the numerically safe way, subtracting each row's maximum before
exp. Given dL/dO, the gradient of some loss L with respect to the output, the
backward pass is

    dL/dV = A^T dL/dO
    dL/dA = dL/dO V^T
    dL/dS = A * (dL/dA - sum(dL/dA * A, axis=-1, keepdims))    (the softmax Jacobian)
    dL/dQ = dL/dS K / sqrt(d)
    dL/dK = dL/dS^T Q / sqrt(d)

The script prints the reverse-mode code ts.vjp generates (it takes dL/dO as
its cotangent `bout`), quotes the lines that compute these equations, and
checks them against a backward pass written by hand from the equations and
against central differences (ts.check_grad). It then prints the forward-mode
code ts.jvp generates and checks it with the dot-product test
<dL/dO, J (dQ, dK, dV)> = <J^T dL/dO, (dQ, dK, dV)>, which ties the two modes
together, and against central differences. It exits with status 1 if a quoted
line is no longer in the generated code or a check fails.
"""

import sys

import numpy as np

import tangent_src as ts

from walkthrough import function_source, quote, report_missing, section

QUERIES = 4  # n
KEYS = 6  # m
DIM = 3  # d, the size of a query or key
VALUE_DIM = 2  # d_v


def attention(Q, K, V):
    """softmax(Q K^T / sqrt(d)) V, the softmax taken over the keys (the last axis)."""
    d = Q.shape[-1]
    scores = Q @ K.T / np.sqrt(d)
    shifted = scores - np.max(scores, axis=-1, keepdims=True)
    e = np.exp(shifted)
    A = e / np.sum(e, axis=-1, keepdims=True)
    return A @ V


def loss(Q, K, V, weights):
    """A scalar loss on top, sum(weights * O): its dL/dO is `weights`."""
    return np.sum(weights * attention(Q, K, V))


# ---------------------------------------------------------------- by hand


def attention_backward_by_hand(Q, K, V, dO):
    """dL/dQ, dL/dK, dL/dV from dL/dO, written from the equations in the docstring."""
    d = Q.shape[-1]
    S = Q @ K.T / np.sqrt(d)
    A = np.exp(S - S.max(axis=-1, keepdims=True))
    A /= A.sum(axis=-1, keepdims=True)
    dV = A.T @ dO
    dA = dO @ V.T
    dS = A * (dA - np.sum(dA * A, axis=-1, keepdims=True))
    dQ = dS @ K / np.sqrt(d)
    dK = dS.T @ Q / np.sqrt(d)
    return dQ, dK, dV


# ---------------------------------------------------------------- the generated code, explained

# Lines quoted from the generated vjp_attention, with the equation each one computes.
# main() checks that they are still there.
REVERSE_WALKTHROUGH = [
    ("bA = matmul_adjoint_lhs(bout, A, V)", "dL/dA = dL/dO V^T        (bout is dL/dO)"),
    ("bV = matmul_adjoint_rhs(bout, A, V)", "dL/dV = A^T dL/dO"),
    ("be = unbroadcast(bA / t6, like=e)", "A = e / t6, t6 = sum(e): the direct path, dL/dA / t6"),
    ("bt6 = -unbroadcast(A * bA, like=t6) / t6", "the path through the sum: -sum(dL/dA * A) / t6 ..."),
    ("be = be + unreduce(bt6, like=e, axis=-1, keepdims=True)", "... spread over the row"),
    ("bshifted = e * be", "dL/dS = A * (dL/dA - sum(dL/dA * A))   (e * (1/t6) = A)"),
    ("where_max = extremum_weights(scores, t5, axis=-1, keepdims=True)",
     "the max's adjoint goes to the row's maximum"),
    ("bt3 = unbroadcast(bscores / t4, like=t3)", "dL/d(Q K^T) = dL/dS / sqrt(d)"),
    ("bQ = matmul_adjoint_lhs(bt3, Q, t2)", "dL/dQ = dL/dS K / sqrt(d)"),
    ("bt2 = matmul_adjoint_rhs(bt3, Q, t2)", "dL/dK^T = Q^T dL/dS / sqrt(d) ..."),
    ("bK = bt2.T", "... so dL/dK = dL/dS^T Q / sqrt(d)"),
]

# Lines quoted from the generated jvp_attention: each tangent is the differential of its line.
FORWARD_WALKTHROUGH = [
    ("dt3 = dQ @ t2 + Q @ dt2", "d(Q K^T) = dQ K^T + Q dK^T   (the product rule)"),
    ("de = e * dshifted", "d exp(s) = exp(s) ds"),
    ("dA = de / t6 - A / t6 * dt6", "dA = (de - A sum(de)) / sum(e): the softmax Jacobian, forwards"),
    ("dout = dA @ V + A @ dV", "dO = dA V + A dV"),
]

EXPLANATION = """\
Two things the generated code does that the equations leave out:
  * The softmax Jacobian is not one line: the code differentiates A = e / sum(e)
    as written, a quotient. be = dL/dA / t6 - sum(dL/dA * A) / t6 (two lines, the
    direct path and the path through the sum), and bshifted = e * be; since
    e / t6 = A that is A * (dL/dA - sum(dL/dA * A, axis=-1, keepdims)).
  * The max subtracted for stability is differentiated too: bscores gets
    -sum(bshifted) at each row's maximum (where_max). Softmax does not change
    when a row is shifted, so sum(bshifted, axis=-1) = sum(A dL/dA) - sum(A) sum(A dL/dA)
    is zero up to rounding, and this term adds nothing (the equations drop it).
    Its size is printed below."""
def explain(title, source, name, walkthrough):
    """Print the generated code and what its key lines compute; False if a line is missing."""
    section(title)
    print(source.rstrip())
    print()
    missing = quote(function_source(source, name), walkthrough)
    return report_missing(missing, "the walkthrough")


def report(label, value, bound, what="max |difference|"):
    good = value < bound
    print(f"  {label:<52} {what} = {value:.1e}  ({'ok' if good else 'FAILED'}, needs < {bound:.0e})")
    return good


def compare(label, found, expected, bound):
    ok = True
    for name, g, h in zip("QKV", found, expected, strict=True):
        diff = np.max(np.abs(g - h)) if g.shape == h.shape else np.inf
        ok &= report(f"dL/d{name} {g.shape}: {label}", diff, bound)
    return ok


def check_reverse(Q, K, V, dO):
    """The generated vjp against the backward pass by hand and against central differences."""
    ok = compare("generated vs by hand", ts.vjp(attention, wrt=(0, 1, 2))(Q, K, V, dO),
                 attention_backward_by_hand(Q, K, V, dO), 1e-12)
    errors = ts.check_grad(loss, (Q, K, V, dO), wrt=(0, 1, 2))
    ok &= report("grad of sum(dL/dO * O) vs central differences", max(errors), 1e-6, "relative error")

    # The max's contribution: -sum(bshifted) per row, zero up to rounding.
    S = Q @ K.T / np.sqrt(Q.shape[-1])
    A = np.exp(S - S.max(axis=-1, keepdims=True))
    A /= A.sum(axis=-1, keepdims=True)
    dA = dO @ V.T
    through_max = np.sum(A * (dA - np.sum(dA * A, axis=-1, keepdims=True)), axis=-1)
    print(f"  (the adjoint reaching the max, sum(bshifted) per row: at most {np.max(np.abs(through_max)):.1e})")
    return ok


def check_far_keys(Q, K, V, dO):
    """Keys moved by a common vector k0 add q_i . k0 / sqrt(d) to every score of row i: softmax
    and the gradients stay the same, but the scores are in the thousands, where exp overflows."""
    far = K + np.array([3000.0] + [0.0] * (K.shape[1] - 1))  # Q's first column is positive
    S = Q @ far.T / np.sqrt(Q.shape[-1])
    with np.errstate(over="ignore", invalid="ignore"):
        naive = np.exp(S) / np.sum(np.exp(S), axis=-1, keepdims=True)
    print(f"keys moved by k0 = (3000, 0, 0): scores from {S.min():.0f} to {S.max():.0f}; softmax without "
          f"the max-subtraction is {'finite' if np.all(np.isfinite(naive)) else 'nan'} there")
    generated = ts.vjp(attention, wrt=(0, 1, 2))(Q, far, V, dO)
    # Scores of ~3000 keep about 13 correct digits of S - max(S), hence the bounds.
    ok = compare("generated vs by hand", generated, attention_backward_by_hand(Q, far, V, dO), 1e-10)
    ok &= compare("same as with the keys unmoved", generated, ts.vjp(attention, wrt=(0, 1, 2))(Q, K, V, dO), 1e-10)
    return ok


def check_forward(Q, K, V, dO, rng):
    """The generated jvp by the dot-product test against the vjp, and against central differences."""
    ok = True
    dQ, dK, dV = rng.normal(size=Q.shape), rng.normal(size=K.shape), rng.normal(size=V.shape)
    out, dout = ts.jvp(attention, wrt=(0, 1, 2))(Q, K, V, dQ, dK, dV)
    ok &= report("jvp's value vs attention(Q, K, V)", np.max(np.abs(out - attention(Q, K, V))), 1e-15)
    bQ, bK, bV = ts.vjp(attention, wrt=(0, 1, 2))(Q, K, V, dO)
    lhs = np.sum(dO * dout)  # <u, J v>
    rhs = np.sum(bQ * dQ) + np.sum(bK * dK) + np.sum(bV * dV)  # <J^T u, v>
    print(f"  <dL/dO, J (dQ, dK, dV)> = {lhs:.15f}")
    print(f"  <J^T dL/dO, (dQ, dK, dV)> = {rhs:.15f}")
    ok &= report("dot-product test", abs(lhs - rhs) / max(abs(lhs), 1.0), 1e-12, "relative difference")
    errors = ts.check_grad(loss, (Q, K, V, dO), wrt=(0, 1, 2), mode="forward")
    ok &= report("jvp vs central differences (ts.check_grad, forward)", max(errors), 1e-6, "relative error")
    return ok


def main():
    rng = np.random.default_rng(0)
    Q = rng.normal(size=(QUERIES, DIM))
    Q[:, 0] = 0.5 + np.abs(Q[:, 0])  # positive, for check_far_keys
    K = rng.normal(size=(KEYS, DIM))
    V = rng.normal(size=(KEYS, VALUE_DIM))
    dO = rng.normal(size=(QUERIES, VALUE_DIM))  # dL/dO: any upstream gradient
    print(f"{QUERIES} queries and {KEYS} keys of size d = {DIM}, values of size {VALUE_DIM}.")

    ok = explain("Generated reverse-mode code: ts.source(ts.vjp(attention, wrt=(0, 1, 2)))",
                 ts.source(ts.vjp(attention, wrt=(0, 1, 2))), "vjp_attention", REVERSE_WALKTHROUGH)
    print()
    print(EXPLANATION)
    section("Checks of the reverse mode")
    ok &= check_reverse(Q, K, V, dO)
    ok &= check_far_keys(Q, K, V, dO)

    ok &= explain("Generated forward-mode code: ts.source(ts.jvp(attention, wrt=(0, 1, 2)))",
                  ts.source(ts.jvp(attention, wrt=(0, 1, 2))), "jvp_attention", FORWARD_WALKTHROUGH)
    section("Checks of the forward mode")
    ok &= check_forward(Q, K, V, dO, rng)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
