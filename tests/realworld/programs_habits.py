"""Everyday numpy habits that the tool's own tests rarely write: copies filled in place, stencils that
read the array they write, an optimizer step that updates its argument in place, generators of random
numbers inside the model, linspace grids with a differentiated end, per-sample SGD loops over zip,
early returns and breaks, float() of a result, helpers called twice, Python lists of losses."""

import numpy as np

from .harness import Case

CASES = []


def _case(**kwargs):
    CASES.append(Case(**kwargs))


# ------------------------------------------------------------------ in-place updates


def heat_explicit(u0, r, n_steps):
    """Explicit heat equation: the update reads the slices of the array it writes."""
    u = u0.copy()
    for _ in range(n_steps):
        u[1:-1] = u[1:-1] + r * (u[2:] - 2 * u[1:-1] + u[:-2])
    return np.sum(u ** 2)


def _heat_grad(u0, r, n):
    N = u0.shape[0]
    M = np.eye(N)
    for i in range(1, N - 1):
        M[i, i - 1] += r
        M[i, i] -= 2 * r
        M[i, i + 1] += r
    P = np.linalg.matrix_power(M, n)
    return (2 * P.T @ (P @ u0),)


_case(name="heat_equation_stencil_in_place", fn=heat_explicit,
      make_args=lambda r: (r.standard_normal(7), 0.3, 5), wrt=(0,), oracle=_heat_grad)


def gauss_seidel(b, n_sweeps):
    """Gauss-Seidel for the 1-D Laplacian: each entry is written from neighbours already updated."""
    n = b.shape[0]
    u = np.zeros_like(b)
    for _ in range(n_sweeps):
        for i in range(n):
            left = u[i - 1] if i > 0 else 0.0
            right = u[i + 1] if i < n - 1 else 0.0
            u[i] = 0.5 * (b[i] + left + right)
    return u


def _gauss_seidel_vjp(b, n, cot):
    """u is linear in b: build its matrix column by column with the same sweeps, then pull back."""
    N = b.shape[0]
    J = np.zeros((N, N))
    for col in range(N):
        e = np.zeros(N)
        e[col] = 1.0
        u = np.zeros(N)
        for _ in range(n):
            for i in range(N):
                u[i] = 0.5 * (e[i] + (u[i - 1] if i > 0 else 0.0) + (u[i + 1] if i < N - 1 else 0.0))
        J[:, col] = u
    return (J.T @ cot,)


_case(name="gauss_seidel_sweeps", fn=gauss_seidel, make_args=lambda r: (r.standard_normal(5), 3), wrt=(0,),
      scalar=False, oracle=_gauss_seidel_vjp)


def sgd_step(w, dw, learning_rate):
    w -= learning_rate * dw
    return w


def one_step_lookahead(w, X, y):
    """Loss after one gradient step: the helper updates its argument in place (CS231n optim.sgd habit)."""
    residual = X @ w - y
    dw = X.T @ residual / len(y)
    w_next = sgd_step(w.copy(), dw, 0.1)
    return 0.5 * np.mean((X @ w_next - y) ** 2)


def _lookahead_grad(w, X, y):
    n = len(y)
    A = np.eye(len(w)) - 0.1 * X.T @ X / n
    w1 = A @ w + 0.1 * X.T @ y / n
    g1 = X.T @ (X @ w1 - y) / n
    return (A.T @ g1,)


_case(name="sgd_step_updates_argument_in_place", fn=one_step_lookahead,
      make_args=lambda r: (r.standard_normal(3), r.standard_normal((6, 3)), r.standard_normal(6)), wrt=(0,),
      oracle=_lookahead_grad)


def accumulate_in_place(p, q):
    """A helper that does `p += 1.0` on its parameter (issue point 15, the way a user writes it)."""
    p += 1.0
    return np.sum(p * q)


def shift_and_score(x, q):
    return accumulate_in_place(x * 1.0, q) + np.sum(x)


_case(name="helper_adds_to_its_parameter", fn=shift_and_score,
      make_args=lambda r: (r.standard_normal(3), r.standard_normal(3)), wrt=(0, 1),
      oracle=lambda x, q: (q + 1.0, x + 1.0))


