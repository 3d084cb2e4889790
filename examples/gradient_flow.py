"""Gradient flow in a deep network: vanishing gradients, and the initializations that prevent them.

The course text (section 8, "Numerical stability issues") says the gradient of an early layer is
a product of many factors, one per later layer: backpropagation through a layer a = phi(W h + b)
multiplies the adjoint by W^T diag(phi'(z)). If those factors are small (a sigmoid's
phi' <= 1/4, weights of scale 0.01), the product vanishes exponentially in the depth; if they
are large, it explodes. "Proper initialization" picks the weights' variance so that the factor's
size is about one:

- Xavier (Glorot): Var W = 1 / fan_in (here fan_in = fan_out, so 2 / (fan_in + fan_out) is the
  same), for activations with phi'(0) = 1 such as tanh;
- He (Kaiming): Var W = 2 / fan_in, for ReLU, which zeroes half of its inputs (and so half of the
  adjoint's variance);
- naive: W ~ N(0, 0.01^2) whatever the width.

This script builds a 20-layer fully connected network (width 64, batch 32, a linear last layer and
the squared error to random targets), written as a course assignment writes it, a dict of
parameters {'W1': ..., 'b1': ..., ...} and a loop over the layers, takes ts.grad of its loss, and
records ||dL/dW_l|| for every layer l, for sigmoid, tanh and ReLU, each with the three
initializations. What it shows:

- ReLU + He: the norms stay within a small factor of each other over all 20 layers;
- sigmoid + naive: every layer shrinks the adjoint ~ 0.01 * sqrt(64) * 1/4 = 0.02 times, so
  the first layer's gradient is some 30 orders of magnitude below the last's: it vanishes;
- tanh + Xavier: stable as well, within a small factor over the depth; sigmoid + Xavier still
  vanishes (phi' <= 1/4 is the problem, not the weights);
- ReLU or tanh with naive weights: here the forward signal vanishes too (phi(0) = 0), so the
  gradient dL/dW_l = delta_l h_(l-1)^T is tiny at every layer, some twenty orders of magnitude
  below the He or Xavier network's, even though the first and last layers are alike.

The claims are checked for several seeds (the default run uses three). The gradient itself is
checked along a random direction against a central difference for the stable networks.

It prints a table of the norms at layers 1, 5, 10, 15 and 20, saves gradient_flow.png (norm
against depth, log scale) when matplotlib is installed, and exits non-zero if the numbers do not
show these claims.

Run: python examples/gradient_flow.py
"""

from __future__ import annotations

import sys

import numpy as np

import tangent_src as ts
from walkthrough import experiment, pyplot, save

DEPTH, WIDTH, BATCH = 20, 64, 32
SHOWN = (1, 5, 10, 15, 20)  # the layers in the table
ACTIVATIONS = ("sigmoid", "tanh", "relu")
INITS = ("naive", "xavier", "he")


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def relu(z):
    return np.maximum(z, 0.0)


def activate(z, kind):
    if kind == "sigmoid":
        return sigmoid(z)
    if kind == "tanh":
        return np.tanh(z)
    return relu(z)


def loss(params, X, Y, kind):
    """Forward through DEPTH layers (the last one linear), then half the mean squared error."""
    h = X
    for layer in range(1, DEPTH + 1):
        z = params["W" + str(layer)] @ h + params["b" + str(layer)]
        if layer < DEPTH:
            h = activate(z, kind)
        else:
            h = z
    return 0.5 * np.sum((h - Y) ** 2) / X.shape[1]


