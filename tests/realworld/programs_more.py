"""More habits: `b=None` defaults tested with `is not None`, caches appended to a list the caller owns,
`params.items()`, progress printed with an f-string, REINFORCE returns built with reversed/insert,
Langevin noise drawn inside the loop, Python's random for a minibatch, np.array of scalars, a GP
marginal likelihood through cholesky, unrolled gradient descent for a learning rate, has_aux with a
dict of gradients as the aux value (CS231n's `loss, grads = model.loss(X, y)`)."""

import random

import numpy as np

from .harness import Case

CASES = []


def _case(**kwargs):
    CASES.append(Case(**kwargs))


def dense(x, w, b=None):
    out = x @ w
    if b is not None:
        out = out + b
    return out


def dense_optional_bias(x, w1, w2, b2):
    h = np.tanh(dense(x, w1))
    return np.sum(dense(h, w2, b2) ** 2)


def _dense_grad(x, w1, w2, b2):
    h = np.tanh(x @ w1)
    s = h @ w2 + b2
    ds = 2 * s
    dz = ds @ w2.T * (1 - h ** 2)
    return x.T @ dz, h.T @ ds, ds.sum(axis=0)


_case(name="optional_bias_is_not_none", fn=dense_optional_bias,
      make_args=lambda r: (r.standard_normal((3, 4)), r.standard_normal((4, 5)), r.standard_normal((5, 2)),
                           r.standard_normal(2)),
      wrt=(1, 2, 3), oracle=_dense_grad)


def layer_with_cache(x, w, caches):
    z = x @ w
    caches.append((x, z))
    return np.tanh(z)


def net_cache_list(x, w1, w2):
    """Layers append their caches to a list the caller made (a callee that writes into its argument)."""
    caches = []
    h = layer_with_cache(x, w1, caches)
    out = layer_with_cache(h, w2, caches)
    return np.sum(out ** 2) + 0.0 * len(caches)


def _cache_list_grad(x, w1, w2):
    h = np.tanh(x @ w1)
    o = np.tanh(h @ w2)
    dz2 = 2 * o * (1 - o ** 2)
    dz1 = dz2 @ w2.T * (1 - h ** 2)
    return x.T @ dz1, h.T @ dz2


_case(name="callee_appends_to_callers_list", fn=net_cache_list,
      make_args=lambda r: (r.standard_normal((3, 4)), r.standard_normal((4, 5)) * 0.5, r.standard_normal((5, 2))),
      wrt=(1, 2), oracle=_cache_list_grad)


def l2_over_params_items(params, X, y, reg):
    scores = np.tanh(X @ params["W1"]) @ params["W2"]
    loss = np.mean((scores - y) ** 2)
    for name, W in params.items():
        loss += 0.5 * reg * np.sum(W * W)
    return loss


def _items_grad(params, X, y, reg):
    W1, W2 = params["W1"], params["W2"]
    h = np.tanh(X @ W1)
    s = h @ W2
    ds = 2 * (s - y) / s.size
    dz = ds @ W2.T * (1 - h ** 2)
    return ({"W1": X.T @ dz + reg * W1, "W2": h.T @ ds + reg * W2},)


def _items_args(r):
    return ({"W1": r.standard_normal((3, 4)), "W2": r.standard_normal((4, 2))}, r.standard_normal((5, 3)),
            r.standard_normal((5, 2)), 0.1)


_case(name="l2_loop_over_params_items", fn=l2_over_params_items, make_args=_items_args, wrt=(0,),
      oracle=_items_grad)


def l2_over_params_values(params, X, y, reg):
    """The same, with sum(...) of a generator over params.values()."""
    scores = np.tanh(X @ params["W1"]) @ params["W2"]
    loss = np.mean((scores - y) ** 2)
    return loss + 0.5 * reg * sum(np.sum(W * W) for W in params.values())


_case(name="l2_generator_over_params_values", fn=l2_over_params_values, make_args=_items_args, wrt=(0,),
      oracle=_items_grad)


def gradient_descent_verbose(w, A, b):
    """Progress printed inside the loop with an f-string (kept, never differentiated)."""
    lr = 0.1
    for it in range(3):
        g = A @ w - b
        w = w - lr * g
        print(f"iteration {it}: |g| = {np.linalg.norm(g):.3e}")
    return 0.5 * w @ A @ w - b @ w


def _gd_grad(w, A, b, lr=0.1, n=3):
    M = np.eye(len(w)) - lr * A
    wn = np.linalg.matrix_power(M, n) @ w + sum(np.linalg.matrix_power(M, k) for k in range(n)) @ (lr * b)
    return (np.linalg.matrix_power(M, n).T @ (A @ wn - b),)


