"""Second derivatives and Jacobians: what composing the transforms costs (part of `python -m benchmarks`).

- hvp / gradient: a Hessian-vector product (forward mode over the generated gradient) against one
  gradient, on the logistic regression, the MLP and the Rosenbrock loop of workloads.py;
- the Hessian of an n = 100 function by vector forward mode (all directions in one sweep) against
  n separate hvp calls;
- a 100-column Jacobian of an elementwise-heavy function by vector forward mode against 100
  separate jvp calls;
- ts.jacobian(mode="auto") against the mode it did not choose, on a 3 x 60 and a 60 x 3 function.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

import tangent_src as ts

from .timing import interleaved, medians, paired_ratio
from .workloads import WORKLOADS, arguments

TARGET_HVP = 3.0  # an hvp within 3x of a gradient
TARGET_VECTOR = 1 / 3  # 100 directions in one vector sweep: at most a third of 100 jvp calls


def elementwise_heavy(x):
    """n -> n, elementwise: the kind of function vector mode carries all directions through at once."""
    y = np.tanh(x) * x**2 + np.log1p(x**2)
    z = np.exp(-0.5 * y * y) + np.sin(3.0 * x) * y
    return z * np.cos(x) + 0.1 * x**3


def coupled_scalar(x):
    """R^n -> R: elementwise terms plus a chain coupling neighbours (a banded Hessian)."""
    d = x[1:] - x[:-1] ** 2
    return np.sum(np.tanh(x) * x**2) + np.sum(100.0 * d * d) + np.sum(np.log1p(x**2))


def wide(x):
    """60 inputs -> 3 outputs: reverse mode (3 sweeps) is the cheap way."""
    return np.stack([np.sum(np.sin(x) * x), np.sum(np.tanh(x) ** 2), np.sum(np.exp(-x * x))])


def tall(x):
    """3 inputs -> 60 outputs: forward mode (3 sweeps) is the cheap way."""
    t = np.linspace(0.0, 1.0, 60)
    return x[0] * np.exp(-x[1] * t) * np.cos(x[2] * t)


@dataclass
class HigherResults:
    rows: list[tuple[str, str, float]] = field(default_factory=list)  # (what, detail, ratio)
    checks: list[tuple[str, bool, str]] = field(default_factory=list)


def _time(candidates: dict[str, Callable[[], Any]], quick: bool) -> dict[str, list[float]]:
    return interleaved(candidates, rounds=8 if quick else 20, min_rounds=3 if quick else 5,
                       budget_seconds=1.5 if quick else 4.0)


def measure_higher(quick: bool) -> HigherResults:
    out = HigherResults()
    rng = np.random.default_rng(0)
    for workload in [w for w in WORKLOADS if w.name in ("logistic", "mlp", "rosenbrock")]:
        args = arguments(workload, small=quick)
        v = _like(args[0], rng)
        gradient, hvp = ts.grad(workload.function), ts.hvp(workload.function)
        samples = _time({"grad": lambda g=gradient, a=args: g(*a), "hvp": lambda h=hvp, a=args, v=v: h(*a, v)}, quick)
        ratio = paired_ratio(samples, "hvp", "grad")
        out.rows.append((f"hvp / grad, {workload.name}", f"{medians(samples)['hvp'] * 1e6:.0f} us", ratio))
        out.checks.append((f"hvp within {TARGET_HVP:g}x of the gradient ({workload.name})", ratio <= TARGET_HVP,
                           f"{ratio:.2f}x"))
    x = rng.standard_normal(100)
    hessian, hvp = ts.hessian(coupled_scalar), ts.hvp(coupled_scalar)
    basis = list(np.eye(100))
    np.testing.assert_allclose(hessian(x), np.stack([hvp(x, e) for e in basis], axis=1), rtol=1e-9, atol=1e-9)
    samples = _time({"vector": lambda: hessian(x), "hvps": lambda: [hvp(x, e) for e in basis]}, quick)
    ratio = paired_ratio(samples, "vector", "hvps")
    out.rows.append(("hessian n = 100: vector mode / 100 hvp calls", f"{medians(samples)['vector'] * 1e3:.1f} ms",
                     ratio))
    jvp, jacobian = ts.jvp(elementwise_heavy), ts.jacfwd(elementwise_heavy)
    samples = _time({"vector": lambda: jacobian(x), "jvps": lambda: [jvp(x, e) for e in basis]}, quick)
    ratio = paired_ratio(samples, "vector", "jvps")
    out.rows.append(("jacobian 100 x 100, elementwise: vector mode / 100 jvp calls",
                     f"{medians(samples)['vector'] * 1e3:.2f} ms", ratio))
    out.checks.append(("a 100-column Jacobian by vector mode within a third of 100 jvp calls",
                       ratio <= TARGET_VECTOR, f"{ratio:.2f}x"))
    for name, fn, point in (("3 x 60", wide, rng.standard_normal(60)), ("60 x 3", tall, np.array([1.0, 0.5, 2.0]))):
        auto = ts.jacobian(fn)
        auto(point)
        wrong = "forward" if auto.mode == "reverse" else "reverse"
        other = ts.jacobian(fn, mode=wrong)
        samples = _time({"auto": lambda f=auto, p=point: f(p), "wrong": lambda f=other, p=point: f(p)}, quick)
        ratio = paired_ratio(samples, "auto", "wrong")
        out.rows.append((f"jacobian {name}: auto ({auto.mode}) / {wrong}", auto.reason or "", ratio))
        out.checks.append((f"jacobian {name}: mode='auto' no slower than the other mode", ratio <= 1.05,
                           f"{ratio:.2f}x, chose {auto.mode}"))
    return out


def table(results: HigherResults) -> str:
    lines = ["| second order | detail | ratio |", "|---|---|---|"]
    lines += [f"| {what} | {detail} | {ratio:.2f}x |" for what, detail, ratio in results.rows]
    return "\n".join(lines)


def _like(x: Any, rng: np.random.Generator) -> Any:
    if isinstance(x, (tuple, list)):
        return type(x)(_like(v, rng) for v in x)
    return rng.standard_normal(np.shape(x))
