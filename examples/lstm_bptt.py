"""Backpropagation through time for an LSTM, read off generated code.

Run it with `python examples/lstm_bptt.py`. An LSTM reads a sequence x_1..x_T
with a plain Python for-loop; at every step it computes the four gates from
one stacked pre-activation z_t = W x_t + U h_{t-1} + b,

    i_t = sigmoid(z_i)    f_t = sigmoid(z_f)    o_t = sigmoid(z_o)    g_t = tanh(z_g)
    c_t = f_t * c_{t-1} + i_t * g_t
    h_t = o_t * tanh(c_t)
    y_t = V h_t,          loss = mean over t of 1/2 |y_t - target_t|^2

with all the weights in one tuple parameter (W, U, b, V). ts.grad turns the
loop into backpropagation through time (section 10, "Recurrent Layers":
unroll the network through time, then apply standard backpropagation): the
forward sweep appends each step's values to a list named `tape`, and the
reverse sweep pops them, newest first, carrying dL/dh and dL/dc from step t
back to step t - 1.

The script prints the generated code, quotes the lines of the reverse loop
that compute the BPTT equations, and checks the gradient against a BPTT
written by hand from those equations and against central differences
(ts.check_grad). It exits with status 1 if a quoted line is no longer in the
generated code or a check fails.
"""

import sys

import numpy as np

import tangent_src as ts

from walkthrough import function_source, quote, report_missing, section

INPUTS = 3  # size of x_t
HIDDEN = 5  # size of h_t and c_t
OUTPUTS = 2  # size of y_t
STEPS = 8  # T, the length of the sequence


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def loss(params, xs, ys):
    """Mean squared error of the LSTM's outputs y_t = V h_t against the targets ys[t]."""
    W, U, b, V = params
    n = U.shape[1]
    h = np.zeros(n)
    c = np.zeros(n)
    total = 0.0
    for t in range(xs.shape[0]):
        z = np.reshape(W @ xs[t] + U @ h + b, (4, n))  # the rows are z_i, z_f, z_o, z_g
        i = sigmoid(z[0])
        f = sigmoid(z[1])
        o = sigmoid(z[2])
        g = np.tanh(z[3])
        c = f * c + i * g
        h = o * np.tanh(c)
        y = V @ h
        total = total + 0.5 * np.sum((y - ys[t]) ** 2)
    return total / xs.shape[0]


# ---------------------------------------------------------------- by hand


def bptt_by_hand(params, xs, ys):
    """The gradient of loss, written from the BPTT equations: a forward pass that keeps
    every step's values, then a backward pass over t = T, ..., 1."""
    W, U, b, V = params
    T, n = xs.shape[0], U.shape[1]
    h, c = np.zeros(n), np.zeros(n)
    steps = []
    for t in range(T):
        z = (W @ xs[t] + U @ h + b).reshape(4, n)
        i, f, o, g = sigmoid(z[0]), sigmoid(z[1]), sigmoid(z[2]), np.tanh(z[3])
        c_new = f * c + i * g
        h_new = o * np.tanh(c_new)
        steps.append((xs[t], h, c, i, f, o, g, c_new, h_new))
        h, c = h_new, c_new

    gW, gU, gb, gV = (np.zeros_like(p) for p in params)
    dh_next, dc_next = np.zeros(n), np.zeros(n)  # dL/dh_t and dL/dc_t from step t + 1
    for t in reversed(range(T)):
        x, h_prev, c_prev, i, f, o, g, c, h = steps[t]
        dy = (V @ h - ys[t]) / T  # dL/dy_t
        gV += np.outer(dy, h)  # dL/dV += dL/dy_t h_t^T
        dh = dh_next + V.T @ dy  # dL/dh_t = (from step t + 1) + V^T dL/dy_t
        tanh_c = np.tanh(c)
        dc = dc_next + dh * o * (1 - tanh_c**2)  # dL/dc_t += dL/dh_t * o_t * tanh'(c_t)
        do = dh * tanh_c  # dL/do_t = dL/dh_t * tanh(c_t)
        di, dg, df = dc * g, dc * i, dc * c_prev  # dL/di_t, dL/dg_t, dL/df_t
        dz = np.concatenate([di * i * (1 - i), df * f * (1 - f), do * o * (1 - o), dg * (1 - g**2)])
        gW += np.outer(dz, x)  # dL/dW += dL/dz_t x_t^T
        gU += np.outer(dz, h_prev)  # dL/dU += dL/dz_t h_{t-1}^T
        gb += dz
        dh_next = U.T @ dz  # dL/dh_{t-1} = U^T dL/dz_t
        dc_next = dc * f  # dL/dc_{t-1} = dL/dc_t * f_t
    return gW, gU, gb, gV


# ---------------------------------------------------------------- the generated code, explained