def _spd(r, n):
    Q = r.standard_normal((n, n))
    return Q @ Q.T / n + np.eye(n)


_case(name="print_fstring_progress_in_loop", fn=gradient_descent_verbose,
      make_args=lambda r: (r.standard_normal(3), _spd(r, 3), r.standard_normal(3)), wrt=(0,), oracle=_gd_grad)


def unrolled_lr(lr, w0, A, b):
    """Hyperparameter gradient through unrolled gradient descent on a quadratic."""
    w = w0
    for t in range(5):
        g = A @ w - b
        w = w - lr * g
    return 0.5 * w @ A @ w - b @ w


def _unrolled_lr_grad(lr, w0, A, b):
    ws = [w0]
    for _ in range(5):
        ws.append(ws[-1] - lr * (A @ ws[-1] - b))
    bw = A @ ws[-1] - b
    blr = 0.0
    for t in reversed(range(5)):
        g = A @ ws[t] - b
        blr += -bw @ g
        bw = bw - lr * A.T @ bw
    return blr, bw


_case(name="unrolled_gd_learning_rate", fn=unrolled_lr,
      make_args=lambda r: (float(r.uniform(0.05, 0.3)), r.standard_normal(3), _spd(r, 3), r.standard_normal(3)),
      wrt=(0, 1), oracle=_unrolled_lr_grad)


# ------------------------------------------------------------------ reinforcement learning


def discounted_returns(rewards, gamma):
    G = 0.0
    returns = []
    for r in reversed(rewards):
        G = r + gamma * G
        returns.insert(0, G)
    return returns


def reinforce_loss(theta, states, actions, rewards):
    """REINFORCE with a softmax policy: -sum_t log pi(a_t | s_t) G_t, returns from a helper."""
    returns = discounted_returns(rewards, 0.9)
    loss = 0.0
    for t in range(len(actions)):
        logits = states[t] @ theta
        logits = logits - np.max(logits)
        log_probs = logits - np.log(np.sum(np.exp(logits)))
        loss = loss - log_probs[actions[t]] * returns[t]
    return loss


def reinforce_loss_plain(theta, states, actions, rewards):
    """The same with the returns computed by an index loop into a preallocated array."""
    T = len(actions)
    returns = np.zeros(T)
    G = 0.0
    for t in range(T - 1, -1, -1):
        G = rewards[t] + 0.9 * G
        returns[t] = G
    loss = 0.0
    for t in range(T):
        logits = states[t] @ theta
        logits = logits - np.max(logits)
        log_probs = logits - np.log(np.sum(np.exp(logits)))
        loss = loss - log_probs[actions[t]] * returns[t]
    return loss


def _reinforce_grad(theta, states, actions, rewards):
    T = len(actions)
    G, returns = 0.0, [0.0] * T
    for t in reversed(range(T)):
        G = rewards[t] + 0.9 * G
        returns[t] = G
    d = np.zeros_like(theta)
    for t in range(T):
        z = states[t] @ theta
        p = np.exp(z - z.max())
        p /= p.sum()
        e = -p
        e[actions[t]] += 1
        d -= returns[t] * np.outer(states[t], e)
    return (d,)


def _rl_args(r, T=5, S=3, A=4):
    return (r.standard_normal((S, A)), r.standard_normal((T, S)), [int(a) for a in r.integers(0, A, T)],
            [float(v) for v in r.standard_normal(T)])


_case(name="reinforce_returns_reversed_insert", fn=reinforce_loss, make_args=_rl_args, wrt=(0,),
      oracle=_reinforce_grad)
_case(name="reinforce_returns_index_loop", fn=reinforce_loss_plain, make_args=_rl_args, wrt=(0,),
      oracle=_reinforce_grad)


# ------------------------------------------------------------------ randomness in the differentiated function


def langevin(x0, step, n_steps):
    """Noise drawn inside the loop of the differentiated function itself, seeded at the top."""
    np.random.seed(0)
    x = x0
    for _ in range(n_steps):
        grad_U = x ** 3 - x
        x = x - step * grad_U + np.sqrt(2 * step) * np.random.randn(x.shape[0])
    return np.sum(x ** 2)


def _langevin_grad(x0, step, n):
    np.random.seed(0)
    noise = [np.random.randn(x0.shape[0]) for _ in range(n)]
    xs = [x0]
    for k in range(n):
        x = xs[-1]
        xs.append(x - step * (x ** 3 - x) + np.sqrt(2 * step) * noise[k])
    bx, bstep = 2 * xs[-1], 0.0
    for k in reversed(range(n)):
        x = xs[k]
        bstep += np.sum(bx * (-(x ** 3 - x) + noise[k] / np.sqrt(2 * step)))
        bx = bx * (1 - step * (3 * x ** 2 - 1))
    return bx, bstep