def normalize_rows_in_place(X):
    X = X.copy()
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return np.sum(X[:, 0])


def _normalize_grad(X):
    n = np.linalg.norm(X, axis=1, keepdims=True)
    e0 = np.zeros_like(X)
    e0[:, 0] = 1.0
    Y = X / n
    return ((e0 - Y * Y[:, :1]) / n,)


_case(name="normalize_rows_in_place_division", fn=normalize_rows_in_place,
      make_args=lambda r: (r.standard_normal((4, 3)),), wrt=(0,), oracle=_normalize_grad)


# ------------------------------------------------------------------ random numbers inside the model


def vae_elbo_term(mu, logvar, x):
    """Reparameterized sample with a Generator made in the function, then a Gaussian reconstruction."""
    rng = np.random.default_rng(0)
    eps = rng.standard_normal(mu.shape)
    z = mu + np.exp(0.5 * logvar) * eps
    recon = -0.5 * np.sum((x - z) ** 2)
    kl = -0.5 * np.sum(1 + logvar - mu ** 2 - np.exp(logvar))
    return -(recon - kl)


def _vae_grad(mu, logvar, x):
    eps = np.random.default_rng(0).standard_normal(mu.shape)
    s = np.exp(0.5 * logvar)
    z = mu + s * eps
    dz = -(x - z)
    return dz + mu, dz * eps * 0.5 * s + 0.5 * (np.exp(logvar) - 1)


_case(name="vae_reparameterization_generator", fn=vae_elbo_term,
      make_args=lambda r: (r.standard_normal(4), r.uniform(-1, 1, 4), r.standard_normal(4)), wrt=(0, 1),
      oracle=_vae_grad)


def sample_latent(mu, logvar, rng):
    eps = rng.standard_normal(mu.shape)
    return mu + np.exp(0.5 * logvar) * eps


def vae_sample_in_helper(mu, logvar, x):
    """The sample drawn by a helper from a Generator the caller made (a callee with a random draw)."""
    rng = np.random.default_rng(0)
    z = sample_latent(mu, logvar, rng)
    recon = -0.5 * np.sum((x - z) ** 2)
    kl = -0.5 * np.sum(1 + logvar - mu ** 2 - np.exp(logvar))
    return -(recon - kl)


_case(name="vae_sample_in_helper_generator", fn=vae_sample_in_helper,
      make_args=lambda r: (r.standard_normal(4), r.uniform(-1, 1, 4), r.standard_normal(4)), wrt=(0, 1),
      oracle=_vae_grad)


def normal_with_parameters(mu, sigma):
    """rng.normal(mu, sigma, size): the draw's parameters differentiated (issue point 4)."""
    rng = np.random.default_rng(3)
    samples = rng.normal(mu, sigma, 5)
    return np.mean(samples ** 2)


def _normal_params_grad(mu, sigma):
    z = np.random.default_rng(3).normal(0.0, 1.0, 5)
    s = mu + sigma * z
    return np.mean(2 * s), np.mean(2 * s * z)


_case(name="rng_normal_differentiated_parameters", fn=normal_with_parameters,
      make_args=lambda r: (float(r.standard_normal()), float(r.uniform(0.5, 2))), wrt=(0, 1),
      oracle=_normal_params_grad)


# ------------------------------------------------------------------ grids and integrals


def decay_integral(a, T):
    """Trapezoid rule on np.linspace(0, T, n): T, the grid's end, is differentiated."""
    t = np.linspace(0.0, T, 41)
    y = np.exp(-a * t)
    dt = t[1] - t[0]
    return dt * (np.sum(y) - 0.5 * (y[0] + y[-1]))


def _decay_integral_grad(a, T):
    n = 41
    k = np.arange(n)
    t = T * k / (n - 1)
    y = np.exp(-a * t)
    w = np.ones(n)
    w[0] = w[-1] = 0.5
    dt = T / (n - 1)
    dA = dt * np.sum(w * (-t) * y)
    dT = np.sum(w * y) / (n - 1) + dt * np.sum(w * (-a) * (k / (n - 1)) * y)
    return dA, dT


