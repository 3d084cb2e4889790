"""Small physics and statistics codes: a spring-mass integrator, RK4 on an ODE, likelihoods,
logistic regression with L2, soft k-means, ridge regression through np.linalg.solve."""

import numpy as np

from .harness import Case

CASES = []


def _case(**kwargs):
    CASES.append(Case(**kwargs))


# ------------------------------------------------------------------ physics


def spring_mass(k, c, x0, v0, dt, n_steps):
    """Damped spring by semi-implicit Euler; the loss is the final energy."""
    m = 1.0
    x, v = x0, v0
    for step in range(n_steps):
        a = -k / m * x - c / m * v
        v = v + dt * a
        x = x + dt * v
    return 0.5 * m * v ** 2 + 0.5 * k * x ** 2


def _spring_oracle(k, c, x0, v0, dt, n):
    """Reverse sweep by hand over the stored trajectory."""
    xs, vs = [x0], [v0]
    for _ in range(n):
        v = vs[-1] + dt * (-k * xs[-1] - c * vs[-1])
        vs.append(v)
        xs.append(xs[-1] + dt * v)
    bx, bv = k * xs[-1], vs[-1]
    bk, bc = 0.5 * xs[-1] ** 2, 0.0
    for t in reversed(range(n)):
        # x_{t+1} = x_t + dt v_{t+1}; v_{t+1} = v_t + dt (-k x_t - c v_t)
        bv = bv + dt * bx
        bk += -dt * xs[t] * bv
        bc += -dt * vs[t] * bv
        bx, bv = bx - dt * k * bv, bv * (1 - dt * c)
    return bk, bc, bx, bv


_case(name="spring_mass_euler_floats", fn=spring_mass,
      make_args=lambda r: (float(r.uniform(1, 3)), float(r.uniform(0.1, 0.5)), float(r.standard_normal()),
                           float(r.standard_normal()), 0.05, 30),
      wrt=(0, 1, 2, 3), oracle=_spring_oracle)


def spring_chain(x, v, k, dt, n_steps):
    """A chain of masses with springs between neighbours; arrays of positions and velocities."""
    for _ in range(n_steps):
        stretch = np.diff(x)
        force = np.zeros_like(x)
        force[:-1] += k * stretch
        force[1:] -= k * stretch
        v = v + dt * force
        x = x + dt * v
    return np.sum(x ** 2) + 0.1 * np.sum(v ** 2)


def _chain_oracle(x0, v0, k, dt, n):
    def force(x):
        s = np.diff(x)
        f = np.zeros_like(x)
        f[:-1] += k * s
        f[1:] -= k * s
        return f

    def force_T(b):  # the force is linear: F = k L x with L symmetric
        return force(b)

    xs, vs = [x0], [v0]
    for _ in range(n):
        v = vs[-1] + dt * force(xs[-1])
        vs.append(v)
        xs.append(xs[-1] + dt * v)
    bx, bv = 2 * xs[-1], 0.2 * vs[-1]
    bk = 0.0
    for t in reversed(range(n)):
        bv = bv + dt * bx
        bk += dt * np.sum(bv * force(xs[t])) / k
        bx = bx + dt * force_T(bv)
    return bx, bv, bk


_case(name="spring_chain_arrays", fn=spring_chain,
      make_args=lambda r: (r.standard_normal(4), r.standard_normal(4), 1.5, 0.05, 12), wrt=(0, 1, 2),
      oracle=_chain_oracle)


def rk4_step(f, y, t, dt, theta):
    k1 = f(y, t, theta)
    k2 = f(y + dt / 2 * k1, t + dt / 2, theta)
    k3 = f(y + dt / 2 * k2, t + dt / 2, theta)
    k4 = f(y + dt * k3, t + dt, theta)
    return y + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


def pendulum(y, t, theta):
    g_over_l, damping = theta[0], theta[1]
    return np.array([y[1], -g_over_l * np.sin(y[0]) - damping * y[1]])


def pendulum_rk4_passed_function(theta, y0):
    """RK4 taking the right-hand side as an argument (a function value passed to a helper)."""
    y = y0
    t = 0.0
    for _ in range(20):
        y = rk4_step(pendulum, y, t, 0.05, theta)
        t += 0.05
    return y


def pendulum_rhs(y, theta):
    return np.stack([y[1], -theta[0] * np.sin(y[0]) - theta[1] * y[1]])


