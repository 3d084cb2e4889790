"""Gradient checking: the error of a finite difference against its step h, for every scheme.

The course text (section 8, "Gradient checking") compares a generated gradient with the central
difference (f(x + h) - f(x - h)) / 2h. How good that check is depends on h, and the error has two
parts that pull in opposite directions:

- truncation: the Taylor terms a scheme drops. A scheme of order p leaves C h^p, so on a log-log
  plot the error falls as a line of slope p while h is large (forward differences p = 1, central
  p = 2, five-point and Richardson's extrapolation p = 4);
- rounding: f(x + h) and f(x) agree in their leading digits, and subtracting them leaves the
  rounding error of f, about eps |f|, divided by h: a line of slope -1 that grows as h falls
  (catastrophic cancellation, in the course's words).

Their sum is a V, least where C h^p = eps / h, at h* ~ eps^(1/(p+1)): the default steps that
tangent_src.differences.SCHEMES gives (1.5e-8 forward, 6e-6 central, 7e-4 five-point). The
course's "h ~ sqrt(eps)" is forward differences' step; used with central differences it sits on
the rounding side of the V and loses about three digits (the table shows it). The complex step,
Im f(x + i h) / h, subtracts nothing, so it has no rounding branch: its error falls as h^2 until
it reaches eps and stays there down to h = 1e-20 and below.

The function is f(x) = exp(sin(x)), whose derivative cos(x) exp(sin(x)) is known by hand. Each
error is the median over nine points x in [0.3, 0.9] (|x| < 1, so the relative step is h itself),
which smooths the rounding branch (a single x can be lucky at one h). The script also checks
ts.grad of f against the hand derivative, and runs ts.check_grad with each scheme's default step.

It prints a table (error against h, one column per scheme) and the fitted slopes, saves
gradient_check.png when matplotlib is installed, and exits non-zero if the numbers do not show
what the course says.

Run: python examples/gradient_check.py
"""

from __future__ import annotations

import math
import sys

import numpy as np

import tangent_src as ts
from walkthrough import experiment, pyplot, save
from tangent_src.differences import SCHEMES, derivative

EPS = float(np.finfo(np.float64).eps)
POINTS = np.linspace(0.3, 0.9, 9)  # where the derivative is estimated (the median error is reported)
ORDERS = {"forward": 1, "central": 2, "five-point": 4, "richardson": 4, "complex-step": 2}
# h at which truncation still dominates (error well above eps / h): where each slope is fitted
TRUNCATION_SIDE = {"forward": (1e-5, 1e-1), "central": (1e-3, 1e-1), "five-point": (1e-2, 1e-1),
                   "richardson": (1e-2, 1e-1), "complex-step": (1e-4, 1e-1)}
ROUNDING_SIDE = (1e-15, 1e-10)  # where forward and central differences are all rounding error


def f(x):
    return np.exp(np.sin(x))


def df_by_hand(x):
    return np.cos(x) * np.exp(np.sin(x))


def median_error(scheme: str, h: float) -> float:
    """The median over POINTS of |estimate - f'(x)| / |f'(x)| with step h."""
    errors = [abs(derivative(f, float(x), scheme, step=h) - df_by_hand(x)) / abs(df_by_hand(x)) for x in POINTS]
    return float(np.median(errors))


def slope(steps: np.ndarray, errors: np.ndarray, low: float, high: float) -> float:
    """The least-squares slope of log10(error) against log10(h) for low <= h <= high."""
    chosen = (steps >= low * (1 - 1e-9)) & (steps <= high * (1 + 1e-9)) & (errors > 0)
    return float(np.polyfit(np.log10(steps[chosen]), np.log10(errors[chosen]), 1)[0])


def run(quick: bool = False) -> dict:
    """Errors of every scheme on a grid of h from 1e-1 to 1e-16 (to 1e-20 for the complex step)."""
    per_decade = 2 if quick else 4
    steps = np.logspace(-1, -16, 15 * per_decade + 1)
    tiny = np.logspace(-17, -20, 3 * per_decade + 1)  # the complex step only: no subtraction, no V
    errors = {s: np.array([median_error(s, h) for h in steps]) for s in SCHEMES}
    complex_tiny = np.array([median_error("complex-step", h) for h in tiny])
    results = {"steps": steps, "errors": errors, "tiny steps": tiny, "complex tiny": complex_tiny,
               "truncation slope": {}, "rounding slope": {}, "best step": {}, "at default": {}}
    for s in SCHEMES:
        results["truncation slope"][s] = slope(steps, errors[s], *TRUNCATION_SIDE[s])
        results["best step"][s] = float(steps[np.argmin(errors[s])])
        results["at default"][s] = median_error(s, SCHEMES[s])
    for s in ("forward", "central"):
        results["rounding slope"][s] = slope(steps, errors[s], *ROUNDING_SIDE)
    results["central at sqrt(eps)"] = median_error("central", math.sqrt(EPS))
    x = 0.7
    results["grad error"] = abs(float(ts.grad(f)(x)) - df_by_hand(x)) / abs(df_by_hand(x))
    results["check_grad"] = {s: ts.check_grad(f, (x,), scheme=s) for s in SCHEMES}
    return results


