"""Backpropagation for an L-layer network, read off generated code.

Run it with `python examples/mlp_backprop.py`. It builds a small multilayer
perceptron (z = W a + b and a = sigmoid(z) in every hidden layer, a softmax
cross-entropy output, L2 regularisation of the weights), with all its weights
in one tuple parameter, and trains it by plain gradient descent on a synthetic
3-class data set, taking every gradient from ts.value_and_grad.

It then shows what the textbook backward pass looks like when a program
writes it: it quotes the lines of the generated reverse-mode code for one
layer that compute dL/dz = dL/da * sigma'(z), dL/dW = dL/dz a^T and
dL/da_prev = W^T dL/dz, and checks the generated gradient against a
backpropagation written by hand from those equations and against central
differences (ts.check_grad). It exits with status 1 if a quoted line is no
longer in the generated code or a check fails. If matplotlib is installed, it
also writes the loss curve to mlp_loss.png in the current directory.

The parameter is (W_in, b_in, Ws, bs, W_out, b_out): the first hidden layer,
a list of further hidden layers of equal width (the depth is the length of the
lists), and the output layer. Examples are the columns of X, so a layer is
z = W @ a + b with b a column. The gradient has the parameter's structure: a
tuple whose Ws and bs parts are lists.
"""

import sys

import numpy as np

import tangent_src as ts

from walkthrough import function_source, quote, report_missing, section

LAM = 1e-3  # L2 regularisation strength: the loss adds LAM / 2 * sum of W**2 over all weights
WIDTH = 16  # units per hidden layer
DEPTH = 3  # hidden layers: the first one, then DEPTH - 1 in the lists Ws, bs
CLASSES = 3
POINTS = 300
STEPS = 400
RATE = 2.0


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def hidden_layer(W, b, a_prev):
    z = W @ a_prev + b
    return sigmoid(z)


def loss(params, X, Y):
    """Mean softmax cross-entropy of the network's logits against one-hot Y, plus L2."""
    W_in, b_in, Ws, bs, W_out, b_out = params
    a = hidden_layer(W_in, b_in, X)
    reg = np.sum(W_in * W_in) + np.sum(W_out * W_out)
    for W, b in zip(Ws, bs):
        a = hidden_layer(W, b, a)
        reg = reg + np.sum(W * W)
    logits = W_out @ a + b_out
    shifted = logits - np.max(logits, axis=0, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=0, keepdims=True))
    data = -np.sum(Y * log_probs) / X.shape[1]
    return data + 0.5 * LAM * reg


# ---------------------------------------------------------------- by hand


def forward_by_hand(params, X):
    """The forward pass, keeping each layer's (W, a_prev, a) for the backward pass."""
    W_in, b_in, Ws, bs, W_out, b_out = params
    layers = [(W_in, b_in)] + list(zip(Ws, bs))
    a, cache = X, []
    for W, b in layers:
        a_next = sigmoid(W @ a + b)
        cache.append((W, a, a_next))
        a = a_next
    return W_out @ a + b_out, a, cache


def backprop_by_hand(params, X, Y):
    """The gradient of loss, written from the textbook backpropagation equations."""
    W_in, b_in, Ws, bs, W_out, b_out = params
    logits, a_last, cache = forward_by_hand(params, X)
    probs = np.exp(logits - logits.max(axis=0, keepdims=True))
    probs /= probs.sum(axis=0, keepdims=True)
    dz = (probs - Y) / X.shape[1]  # dL/dz at the output: softmax minus one-hot
    gW_out = dz @ a_last.T + LAM * W_out
    gb_out = dz.sum(axis=1, keepdims=True)
    da = W_out.T @ dz  # dL/da_prev = W^T dL/dz
    grads = []
    for W, a_prev, a in reversed(cache):
        dz = da * a * (1 - a)  # dL/dz = dL/da * sigma'(z), sigma'(z) = a (1 - a)
        grads.append((dz @ a_prev.T + LAM * W, dz.sum(axis=1, keepdims=True)))  # dL/dW = dL/dz a_prev^T
        da = W.T @ dz
    grads.reverse()
    (gW_in, gb_in), hidden = grads[0], grads[1:]
    return gW_in, gb_in, [g for g, _ in hidden], [g for _, g in hidden], gW_out, gb_out