_case(name="trapezoid_on_linspace_with_differentiated_end", fn=decay_integral,
      make_args=lambda r: (float(r.uniform(0.5, 2)), float(r.uniform(1, 3))), wrt=(0, 1), oracle=_decay_integral_grad)


# ------------------------------------------------------------------ loops the way users write them


def sgd_epoch_loss(w, X, y):
    """Per-sample logistic losses over zip(X, y), collected in a Python list and averaged with np.mean."""
    losses = []
    for xi, yi in zip(X, y):
        margin = yi * np.dot(w, xi)
        losses.append(np.log(1 + np.exp(-margin)))
    return np.mean(losses)


def _sgd_epoch_grad(w, X, y):
    m = y * (X @ w)
    return (-(X.T @ (y / (1 + np.exp(m)))) / len(y),)


_case(name="per_sample_losses_list_np_mean", fn=sgd_epoch_loss,
      make_args=lambda r: (r.standard_normal(3), r.standard_normal((5, 3)), np.where(r.random(5) > 0.5, 1.0, -1.0)),
      wrt=(0,), oracle=_sgd_epoch_grad)


def first_passage(x0, v, dt):
    """Step until the position crosses 1.0 (a while loop with break), return where it got."""
    x = x0
    steps = 0
    while True:
        x = x + dt * v * (1 + 0.1 * x)
        steps += 1
        if x > 1.0 or steps >= 100:
            break
    return x * x


def _first_passage_grad(x0, v, dt):
    x, dx0, dv = x0, 1.0, 0.0
    steps = 0
    while True:
        x, dx0, dv = (x + dt * v * (1 + 0.1 * x), dx0 * (1 + 0.1 * dt * v),
                      dv * (1 + 0.1 * dt * v) + dt * (1 + 0.1 * x))
        steps += 1
        if x > 1.0 or steps >= 100:
            break
    return 2 * x * dx0, 2 * x * dv


def _first_passage_args(r):
    while True:
        x0, v = float(r.uniform(-0.5, 0.5)), float(r.uniform(0.5, 1.5))
        x, steps = x0, 0
        trail = []
        while True:
            x = x + 0.05 * v * (1 + 0.1 * x)
            trail.append(x)
            steps += 1
            if x > 1.0 or steps >= 100:
                break
        if min(abs(t - 1.0) for t in trail) > 0.005:
            return x0, v, 0.05


_case(name="while_true_break_first_passage", fn=first_passage, make_args=_first_passage_args, wrt=(0, 1),
      oracle=_first_passage_grad, step=1e-5)


def first_passage_nested_if(x0, v, dt):
    """The same loop with the stopping test written as two ifs."""
    x = x0
    steps = 0
    while True:
        x = x + dt * v * (1 + 0.1 * x)
        steps += 1
        if x > 1.0:
            break
        if steps >= 100:
            break
    return x * x


_case(name="while_true_break_first_passage_two_ifs", fn=first_passage_nested_if, make_args=_first_passage_args,
      wrt=(0, 1), oracle=_first_passage_grad, step=1e-5)


def relu_layer(x, w):
    out = np.maximum(0.0, x @ w)
    return out,


def one_tuple_result(x, w):
    """A helper that returns a 1-tuple (`return out,`), unpacked by the caller."""
    (h,) = relu_layer(x, w)
    return np.sum(h ** 2)


def _one_tuple_grad(x, w):
    z = x @ w
    dz = 2 * np.maximum(z, 0.0)
    return dz @ w.T, x.T @ dz


def _one_tuple_args(r):
    while True:
        x, w = r.standard_normal((3, 4)), r.standard_normal((4, 2))
        if np.min(np.abs(x @ w)) > 0.02:
            return x, w


_case(name="helper_returns_one_tuple", fn=one_tuple_result, make_args=_one_tuple_args, wrt=(0, 1),
      oracle=_one_tuple_grad)


def newton_implicit(c):
    """Newton's method for the same root with an early return once converged."""
    x = 0.0
    for it in range(50):
        f = x ** 3 + x - c
        if abs(f) < 1e-14:
            return x
        x = x - f / (3 * x ** 2 + 1)
    return x


