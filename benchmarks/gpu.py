"""`python -m benchmarks.gpu`: the MLP and attention in float32 on a CUDA GPU, through cupy.

For each workload: the function, the gradient tangent_src generates (the very code the
CPU benchmark runs: its `np.*` calls reach cupy through `__array_ufunc__` and
`__array_function__`), the hand-written gradient run on cupy arrays, and, where
installed with CUDA, torch eager and `jax.jit(jax.grad)`. cupy and torch are timed
with CUDA events on the device; jax runs on streams of its own, so it is timed by the
clock around `block_until_ready`. TF32 is off everywhere (float32 matmuls in float32).
Anchors from the issue, measured on an H200: MLP hand-written 3.39 ms, torch 2.99 ms,
jax jit 3.12 ms (16.9 s to compile); attention hand 1.30 ms, torch 0.96 ms, jax jit
1.20 ms. Target: generated within 1.05x of the hand-written cupy gradient.

Exits with a message, and status 0, where cupy or a GPU is missing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from typing import Any, Callable

import numpy as np

import tangent_src as ts

from . import peers
from .workloads import BY_NAME, make_attention, make_mlp

TARGET = 1.05
WORKLOADS = {
    "mlp": ("784-2048-2048-10 tanh MLP, softmax cross-entropy, batch 4096",
            lambda rng: make_mlp(rng, sizes=(784, 2048, 2048, 10), batch=4096, dtype=np.float32)),
    "attention": ("single-head attention, n = 4096, d = 128",
                  lambda rng: make_attention(rng, n=4096, d=128, dtype=np.float32)),
}


def _cupy() -> Any | None:
    """cupy, if it is installed and sees a GPU; else None, after saying why."""
    try:
        import cupy
    except ImportError:
        print("benchmarks.gpu: cupy is not installed (pip install -e '.[gpu]'); nothing to measure.")
        return None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as err:  # noqa: BLE001  (no driver, no device: cupy raises its own CUDA errors)
        print(f"benchmarks.gpu: cupy finds no CUDA GPU ({type(err).__name__}: {err}); nothing to measure.")
        return None
    if count == 0:
        print("benchmarks.gpu: cupy finds no CUDA GPU; nothing to measure.")
        return None
    return cupy


def _on(value: Any, put: Callable[[Any], Any]) -> Any:
    if isinstance(value, tuple):
        return tuple(_on(v, put) for v in value)
    return put(value)


def _leaves(value: Any) -> list[Any]:
    return [leaf for v in value for leaf in _leaves(v)] if isinstance(value, (tuple, list)) else [value]


def cupy_timer(cupy: Any) -> Callable[[Callable[[], Any]], float]:
    def once(call: Callable[[], Any]) -> float:
        start, end = cupy.cuda.Event(), cupy.cuda.Event()
        start.record()
        call()
        end.record()
        end.synchronize()
        return cupy.cuda.get_elapsed_time(start, end) / 1e3
    return once


def torch_timer(torch: Any) -> Callable[[Callable[[], Any]], float]:
    def once(call: Callable[[], Any]) -> float:
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        call()
        end.record()
        end.synchronize()
        return start.elapsed_time(end) / 1e3
    return once


def clock_timer() -> Callable[[Callable[[], Any]], float]:
    def once(call: Callable[[], Any]) -> float:
        start = time.perf_counter()
        call()  # the call waits for its result (block_until_ready)
        return time.perf_counter() - start
    return once


def _torch_cuda() -> Any | None:
    if not peers.installed("torch"):
        return None
    import torch

    if not torch.cuda.is_available():
        return None
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    return torch


def _jax_gpu() -> Any | None:
    if not peers.installed("jax"):
        return None
    import jax

    try:
        if jax.default_backend() != "gpu":
            return None
    except RuntimeError:
        return None
    jax.config.update("jax_default_matmul_precision", "highest")  # no TF32
    return jax


def measure(name: str, cupy: Any, rounds: int, warmup: int) -> dict[str, Any]:
    workload = BY_NAME[name]
    host = WORKLOADS[name][1](np.random.default_rng(0))
    args = _on(host, cupy.asarray)
    sync = cupy.cuda.Device().synchronize
    generated = ts.grad(workload.function)
    on_cupy = cupy_timer(cupy)
    calls: dict[str, tuple[Callable[[], Any], Callable[[Callable[[], Any]], float]]] = {
        "function": (lambda: workload.function(*args), on_cupy),
        "hand (cupy)": (lambda: workload.hand(*args), on_cupy),
        "generated (cupy)": (lambda: generated(*args), on_cupy),
    }
    result: dict[str, Any] = {"compile": None}
    hand_leaves = [cupy.asnumpy(a) for a in _leaves(workload.hand(*args))]
    generated_leaves = _leaves(generated(*args))
    result["agree"] = all(isinstance(g, cupy.ndarray) and g.dtype == np.float32 for g in generated_leaves) and all(
        np.allclose(cupy.asnumpy(g), h, rtol=2e-3, atol=1e-5 * max(1.0, float(np.abs(h).max())))
        for g, h in zip(generated_leaves, hand_leaves))
    torch = _torch_cuda()
    if torch is not None:
        torch_call = peers.torch_gradient(name, host, device="cuda")
        calls["torch (cuda)"] = (torch_call, torch_timer(torch))
    jax = _jax_gpu()
    if jax is not None:
        jit_call, result["compile"] = peers.jax_jit_gradient(workload.function, host)
        calls["jax.jit(jax.grad)"] = (jit_call, clock_timer())
    for call, _ in calls.values():
        for _ in range(warmup):
            call()
    sync()
    samples: dict[str, list[float]] = {k: [] for k in calls}
    for _ in range(rounds):  # interleaved, as on the CPU
        for k, (call, once) in calls.items():
            samples[k].append(once(call))
        sync()
    result["times"] = {k: statistics.median(v) for k, v in samples.items()}
    return result


def report(results: dict[str, dict[str, Any]], device: str) -> str:
    systems = list(dict.fromkeys(k for r in results.values() for k in r["times"]))
    lines = [f"GPU: {device}", "", "| workload | " + " | ".join(f"{s} (ms)" for s in systems)
             + " | generated / hand | jax compile (s) |", "|---" * (len(systems) + 3) + "|"]
    for name, r in results.items():
        t = r["times"]
        ratio = t["generated (cupy)"] / t["hand (cupy)"]
        compile_s = "-" if r["compile"] is None else f"{r['compile']:.1f}"
        lines.append(f"| {name} | " + " | ".join(f"{t[s] * 1e3:.2f}" if s in t else "-" for s in systems)
                     + f" | {ratio:.3f}x ({'met' if ratio <= TARGET else 'MISSED'}: {TARGET}x) | {compile_s} |")
    for name, r in results.items():
        if not r["agree"]:
            lines.append(f"WARNING: {name}: the generated gradient disagrees with the hand-written one "
                         "(or is not a float32 cupy array)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gpu", description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", help=f"some of {', '.join(WORKLOADS)} (default: both)")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="also write benchmarks/results_gpu.md")
    options = parser.parse_args(argv)
    unknown = set(options.workloads) - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown workloads {sorted(unknown)}; choose from {list(WORKLOADS)}")
    cupy = _cupy()
    if cupy is None:
        return 0
    device = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)["name"]
    device = device.decode() if isinstance(device, bytes) else device
    results = {}
    for name in options.workloads or list(WORKLOADS):
        print(f"measuring {name} ({WORKLOADS[name][0]}) ...", file=sys.stderr, flush=True)
        results[name] = measure(name, cupy, options.rounds, options.warmup)
    text = report(results, device)
    print(text)
    if options.write:
        from pathlib import Path

        Path(__file__).with_name("results_gpu.md").write_text("# GPU benchmark results\n\n" + text + "\n")
    return 1 if not all(r["agree"] for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