def table(results: dict) -> str:
    names = list(SCHEMES)
    lines = ["relative error of f'(x) for f = exp(sin(x)), median over x in [0.3, 0.9]",
             f"{'h':>9} " + " ".join(f"{s:>12}" for s in names)]
    for k, h in enumerate(results["steps"]):
        lines.append(f"{h:>9.1e} " + " ".join(f"{results['errors'][s][k]:>12.1e}" for s in names))
    for h, e in zip(results["tiny steps"][1:], results["complex tiny"][1:]):
        lines.append(f"{h:>9.1e} " + " ".join(f"{'':>12}" for _ in names[:-1]) + f" {e:>12.1e}")
    lines.append("")
    lines.append(f"{'scheme':<13} {'order':>5} {'slope':>6} {'(rounding)':>10} {'default h':>9} {'best h':>8} "
                 f"{'error at default':>16} {'check_grad':>10}")
    for s in names:
        rounding = results["rounding slope"].get(s)
        lines.append(f"{s:<13} {ORDERS[s]:>5} {results['truncation slope'][s]:>6.2f} "
                     f"{'' if rounding is None else f'{rounding:.2f}':>10} {SCHEMES[s]:>9.1e} "
                     f"{results['best step'][s]:>8.1e} {results['at default'][s]:>16.1e} "
                     f"{results['check_grad'][s]:>10.1e}")
    lines.append(f"\ncentral differences at the course's h = sqrt(eps) = {math.sqrt(EPS):.1e}: error "
                 f"{results['central at sqrt(eps)']:.1e} (at eps^(1/3): {results['at default']['central']:.1e})")
    lines.append(f"ts.grad(f)(0.7) against the hand derivative: relative error {results['grad error']:.1e}")
    return "\n".join(lines)


def check(results: dict) -> None:
    """The course's claims, as assertions on the measured numbers."""
    for s in SCHEMES:
        measured = results["truncation slope"][s]
        assert abs(measured - ORDERS[s]) < 0.5, f"{s}: truncation slope {measured:.2f}, order {ORDERS[s]}"
    for s, measured in results["rounding slope"].items():
        assert -1.5 < measured < -0.5, f"{s}: rounding slope {measured:.2f}, eps / h says -1"
    for s in ("forward", "central", "five-point", "richardson"):
        decades = abs(math.log10(results["best step"][s] / SCHEMES[s]))
        assert decades <= 2, f"{s}: best h {results['best step'][s]:.1e}, default {SCHEMES[s]:.1e}"
        assert results["at default"][s] <= 10 * min(results["errors"][s]), f"{s}: the default step is far off"
    assert results["at default"]["central"] < 1e-9 and results["at default"]["forward"] < 1e-6
    assert results["central at sqrt(eps)"] > 30 * results["at default"]["central"], "sqrt(eps) is not worse"
    assert results["complex tiny"][-1] < 1e-14, f"complex step at 1e-20: {results['complex tiny'][-1]:.1e}"
    assert max(results["complex tiny"]) < 1e-14, "the complex step has a rounding branch"
    assert results["grad error"] < 1e-15, f"ts.grad against the hand derivative: {results['grad error']:.1e}"
    for s, error in results["check_grad"].items():
        assert error < 1e-6, f"check_grad with {s}: {error:.1e}"


def plot(results: dict, path: str = "gradient_check.png") -> bool:
    plt = pyplot()
    if plt is None:
        return False
    fig, ax = plt.subplots(figsize=(8, 5.5))
    floor = EPS / 10  # an error of exactly zero drawn at the bottom
    for s in SCHEMES:
        steps, errors = results["steps"], results["errors"][s]
        if s == "complex-step":
            steps = np.concatenate([steps, results["tiny steps"][1:]])
            errors = np.concatenate([errors, results["complex tiny"][1:]])
        line, = ax.plot(steps, np.maximum(errors, floor), ".-", label=f"{s} (order {ORDERS[s]})")
        ax.axvline(SCHEMES[s], color=line.get_color(), ls=":", alpha=0.6)
    ax.plot(results["steps"], EPS / results["steps"], "k--", alpha=0.4, label="eps / h")
    ax.set(xscale="log", yscale="log", xlabel="step h", ylabel="relative error of f'(x)",
           title="f = exp(sin x): truncation (slope p) against rounding (slope -1); dotted: default h")
    ax.invert_xaxis()
    ax.legend(fontsize=8)
    return save(fig, path)


def main() -> int:
    return experiment(run(), table, plot, check, "gradient_check")


if __name__ == "__main__":
    sys.exit(main())
