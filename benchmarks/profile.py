"""`python -m benchmarks.profile WORKLOAD [--mode grad|jvp]`: where the generated derivative spends its time.

Prints the generated code with, beside each line, the share of the run time it took and
its time per call (`ts.profile`, the library's line profiler, over many traced calls: a
line's time includes what it calls), so the costly lines of the emitted code stand out.
"""

from __future__ import annotations

import argparse

import numpy as np

import tangent_src as ts

from .workloads import BY_NAME, arguments


def profile(name: str, mode: str = "grad", calls: int = 200) -> str:
    """The table of `calls` traced calls of the workload's derivative, after 5 untraced ones (warm-up)."""
    workload = BY_NAME[name]
    args = arguments(workload)
    derivative = ts.grad(workload.function) if mode == "grad" else ts.jvp(workload.function)
    if mode == "jvp":
        rng = np.random.default_rng(1)
        tangent = tuple(rng.standard_normal(np.shape(a)) for a in args[0]) if isinstance(args[0], tuple) \
            else rng.standard_normal(np.shape(args[0]))
        args = args + (tangent,)
    for _ in range(5):
        derivative(*args)
    profiles = [ts.profile(derivative, *args) for _ in range(max(calls, 1))]
    total = sum(p.total for p in profiles)
    rows = [f"{profiles[0].name}: {total / len(profiles) * 1e6:,.1f} us per call (instrumented)"]
    first = next(k for k, line in enumerate(profiles[0].lines) if line.hits)  # (after the def and its docstring)
    for k, line in enumerate(profiles[0].lines[first:], first):
        seconds = sum(p.lines[k].time for p in profiles)
        share = f"{seconds / total:6.1%}" if seconds else "      "
        rows.append(f"{share} {seconds / len(profiles) * 1e6:9.1f} us  {line.source}".rstrip())
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=sorted(BY_NAME))
    parser.add_argument("--mode", choices=("grad", "jvp"), default="grad")
    parser.add_argument("--calls", type=int, default=200)
    options = parser.parse_args()
    print(profile(options.workload, options.mode, options.calls))


if __name__ == "__main__":
    main()