def pendulum_rk4(theta, y0):
    """The same integration, the right-hand side called by name."""
    y = y0
    dt = 0.05
    for _ in range(20):
        k1 = pendulum_rhs(y, theta)
        k2 = pendulum_rhs(y + dt / 2 * k1, theta)
        k3 = pendulum_rhs(y + dt / 2 * k2, theta)
        k4 = pendulum_rhs(y + dt * k3, theta)
        y = y + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return y


def _pendulum_vjp(theta, y0, u):
    """Forward sensitivities by hand (dy/dtheta, dy/dy0 carried through each stage), then u^T J."""
    def rhs(y):
        return np.array([y[1], -theta[0] * np.sin(y[0]) - theta[1] * y[1]])

    def jac_y(y):
        return np.array([[0.0, 1.0], [-theta[0] * np.cos(y[0]), -theta[1]]])

    def jac_theta(y):
        return np.array([[0.0, 0.0], [-np.sin(y[0]), -y[1]]])

    y, S = y0.copy(), np.zeros((2, 4))
    S[:, 2:] = np.eye(2)  # columns: d/dtheta0, d/dtheta1, d/dy0_0, d/dy0_1
    dt = 0.05
    P = np.zeros((2, 4))
    P[:, :2] = np.eye(2)  # d theta / d(theta, y0)
    for _ in range(20):
        k1 = rhs(y)
        d1 = jac_y(y) @ S + jac_theta(y) @ P
        y2, S2 = y + dt / 2 * k1, S + dt / 2 * d1
        k2, d2 = rhs(y2), jac_y(y2) @ S2 + jac_theta(y2) @ P
        y3, S3 = y + dt / 2 * k2, S + dt / 2 * d2
        k3, d3 = rhs(y3), jac_y(y3) @ S3 + jac_theta(y3) @ P
        y4, S4 = y + dt * k3, S + dt * d3
        k4, d4 = rhs(y4), jac_y(y4) @ S4 + jac_theta(y4) @ P
        y = y + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        S = S + dt / 6 * (d1 + 2 * d2 + 2 * d3 + d4)
    g = u @ S
    return g[:2], g[2:]


def _pendulum_args(r):
    return np.array([r.uniform(5, 10), r.uniform(0.1, 0.5)]), np.array([r.uniform(-1, 1), r.uniform(-1, 1)])


_case(name="pendulum_rk4_function_argument", fn=pendulum_rk4_passed_function, make_args=_pendulum_args,
      wrt=(0, 1), scalar=False, oracle=_pendulum_vjp)
_case(name="pendulum_rk4_named_rhs", fn=pendulum_rk4, make_args=_pendulum_args, wrt=(0, 1), scalar=False,
      oracle=_pendulum_vjp)


def decay_rk4(a, y0, T, n):
    """dy/dt = -a y by RK4: the result is y0 R(-a dt)^n, with R RK4's stability polynomial."""
    dt = T / n
    y = y0
    for i in range(n):
        k1 = -a * y
        k2 = -a * (y + 0.5 * dt * k1)
        k3 = -a * (y + 0.5 * dt * k2)
        k4 = -a * (y + dt * k3)
        y = y + dt * (k1 + 2 * k2 + 2 * k3 + k4) / 6
    return y


def _decay_grad(a, y0, T, n):
    dt = T / n
    z = -a * dt
    R = 1 + z + z ** 2 / 2 + z ** 3 / 6 + z ** 4 / 24
    dR = 1 + z + z ** 2 / 2 + z ** 3 / 6
    return y0 * n * R ** (n - 1) * dR * (-dt), R ** n


_case(name="decay_rk4_closed_form", fn=decay_rk4,
      make_args=lambda r: (float(r.uniform(0.5, 2)), float(r.uniform(0.5, 2)), 1.0, 10), wrt=(0, 1),
      oracle=_decay_grad)


# ------------------------------------------------------------------ statistics


def gaussian_log_likelihood(mu, log_sigma, x):
    sigma = np.exp(log_sigma)
    N = x.shape[0]
    return -0.5 * np.sum((x - mu) ** 2) / sigma ** 2 - N * log_sigma - 0.5 * N * np.log(2 * np.pi)


def _gauss_grad(mu, ls, x):
    s2 = np.exp(2 * ls)
    return np.sum(x - mu) / s2, np.sum((x - mu) ** 2) / s2 - x.shape[0]


_case(name="gaussian_log_likelihood", fn=gaussian_log_likelihood,
      make_args=lambda r: (float(r.standard_normal()), float(r.uniform(-0.5, 0.5)), r.standard_normal(7)),
      wrt=(0, 1), oracle=_gauss_grad)


