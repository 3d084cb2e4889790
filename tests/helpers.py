"""Shared test utilities: functions made from source text, the dot-product test, mutation checks.

tangent_src reads a function's source with inspect.getsource, so a function
under test must live in a real file: `make_function` writes the source into a
fresh module in a per-process temporary directory and imports it.
"""

from __future__ import annotations

import atexit
import importlib.util
import itertools
import os
import shutil
import sys
import tempfile
import textwrap
from typing import Any, Callable

import numpy as np

import tangent_src as ts

_DIRECTORY: str | None = None
_COUNTER = itertools.count()
_SCIPY = "import scipy.special\n" if importlib.util.find_spec("scipy") else "\n"  # for rules of scipy.special


def _directory() -> str:
    global _DIRECTORY
    if _DIRECTORY is None:
        _DIRECTORY = tempfile.mkdtemp(prefix="tangent_src_cases_")
        atexit.register(shutil.rmtree, _DIRECTORY, ignore_errors=True)
    return _DIRECTORY


def make_function(source: str, name: str = "f") -> Callable:
    """The function `name` defined by `source`, written to and imported from a real module.

    The module starts with `import math, random`, `import numpy as np` (and the runtime helpers as `rt`)
    and, where scipy is installed,
    `import scipy.special` (the function still starts on line 6); each call makes a new module
    `_case_<n>`, so two calls never share globals or derivative caches.
    """
    module_name = f"_case_{next(_COUNTER)}"
    path = os.path.join(_directory(), module_name + ".py")
    with open(path, "w", encoding="utf-8") as handle:
        header = "import math, random\n\nimport numpy as np; import tangent_src.runtime as rt\n" + _SCIPY + "\n"
        handle.write(header + textwrap.dedent(source).strip() + "\n")
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return getattr(module, name)


# ------------------------------------------------------------------ array-type-agnostic helpers


def to_numpy(x: Any) -> Any:
    """x as numpy (StrictArray and cupy arrays are unwrapped), recursing through tuples."""
    if isinstance(x, (tuple, list)):
        return type(x)(to_numpy(v) for v in x)
    if hasattr(x, "data") and type(x).__name__ == "StrictArray":
        return x.data
    if type(x).__module__.startswith("cupy"):
        return x.get()
    return x


def copy_value(x: Any) -> Any:
    """A deep copy of an argument: arrays (of any type) are copied, Python scalars kept."""
    if isinstance(x, (tuple, list)):
        return type(x)(copy_value(v) for v in x)
    return x.copy() if hasattr(x, "copy") and hasattr(x, "shape") else x


def random_like(x: Any, rng: np.random.Generator) -> Any:
    """A standard normal value shaped like x: a Python float for a Python scalar, else an ndarray.

    A numpy scalar (np.float64, what numpy returns for 0-d operands) gets a 0-d ndarray.
    """
    if isinstance(x, tuple):
        return tuple(random_like(v, rng) for v in x)
    if type(x) in (int, float):
        return float(rng.standard_normal())
    return rng.standard_normal(np.shape(to_numpy(x)))


def inner(a: Any, b: Any) -> float:
    """<a, b>, summed over every element (and over the items of tuples)."""
    if isinstance(a, tuple):
        return sum(inner(u, v) for u, v in zip(a, b, strict=True))
    return float(np.sum(np.asarray(to_numpy(a), dtype=float) * np.asarray(to_numpy(b), dtype=float)))


def wrt_indices(f: Callable, wrt: Any) -> list[int]:
    import inspect

    names = list(inspect.signature(f).parameters)
    items = list(wrt) if isinstance(wrt, (tuple, list)) else [wrt]
    return [w if isinstance(w, int) else names.index(w) for w in items]


# ------------------------------------------------------------------ the dot-product test


def dot_product_check(f: Callable, args: tuple, wrt: Any, rng: np.random.Generator, rtol: float = 1e-9) -> float:
    """Check <u, J v> == <J^T u, v> for random tangents v and a random cotangent u.

    J is f's Jacobian with respect to the `wrt` arguments at `args`; J v comes
    from ts.jvp and J^T u from ts.vjp. Also checks that every gradient is
    shaped like its argument and the tangent like the value (a wrongly shaped
    gradient could otherwise pass by broadcasting). Returns the relative gap.
    """
    single = not isinstance(wrt, (tuple, list))
    indices = wrt_indices(f, wrt)
    value = f(*copy_value(args))
    tangents = [random_like(args[i], rng) for i in indices]
    cotangent = random_like(value, rng)

    jvp_value, jv = ts.jvp(f, wrt)(*copy_value(args), *tangents)
    np.testing.assert_allclose(to_numpy(jvp_value), to_numpy(value), rtol=1e-12, atol=1e-12)
    assert np.shape(to_numpy(jv)) == np.shape(to_numpy(value)), "the tangent is not shaped like the value"

    pulled = ts.vjp(f, wrt)(*copy_value(args), cotangent)
    pulled = [pulled] if single else list(pulled)
    assert len(pulled) == len(indices)
    for g, i in zip(pulled, indices):
        assert np.shape(to_numpy(g)) == np.shape(to_numpy(args[i])), (
            f"the gradient for argument {i} has shape {np.shape(to_numpy(g))}, "
            f"the argument {np.shape(to_numpy(args[i]))}"
        )

    left = inner(cotangent, jv)
    right = sum(inner(g, t) for g, t in zip(pulled, tangents))
    scale = max(abs(left), abs(right), 1e-12)
    gap = abs(left - right) / scale
    assert gap <= rtol, f"<u, J v> = {left!r} but <J^T u, v> = {right!r} (relative gap {gap:.3g})"
    return gap


