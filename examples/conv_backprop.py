"""Backpropagation through a convolution layer, read off generated code.

Run it with `python examples/conv_backprop.py`. A 1-D convolution layer (in the
deep-learning sense: a "valid" cross-correlation) is written the plain way,
with a loop over output positions:

    out[i] = sum_j x[i + j] w[j]        i.e.  out[i] = np.sum(x[i:i+k] * w)

and a scalar loss, sum(tanh(out)), is put on top. The script prints the
reverse-mode code tangent_src generates and shows the two textbook facts about
the backward pass of a convolution (section 10, "Convolutional Layers"):

  * dL/dx is a convolution with the flipped kernel: each output adjoint g[i]
    is spread back over the input window x[i:i+k] weighted by w, and the sum
    over i is the "full" convolution of g with w, np.convolve(g, w, "full"),
    which is the correlation of the zero-padded g with the flipped kernel;
  * dL/dw is the correlation of the input with the output adjoint,
    np.correlate(x, g, "valid").

It checks both numerically, for the loss (g = dL/dout = 1 - tanh(out)**2) and
for an arbitrary cotangent through ts.vjp, against np.convolve / np.correlate
computed independently, and exits with status 1 on a mismatch or if a quoted
line is no longer in the generated code.
"""

import sys

import numpy as np

import tangent_src as ts

from walkthrough import function_source, quote, report_missing, section

TOLERANCE = 1e-12


def conv1d(x, w):
    """Valid 1-D convolution layer (cross-correlation): out[i] = sum_j x[i + j] w[j]."""
    k = w.shape[0]
    n = x.shape[0] - k + 1
    out = np.zeros(n)
    for i in range(n):
        out[i] = np.sum(x[i:i + k] * w)
    return out


def loss(x, w):
    return np.sum(np.tanh(conv1d(x, w)))


# Lines quoted from the generated vjp_conv1d, with what each computes for output position i.
# main() checks that they are still there.
WALKTHROUGH = [
    ("tape.append(", "forward sweep: record each window x[i:i+k] and its product with w"),
    ("while tape:", "reverse sweep: the output positions, last first"),
    ("bt8 = unbroadcast(bout[i], like=t8_shape)", "g[i] = dL/dout[i], the adjoint of out[i]"),
    ("bt7 = unreduce(bt8, like=t7)", "np.sum's adjoint: g[i] for each of the k products"),
    ("bt6 = unbroadcast(w * bt7, like=t6)", "dL/d(window) = g[i] * w"),
    ("bw = bw + unbroadcast(t6 * bt7, like=w)", "dL/dw += g[i] * x[i:i+k]"),
    ("bx = add_at(bx, bt6, like=x, index=slice(i, t5))", "dL/dx[i:i+k] += g[i] * w, added into bx in place"),
]

EXPLANATION = """\
Summed over the output positions i, the two accumulations are
    dL/dx[m] = sum_i g[i] w[m - i]    the full convolution of g with w
                                      (= the correlation of the padded g with the flipped w)
    dL/dw[j] = sum_i g[i] x[i + j]    the correlation of x with g
The generated code computes them window by window, as the loop wrote them;
numpy computes them in one call each. They must agree:"""
def explain_generated_code(source):
    """Print the generated code and what its key lines compute; False if a line is missing."""
    section("Generated reverse-mode code: ts.source(ts.grad(loss, wrt=(0, 1)))")
    print(source.rstrip())
    section("What the reverse sweep of the convolution computes")
    missing = quote(function_source(source, "vjp_conv1d"), WALKTHROUGH)
    return report_missing(missing, "WALKTHROUGH")


def compare(label, found, expected):
    diff = np.max(np.abs(found - expected))
    good = found.shape == expected.shape and diff < TOLERANCE
    print(f"  {label:<58} max |difference| = {diff:.1e}  ({'ok' if good else 'FAILED'})")
    return good


def check_against_numpy(x, w, rng):
    """The generated adjoints against np.convolve / np.correlate, for the loss and for ts.vjp."""
    ok = True
    out = np.correlate(x, w, mode="valid")  # the forward pass, computed by numpy
    ok &= compare("conv1d(x, w) vs np.correlate(x, w, 'valid')", conv1d(x, w), out)

    bx, bw = ts.grad(loss, wrt=(0, 1))(x, w)
    g = 1 - np.tanh(out) ** 2  # dL/dout for L = sum(tanh(out)), worked out by hand
    print("for the loss, with g = dL/dout = 1 - tanh(out)**2:")
    ok &= compare("dL/dx vs np.convolve(g, w, 'full')", bx, np.convolve(g, w, mode="full"))
    padded = np.pad(g, w.size - 1)
    ok &= compare("dL/dx vs np.correlate(padded g, flipped w, 'valid')", bx,
                  np.correlate(padded, w[::-1], mode="valid"))
    ok &= compare("dL/dw vs np.correlate(x, g, 'valid')", bw, np.correlate(x, g, mode="valid"))

    g = rng.normal(size=out.shape)  # any upstream gradient, pulled back by the generated vjp
    bx, bw = ts.vjp(conv1d, wrt=(0, 1))(x, w, g)
    print("for ts.vjp(conv1d) with a random upstream gradient g:")
    ok &= compare("x adjoint vs np.convolve(g, w, 'full')", bx, np.convolve(g, w, mode="full"))
    ok &= compare("w adjoint vs np.correlate(x, g, 'valid')", bw, np.correlate(x, g, mode="valid"))

    error = ts.check_grad(loss, (x, w), wrt=(0, 1))
    good = max(error) < 1e-6
    print(f"  {'gradient vs central differences (ts.check_grad)':<58} relative error = "
          f"{max(error):.1e}  ({'ok' if good else 'FAILED'})")
    return ok and good


def main():
    rng = np.random.default_rng(0)
    x = rng.normal(size=12)
    w = rng.normal(size=4)
    print(f"x has {x.size} samples, the kernel w has {w.size}, so out = conv1d(x, w) has {x.size - w.size + 1}.")
    ok = explain_generated_code(ts.source(ts.grad(loss, wrt=(0, 1))))
    print()
    print(EXPLANATION)
    ok &= check_against_numpy(x, w, rng)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
