"""Numerical precision of generated gradients: float16, float32, float64 and mixed precision.

The course text lists mixed precision among the ways to train with less memory ("use lower
precision for some computations") and precision among the experiments to run. tangent_src emits
plain numpy, so its gradients are computed in the dtype of the arguments (numpy's promotion
rules decide each operation's), and the same ts.grad runs in every precision. This script takes
one tanh network of 5 layers (width 32, batch 16, loss = sum of squares of the last layer's output
over the batch size) and measures the relative error ||g_l - g_ref_l|| / ||g_ref_l|| of the
gradient of each layer's weights W_l:

- float16, float32, float64: ts.grad on the parameters cast to that dtype. Each carries about its
  unit roundoff, times a factor that grows with the depth and width: float16 ~ 1e-3, float32
  ~ 1e-7, float64 ~ 1e-16;
- mixed precision, float32 forward and float64 reverse: the forward pass (every value, and so
  every activation the reverse pass reads) in float32, the reverse pass's arithmetic in float64.
  With tangent_src this is ts.vjp on float32 arguments with a float64 cotangent: numpy promotes
  each adjoint product of a float64 adjoint and a float32 activation to float64, so the
  adjoints are float64 from the seed on, while the activations stay float32. (ts.grad would seed
  the reverse pass with a float32 one, and run it in float32.) Its error is not float64's: it is
  set by the float32 rounding of the activations, which the reverse pass reads; doing the reverse
  pass's own sums in float64 removes only its own share. The measured error is about that of
  float32 (a little below), and far above float64's: "float32 forward" limits the gradient to
  float32's accuracy, however precise the reverse;
- the same with float16 forward and float32 reverse.

The reference is the same ts.grad run on np.longdouble: x86's 80-bit extended precision (unit
roundoff 5.4e-20), so float64's errors (1e-16) are measured against something a thousand times
more precise. Where longdouble is only float64 (on Windows, or ARM macOS), the float64 column
cannot be measured and its claim is skipped (said in the output). The parameters and inputs are
rounded to float16 before anything else, so that every precision differentiates exactly the same
function at exactly the same point: what differs is the arithmetic only, not the input.

It prints a table (layers down, precisions across), saves precision.png when matplotlib is
installed, and exits non-zero if the numbers do not show the ordering float16 > float32 > float64.

Run: python examples/precision.py
"""

from __future__ import annotations

import sys

import numpy as np

import tangent_src as ts
from walkthrough import experiment, pyplot, save

LAYERS, WIDTH, BATCH = 5, 32, 16
EXTENDED = np.finfo(np.longdouble).eps < np.finfo(np.float64).eps  # longdouble more precise than float64
COLUMNS = ("float16", "float32", "float64", "f32 fwd / f64 rev", "f16 fwd / f32 rev")


def loss(Ws, x):
    """A tanh MLP over the columns of x; the mean (over the batch) squared norm of its output."""
    h = x
    for W in Ws:
        h = np.tanh(W @ h)
    return np.sum(h * h) / x.shape[1]