# ------------------------------------------------------------------ mutation


def _equal(before: Any, after: Any) -> bool:
    if isinstance(before, (tuple, list)):
        return len(before) == len(after) and all(_equal(b, a) for b, a in zip(before, after))
    b, a = to_numpy(before), to_numpy(after)
    return np.shape(b) == np.shape(a) and bool(np.array_equal(b, a))


def assert_not_mutated(fn: Callable, args: tuple) -> Any:
    """Call fn(*args) and check that no array argument changed; returns fn's result."""
    snapshot = [copy_value(a) for a in args]
    result = fn(*args)
    for k, (before, after) in enumerate(zip(snapshot, args)):
        assert _equal(before, after), f"{getattr(fn, '__name__', fn)} modified its argument {k}"
    return result


# ------------------------------------------------------------------ derivatives of derivatives


def _random_tree(x: Any, rng: np.random.Generator) -> Any:
    if isinstance(x, dict):
        return {k: _random_tree(v, rng) for k, v in x.items()}
    if isinstance(x, (tuple, list)):
        return type(x)(_random_tree(v, rng) for v in x)
    return random_like(x, rng)


def _inner_tree(a: Any, b: Any) -> float:
    if isinstance(a, dict):
        return sum(_inner_tree(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)):
        return sum(_inner_tree(u, v) for u, v in zip(a, b, strict=True))
    return inner(a, b)


def _tree(fn: Callable, *trees: Any) -> Any:
    if isinstance(trees[0], dict):
        return {k: _tree(fn, *(t[k] for t in trees)) for k in trees[0]}
    if isinstance(trees[0], (tuple, list)):
        return type(trees[0])(_tree(fn, *parts) for parts in zip(*trees))
    return fn(*trees)


def _moved(arguments: tuple, wrt: tuple, direction: tuple, step: float) -> tuple:
    moved = list(arguments)
    for i, v in zip(wrt, direction):
        moved[i] = _tree(lambda x, d: x + step * d, arguments[i], v)
    return tuple(moved)


def check_derivative_of(fn: Callable, arguments: tuple, wrt: tuple, tolerance: float, what: str,
                        seed: int = 2) -> None:
    """ts.jvp(fn) against central differences of fn along a random direction v, and ts.vjp(fn)
    against the same through <J^T u, v> = <u, J v> (the dot-product test with finite differences).
    fn is typically a derivative itself (a gradient, a jvp), so this checks second derivatives."""
    rng = np.random.default_rng(seed)
    direction = tuple(_random_tree(arguments[i], rng) for i in wrt)
    u = _random_tree(fn(*arguments), rng)
    step = 1e-5
    difference = _tree(lambda a, b: (a - b) / (2 * step), fn(*_moved(arguments, wrt, direction, step)),
                       fn(*_moved(arguments, wrt, direction, -step)))
    scale = max(1.0, np.sqrt(_inner_tree(difference, difference)))
    _, forward = ts.jvp(fn, wrt)(*arguments, *direction)
    gap = _tree(np.subtract, forward, difference)
    error = np.sqrt(_inner_tree(gap, gap)) / scale
    assert error < tolerance, f"jvp of {what}: relative error {error:.2e} against central differences"
    pulled = ts.vjp(fn, wrt)(*arguments, u)
    found, expected = _inner_tree(pulled, direction), _inner_tree(u, difference)
    assert abs(found - expected) <= tolerance * max(1.0, abs(expected)) * scale, (
        f"vjp of {what}: <J^T u, v> = {found}, <u, differences along v> = {expected}")


def golden_cases(prefix: str) -> list[tuple[str, Any, Callable, tuple]]:
    """(case, module, function, example inputs) of each golden case (tests/golden/<case>/input.py),
    its module loaded under `prefix`_<case>."""
    import pathlib

    folder = pathlib.Path(__file__).parent / "golden"
    found = []
    for case in sorted(p for p in folder.iterdir() if (p / "input.py").is_file()):
        spec = importlib.util.spec_from_file_location(f"{prefix}_{case.name}", case / "input.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        fn = getattr(module, "loss", None) or module.f
        found.append((case.name, module, fn, tuple(module.example_inputs(np.random.default_rng(0)))))
    return found