_case(name="langevin_noise_in_loop", fn=langevin,
      make_args=lambda r: (r.standard_normal(3) * 0.5, float(r.uniform(0.01, 0.05)), 6), wrt=(0, 1),
      oracle=_langevin_grad, step=1e-5)


def minibatch_loss(w, X, y):
    """A minibatch chosen with Python's random module, seeded in the function."""
    random.seed(1)
    idx = random.sample(range(X.shape[0]), 4)
    Xb, yb = X[idx], y[idx]
    return np.mean((Xb @ w - yb) ** 2)


def _minibatch_grad(w, X, y):
    random.seed(1)
    idx = random.sample(range(X.shape[0]), 4)
    Xb, yb = X[idx], y[idx]
    return (2 * Xb.T @ (Xb @ w - yb) / 4,)


_case(name="python_random_minibatch", fn=minibatch_loss,
      make_args=lambda r: (r.standard_normal(3), r.standard_normal((9, 3)), r.standard_normal(9)), wrt=(0,),
      oracle=_minibatch_grad)


# ------------------------------------------------------------------ arrays built from scalars, linear algebra


def lotka_volterra_rhs(z, params):
    x, y = z[0], z[1]
    a, b, c, d = params
    return np.array([a * x - b * x * y, c * x * y - d * y])


def lotka_volterra_euler(params, z0):
    z = z0
    for _ in range(10):
        z = z + 0.05 * lotka_volterra_rhs(z, params)
    return z


def _lv_vjp(params, z0, u):
    a, b, c, d = params
    zs = [z0]
    for _ in range(10):
        x, y = zs[-1]
        zs.append(zs[-1] + 0.05 * np.array([a * x - b * x * y, c * x * y - d * y]))
    bz = u.copy()
    bp = np.zeros(4)
    for k in reversed(range(10)):
        x, y = zs[k]
        J = np.array([[a - b * y, -b * x], [c * y, c * x - d]])
        P = np.array([[x, -x * y, 0, 0], [0, 0, x * y, -y]])
        bp += 0.05 * P.T @ bz
        bz = bz + 0.05 * J.T @ bz
    return bp, bz


_case(name="lotka_volterra_np_array_of_scalars", fn=lotka_volterra_euler,
      make_args=lambda r: (r.uniform(0.5, 1.5, 4), r.uniform(0.5, 1.5, 2)), wrt=(0, 1), scalar=False,
      oracle=_lv_vjp)


def gp_neg_log_marginal(log_ell, log_sf, X, y):
    """Gaussian-process regression: RBF kernel, cholesky, two triangular solves."""
    ell = np.exp(log_ell)
    sf2 = np.exp(2 * log_sf)
    sq = np.sum((X[:, None, :] - X[None, :, :]) ** 2, axis=-1)
    K = sf2 * np.exp(-0.5 * sq / ell ** 2) + 1e-1 * np.eye(X.shape[0])
    L = np.linalg.cholesky(K)
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, y))
    return 0.5 * y @ alpha + np.sum(np.log(np.diag(L))) + 0.5 * len(y) * np.log(2 * np.pi)


def _gp_grad(log_ell, log_sf, X, y):
    ell, sf2 = np.exp(log_ell), np.exp(2 * log_sf)
    sq = np.sum((X[:, None, :] - X[None, :, :]) ** 2, axis=-1)
    Kf = sf2 * np.exp(-0.5 * sq / ell ** 2)
    K = Kf + 1e-1 * np.eye(X.shape[0])
    Ki = np.linalg.inv(K)
    a = Ki @ y
    W = 0.5 * (Ki - np.outer(a, a))  # d nll / dK
    dK_dlogell = Kf * sq / ell ** 2
    dK_dlogsf = 2 * Kf
    return np.sum(W * dK_dlogell), np.sum(W * dK_dlogsf)


_case(name="gp_marginal_likelihood_cholesky", fn=gp_neg_log_marginal,
      make_args=lambda r: (float(r.uniform(-0.5, 0.5)), float(r.uniform(-0.5, 0.5)), r.standard_normal((6, 2)),
                           r.standard_normal(6)),
      wrt=(0, 1), oracle=_gp_grad)


def leaky_relu_list(x):
    """A list comprehension with a conditional expression over the items of a vector, then np.array."""
    ys = [xi if xi > 0 else 0.1 * xi for xi in x]
    return np.sum(np.array(ys) ** 2)


def _leaky_args(r):
    while True:
        x = r.standard_normal(6)
        if np.min(np.abs(x)) > 0.02:
            return (x,)


_case(name="leaky_relu_list_comprehension", fn=leaky_relu_list, make_args=_leaky_args, wrt=(0,),
      oracle=lambda x: (2 * np.where(x > 0, x, 0.01 * x),))


