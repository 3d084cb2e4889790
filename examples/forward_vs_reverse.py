"""Forward against reverse mode for a full Jacobian: n sweeps against m sweeps.

The course text (section 6, Theorem 6.1) counts the passes that give every partial derivative of
f: R^n -> R^m. Forward mode carries one tangent (a direction in the n inputs) through the
program, and one sweep gives one column J e_j, so the Jacobian takes n sweeps; reverse mode pulls
one cotangent (a direction in the m outputs) back, and one sweep gives one row u^T J, so it takes
m sweeps. Each sweep costs a small multiple of f itself, so forward mode's time grows as n, reverse
mode's as m, and the two cross where n ~ m (where exactly depends on the ratio of a vjp's cost to
a jvp's). Training a network is the case m = 1 (one loss) and n huge: reverse mode, backprop.
(The course's "efficient for n inputs, 1 output (n << m)" under forward mode has its symbols the
wrong way round: forward mode is for few inputs, n << m, as its "When to use" section says.)

This script measures it for an MLP-like function x -> W3 tanh(W2 tanh(W1 x)), hidden width 64,
first with the width of the output fixed (m = 32) and n varied, then n = 32 and m varied:

- forward: n calls of ts.jvp(f), one unit tangent each (the theorem's n sweeps);
- reverse: m calls of ts.vjp(f), one unit cotangent each (m sweeps);

counting the sweeps and timing them (best of several repeats of time.perf_counter; the sizes are
small so that the 2-core machine's noise and BLAS threads matter little). It also runs
ts.jacobian(f, mode=...) as a user would: mode="reverse" makes the same m sweeps; mode="forward" is
*vector* forward mode (Tapenade's -vector), which carries up to 128 tangents through one sweep, so
its time grows with n much more slowly than n separate sweeps; mode="auto" chooses by n against m
where one is at least four times the other, and otherwise by timing one jvp and one vjp (its
choice, .mode, and its .reason are printed; timed on the second call, after the code is made). All
Jacobians are checked against each other and against central differences.

It prints a table, saves forward_vs_reverse.png when matplotlib is installed, and exits non-zero if
the numbers do not show what the theorem says.

Run: python examples/forward_vs_reverse.py
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np

import tangent_src as ts
from walkthrough import experiment, pyplot, save

HIDDEN = 64
FIXED = 32  # the width held fixed while the other one varies
WIDTHS = (2, 4, 8, 16, 32, 64, 128)


def net(x, W1, W2, W3):
    """An MLP-like map R^n -> R^m: two tanh layers of width HIDDEN, then a linear layer."""
    h = np.tanh(W1 @ x)
    h = np.tanh(W2 @ h)
    return W3 @ h


def arguments(n: int, m: int, rng: np.random.Generator) -> tuple:
    return (rng.standard_normal(n), rng.standard_normal((HIDDEN, n)) / math.sqrt(n),
            rng.standard_normal((HIDDEN, HIDDEN)) / math.sqrt(HIDDEN),
            rng.standard_normal((m, HIDDEN)) / math.sqrt(HIDDEN))


def by_forward_sweeps(args: tuple) -> tuple[np.ndarray, int]:
    """J from n jvp sweeps, column j along the unit tangent e_j; the number of sweeps."""
    jvp = ts.jvp(net)
    x = args[0]
    columns = [jvp(*args, e)[1] for e in np.eye(x.size)]
    return np.stack(columns, axis=1), len(columns)


def by_reverse_sweeps(args: tuple, m: int) -> tuple[np.ndarray, int]:
    """J from m vjp sweeps, row i pulled back from the unit cotangent e_i; the number of sweeps."""
    vjp = ts.vjp(net)
    rows = [vjp(*args, u) for u in np.eye(m)]
    return np.stack(rows, axis=0), len(rows)


def best_time(run, repeat: int) -> float:
    run()  # the first call makes the code for these shapes
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def by_differences(args: tuple, h: float = 1e-6) -> np.ndarray:
    x = args[0]
    return np.stack([(net(x + h * e, *args[1:]) - net(x - h * e, *args[1:])) / (2 * h) for e in np.eye(x.size)],
                    axis=1)


def measure(n: int, m: int, rng: np.random.Generator, repeat: int) -> dict:
    """Sweeps, times and the auto choice for one (n, m), the Jacobians checked."""
    args = arguments(n, m, rng)
    forward, columns = by_forward_sweeps(args)
    reverse, rows = by_reverse_sweeps(args, m)
    auto = ts.jacobian(net, mode="auto")
    auto(*args)  # the first call times the code's generation too: its choice is not the one shown
    by_auto = auto(*args)
    vector = ts.jacobian(net, mode="forward")(*args)
    library_reverse = ts.jacobian(net, mode="reverse")(*args)
    differences = by_differences(args)
    return {
        "n": n, "m": m, "forward sweeps": columns, "reverse sweeps": rows,
        "forward": best_time(lambda: by_forward_sweeps(args), repeat),
        "reverse": best_time(lambda: by_reverse_sweeps(args, m), repeat),
        "vector forward": best_time(lambda: ts.jacobian(net, mode="forward")(*args), repeat),
        "jacobian reverse": best_time(lambda: ts.jacobian(net, mode="reverse")(*args), repeat),
        "auto mode": auto.mode, "auto reason": auto.reason,
        "disagreement": max(float(np.max(np.abs(J - forward))) for J in (reverse, vector, library_reverse, by_auto)),
        "fd error": float(np.max(np.abs(forward - differences))),
    }


def crossover(rows: list[dict], varied: str) -> float:
    """Where forward and reverse time are equal, by log-linear interpolation of their ratio."""
    ratio = [(r[varied], math.log(r["forward"] / r["reverse"])) for r in rows]
    for (a, ra), (b, rb) in zip(ratio, ratio[1:]):
        if ra <= 0 < rb or rb <= 0 < ra:
            return math.exp(math.log(a) + (math.log(b) - math.log(a)) * (0 - ra) / (rb - ra))
    return float("nan")


def run(quick: bool = False) -> dict:
    rng = np.random.default_rng(0)
    widths = (2, 8, 32, 128) if quick else WIDTHS
    repeat = 3 if quick else 7
    vary_n = [measure(w, FIXED, rng, repeat) for w in widths]
    vary_m = [measure(FIXED, w, rng, repeat) for w in widths]
    extremes = [measure(2, 128, rng, repeat), measure(128, 2, rng, repeat)]
    return {"vary n": vary_n, "vary m": vary_m, "extremes": extremes,
            "crossover n": crossover(vary_n, "n"), "crossover m": crossover(vary_m, "m")}


def table(results: dict) -> str:
    lines = [f"{'n':>4} {'m':>4} {'jvp sweeps':>10} {'ms':>7} {'vjp sweeps':>10} {'ms':>7} {'fwd/rev':>7} "
             f"{'vector fwd ms':>13} {'jacobian rev ms':>15} {'|J diff|':>8} {'|J - fd|':>8}  auto"]
    for part in ("vary n", "vary m", "extremes"):
        for r in results[part]:
            lines.append(f"{r['n']:>4} {r['m']:>4} {r['forward sweeps']:>10} {r['forward'] * 1e3:>7.2f} "
                         f"{r['reverse sweeps']:>10} {r['reverse'] * 1e3:>7.2f} {r['forward'] / r['reverse']:>7.2f} "
                         f"{r['vector forward'] * 1e3:>13.2f} {r['jacobian reverse'] * 1e3:>15.2f} "
                         f"{r['disagreement']:>8.0e} {r['fd error']:>8.0e}  {r['auto mode']} ({r['auto reason']})")
        lines.append("")
    lines.append(f"forward and reverse take equal time at n = {results['crossover n']:.1f} for m = {FIXED}, "
                 f"and at m = {results['crossover m']:.1f} for n = {FIXED}")
    return "\n".join(lines)


def growth(rows: list[dict], key: str, varied: str) -> float:
    """The log-log slope of a time against the varied width (1: proportional)."""
    return float(np.polyfit(np.log([r[varied] for r in rows]), np.log([r[key] for r in rows]), 1)[0])


def check(results: dict) -> None:
    """Theorem 6.1 in the measured numbers, with margins a noisy 2-core machine keeps."""
    for r in results["vary n"] + results["vary m"] + results["extremes"]:
        assert r["forward sweeps"] == r["n"] and r["reverse sweeps"] == r["m"], r
        assert r["disagreement"] < 1e-12, f"the Jacobians of the modes differ by {r['disagreement']:.1e}"
        assert r["fd error"] < 1e-7, f"the Jacobian is {r['fd error']:.1e} from central differences"
        if max(r["n"], r["m"]) >= 4 * min(r["n"], r["m"]):
            expected = "forward" if r["n"] < r["m"] else "reverse"
            assert r["auto mode"] == expected, f"auto chose {r['auto mode']} for n={r['n']}, m={r['m']}"
    few_inputs, few_outputs = results["extremes"]
    assert few_inputs["forward"] * 5 < few_inputs["reverse"], "n=2, m=128: forward is not much faster"
    assert few_outputs["reverse"] * 5 < few_outputs["forward"], "n=128, m=2: reverse is not much faster"
    for name in ("crossover n", "crossover m"):
        assert FIXED / 4 <= results[name] <= FIXED * 4, f"{name} at {results[name]:.1f}, not near {FIXED}"
    assert 0.6 < growth(results["vary n"], "forward", "n") < 1.3, "forward time is not proportional to n"
    assert 0.6 < growth(results["vary m"], "reverse", "m") < 1.3, "reverse time is not proportional to m"
    assert growth(results["vary n"], "reverse", "n") < 0.3, "reverse time grows with n"
    assert growth(results["vary m"], "forward", "m") < 0.3, "forward time grows with m"


def plot(results: dict, path: str = "forward_vs_reverse.png") -> bool:
    plt = pyplot()
    if plt is None:
        return False
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for ax, part, varied, fixed in ((axes[0], "vary n", "n", "m"), (axes[1], "vary m", "m", "n")):
        rows = results[part]
        widths = [r[varied] for r in rows]
        for key, label in (("forward", "n jvp sweeps"), ("reverse", "m vjp sweeps"),
                           ("vector forward", "jacobian(mode='forward'): vector forward mode")):
            ax.plot(widths, [r[key] * 1e3 for r in rows], "o-", label=label)
        ax.axvline(FIXED, color="gray", ls=":")
        ax.set(xscale="log", yscale="log", xlabel=varied, ylabel="Jacobian time (ms)",
               title=f"{fixed} = {FIXED}, {varied} varied")
        ax.legend(fontsize=8)
    return save(fig, path)


def main() -> int:
    return experiment(run(), table, plot, check, "forward_vs_reverse")


if __name__ == "__main__":
    sys.exit(main())
