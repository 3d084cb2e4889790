"""The peer systems, where installed: HIPS autograd, PyTorch eager on the CPU, JAX (eager and jit).

autograd and JAX run the workload's own function, its `np` rebound to autograd.numpy or
jax.numpy (they are written against numpy's API). PyTorch has an API of its own, so each
workload has a torch twin below, the same operations spelled in torch. Every peer is
given the arguments once, converted outside the timing, and returns a gradient callable
of no arguments that waits for its result.
"""

from __future__ import annotations

import importlib.util
import math
import time
import types
from typing import Any, Callable

import numpy as np


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _rebind(fn: Callable, numpy_module: Any) -> Callable:
    """fn with `np` in its globals replaced by another numpy-like module."""
    return types.FunctionType(fn.__code__, {**fn.__globals__, "np": numpy_module}, fn.__name__,
                              fn.__defaults__, fn.__closure__)


def autograd_gradient(fn: Callable, args: tuple) -> Callable[[], Any]:
    import autograd
    import autograd.numpy as anp

    gradient = autograd.grad(_rebind(fn, anp), 0)
    return lambda: gradient(*args)


def _jax():
    import jax

    jax.config.update("jax_enable_x64", True)  # the workloads are float64, as numpy's default
    return jax


def _to_jax(value: Any, jnp: Any) -> Any:
    if isinstance(value, tuple):
        return tuple(_to_jax(v, jnp) for v in value)
    return jnp.asarray(value) if isinstance(value, np.ndarray) else value


def jax_gradient(fn: Callable, args: tuple) -> Callable[[], Any]:
    jax = _jax()
    import jax.numpy as jnp

    gradient = jax.grad(_rebind(fn, jnp), 0)
    jargs = _to_jax(args, jnp)
    return lambda: jax.block_until_ready(gradient(*jargs))


def jax_jit_gradient(fn: Callable, args: tuple) -> tuple[Callable[[], Any], float]:
    """(the compiled gradient, the seconds its first call took: tracing and compiling)."""
    jax = _jax()
    import jax.numpy as jnp

    gradient = jax.jit(jax.grad(_rebind(fn, jnp), 0))
    jargs = _to_jax(args, jnp)
    start = time.perf_counter()
    jax.block_until_ready(gradient(*jargs))
    compile_seconds = time.perf_counter() - start
    return (lambda: jax.block_until_ready(gradient(*jargs))), compile_seconds


# ---------------------------------------------------------------- torch twins of the workloads


def _torch_twins(torch: Any) -> dict[str, Callable]:
    def sin_sum(x, y):
        return torch.sum(torch.sin(x + y**2))

    def logistic(w, X, y):
        p = 1 / (1 + torch.exp(-(X @ w)))
        return -torch.mean(y * torch.log(p) + (1 - y) * torch.log(1 - p))

    def mlp(params, X, Y):
        W1, b1, W2, b2, W3, b3 = params
        h1 = torch.tanh(X @ W1 + b1)
        h2 = torch.tanh(h1 @ W2 + b2)
        logits = h2 @ W3 + b3
        shifted = logits - torch.amax(logits, dim=1, keepdim=True)
        logp = shifted - torch.log(torch.sum(torch.exp(shifted), dim=1, keepdim=True))
        return -torch.sum(Y * logp) / X.shape[0]

    def rnn(params, xs, h0):
        W, U, b, V = params
        h = h0
        for x in xs:
            h = torch.tanh(h @ W + x @ U + b)
        return torch.sum((h @ V) ** 2)

    def attention(Wq, X, Wk, Wv):
        Q, K, V = X @ Wq, X @ Wk, X @ Wv
        s = Q @ K.T / math.sqrt(Q.shape[1])
        e = torch.exp(s - torch.amax(s, dim=1, keepdim=True))
        a = e / torch.sum(e, dim=1, keepdim=True)
        return torch.sum((a @ V) ** 2)

    def rosenbrock(x):
        total = 0.0
        for i in range(len(x) - 1):
            total = total + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
        return total

    return {f.__name__: f for f in (sin_sum, logistic, mlp, rnn, attention, rosenbrock)}


def _to_torch(value: Any, torch: Any, device: str, requires_grad: bool) -> Any:
    if isinstance(value, tuple):
        return tuple(_to_torch(v, torch, device, requires_grad) for v in value)
    if hasattr(value, "shape"):
        tensor = torch.as_tensor(value, device=device)
        return tensor.requires_grad_(True) if requires_grad else tensor
    return value


def torch_gradient(name: str, args: tuple, device: str = "cpu") -> Callable[[], Any]:
    import torch

    fn = _torch_twins(torch)[name]
    targs = (_to_torch(args[0], torch, device, True),) + tuple(_to_torch(a, torch, device, False) for a in args[1:])
    leaves = targs[0] if isinstance(targs[0], tuple) else (targs[0],)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

    def gradient():
        result = torch.autograd.grad(fn(*targs), leaves)
        sync()
        return result

    return gradient


def torch_function(name: str, args: tuple, device: str) -> Callable[[], Any]:
    """The torch twin itself (no gradient), on the given device."""
    import torch

    fn = _torch_twins(torch)[name]
    targs = tuple(_to_torch(a, torch, device, False) for a in args)
    return lambda: fn(*targs)
