"""Second-order methods with generated second derivatives (the course text, section 9).

tangent_src's output is itself a program it can differentiate, so second derivatives are
compositions: the Hessian-vector product H v is the forward-mode derivative of the generated
gradient along v (forward-over-reverse, ts.hvp), the Hessian is H v for every unit v (ts.hessian,
by vector forward mode: all the directions in one sweep), and Jacobians are columns of jvp or
rows of vjp (ts.jacobian). This script uses them, and checks what the theory says:

1. The Hessian: ts.hessian of a regularized logistic regression equals X^T diag(p(1-p)) X / N
   + lam I (by hand, to 1e-12) and, for it and for the Rosenbrock function written as a loop,
   the central differences of the generated gradient (to 1e-6, relative); it is symmetric (to
   1e-10), and ts.hvp equals H v.
2. Newton's method x <- x - H^-1 grad f (with a backtracking line search, which takes the full
   step near the solution) converges quadratically: near the solution the error obeys
   e_(k+1) <= C e_k^2, so the number of correct digits doubles each step; the script checks that
   e_(k+1) / e_k^2 stays bounded (below 100) over the last steps. Gradient descent to the same
   gradient norm takes at least 20 times as many steps: on the logistic regression (features
   on scales a factor 10 apart) with the step 1 / L, on the Rosenbrock valley with a line search
   (there it does not even get there in the steps allowed). scipy's trust-ncg and Newton-CG
   (gradient and hvp) and BFGS (gradient only) on the same problems, for comparison.
3. Gauss-Newton (the course's H ~ J^T J) for a least-squares fit: J from the generated Jacobian
   of the residuals, close to the exact Hessian of 0.5 |r|^2 at a good fit (they differ by
   sum_i r_i H(r_i)).
4. Differentiating through an optimization: y*(x) = argmin_y g(x, y), found by an inner Newton
   loop; dy*/dx by the implicit-function theorem, -(d2g/dy2)^-1 d2g/dy dx, from generated second
   derivatives, against differentiating through the unrolled loop and finite differences.

It prints a table of iterations per method, Newton's errors step by step, the checks, and saves
hessian_newton.png (|gradient| against the iteration, per method) when matplotlib is installed.

Run: python examples/hessian_newton.py   (scipy is needed for the scipy comparisons only)
"""

from __future__ import annotations

import sys
import time

import numpy as np

import tangent_src as ts
from walkthrough import experiment, pyplot, save

try:
    import scipy.optimize
except ImportError:  # the comparisons with scipy are skipped
    scipy = None

LAM = 1e-2  # the L2 penalty of the logistic regression
TOL = 1e-10  # the gradient norm Newton's method and gradient descent are asked to reach
A = np.array([[3.0, 1.0, 0.0], [1.0, 4.0, 1.0], [0.0, 1.0, 5.0]])  # the inner problem's quadratic part


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


def logistic_data(rng, n=500, d=6):
    """Features on scales from 10^-0.5 to 10^0.5 (as raw measurements come), labels from a noisy linear rule."""
    X = rng.standard_normal((n, d)) * np.logspace(-0.5, 0.5, d)
    y = (X @ rng.standard_normal(d) + 0.5 * rng.standard_normal(n) > 0).astype(float)
    return X, y