# ------------------------------------------------------------------ has_aux with a dict of gradients


def model_loss(W, b, X, y):
    """`loss, grads = model.loss(X, y)`: the hand-written gradients returned beside the loss, in a dict."""
    scores = X @ W + b
    shifted = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(shifted)
    probs /= probs.sum(axis=1, keepdims=True)
    N = X.shape[0]
    loss = -np.mean(np.log(probs[np.arange(N), y]))
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    grads = {"W": X.T @ dscores, "b": dscores.sum(axis=0)}
    return loss, grads


_case(name="has_aux_dict_of_gradients", fn=model_loss, has_aux=True,
      make_args=lambda r: (r.standard_normal((3, 4)), r.standard_normal(4), r.standard_normal((5, 3)),
                           r.integers(0, 4, 5)),
      wrt=(0, 1), oracle=lambda W, b, X, y: (model_loss(W, b, X, y)[1]["W"], model_loss(W, b, X, y)[1]["b"]))


# ------------------------------------------------------------------ structures and calls


def nested_params(params, X):
    """Parameters nested as a dict of a tuple and a dict."""
    (W1, b1) = params["l1"]
    h = np.tanh(X @ W1 + b1)
    return np.sum(h @ params["l2"]["W"])


def _nested_grad(params, X):
    W1, b1 = params["l1"]
    w2 = params["l2"]["W"]
    h = np.tanh(X @ W1 + b1)
    dz = np.outer(np.ones(X.shape[0]), w2) * (1 - h ** 2)
    return ({"l1": (X.T @ dz, dz.sum(axis=0)), "l2": {"W": h.sum(axis=0)}},)


_case(name="nested_dict_tuple_params", fn=nested_params,
      make_args=lambda r: ({"l1": (r.standard_normal((3, 4)), r.standard_normal(4)), "l2": {"W": r.standard_normal(4)}},
                           r.standard_normal((5, 3))),
      wrt=(0,), oracle=_nested_grad)


def tanh_step(W, x):
    y = np.tanh(W @ x)
    return y, [W, x]


def deep_tanh_list_cache(Ws, x):
    """A helper called in a loop over layers of unequal sizes; its list cache ignored."""
    for W in Ws:
        x, _ = tanh_step(W, x)
    return np.sum(x)


def _deep_tanh_grad(Ws, x):
    hs = [x]
    for W in Ws:
        hs.append(np.tanh(W @ hs[-1]))
    d = np.ones_like(hs[-1])
    dWs = [None] * len(Ws)
    for k in reversed(range(len(Ws))):
        dz = d * (1 - hs[k + 1] ** 2)
        dWs[k] = np.outer(dz, hs[k])
        d = Ws[k].T @ dz
    return dWs, d


_case(name="helper_in_loop_unequal_layers_list_cache", fn=deep_tanh_list_cache,
      make_args=lambda r: ([r.standard_normal((4, 3)), r.standard_normal((2, 4))], r.standard_normal(3)),
      wrt=(0, 1), oracle=_deep_tanh_grad)


def halvings(x, tol):
    """A while loop whose trip count depends on the data, values appended to a list and stacked."""
    vals = []
    v = x
    while np.sum(v * v) > tol:
        v = 0.5 * v
        vals.append(v)
    return np.sum(np.stack(vals) ** 2)


def _halvings_grad(x, tol):
    n, v = 0, x
    while np.sum(v * v) > tol:
        v = 0.5 * v
        n += 1
    return (2 * x * sum(0.25 ** k for k in range(1, n + 1)),)


def _halvings_args(r):
    while True:
        x = r.standard_normal(3) * 3
        norms = [np.sum(x * x) * 0.25 ** k for k in range(40)]
        if min(abs(np.log(nv / 0.1)) for nv in norms) > 0.05:
            return x, 0.1


_case(name="while_loop_append_stack", fn=halvings, make_args=_halvings_args, wrt=(0,), oracle=_halvings_grad)


def scaled_tanh(x, w, scale=1.0, shift=0.0):
    return scale * np.tanh(x @ w) + shift


def keyword_call(x, w):
    """A helper called with keywords in another order and one default left out."""
    return np.sum(scaled_tanh(w=w, x=x, scale=2.0))


def _keyword_grad(x, w):
    t = np.tanh(x @ w)
    dz = 2.0 * (1 - t ** 2)
    return np.outer(dz, w), x.T @ dz


_case(name="helper_keyword_arguments_default_left_out", fn=keyword_call,
      make_args=lambda r: (r.standard_normal((5, 3)), r.standard_normal(3)), wrt=(0, 1), oracle=_keyword_grad)