# ---------------------------------------------------------------- data and training


def make_data(rng):
    """Three interleaved spiral arms in the plane: X is (2, POINTS), Y one-hot (CLASSES, POINTS)."""
    labels = np.arange(POINTS) % CLASSES
    radius = rng.uniform(0.1, 1.0, POINTS)
    angle = 2.0 * np.pi * labels / CLASSES + 2.5 * radius + rng.normal(0.0, 0.15, POINTS)
    X = np.stack([radius * np.cos(angle), radius * np.sin(angle)])
    return X, np.eye(CLASSES)[:, labels], labels


def init_params(rng):
    def layer(rows, cols):
        return rng.normal(0.0, 1.0 / np.sqrt(cols), (rows, cols)), np.zeros((rows, 1))

    W_in, b_in = layer(WIDTH, 2)
    hidden = [layer(WIDTH, WIDTH) for _ in range(DEPTH - 1)]
    W_out, b_out = layer(CLASSES, WIDTH)
    return W_in, b_in, [W for W, _ in hidden], [b for _, b in hidden], W_out, b_out


def descend(params, grads):
    """One gradient-descent step; the lists Ws, bs are stepped item by item."""
    stepped = []
    for p, g in zip(params, grads):
        if isinstance(p, list):
            stepped.append([pi - RATE * gi for pi, gi in zip(p, g)])
        else:
            stepped.append(p - RATE * g)
    return tuple(stepped)


def accuracy(params, X, labels):
    logits, _, _ = forward_by_hand(params, X)
    return np.mean(np.argmax(logits, axis=0) == labels)


def train(params, X, Y):
    value_and_grad = ts.value_and_grad(loss, wrt=0)
    history = []
    for step in range(STEPS + 1):
        value, grads = value_and_grad(params, X, Y)
        history.append(value)
        if step % 50 == 0:
            print(f"  step {step:4d}   loss {value:.4f}")
        if step < STEPS:
            params = descend(params, grads)
    return params, history


def plot(history):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: skipping the loss curve (mlp_loss.png)")
        return
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(history)
    ax.set_xlabel("gradient-descent step")
    ax.set_ylabel("loss")
    ax.set_title("MLP trained with ts.value_and_grad")
    fig.tight_layout()
    fig.savefig("mlp_loss.png", dpi=100)
    print("wrote the loss curve to mlp_loss.png")


# ---------------------------------------------------------------- the generated code, explained

# Lines quoted from the generated vjp_hidden_layer (the reverse sweep of one layer),
# with the textbook equation each one computes. main() checks that they are still there.
LAYER_WALKTHROUGH = [
    ("t1 = W @ a_prev", "forward sweep, recomputed: W a_prev"),
    ("z = t1 + b", "forward sweep, recomputed: z = W a_prev + b"),
    ("bz_sigmoid = vjp_sigmoid(z, bout=bout)", "dL/dz = dL/da * sigma'(z)   (bout is dL/da)"),
    ("bb = unbroadcast(bz_sigmoid, like=b)", "dL/db = dL/dz, summed over the examples"),
    ("bW = matmul_adjoint_lhs(bt1, W, a_prev)", "dL/dW = dL/dz a_prev^T"),
    ("ba_prev = matmul_adjoint_rhs(bt1, W, a_prev)", "dL/da_prev = W^T dL/dz"),
]

# Lines quoted from the caller: the loop over layers runs backwards through the tape,
# handing each layer's dL/da_prev to the layer before it as its dL/da.
LOOP_WALKTHROUGH = [
    ("tape.append(", "forward sweep: record each hidden layer's inputs"),
    ("while tape:", "reverse sweep: the layers in reverse order"),
    ("ba = ba_hidden_layer", "dL/da of the layer below is this layer's dL/da_prev"),
]