def parameters(seed: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Xavier-scaled weights and inputs, rounded to float16 (so every dtype holds them exactly)."""
    rng = np.random.default_rng(seed)
    Ws = [(rng.standard_normal((WIDTH, WIDTH)) * 1.5 / np.sqrt(WIDTH)).astype(np.float16) for _ in range(LAYERS)]
    return Ws, rng.standard_normal((WIDTH, BATCH)).astype(np.float16)


def gradient(Ws, x, dtype) -> list[np.ndarray]:
    return ts.grad(loss)([W.astype(dtype) for W in Ws], x.astype(dtype))


def mixed(Ws, x, forward, reverse) -> list[np.ndarray]:
    """The forward pass in `forward`, the reverse in `reverse`: vjp with a `reverse` cotangent."""
    found = ts.vjp(loss)([W.astype(forward) for W in Ws], x.astype(forward), np.ones((), dtype=reverse))
    assert all(g.dtype == reverse for g in found), "the reverse pass did not run in the cotangent's dtype"
    return found


def relative_errors(found: list[np.ndarray], reference: list[np.ndarray]) -> np.ndarray:
    ref = [r.astype(np.longdouble) for r in reference]
    return np.array([float(np.linalg.norm(g.astype(np.longdouble) - r) / np.linalg.norm(r))
                     for g, r in zip(found, ref)])


def measure(seed: int) -> dict[str, np.ndarray]:
    """Per-layer relative errors of every column, for the network of one seed."""
    Ws, x = parameters(seed)
    reference = gradient(Ws, x, np.longdouble)
    found = {"float16": gradient(Ws, x, np.float16), "float32": gradient(Ws, x, np.float32),
             "float64": gradient(Ws, x, np.float64),
             "f32 fwd / f64 rev": mixed(Ws, x, np.float32, np.float64),
             "f16 fwd / f32 rev": mixed(Ws, x, np.float16, np.float32)}
    return {name: relative_errors(g, reference) for name, g in found.items()}


def run(quick: bool = False) -> dict:
    """The errors for several seeds, and their median (robust to one lucky or unlucky network)."""
    seeds = range(3 if quick else 7)
    per_seed = [measure(s) for s in seeds]
    median = {c: np.median([p[c] for p in per_seed], axis=0) for c in COLUMNS}
    return {"per seed": per_seed, "median": median, "extended": EXTENDED,
            "unit roundoff": {c: float(np.finfo(c).eps) / 2 for c in ("float16", "float32", "float64")}}


def table(results: dict) -> str:
    lines = [f"relative error of dL/dW_l (median over {len(results['per seed'])} networks), reference: "
             + ("np.longdouble (x86 extended precision)" if results["extended"] else
                "np.longdouble, which is float64 here: the float64 column is not measured"),
             f"{'layer':>5} " + " ".join(f"{c:>18}" for c in COLUMNS)]
    for layer in range(LAYERS):
        lines.append(f"{layer + 1:>5} " + " ".join(f"{results['median'][c][layer]:>18.1e}" for c in COLUMNS))
    worst = {c: max(results["median"][c]) for c in COLUMNS}
    lines.append(f"{'worst':>5} " + " ".join(f"{worst[c]:>18.1e}" for c in COLUMNS))
    lines.append(" ".join(f"{c} unit roundoff {u:.1e};" for c, u in results["unit roundoff"].items()))
    lines.append(f"mixed precision against float32: {worst['f32 fwd / f64 rev'] / worst['float32']:.2f}x the error")
    return "\n".join(lines)


def check(results: dict) -> None:
    """The ordering of the precisions, and what a float32 forward pass costs the gradient."""
    for errors in results["per seed"]:
        worst = {c: float(max(errors[c])) for c in COLUMNS}
        assert 1e-5 < worst["float16"] < 5e-2, f"float16: {worst['float16']:.1e}"
        assert 1e-9 < worst["float32"] < 1e-5, f"float32: {worst['float32']:.1e}"
        assert worst["float16"] > 100 * worst["float32"], "float16 is not orders of magnitude worse than float32"
        if results["extended"]:
            assert worst["float64"] < 1e-13, f"float64: {worst['float64']:.1e}"
            assert worst["float32"] > 1e5 * worst["float64"], "float32 is not far worse than float64"
            assert worst["f32 fwd / f64 rev"] > 1e5 * worst["float64"], "a float64 reverse made float64's accuracy"
        # float32's forward rounding sets the error: a float64 reverse pass removes only its own share
        assert 0.1 * worst["float32"] < worst["f32 fwd / f64 rev"] < 1.5 * worst["float32"], worst
        assert 0.1 * worst["float16"] < worst["f16 fwd / f32 rev"] < 1.5 * worst["float16"], worst


def plot(results: dict, path: str = "precision.png") -> bool:
    plt = pyplot()
    if plt is None:
        return False
    fig, ax = plt.subplots(figsize=(7, 4.5))
    layers = np.arange(1, LAYERS + 1)
    for c in COLUMNS:
        if c == "float64" and not results["extended"]:
            continue
        ax.plot(layers, results["median"][c], "o-", label=c)
    ax.set(yscale="log", xlabel="layer l", ylabel="relative error of dL/dW_l", xticks=layers,
           title="gradient error by precision (reference: extended precision)")
    ax.legend(fontsize=8)
    return save(fig, path)


def main() -> int:
    return experiment(run(), table, plot, check, "precision")


if __name__ == "__main__":
    sys.exit(main())
