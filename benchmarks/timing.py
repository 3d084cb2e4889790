"""Interleaved timing: every candidate is warmed up, then timed in turn, round after round.

Interleaving spreads any slow period of the machine (another process, a frequency
change) over all candidates alike, where timing one after the other would charge it
to whichever ran then. Each sample runs a candidate `number` times in a row, so that a
sample lasts at least `sample_seconds` even for calls of a few microseconds. The
result is every round's time per call; the benchmark reports the median over rounds
of each time, and of each ratio taken within a round (on a shared machine the load
drifts from one second to the next, and a ratio of two samples taken a few
milliseconds apart is far steadier than a ratio of two medians).
"""

from __future__ import annotations

import gc
import math
import statistics
import time
from typing import Any, Callable


def _calibrate(call: Callable[[], Any], sample_seconds: float, warmup: int) -> int:
    for _ in range(warmup):
        call()
    start = time.perf_counter()
    call()
    once = max(time.perf_counter() - start, 1e-7)
    return max(1, math.ceil(sample_seconds / once))


def interleaved(candidates: dict[str, Callable[[], Any]], *, rounds: int = 40, min_rounds: int = 7,
                budget_seconds: float = 10.0, sample_seconds: float = 0.002,
                warmup: int = 3) -> dict[str, list[float]]:
    """Seconds per call of each candidate in each round, timed round-robin.

    Stops after `rounds` rounds, or after `budget_seconds` once `min_rounds` are done.
    """
    numbers = {name: _calibrate(call, sample_seconds, warmup) for name, call in candidates.items()}
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    gc_was_enabled = gc.isenabled()
    gc.disable()  # a collection would land in whichever sample it happened to interrupt
    start = time.perf_counter()
    try:
        for k in range(rounds):
            for name, call in candidates.items():
                number = numbers[name]
                t0 = time.perf_counter()
                for _ in range(number):
                    call()
                samples[name].append((time.perf_counter() - t0) / number)
            gc.collect()
            if k + 1 >= min_rounds and time.perf_counter() - start > budget_seconds:
                break
    finally:
        if gc_was_enabled:
            gc.enable()
    return samples


def medians(samples: dict[str, list[float]]) -> dict[str, float]:
    return {name: statistics.median(s) for name, s in samples.items()}


def paired_ratio(samples: dict[str, list[float]], name: str, to: str) -> float:
    """The median over rounds of name's time divided by to's time in the same round."""
    return statistics.median(a / b for a, b in zip(samples[name], samples[to]))