def relative(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def hessian_checks(fn, x, args, h=1e-5):
    """The generated Hessian against the central differences of the generated gradient, column
    by column, and against its transpose (both relative to its largest entry)."""
    H, gradient = ts.hessian(fn)(x, *args), ts.grad(fn)
    columns = [(gradient(x + h * e, *args) - gradient(x - h * e, *args)) / (2 * h) for e in np.eye(x.size)]
    return {"vs differences": relative(np.stack(columns, axis=1), H),
            "asymmetry": float(np.max(np.abs(H - H.T)) / np.max(np.abs(H)))}


def backtrack(fn, x, args, value, slope, direction, step=1.0):
    """The first of step, step / 2, ... that decreases fn enough (Armijo's rule)."""
    while fn(x + step * direction, *args) > value + 1e-4 * step * slope and step > 1e-12:
        step /= 2
    return step


def newton(fn, x0, args, tol=TOL, cap=100):
    """Newton's method with a backtracking line search: the iterates and their gradient norms."""
    gradient, hessian = ts.grad(fn), ts.hessian(fn)
    x, xs, norms = x0.copy(), [x0.copy()], [float(np.linalg.norm(gradient(x0, *args)))]
    hessian(x0, *args)  # (made before the clock starts)
    start = time.perf_counter()
    while norms[-1] > tol and len(xs) <= cap:
        g = gradient(x, *args)
        d = -np.linalg.solve(hessian(x, *args), g)
        if g @ d >= 0:  # not a descent direction (the Hessian is not positive definite there)
            d = -g
        x = x + backtrack(fn, x, args, fn(x, *args), g @ d, d) * d
        xs.append(x.copy())
        norms.append(float(np.linalg.norm(gradient(x, *args))))
    return {"iterates": xs, "norms": norms, "steps": len(xs) - 1, "time": time.perf_counter() - start}


def gradient_descent(fn, x0, args, tol=TOL, cap=20000, step=None):
    """x <- x - t grad f with t = step, or by a backtracking line search (starting from twice the
    last step) when step is None: the steps taken and the gradient norm after each."""
    gradient = ts.grad(fn)
    x, t, g = x0.copy(), 1.0, gradient(x0, *args)
    start = time.perf_counter()
    norms = [float(np.linalg.norm(g))]
    steps = 0
    while norms[-1] > tol and steps < cap:
        t = step if step is not None else backtrack(fn, x, args, fn(x, *args), -(g @ g), -g, 2 * t)
        x = x - t * g
        g = gradient(x, *args)
        steps += 1
        norms.append(float(np.linalg.norm(g)))
    return {"x": x, "steps": steps, "norm": norms[-1], "norms": norms, "time": time.perf_counter() - start}


def quadratic_ratios(iterates, solution):
    """(e_k, e_(k+1), e_(k+1) / e_k^2) for Newton's steps near the solution (e_k < 0.1) whose next
    error is above rounding (1e-14 relative)."""
    errors = [float(np.linalg.norm(x - solution)) for x in iterates]
    floor = 1e-14 * max(1.0, float(np.linalg.norm(solution)))
    return [(e, f, f / e**2) for e, f in zip(errors, errors[1:]) if e < 0.1 and f > floor]


def scipy_rows(fn, x0, args, hvp, methods, tol):
    """(method, iterations, |gradient|, time, solution) for scipy.optimize.minimize's methods."""
    if scipy is None:
        return []
    gradient, rows = ts.grad(fn), []
    for method in methods:
        options = {"hessp": lambda x, v, *a: hvp(x, *a, v)} if method != "BFGS" else {}
        start = time.perf_counter()
        found = scipy.optimize.minimize(fn, x0, args=args, jac=gradient, method=method, tol=tol, **options)
        label = f"scipy {method} " + ("(grad only)" if method == "BFGS" else "(grad + hvp)")
        rows.append({"method": label, "steps": int(found.nit), "norm": float(np.linalg.norm(gradient(found.x, *args))),
                     "time": time.perf_counter() - start, "x": found.x})
    return rows


def logistic_regression(rng, cap):
    X, y = logistic_data(rng)
    w0, w = np.zeros(X.shape[1]), np.full(X.shape[1], 0.3)
    v = rng.standard_normal(X.shape[1])
    found = newton(logistic_loss, w0, (X, y))
    solution = newton(logistic_loss, found["iterates"][-1], (X, y), tol=0.0, cap=2)["iterates"][-1]
    lipschitz = np.linalg.eigvalsh(X.T @ X / X.shape[0]).max() / 4 + LAM  # of the gradient: p(1 - p) <= 1/4
    descent = gradient_descent(logistic_loss, w0, (X, y), cap=cap, step=1 / lipschitz)
    return {"name": "logistic regression", "newton": found, "solution": solution,
            "ratios": quadratic_ratios(found["iterates"], solution),
            "descent": dict(descent, method="gradient descent, step 1/L"),
            "hessian": {"by hand": relative(ts.hessian(logistic_loss)(w, X, y), logistic_hessian_by_hand(w, X)),
                        "hvp": relative(ts.hvp(logistic_loss)(w, X, y, v), logistic_hessian_by_hand(w, X) @ v),
                        **hessian_checks(logistic_loss, w, (X, y))},
            "scipy": [dict(r, target=solution) for r in scipy_rows(
                logistic_loss, w0, (X, y), ts.hvp(logistic_loss), ("trust-ncg", "Newton-CG", "BFGS"), TOL)]}


def rosenbrock_valley(rng, cap):
    x0 = np.array([-1.2, 1.0])
    found = newton(rosenbrock, x0, ())
    descent = gradient_descent(rosenbrock, x0, (), cap=cap)
    x10 = np.tile(x0, 5)
    return {"name": "Rosenbrock, n = 2", "newton": found, "solution": np.ones(2),
            "ratios": quadratic_ratios(found["iterates"], np.ones(2)),
            "descent": dict(descent, method="gradient descent, line search"),
            "hessian": {**hessian_checks(rosenbrock, x0, ()), **{
                f"{key} (n = 10)": value for key, value in
                hessian_checks(rosenbrock, x10 + 0.1 * rng.standard_normal(10), ()).items()}},
            "scipy": [dict(r, problem="Rosenbrock, n = 10", target=None if "BFGS" in r["method"] else np.ones(10))
                      for r in scipy_rows(rosenbrock, x10, (), ts.hvp(rosenbrock), ("trust-ncg", "BFGS"), 1e-12)]}


def gauss_newton(rng, steps=12):
    """A fit of a exp(-k t) cos(f t) to 40 noisy samples by Gauss-Newton steps."""
    t = np.linspace(0.0, 4.0, 40)
    truth = np.array([1.5, 0.6, 2.0])
    data = residuals(truth, t, 0.0) + 0.01 * rng.standard_normal(40)
    jacobian = ts.jacobian(residuals)
    p = np.array([1.0, 0.3, 1.8])
    for _ in range(steps):
        J, r = jacobian(p, t, data), residuals(p, t, data)
        p = p - np.linalg.solve(J.T @ J, J.T @ r)
    J, exact = jacobian(p, t, data), ts.hessian(half_squares)(p, t, data)
    return {"fit": p, "truth": truth, "steps": steps, "mode": f"{jacobian.mode} mode ({jacobian.reason})",
            "J^T J vs the exact Hessian": float(np.linalg.norm(J.T @ J - exact) / np.linalg.norm(exact)),
            "gradient vs J^T r": float(np.max(np.abs(ts.grad(half_squares)(p, t, data) - J.T @ residuals(p, t, data))))}


def through_the_optimum(rng, h=1e-6):
    """dy*/dx for y*(x) = argmin_y g(x, y), three ways."""
    x = rng.standard_normal(3)
    y_star = inner_solution(x)
    g_yy = ts.hessian(inner_objective, wrt=1)(x, y_star)
    g_yx = ts.jacobian(ts.grad(inner_objective, wrt=1), wrt=0)(x, y_star)  # d/dx of the y-gradient
    implicit = -np.linalg.solve(g_yy, g_yx)
    unrolled = ts.jacobian(inner_solution)(x)
    differences = np.stack([(inner_solution(x + h * e) - inner_solution(x - h * e)) / (2 * h) for e in np.eye(3)],
                           axis=1)
    by_hand = np.linalg.inv(A + 3.0 * np.diag(y_star**2))  # differentiate A y + y^3 = x by hand
    return {"implicit function theorem vs by hand": float(np.max(np.abs(implicit - by_hand))),
            "unrolled Newton loop vs implicit": float(np.max(np.abs(unrolled - implicit))),
            "finite differences vs implicit": float(np.max(np.abs(differences - implicit)))}


def run(descent_cap=20000):
    rng = np.random.default_rng(0)
    return {"problems": [logistic_regression(rng, descent_cap), rosenbrock_valley(rng, descent_cap)],
            "gauss-newton": gauss_newton(rng), "optimum": through_the_optimum(rng), "cap": descent_cap}


def table(results):
    lines = [f"{'problem':<20} {'method':<40} {'iterations':>10} {'|gradient|':>10} {'time ms':>8}"]
    for p in results["problems"]:
        newton_row = {"method": "Newton (ts.hessian, line search)", **p["newton"], "norm": p["newton"]["norms"][-1]}
        for r in [newton_row, p["descent"], *p["scipy"]]:
            capped = " (cap)" if r is p["descent"] and r["norm"] > TOL else ""
            lines.append(f"{r.get('problem', p['name']):<20} {r['method']:<40} {str(r['steps']) + capped:>10} "
                         f"{r['norm']:>10.1e} {r['time'] * 1e3:>8.1f}")
    for p in results["problems"]:
        lines.append(f"\nNewton on the {p['name']}: error e_k = |x_k - x*| and |gradient| at each step")
        errors = [np.linalg.norm(x - p["solution"]) for x in p["newton"]["iterates"]]
        ratios = {e: ratio for e, _, ratio in p["ratios"]}
        for k, (e, norm) in enumerate(zip(errors, p["newton"]["norms"])):
            shown = f"   e_(k+1) / e_k^2 = {ratios[e]:.2f}" if e in ratios else ""
            lines.append(f"  k = {k:>2}   e_k = {e:8.1e}   |gradient| = {norm:8.1e}{shown}")
        lines.append("  the Hessian: " + ", ".join(f"{key} {value:.1e}" for key, value in p["hessian"].items()))
    gn = results["gauss-newton"]
    lines.append(f"\nGauss-Newton, {gn['steps']} steps: a, k, f = {np.round(gn['fit'], 4)} (truth {gn['truth']}); "
                 f"the Jacobian by {gn['mode']}")
    lines += [f"  {key}: {value:.1e}" for key, value in gn.items() if isinstance(value, float)]
    lines.append("dy*/dx for y*(x) = argmin_y 1/2 y^T A y - x . y + 1/4 sum y^4:")
    lines += [f"  {key}: {value:.1e}" for key, value in results["optimum"].items()]
    return "\n".join(lines)


def check(results):
    """The claims of the module docstring, on the numbers."""
    for p in results["problems"]:
        name, hessian = p["name"], p["hessian"]
        for key, value in hessian.items():
            bound = {"by hand": 1e-12, "hvp": 1e-12, "asymmetry": 1e-10}.get(key.split(" (")[0], 1e-6)
            assert value <= bound, f"{name}: the Hessian's {key} is {value:.1e}, above {bound:.0e}"
        newton_steps = p["newton"]["steps"]
        assert p["newton"]["norms"][-1] <= TOL, f"{name}: Newton stopped at |gradient| {p['newton']['norms'][-1]:.1e}"
        assert len(p["ratios"]) >= 2, f"{name}: fewer than two Newton steps near the solution: {p['ratios']}"
        worst = max(ratio for _, _, ratio in p["ratios"])
        assert worst < 100, f"{name}: e_(k+1) / e_k^2 reaches {worst:.1f}: not quadratic convergence"
        last_error, next_error, _ = p["ratios"][-1]
        assert -np.log10(next_error) >= 1.5 * -np.log10(last_error), (
            f"{name}: the last step went from {last_error:.1e} to {next_error:.1e}, its digits did not double")
        descent = p["descent"]
        assert descent["steps"] >= 20 * newton_steps, (
            f"{name}: gradient descent took {descent['steps']} steps, Newton {newton_steps}: not 20 times as many")
        assert descent["norm"] <= TOL or descent["steps"] == results["cap"], f"{name}: gradient descent stopped early"
        for r in p["scipy"]:  # (from its start BFGS on Rosenbrock, n = 10, may stop at the local minimum
            if r["target"] is not None:  # near x[0] = -1: no target)
                assert relative(r["x"], r["target"]) < 1e-5, f"{name}: {r['method']} found {r['x']}"
    assert results["problems"][0]["descent"]["norm"] <= TOL, "gradient descent did not fit the logistic regression"
    gn = results["gauss-newton"]
    assert gn["J^T J vs the exact Hessian"] < 0.05, f"Gauss-Newton: J^T J is {gn['J^T J vs the exact Hessian']:.1e} off"
    assert gn["gradient vs J^T r"] < 1e-12, f"Gauss-Newton: grad 0.5 |r|^2 is {gn['gradient vs J^T r']:.1e} from J^T r"
    for key, bound in (("implicit function theorem vs by hand", 1e-12), ("unrolled Newton loop vs implicit", 1e-10),
                       ("finite differences vs implicit", 1e-7)):
        assert results["optimum"][key] <= bound, f"dy*/dx: {key} {results['optimum'][key]:.1e}, above {bound:.0e}"


def plot(results, path="hessian_newton.png"):
    plt = pyplot()
    if plt is None:
        return False
    problems = results["problems"]
    fig, axes = plt.subplots(1, len(problems), figsize=(6 * len(problems), 4))
    for ax, p in zip(axes, problems):
        ax.plot(np.maximum(p["newton"]["norms"], 1e-17), "o-", label=f"Newton ({p['newton']['steps']} steps)")
        ax.plot(np.maximum(p["descent"]["norms"], 1e-17), "-", label=f"{p['descent']['method']} "
                f"({p['descent']['steps']} steps)")
        ax.axhline(TOL, color="gray", lw=0.8, ls=":")
        ax.set(xscale="symlog", yscale="log", xlabel="iteration (linear up to 1, then log)", ylabel="|gradient|",
               title=p["name"])
        ax.set_xlim(left=0)
        ax.legend(fontsize=8)
    return save(fig, path)


def main():
    return experiment(run(), table, plot, check, "hessian_newton")


if __name__ == "__main__":
    sys.exit(main())
