"""Checkpointed loops: memory and time against the full tape (part of `python -m benchmarks`).

The programs are examples/checkpointing.py's: a tanh RNN of T = 1000 steps and a leapfrog
integrator of 2000 steps. For each, the generated gradient with the full tape, with snapshots every
ceil(sqrt(T)) steps, and with binomial checkpointing of 10 snapshots: peak memory (tracemalloc, in
a run of its own) and time (interleaved rounds), each as a ratio to the full tape's, and the loop
body's runs. Targets (issue 13): checkpoint=10 keeps at most 15% of the full tape's peak memory in
at most 4x its time, with the same gradient.
"""

from __future__ import annotations

import importlib.util
import pathlib
from dataclasses import dataclass, field

import numpy as np

import tangent_src as ts

from .timing import interleaved, medians, paired_ratio

TARGET_MEMORY = 0.15
TARGET_TIME = 4.0
CASES = (("rnn", 1000), ("leapfrog", 2000))


def _example():
    path = pathlib.Path(__file__).resolve().parent.parent / "examples" / "checkpointing.py"
    spec = importlib.util.spec_from_file_location("checkpointing_example", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@dataclass
class CheckpointResults:
    rows: list[tuple[str, int, str, int, float, float, float]] = field(default_factory=list)
    # (program, T, schedule, body runs, peak KiB, memory ratio, time ratio)
    checks: list[tuple[str, bool, str]] = field(default_factory=list)


def measure_checkpointing(quick: bool) -> CheckpointResults:
    example = _example()
    out = CheckpointResults()
    rng = np.random.default_rng(0)
    for name, steps in CASES:
        fn, wrt, args = example.program(name, steps, rng)
        gradients = {"full": ts.grad(fn, wrt), "sqrt": ts.grad(fn, wrt, checkpoint="sqrt"),
                     "s=10": ts.grad(fn, wrt, checkpoint=10)}
        full = gradients["full"](*args)
        for gradient in gradients.values():
            for found, expected in zip(gradient(*args), full):
                np.testing.assert_allclose(found, expected, rtol=1e-12, atol=0)
        memory = {k: example.peak_memory(g, *args) for k, g in gradients.items()}
        samples = interleaved({k: (lambda g=g, a=args: g(*a)) for k, g in gradients.items()},
                              rounds=5 if quick else 15, min_rounds=3, budget_seconds=2.0 if quick else 6.0)
        for schedule in gradients:
            runs = example.runs({"full": "full", "sqrt": "sqrt", "s=10": 10}[schedule], steps)
            time_ratio = 1.0 if schedule == "full" else paired_ratio(samples, schedule, "full")
            out.rows.append((name, steps, schedule, runs, memory[schedule] / 1024, memory[schedule] / memory["full"],
                             time_ratio))
        ratio, time_ratio = memory["s=10"] / memory["full"], paired_ratio(samples, "s=10", "full")
        out.checks.append((f"checkpoint=10 keeps at most {TARGET_MEMORY:.0%} of the full tape's memory ({name}, "
                           f"T = {steps})", ratio <= TARGET_MEMORY, f"{ratio:.1%}"))
        out.checks.append((f"checkpoint=10 within {TARGET_TIME:g}x of the full tape's time ({name}, T = {steps})",
                           time_ratio <= TARGET_TIME, f"{time_ratio:.2f}x, {medians(samples)['s=10'] * 1e3:.0f} ms"))
    return out


def table(results: CheckpointResults) -> str:
    lines = ["| checkpointing | T | schedule | body runs | peak memory | memory / full tape | time / full tape |",
             "|---|---|---|---|---|---|---|"]
    lines += [f"| {name} | {steps} | {schedule} | {runs} | {kib:.0f} KiB | {memory:.1%} | {time:.2f}x |"
              for name, steps, schedule, runs, kib, memory, time in results.rows]
    return "\n".join(lines)