def _root_grad(c):
    x = 0.0
    for _ in range(60):
        x = x - (x ** 3 + x - c) / (3 * x ** 2 + 1)
    return (1.0 / (3 * x ** 2 + 1),)


_case(name="newton_early_return_in_loop", fn=newton_implicit, make_args=lambda r: (float(r.uniform(-3, 3)),),
      wrt=(0,), oracle=_root_grad, step=1e-5)


def reported_loss(w, X, y):
    """A user who writes float() and .item() to get a plain number out (the README: never convert arrays)."""
    loss = float(np.mean((X @ w - y) ** 2))
    return loss + 0.1 * np.sum(w ** 2).item()


_case(name="float_and_item_of_the_loss", fn=reported_loss,
      make_args=lambda r: (r.standard_normal(3), r.standard_normal((5, 3)), r.standard_normal(5)), wrt=(0,),
      oracle=lambda w, X, y: (2 * X.T @ (X @ w - y) / len(y) + 0.2 * w,))


def two_layer_same_helper(x, W1, b1, W2, b2):
    """The same affine helper called twice, its cache ignored each time."""
    h, _ = affine(x, W1, b1)
    h = np.tanh(h)
    s, _ = affine(h, W2, b2)
    return np.sum(s ** 2)


def affine(x, W, b):
    return x @ W + b, (x, W)


def _two_affine_grad(x, W1, b1, W2, b2):
    z = x @ W1 + b1
    h = np.tanh(z)
    s = h @ W2 + b2
    ds = 2 * s
    dz = ds @ W2.T * (1 - h ** 2)
    return dz @ W1.T, x.T @ dz, dz.sum(0), h.T @ ds, ds.sum(0)


_case(name="helper_called_twice_cache_ignored", fn=two_layer_same_helper,
      make_args=lambda r: (r.standard_normal((3, 4)), r.standard_normal((4, 5)), r.standard_normal(5),
                           r.standard_normal((5, 2)), r.standard_normal(2)),
      wrt=(0, 1, 2, 3, 4), oracle=_two_affine_grad)


def attention(Q, K, V):
    d = Q.shape[-1]
    scores = Q @ K.T / np.sqrt(d)
    scores = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores)
    weights /= weights.sum(axis=-1, keepdims=True)
    return weights @ V


def _attention_vjp(Q, K, V, dout):
    d = Q.shape[-1]
    S = Q @ K.T / np.sqrt(d)
    P = np.exp(S - S.max(axis=-1, keepdims=True))
    P /= P.sum(axis=-1, keepdims=True)
    dV = P.T @ dout
    dP = dout @ V.T
    dS = P * (dP - np.sum(dP * P, axis=-1, keepdims=True)) / np.sqrt(d)
    return dS @ K, dS.T @ Q, dV


_case(name="attention_in_place_normalization", fn=attention,
      make_args=lambda r: (r.standard_normal((3, 4)), r.standard_normal((5, 4)), r.standard_normal((5, 2))),
      wrt=(0, 1, 2), scalar=False, oracle=_attention_vjp)


def clipped_loss(w, X, y):
    """np.clip of predictions and a boolean-mask mean of the positive residuals."""
    pred = np.clip(X @ w, -1.0, 1.0)
    r = pred - y
    pos = r[r > 0]
    return np.sum(pos ** 2) + np.mean(np.abs(r))


def _clipped_grad(w, X, y):
    z = X @ w
    pred = np.clip(z, -1.0, 1.0)
    r = pred - y
    dr = 2 * r * (r > 0) + np.sign(r) / len(r)
    dz = dr * (np.abs(z) < 1.0)
    return (X.T @ dz,)


def _clipped_args(r):
    while True:
        w, X, y = r.standard_normal(3) * 0.5, r.standard_normal((8, 3)), r.standard_normal(8) * 0.5
        z = X @ w
        res = np.clip(z, -1, 1) - y
        if np.min(np.abs(np.abs(z) - 1.0)) > 0.02 and np.min(np.abs(res)) > 0.02:
            return w, X, y


_case(name="clip_boolean_mask_abs", fn=clipped_loss, make_args=_clipped_args, wrt=(0,), oracle=_clipped_grad)
