"""Second-order methods with generated second derivatives (the course text, section 9).

tangent_src's output is itself a program it can differentiate, so second derivatives are
compositions: the Hessian-vector product H v is the forward-mode derivative of the generated
gradient along v (forward-over-reverse, ts.hvp), the Hessian is H v for every unit v (ts.hessian,
by vector forward mode: all the directions in one sweep), and Jacobians are columns of jvp or
rows of vjp (ts.jacobian). This script uses them four ways, checking each against mathematics
worked out by hand:

1. Newton's method on a logistic regression: the generated Hessian equals X^T diag(p(1-p)) X / N
   + lam I, and Newton converges in a handful of steps; scipy's trust-ncg (gradient and hvp) and
   BFGS (gradient only) on the same problem, iterations and time side by side.
2. The Rosenbrock function written as a loop: trust-ncg with the generated hvp against BFGS.
3. Gauss-Newton for a least-squares fit: J^T J from the generated Jacobian of the residuals,
   against the exact Hessian of 0.5 |r|^2 (they differ by sum_i r_i H(r_i), small at a good fit).
4. Differentiating through an optimization: y*(x) = argmin_y g(x, y), found by an inner Newton
   loop; dy*/dx by the implicit-function theorem, -(d2g/dy2)^-1 d2g/dy dx, from generated second
   derivatives, against differentiating through the unrolled loop and finite differences.

Run: python examples/hessian_newton.py   (scipy is needed for the scipy comparisons)
"""

from __future__ import annotations

import sys
import time

import numpy as np

import tangent_src as ts

try:
    import scipy.optimize
except ImportError:  # the comparisons with scipy are skipped
    scipy = None

LAM = 1e-2  # the L2 penalty of the logistic regression


def logistic_loss(w, X, y):
    """Mean logistic loss of labels y in {0, 1} for scores X w, plus LAM / 2 |w|^2."""
    z = X @ w
    return np.mean(np.logaddexp(0.0, z) - y * z) + 0.5 * LAM * np.sum(w * w)


def logistic_hessian_by_hand(w, X):
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    return X.T @ (X * (p * (1 - p))[:, None]) / X.shape[0] + LAM * np.eye(X.shape[1])