EXPLANATION = """\
How this matches the textbook (section 4, "Backward Pass Derivation"):
  * `bout` is dL/da, the adjoint of the layer's output a = sigmoid(z); vjp_sigmoid
    multiplies it by sigma'(z) elementwise (its lines are the chain rule through
    1 / (1 + exp(-z)), which together give sigma(z) (1 - sigma(z))), so
    bz_sigmoid is dL/dz = dL/da * sigma'(z).
  * matmul_adjoint_lhs(bt1, W, a_prev) is bt1 @ a_prev.T: dL/dW = dL/dz a_prev^T.
  * matmul_adjoint_rhs(bt1, W, a_prev) is W.T @ bt1: dL/da_prev = W^T dL/dz.
  * unbroadcast(bz_sigmoid, like=b) sums dL/dz over the examples, because b was
    broadcast across them: dL/db = dL/dz (one column per example, added).
  * The caller's `while tape:` loop pops the layers newest first and passes each
    dL/da_prev down as the next dL/da: the textbook loop for l = L-1, ..., 1."""
def explain_generated_code(source):
    """Print one layer's generated reverse sweep and what each line computes; False if stale."""
    missing = []
    for title, name, walkthrough in [("one layer: vjp_hidden_layer", "vjp_hidden_layer", LAYER_WALKTHROUGH),
                                     ("the loop over layers: value_and_grad_loss", "value_and_grad_loss",
                                      LOOP_WALKTHROUGH)]:
        section(f"Generated reverse-mode code, {title}")
        text = function_source(source, name)
        if name == "vjp_hidden_layer":
            print(text.rstrip())
            print()
        missing += quote(text, walkthrough)
    print()
    print(EXPLANATION)
    return report_missing(missing, "LAYER_WALKTHROUGH / LOOP_WALKTHROUGH")


def check_gradients(params, X, Y):
    """Compare the generated gradient with backprop by hand and with central differences."""
    ok = True
    section("Checks")
    _, generated = ts.value_and_grad(loss, wrt=0)(params, X, Y)
    by_hand = backprop_by_hand(params, X, Y)
    # Ws and bs (lists of equal-shaped arrays) compare as stacked arrays.
    pairs = [(np.asarray(g), np.asarray(h)) for g, h in zip(generated, by_hand, strict=True)]
    diff = max(np.max(np.abs(g - h)) for g, h in pairs)
    same_shapes = all(g.shape == h.shape for g, h in pairs)
    good = same_shapes and diff < 1e-10
    ok &= good
    print(f"generated gradient vs backprop by hand: max |difference| = {diff:.2e}  "
          f"({'ok' if good else 'FAILED'}, needs < 1e-10)")
    # Central differences are themselves accurate only to about 1e-6 relative here (truncation
    # and rounding error of a float64 loss through exp and log), hence the looser bound.
    error = ts.check_grad(loss, (params, X, Y), wrt=0)
    good = error < 1e-4
    ok &= good
    print(f"generated gradient vs central differences: relative error = {error:.2e}  "
          f"({'ok' if good else 'FAILED'}, needs < 1e-4)")
    return ok


def main():
    rng = np.random.default_rng(0)
    X, Y, labels = make_data(rng)
    params = init_params(rng)
    print(f"A {DEPTH}-hidden-layer network 2 -> {' -> '.join([str(WIDTH)] * DEPTH)} -> {CLASSES}, "
          f"{POINTS} points of {CLASSES} spiral arms, {STEPS} steps of gradient descent (rate {RATE}).")

    ok = check_gradients(params, X, Y)  # at the initial weights

    section("Training with ts.value_and_grad(loss, wrt=0)")
    trained, history = train(params, X, Y)
    acc = accuracy(trained, X, labels)
    print(f"final loss {history[-1]:.4f}, training accuracy {acc:.1%}")
    good = history[-1] < history[0]
    ok &= good
    if not good:
        print("FAILED: the loss did not decrease")
    plot(history)

    ok &= check_gradients(trained, X, Y)  # and at the trained weights
    ok &= explain_generated_code(ts.source(ts.value_and_grad(loss, wrt=0)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