# Lines quoted from the generated grad_loss, with the BPTT equation each one computes.
# The suffix _2 marks the value a step makes (h_2 is h_t, c_2 is c_t); plain h, c are
# h_{t-1}, c_{t-1}. main() checks that the lines are still there.
WALKTHROUGH = [
    ("tape.append(", "forward sweep: record step t's values (h_{t-1}, c_{t-1}, gates, ...)"),
    ("while tape:", "reverse sweep: the steps t = T, ..., 1, newest first"),
    ("h_2 = h", "h_t: the value step t made is still in h when its trip begins"),
    ("= tape.pop()", "give back step t's values: c is c_{t-1}, h is h_{t-1}, f is f_t, ..."),
    ("bV = bV + np.outer(bt17, h_2)", "dL/dV += dL/dy_t h_t^T"),
    ("bh_2 = bh + V.T @ bt17", "dL/dh_t = what step t + 1 handed back + V^T dL/dy_t"),
    ("bo = t15 * bh_2", "dL/do_t = dL/dh_t * tanh(c_t)"),
    ("bc_2 = bc + (1 - t15**2) * bt15", "dL/dc_t = what step t + 1 handed back + dL/dh_t * o_t * (1 - tanh(c_t)^2)"),
    ("bi = g * bc_2", "dL/di_t = dL/dc_t * g_t"),
    ("bg = i * bc_2", "dL/dg_t = dL/dc_t * i_t"),
    ("bf = c * bc_2", "dL/df_t = dL/dc_t * c_{t-1}"),
    ("bc = f * bc_2", "dL/dc_{t-1} = dL/dc_t * f_t   (carried to step t - 1)"),
    ("bt12 = (1 - g**2) * bg", "dL/dz_g = dL/dg_t * (1 - g_t^2)"),
    ("bt10_sigmoid = vjp_sigmoid(t10, bout=bf)", "dL/dz_f = dL/df_t * f_t (1 - f_t)"),
    ("bz = add_at(bz, bt10_sigmoid, like=z, index=1)", "put dL/dz_f in its row of dL/dz_t (in place)"),
    ("bU = bU + np.outer(bt8, h)", "dL/dU += dL/dz_t h_{t-1}^T"),
    ("bh = U.T @ bt8", "dL/dh_{t-1} = U^T dL/dz_t   (carried to step t - 1)"),
    ("bW = bW + np.outer(bt8, t4)", "dL/dW += dL/dz_t x_t^T"),
]

EXPLANATION = """\
How the reverse loop is backpropagation through time:
  * The forward sweep is the loop as written, plus one `tape.append` per step:
    the tape holds, for every t, what the backward pass of step t reads (the
    step's inputs h_{t-1}, c_{t-1}, x_t, its gates i_t, f_t, o_t, g_t, tanh(c_t),
    ...). Values read only for their shape are recorded as shapes. It is the
    "unrolled network" of the textbook, kept as a list.
  * `while tape:` pops one step per trip, newest first, so the reverse sweep
    visits t = T, ..., 1, exactly the steps the forward sweep made.
  * Two adjoints cross from one trip to the next, as in BPTT by hand: bh and bc.
    At the end of trip t they hold dL/dh_{t-1} = U^T dL/dz_t and
    dL/dc_{t-1} = dL/dc_t * f_t; at the start of the trip for t - 1 they become
    bh_2 and bc_2, to which that step adds its own terms (V^T dL/dy and the
    path through h = o * tanh(c)).
  * The weight adjoints bW, bU, bb, bV are sums over the steps (`bW = bW + ...`):
    the same weights are used at every t.
  * The cell path dL/dc_{t-1} = dL/dc_t * f_t multiplies by a gate, not by a
    weight matrix and a squashing derivative; with f_t near 1 the gradient
    travels far back in time (the LSTM's answer to vanishing gradients).
  * Each gate's sigmoid is a call of your function `sigmoid`, so its adjoint is
    the call vjp_sigmoid(z, bout=...), generated once and printed above."""
def explain_generated_code(source):
    """Print the generated code and what its key lines compute; False if a line is missing."""
    section("Generated reverse-mode code: ts.source(ts.grad(loss, wrt=0), params, xs, ys)")
    print(source.rstrip())
    section("The reverse loop, line by line")
    missing = quote(function_source(source, "grad_loss"), WALKTHROUGH)
    print()
    print(EXPLANATION)
    return report_missing(missing, "WALKTHROUGH")


def check_gradients(params, xs, ys):
    """Compare the generated gradient with BPTT by hand and with central differences."""
    section("Checks")
    ok = True
    generated = ts.grad(loss, wrt=0)(params, xs, ys)
    by_hand = bptt_by_hand(params, xs, ys)
    for name, g, h in zip("WUbV", generated, by_hand, strict=True):
        diff = np.max(np.abs(g - h))
        good = g.shape == h.shape and diff < 1e-12
        ok &= good
        print(f"  d loss / d{name} {str(g.shape):<8} generated vs BPTT by hand: "
              f"max |difference| = {diff:.1e}  ({'ok' if good else 'FAILED'}, needs < 1e-12)")
    # Central differences with ts.check_grad's step (about 1.5e-8) carry a rounding error of
    # about 1e-16 / 1.5e-8 ~ 1e-8 in absolute terms; the entries of dL/dU are only ~0.006,
    # so a relative error of a few 1e-6 is the differences' own, hence the bound.
    error = ts.check_grad(loss, (params, xs, ys), wrt=0)
    good = error < 1e-5
    ok &= good
    print(f"  generated gradient vs central differences (ts.check_grad): relative error = "
          f"{error:.1e}  ({'ok' if good else 'FAILED'}, needs < 1e-5)")
    return ok


def main():
    rng = np.random.default_rng(0)
    params = (rng.normal(0.0, 0.5, (4 * HIDDEN, INPUTS)),  # W: x_t -> z_t, the four gates stacked
              rng.normal(0.0, 0.5, (4 * HIDDEN, HIDDEN)),  # U: h_{t-1} -> z_t
              rng.normal(0.0, 0.1, 4 * HIDDEN),  # b
              rng.normal(0.0, 0.5, (OUTPUTS, HIDDEN)))  # V: h_t -> y_t
    xs = rng.normal(size=(STEPS, INPUTS))
    ys = rng.normal(size=(STEPS, OUTPUTS))
    print(f"An LSTM with {INPUTS} inputs, {HIDDEN} hidden units and {OUTPUTS} outputs, "
          f"unrolled over T = {STEPS} steps.")
    # the code made for these arguments' shapes (what runs when they are passed): plain numpy
    ok = explain_generated_code(ts.source(ts.grad(loss, wrt=0), params, xs, ys))
    ok &= check_gradients(params, xs, ys)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