def rosenbrock(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s = s + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2
    return s


def residuals(p, t, data):
    """A decaying oscillation a exp(-k t) cos(f t), minus the data."""
    return p[0] * np.exp(-p[1] * t) * np.cos(p[2] * t) - data


def half_squares(p, t, data):
    r = residuals(p, t, data)
    return 0.5 * np.sum(r * r)


A = np.array([[3.0, 1.0, 0.0], [1.0, 4.0, 1.0], [0.0, 1.0, 5.0]])  # the inner problem's quadratic part


def inner_objective(x, y):
    """g(x, y) = 1/2 y^T A y - x . y + 1/4 sum y^4: strongly convex in y, minimized where A y + y^3 = x."""
    return 0.5 * y @ (A @ y) - x @ y + 0.25 * np.sum(y**4)


def inner_solution(x):
    """y*(x) by Newton's method on g(x, .), unrolled (20 steps)."""
    y = np.zeros_like(x)
    for _ in range(20):
        gradient = A @ y - x + y**3
        curvature = A + 3.0 * np.diag(y**2)
        y = y - np.linalg.solve(curvature, gradient)
    return y


def report(label, value, bound):
    ok = bool(value <= bound)
    print(f"  {label:<58} {value:10.2e}  {'ok' if ok else 'FAILED'} (bound {bound:.0e})")
    return ok


def timed(run):
    start = time.perf_counter()
    result = run()
    return result, time.perf_counter() - start


def newton_on_logistic_regression(rng):
    print("1. Newton's method on a logistic regression (N = 500 points, d = 6)")
    X = rng.standard_normal((500, 6))
    y = (X @ rng.standard_normal(6) + 0.5 * rng.standard_normal(500) > 0).astype(float)
    gradient, hessian, hvp = ts.grad(logistic_loss), ts.hessian(logistic_loss), ts.hvp(logistic_loss)
    w0 = np.zeros(6)
    ok = report("|generated Hessian - X^T diag(p(1-p)) X / N - lam I|", np.max(np.abs(
        hessian(w0 + 0.3, X, y) - logistic_hessian_by_hand(w0 + 0.3, X))), 1e-12)
    v = rng.standard_normal(6)
    by_hand = logistic_hessian_by_hand(w0 + 0.3, X) @ v
    ok &= report("|hvp(w, v) - H v|", np.max(np.abs(hvp(w0 + 0.3, X, y, v) - by_hand)), 1e-12)

    def newton():
        w, steps = w0.copy(), 0
        while np.linalg.norm(gradient(w, X, y)) > 1e-10 and steps < 50:
            w = w - np.linalg.solve(hessian(w, X, y), gradient(w, X, y))
            steps += 1
        return w, steps

    (w_newton, steps), seconds = timed(newton)
    print(f"  Newton: {steps} steps to |gradient| < 1e-10, {seconds * 1e3:.1f} ms")
    ok &= report("|gradient| at Newton's solution", float(np.linalg.norm(gradient(w_newton, X, y))), 1e-10)
    if scipy is not None:
        rows = [("trust-ncg (grad + hvp)", dict(method="trust-ncg", hessp=lambda w, v, X, y: hvp(w, X, y, v))),
                ("Newton-CG (grad + hvp)", dict(method="Newton-CG", hessp=lambda w, v, X, y: hvp(w, X, y, v))),
                ("BFGS (grad only)", dict(method="BFGS"))]
        for label, options in rows:
            found, seconds = timed(lambda options=options: scipy.optimize.minimize(
                logistic_loss, w0, args=(X, y), jac=gradient, tol=1e-10, **options))
            print(f"  scipy {label:<24} {found.nit:3d} iterations, {found.nfev:3d} evaluations, "
                  f"{seconds * 1e3:7.1f} ms, |w - Newton's| = {np.max(np.abs(found.x - w_newton)):.1e}")
            ok &= bool(np.max(np.abs(found.x - w_newton)) < 1e-5)
    return ok


def rosenbrock_with_hvp():
    print("\n2. The Rosenbrock loop (n = 10) from (-1.2, 1, -1.2, 1, ...)")
    x0 = np.tile([-1.2, 1.0], 5)
    ok = True
    if scipy is None:
        print("  (scipy is not installed: skipped)")
        return ok
    gradient, hvp = ts.grad(rosenbrock), ts.hvp(rosenbrock)
    for label, options in [("trust-ncg (grad + hvp)", dict(method="trust-ncg", hessp=hvp)),
                           ("BFGS (grad only)", dict(method="BFGS"))]:
        found, seconds = timed(lambda options=options: scipy.optimize.minimize(
            rosenbrock, x0, jac=gradient, tol=1e-12, **options))
        print(f"  scipy {label:<24} {found.nit:3d} iterations, {found.nfev:3d} evaluations, {seconds * 1e3:7.1f} ms, "
              f"|x - 1| = {np.max(np.abs(found.x - 1.0)):.1e}, |gradient| = {np.linalg.norm(found.jac):.1e}")
        if "hvp" in label:  # (from this start, a method without curvature may stop at the local minimum
            ok &= bool(np.max(np.abs(found.x - 1.0)) < 1e-4)  # near x[0] = -1 that exists for n >= 4)
    return ok


def gauss_newton(rng):
    print("\n3. Gauss-Newton for a fit of a exp(-k t) cos(f t) to 40 noisy samples")
    t = np.linspace(0.0, 4.0, 40)
    truth = np.array([1.5, 0.6, 2.0])
    data = residuals(truth, t, 0.0) + 0.01 * rng.standard_normal(40)
    jacobian = ts.jacobian(residuals)
    p = np.array([1.0, 0.3, 1.8])
    steps = 12
    for _ in range(steps):
        J, r = jacobian(p, t, data), residuals(p, t, data)
        p = p - np.linalg.solve(J.T @ J, J.T @ r)
    print(f"  fit after {steps} Gauss-Newton steps: a, k, f = {np.round(p, 4)} (truth {truth}); "
          f"jacobian chose {jacobian.mode} mode ({jacobian.reason})")
    J = jacobian(p, t, data)
    exact = ts.hessian(half_squares)(p, t, data)
    ok = report("|J^T J - exact Hessian| / |exact Hessian| at the fit", float(
        np.linalg.norm(J.T @ J - exact) / np.linalg.norm(exact)), 0.05)
    ok &= report("|grad of 0.5 |r|^2 - J^T r| at the fit", float(np.max(np.abs(
        ts.grad(half_squares)(p, t, data) - J.T @ residuals(p, t, data)))), 1e-12)
    return ok


def through_the_optimum(rng):
    print("\n4. dy*/dx for y*(x) = argmin_y 1/2 y^T A y - x . y + 1/4 sum y^4")
    x = rng.standard_normal(3)
    y_star = inner_solution(x)
    g_yy = ts.hessian(inner_objective, wrt=1)(x, y_star)
    g_yx = ts.jacobian(ts.grad(inner_objective, wrt=1), wrt=0)(x, y_star)  # d/dx of the y-gradient
    implicit = -np.linalg.solve(g_yy, g_yx)
    unrolled = ts.jacobian(inner_solution)(x)
    h = 1e-6
    differences = np.stack([(inner_solution(x + h * e) - inner_solution(x - h * e)) / (2 * h) for e in np.eye(3)],
                           axis=1)
    by_hand = np.linalg.inv(A + 3.0 * np.diag(y_star**2))  # differentiate A y + y^3 = x by hand
    ok = report("|implicit-function theorem - by hand|", float(np.max(np.abs(implicit - by_hand))), 1e-12)
    ok &= report("|through the unrolled Newton loop - implicit|", float(np.max(np.abs(unrolled - implicit))), 1e-10)
    ok &= report("|finite differences - implicit|", float(np.max(np.abs(differences - implicit))), 1e-7)
    return ok


def main():
    rng = np.random.default_rng(0)
    ok = newton_on_logistic_regression(rng)
    ok &= rosenbrock_with_hvp()
    ok &= gauss_newton(rng)
    ok &= through_the_optimum(rng)
    print("\nGenerated Hessian-vector product (ts.source(ts.hvp(logistic_loss))):\n")
    print(ts.source(ts.hvp(logistic_loss)))
    print("all checks passed" if ok else "SOME CHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