def mvn_log_likelihood(mu, L, X):
    """Multivariate normal with covariance L L^T, through cholesky-free solve and slogdet."""
    Sigma = L @ L.T
    N, D = X.shape
    diff = X - mu
    sol = np.linalg.solve(Sigma, diff.T)
    sign, logdet = np.linalg.slogdet(Sigma)
    return -0.5 * np.sum(diff.T * sol) - 0.5 * N * logdet - 0.5 * N * D * np.log(2 * np.pi)


def _mvn_grad(mu, L, X):
    Sigma = L @ L.T
    Si = np.linalg.inv(Sigma)
    diff = X - mu
    N = X.shape[0]
    dmu = Si @ diff.sum(axis=0)
    G = 0.5 * (Si @ diff.T @ diff @ Si) - 0.5 * N * Si  # d loglik / d Sigma (symmetric)
    return dmu, 2 * G @ L


def _mvn_args(r):
    L = np.tril(r.standard_normal((3, 3))) + 2 * np.eye(3)
    return r.standard_normal(3), L, r.standard_normal((6, 3))


_case(name="mvn_log_likelihood_solve_slogdet", fn=mvn_log_likelihood, make_args=_mvn_args, wrt=(0, 1),
      oracle=_mvn_grad)


def logistic_regression_l2(w, b, X, y, lam):
    z = X.dot(w) + b
    p = 1.0 / (1.0 + np.exp(-z))
    eps = 1e-12
    nll = -np.mean(y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps))
    return nll + 0.5 * lam * np.dot(w, w)


def _logreg_grad(w, b, X, y, lam):
    p = 1 / (1 + np.exp(-(X @ w + b)))
    eps = 1e-12
    dp = -(y / (p + eps) - (1 - y) / (1 - p + eps)) / len(y)
    dz = dp * p * (1 - p)
    return X.T @ dz + lam * w, np.sum(dz)


_case(name="logistic_regression_l2", fn=logistic_regression_l2,
      make_args=lambda r: (r.standard_normal(3), float(r.standard_normal()), r.standard_normal((10, 3)),
                           (r.random(10) > 0.5).astype(float), 0.1),
      wrt=(0, 1), oracle=_logreg_grad)


def soft_kmeans_energy(mu, X, beta):
    """-1/beta sum_i logsumexp_k(-beta ||x_i - mu_k||^2): the soft-min of the squared distances."""
    d = np.sum((X[:, None, :] - mu[None, :, :]) ** 2, axis=2)
    a = -beta * d
    m = np.max(a, axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.sum(np.exp(a - m), axis=1))
    return -np.sum(lse) / beta


def _kmeans_grad(mu, X, beta):
    d = np.sum((X[:, None, :] - mu[None, :, :]) ** 2, axis=2)
    r = np.exp(-beta * d - np.max(-beta * d, axis=1, keepdims=True))
    r /= r.sum(axis=1, keepdims=True)
    return (2 * (r.sum(axis=0)[:, None] * mu - r.T @ X),)


_case(name="soft_kmeans_energy", fn=soft_kmeans_energy,
      make_args=lambda r: (r.standard_normal((3, 2)), r.standard_normal((8, 2)), 2.0), wrt=(0,), oracle=_kmeans_grad)


def soft_kmeans_responsibilities(mu, X, beta):
    """The same model written with an explicit loop over clusters and a softmax of responsibilities."""
    K = mu.shape[0]
    dists = []
    for k in range(K):
        dists.append(np.sum((X - mu[k]) ** 2, axis=1))
    D = np.stack(dists, axis=1)
    logits = -beta * D
    logits = logits - logits.max(axis=1, keepdims=True)
    R = np.exp(logits)
    R = R / R.sum(axis=1, keepdims=True)
    return np.sum(R * D) / X.shape[0]


def _resp_grad(mu, X, beta):
    D = np.sum((X[:, None, :] - mu[None]) ** 2, axis=2)
    R = np.exp(-beta * D - (-beta * D).max(axis=1, keepdims=True))
    R /= R.sum(axis=1, keepdims=True)
    # d/dD_ik of sum R*D: R_ik (1 - beta (D_ik - sum_j R_ij D_ij))
    G = R * (1 - beta * (D - np.sum(R * D, axis=1, keepdims=True))) / X.shape[0]
    return (2 * (G.sum(axis=0)[:, None] * mu - G.T @ X),)


