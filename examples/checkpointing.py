"""Memory against time for reverse mode's loops: the full tape, sqrt(T) snapshots, binomial checkpointing.

The course text (section 7) says what reverse mode stores: every intermediate the backward pass
reads, O(L x batch x width) for a network of L layers, and for a loop of T steps every step's
values. Gradient checkpointing (its Algorithm 7.1) keeps some states only and computes the others
again during the backward pass. tangent_src does it for a loop when asked:

    ts.grad(rnn, wrt, checkpoint=10)       # at most 10 snapshots: binomial checkpointing (revolve)
    ts.grad(rnn, wrt, checkpoint="sqrt")   # a snapshot every ceil(sqrt(T)) steps

or for one loop, with `# tangent_src: checkpoint(snapshots=10)` on the line before it.

This script measures, for a tanh RNN and a leapfrog (velocity Verlet) integrator, the peak memory
(tracemalloc) and the time of the gradient against the number of steps T, for the three schedules,
and puts the theory beside each measurement:

- memory: the full tape holds T records; sqrt holds about sqrt(T) snapshots and sqrt(T) records;
  binomial with s snapshots holds s snapshots and one record, whatever T. The model
  M = M0 + R (records) + S (snapshots) is calibrated on the full tape's peaks at the shortest and
  the longest T (R, M0) and on `ts.memory`'s report of the snapshots (S); the other schedules'
  memory is then predicted.
- time: the loop body runs T times with the full tape; 2T - (the last segment) times with sqrt;
  T + t T - beta(s + 1, t - 1) times with binomial checkpointing, where beta(s, t) = C(s + t, s) and
  t is the least number with beta(s, t) >= T (Griewank and Walther: the fewest possible). With f
  the time of one forward step (from the function itself) and r that of one reverse step (from
  the full-tape gradient), the predicted time is runs * f + T * r. (A step run inside the
  gradient also builds its record, which the function itself does not: the measured times of
  the schedules that run steps again sit somewhat above the line.)

It prints a table and, when matplotlib is installed, saves checkpointing.png (memory and time
against T, measured points on the theory's lines).

Run: python examples/checkpointing.py [--steps 100,300,1000,3000] [--snapshots 10]
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc

import numpy as np

import tangent_src as ts
from tangent_src.runtime.checkpoint import extra_steps


def rnn(W, U, b, xs, h0):
    """A batched tanh RNN over xs (T, D, B), the loss the sum of the squared states."""
    h = h0
    loss = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t] + b)
        loss = loss + np.sum(h ** 2)
    return loss


def force(q, k):
    return -k * np.sin(q)


def leapfrog_energy(q0, p0, k, dt, steps):
    """Velocity Verlet for a chain of pendulums; the energy after `steps` steps."""
    q, p = q0, p0
    for _ in range(steps):
        p = p + 0.5 * dt * force(q, k)
        q = q + dt * p
        p = p + 0.5 * dt * force(q, k)
    return 0.5 * np.sum(p ** 2) + np.sum(k * (1 - np.cos(q)))


def program(name, steps, rng):
    """(function, wrt, arguments) of a program with `steps` loop trips."""
    if name == "rnn":
        H, D, B = 32, 4, 8
        return rnn, (0, 1, 2), (rng.normal(size=(H, H)) * 0.3, rng.normal(size=(H, D)), rng.normal(size=(H, 1)),
                                rng.normal(size=(steps, D, B)), rng.normal(size=(H, B)))
    n = 64
    return leapfrog_energy, (0, 1, 2), (rng.normal(size=n), rng.normal(size=n), rng.uniform(0.5, 2, size=n), 0.01,
                                        steps)


def peak_memory(fn, *args):
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        fn(*args)
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def best_time(fn, *args, repeat=5):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - start)
    return min(times)


def runs(schedule, steps):
    """How many times the loop body runs, in theory."""
    if schedule == "full":
        return steps
    if schedule == "sqrt":
        every = int(np.ceil(np.sqrt(steps)))
        last = steps - every * ((steps - 1) // every)
        return 2 * steps - last
    return steps + extra_steps(steps, schedule)


def held(schedule, steps):
    """(records, snapshots) held at most, in theory."""
    if schedule == "full":
        return steps, 0
    if schedule == "sqrt":
        every = int(np.ceil(np.sqrt(steps)))
        return every, -(-steps // every)
    return 1, min(schedule, steps)


def measure(name, steps_list, snapshots, repeat=3):
    """One row per (T, schedule): measured and predicted memory and time."""
    rng = np.random.default_rng(0)
    cases = {steps: program(name, steps, rng) for steps in steps_list}
    full_memory = {steps: peak_memory(ts.grad(fn, wrt), *args) for steps, (fn, wrt, args) in cases.items()}
    # the memory model: M = M0 + R (records held) + S (snapshots held), R and M0 from the full tape's
    # peaks at the shortest and longest T, S from ts.memory's report of the snapshots
    low, high = min(steps_list), max(steps_list)
    record = (full_memory[high] - full_memory[low]) / max(high - low, 1)
    base = full_memory[low] - low * record
    rows = []
    for steps, (fn, wrt, args) in cases.items():
        kept = {h.name: h for h in ts.memory(ts.grad(fn, wrt, checkpoint=snapshots), *args).held}["checkpoints"]
        snapshot = kept.bytes / kept.entries  # one snapshot: the values the loop carries
        forward = best_time(fn, *args, repeat=repeat) / steps
        full_time = best_time(ts.grad(fn, wrt), *args, repeat=repeat)
        backward = max(full_time / steps - forward, 0.0)
        for schedule in ("full", "sqrt", snapshots):
            gradient = ts.grad(fn, wrt, checkpoint=None if schedule == "full" else schedule)
            measured_memory = full_memory[steps] if schedule == "full" else peak_memory(gradient, *args)
            measured_time = full_time if schedule == "full" else best_time(gradient, *args, repeat=repeat)
            records, snaps = held(schedule, steps)
            rows.append({
                "program": name, "T": steps, "schedule": "full tape" if schedule == "full" else
                "sqrt" if schedule == "sqrt" else f"binomial s={schedule}",
                "memory": measured_memory, "memory theory": base + records * record + snaps * snapshot,
                "time": measured_time, "time theory": runs(schedule, steps) * forward + steps * backward,
                "runs": runs(schedule, steps)})
    return rows


def table(rows):
    lines = [f"{'program':<9} {'T':>6} {'schedule':<14} {'body runs':>9} {'peak memory':>12} {'(theory)':>10} "
             f"{'time ms':>9} {'(theory)':>9}"]
    for r in rows:
        lines.append(f"{r['program']:<9} {r['T']:>6} {r['schedule']:<14} {r['runs']:>9} "
                     f"{r['memory'] / 1024:>9.0f} KiB {r['memory theory'] / 1024:>6.0f} KiB "
                     f"{r['time'] * 1e3:>9.1f} {r['time theory'] * 1e3:>9.1f}")
    return "\n".join(lines)


def plot(rows, path="checkpointing.png"):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    programs = sorted({r["program"] for r in rows})
    fig, axes = plt.subplots(len(programs), 2, figsize=(10, 4 * len(programs)), squeeze=False)
    for row_axes, name in zip(axes, programs):
        for schedule in dict.fromkeys(r["schedule"] for r in rows if r["program"] == name):
            chosen = [r for r in rows if r["program"] == name and r["schedule"] == schedule]
            T = [r["T"] for r in chosen]
            for ax, key, scale in ((row_axes[0], "memory", 1 / 1024), (row_axes[1], "time", 1e3)):
                line, = ax.plot(T, [r[f"{key} theory"] * scale for r in chosen], "-", alpha=0.6)
                ax.plot(T, [r[key] * scale for r in chosen], "o", color=line.get_color(), label=schedule)
        row_axes[0].set(xscale="log", yscale="log", xlabel="T (loop steps)", ylabel="peak memory (KiB)",
                        title=f"{name}: memory (points measured, lines theory)")
        row_axes[1].set(xscale="log", yscale="log", xlabel="T (loop steps)", ylabel="gradient time (ms)",
                        title=f"{name}: time")
        row_axes[0].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def main(argv=()):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default="100,300,1000", help="comma-separated loop lengths T")
    parser.add_argument("--snapshots", type=int, default=10, help="snapshots for binomial checkpointing")
    options = parser.parse_args(list(argv))
    steps_list = [int(s) for s in options.steps.split(",")]
    rows = measure("rnn", steps_list, options.snapshots) + measure("leapfrog", steps_list, options.snapshots)
    print(table(rows))
    for r in rows:  # what the theory says must show in the numbers
        if r["schedule"].startswith("binomial"):
            full = next(f for f in rows if f["program"] == r["program"] and f["T"] == r["T"]
                        and f["schedule"] == "full tape")
            if r["T"] >= 1000:
                assert r["memory"] <= 0.15 * full["memory"], (r, full)
    largest = [r for r in rows if r["T"] == max(steps_list) and r["schedule"].startswith("binomial")]
    for r in largest:
        full = next(f for f in rows
                    if f["program"] == r["program"] and f["T"] == r["T"] and f["schedule"] == "full tape")
        print(f"{r['program']}, T = {r['T']}: {r['schedule']} keeps {r['memory'] / full['memory']:.1%} of the full "
              f"tape's peak memory in {r['time'] / full['time']:.2f}x its time ({r['runs']} body runs for {r['T']} "
              "steps)")
    if plot(rows):
        print("saved checkpointing.png")


if __name__ == "__main__":
    main(sys.argv[1:])