def init_params(init: str, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """{'W1': ..., 'b1': ...}: weights of the initialization's scale, zero biases."""
    scale = {"naive": 0.01, "xavier": np.sqrt(1.0 / WIDTH), "he": np.sqrt(2.0 / WIDTH)}[init]
    params = {}
    for layer in range(1, DEPTH + 1):
        params["W" + str(layer)] = rng.standard_normal((WIDTH, WIDTH)) * scale
        params["b" + str(layer)] = np.zeros((WIDTH, 1))
    return params


def norms(kind: str, init: str, seed: int) -> np.ndarray:
    """||dL/dW_l|| for l = 1 .. DEPTH."""
    rng = np.random.default_rng(seed)
    params = init_params(init, rng)
    X, Y = rng.standard_normal((WIDTH, BATCH)), rng.standard_normal((WIDTH, BATCH))
    gradient = ts.grad(loss)(params, X, Y, kind)
    return np.array([np.linalg.norm(gradient["W" + str(layer)]) for layer in range(1, DEPTH + 1)])


def directional_error(kind: str, init: str, seed: int = 0, h: float = 1e-6) -> float:
    """|<grad, v> - (L(p + h v) - L(p - h v)) / 2h| / |<grad, v>| along a random direction v."""
    rng = np.random.default_rng(seed)
    params = init_params(init, rng)
    X, Y = rng.standard_normal((WIDTH, BATCH)), rng.standard_normal((WIDTH, BATCH))
    v = {k: rng.standard_normal(p.shape) for k, p in params.items()}
    gradient = ts.grad(loss)(params, X, Y, kind)
    along = sum(float(np.sum(gradient[k] * v[k])) for k in params)
    moved = [loss({k: params[k] + s * h * v[k] for k in params}, X, Y, kind) for s in (1, -1)]
    return abs(along - (moved[0] - moved[1]) / (2 * h)) / abs(along)


def run(quick: bool = False) -> dict:
    seeds = range(2 if quick else 3)
    found = {(a, i): np.array([norms(a, i, s) for s in seeds]) for a in ACTIVATIONS for i in INITS}
    return {"norms": found, "seeds": list(seeds),
            "directional error": {c: directional_error(*c) for c in (("relu", "he"), ("tanh", "xavier"))}}


def spread(per_layer: np.ndarray) -> float:
    """The largest norm over the smallest, over the layers."""
    return float(per_layer.max() / per_layer.min())


def table(results: dict) -> str:
    lines = [f"||dL/dW_l|| for a {DEPTH}-layer network (width {WIDTH}, batch {BATCH}), seed 0",
             f"{'activation':<10} {'init':<7} " + " ".join(f"{'layer ' + str(layer):>9}" for layer in SHOWN)
             + f" {'first/last':>10} {'max/min':>9}"]
    for (a, i), per_seed in results["norms"].items():
        n = per_seed[0]
        lines.append(f"{a:<10} {i:<7} " + " ".join(f"{n[layer - 1]:>9.1e}" for layer in SHOWN)
                     + f" {n[0] / n[-1]:>10.1e} {spread(n):>9.1e}")
    lines.append("first/last over the seeds " + ", ".join(
        f"{a}+{i}: {min(s[:, 0] / s[:, -1]):.0e}..{max(s[:, 0] / s[:, -1]):.0e}"
        for (a, i), s in results["norms"].items() if (a, i) in (("sigmoid", "naive"), ("tanh", "xavier"),
                                                               ("relu", "he"))))
    lines.append("ts.grad along a random direction against a central difference: " + ", ".join(
        f"{a}+{i} {e:.1e}" for (a, i), e in results["directional error"].items()))
    return "\n".join(lines)


def check(results: dict) -> None:
    """Vanishing gradients and the initializations that prevent them, for every seed."""
    found = results["norms"]
    for n in found["relu", "he"]:
        assert spread(n) < 10, f"ReLU + He: norms spread {spread(n):.1f}x over the depth"
    for n in found["sigmoid", "naive"]:
        assert n[0] / n[-1] < 1e-20, f"sigmoid + naive: first/last {n[0] / n[-1]:.1e}, it does not vanish"
        assert np.all(np.diff(np.log(n)) > 0), "sigmoid + naive: the norms do not fall layer after layer"
    for n in found["tanh", "xavier"]:
        assert spread(n) < 10, f"tanh + Xavier: norms spread {spread(n):.1f}x over the depth"
    for n in found["sigmoid", "xavier"]:
        assert n[0] / n[-1] < 1e-6, "sigmoid + Xavier does not vanish"
    for kind, stable in (("relu", "he"), ("tanh", "xavier")):
        for n, good in zip(found[kind, "naive"], found[kind, stable]):
            assert n.max() < 1e-15 * good.min(), f"{kind} + naive does not vanish at every layer"
    for case, error in results["directional error"].items():
        assert error < 1e-6, f"{case}: the gradient is {error:.1e} from the central difference"


def plot(results: dict, path: str = "gradient_flow.png") -> bool:
    plt = pyplot()
    if plt is None:
        return False
    fig, axes = plt.subplots(1, len(ACTIVATIONS), figsize=(13, 4), sharey=True)
    layers = np.arange(1, DEPTH + 1)
    for ax, a in zip(axes, ACTIVATIONS):
        for i in INITS:
            ax.plot(layers, results["norms"][a, i][0], "o-", ms=3, label=i)
        ax.set(yscale="log", xlabel="layer l", title=a, xticks=SHOWN)
        ax.legend(fontsize=8)
    axes[0].set_ylabel("||dL/dW_l||")
    fig.suptitle(f"gradient norm against depth, {DEPTH} layers")
    return save(fig, path)


def main() -> int:
    return experiment(run(), table, plot, check, "gradient_flow")


if __name__ == "__main__":
    sys.exit(main())