_case(name="soft_kmeans_loop_over_clusters", fn=soft_kmeans_responsibilities,
      make_args=lambda r: (r.standard_normal((3, 2)), r.standard_normal((8, 2)), 1.5), wrt=(0,), oracle=_resp_grad)


def ridge_validation_loss(lam, X, y, X_val, y_val):
    D = X.shape[1]
    A = X.T @ X + lam * np.eye(D)
    w = np.linalg.solve(A, X.T @ y)
    r = X_val @ w - y_val
    return np.mean(r ** 2)


def _ridge_grad(lam, X, y, Xv, yv):
    A = X.T @ X + lam * np.eye(X.shape[1])
    w = np.linalg.solve(A, X.T @ y)
    dw = 2 * Xv.T @ (Xv @ w - yv) / len(yv)
    return (-(np.linalg.solve(A, w) @ dw),)


_case(name="ridge_hyperparameter_solve", fn=ridge_validation_loss,
      make_args=lambda r: (float(r.uniform(0.1, 2)), r.standard_normal((8, 3)), r.standard_normal(8),
                           r.standard_normal((5, 3)), r.standard_normal(5)),
      wrt=(0,), oracle=_ridge_grad)


def gmm_log_likelihood(means, log_stds, logits, x):
    """A 1-D Gaussian mixture: log-sum-exp over components in a loop, Python-level accumulation."""
    w = np.exp(logits - np.max(logits))
    w = w / np.sum(w)
    total = 0.0
    for n in range(x.shape[0]):
        comps = np.log(w) - 0.5 * ((x[n] - means) / np.exp(log_stds)) ** 2 - log_stds - 0.5 * np.log(2 * np.pi)
        m = np.max(comps)
        total = total + m + np.log(np.sum(np.exp(comps - m)))
    return total


def _gmm_grad(means, ls, logits, x):
    w = np.exp(logits - logits.max())
    w /= w.sum()
    s = np.exp(ls)
    comps = np.log(w) - 0.5 * ((x[:, None] - means) / s) ** 2 - ls - 0.5 * np.log(2 * np.pi)
    R = np.exp(comps - comps.max(axis=1, keepdims=True))
    R /= R.sum(axis=1, keepdims=True)
    z = (x[:, None] - means) / s
    dmeans = np.sum(R * z / s, axis=0)
    dls = np.sum(R * (z ** 2 - 1), axis=0)
    dlogits = R.sum(axis=0) - x.shape[0] * w
    return dmeans, dls, dlogits


_case(name="gmm_log_likelihood_loop", fn=gmm_log_likelihood,
      make_args=lambda r: (r.standard_normal(3), r.uniform(-0.3, 0.3, 3), r.standard_normal(3), r.standard_normal(6)),
      wrt=(0, 1, 2), oracle=_gmm_grad)


def poisson_regression(w, X, counts):
    eta = X @ w
    return np.sum(np.exp(eta) - counts * eta)


_case(name="poisson_regression", fn=poisson_regression,
      make_args=lambda r: (r.standard_normal(3) * 0.3, r.standard_normal((9, 3)), r.poisson(2.0, 9).astype(float)),
      wrt=(0,), oracle=lambda w, X, c: (X.T @ (np.exp(X @ w) - c),))


def forcing(y, t, omega):
    return np.array([y[1], -omega ** 2 * y[0] + np.cos(t)])


def euler_step(y, t, dt, omega):
    return y + dt * forcing(y, t, omega)


def forced_oscillator(omega, y0):
    """Euler steps by a helper, the time advanced by `t += dt` and passed to it."""
    y = y0
    t = 0.0
    dt = 0.05
    for _ in range(10):
        y = euler_step(y, t, dt, omega)
        t += dt
    return np.sum(y ** 2)


def _forced_grad(omega, y0):
    dt, t = 0.05, 0.0
    ys, ts_ = [y0], []
    for _ in range(10):
        ts_.append(t)
        ys.append(ys[-1] + dt * np.array([ys[-1][1], -omega ** 2 * ys[-1][0] + np.cos(t)]))
        t += dt
    b = 2 * ys[-1]
    bomega = 0.0
    for k in reversed(range(10)):
        y = ys[k]
        bomega += dt * b[1] * (-2 * omega * y[0])
        J = np.array([[0.0, 1.0], [-omega ** 2, 0.0]])
        b = b + dt * J.T @ b
    return bomega, b


_case(name="forced_oscillator_time_in_helper", fn=forced_oscillator,
      make_args=lambda r: (float(r.uniform(1, 2)), r.standard_normal(2)), wrt=(0, 1), oracle=_forced_grad)
