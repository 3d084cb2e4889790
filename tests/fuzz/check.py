"""Checking one generated program: both modes against each other and against finite differences.

`check_program(program)` writes the program to a module (tangent_src reads
source, so the function must live in a real file), then:

- runs f and compares it with the generator's interpreter (a check of the fuzzer itself);
- takes J v with `ts.jvp` and J^T u with `ts.grad` (scalar result, u = 1) or
  `ts.vjp` (any result), and checks the dot-product identity <u, J v> = <J^T u, v>;
- checks J v against a fourth-order central difference of f along v, in float64;
- checks that each derivative has the shape of its argument and the tangent the
  shape of the value, that jvp's value is f's value, and that no call modified
  an input.

It returns an Outcome: "passed", "refused" (a TransformError: a construct
tangent_src does not support, which the generator should not produce) or
"failed", with a message that contains the program's source.
"""

from __future__ import annotations

import atexit
import importlib.util
import itertools
import os
import shutil
import sys
import tempfile
import traceback
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

import tangent_src as ts

from .programs import MARGIN, Interpreter, Program, Returned

HEADER = "import math\n\nimport numpy as np\nimport scipy.special\n\n\n"
STEP = 2e-4  # of the fourth-order central difference along a unit direction
FD_RTOL = 1e-6
DOT_RTOL = 1e-9

_DIRECTORY: str | None = None
_COUNTER = itertools.count()


@dataclass
class Outcome:
    status: str  # "passed", "refused" or "failed"
    message: str = ""


def write_module(source: str) -> Any:
    """Import `source` as a fresh module from a real file (removed at exit)."""
    global _DIRECTORY
    if _DIRECTORY is None:
        _DIRECTORY = tempfile.mkdtemp(prefix="tangent_src_fuzz_")
        atexit.register(shutil.rmtree, _DIRECTORY, ignore_errors=True)
    name = f"_fuzz_{os.getpid()}_{next(_COUNTER)}"
    path = os.path.join(_DIRECTORY, name + ".py")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(HEADER + source)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def forget_module(module: Any) -> None:
    sys.modules.pop(module.__name__, None)


def report(program: Program, problem: str) -> str:
    return f"{problem}\n\n--- program ---\n{program.source()}--- inputs ---\n{program.describe_inputs()}\n"


def check_program(program: Program, seed: int = 0) -> Outcome:
    module = write_module(program.source())
    try:
        outcome = _check(program, module.f, np.random.default_rng(seed))
    except ProgramFailure as e:
        return Outcome("failed", report(program, str(e)))
    finally:
        forget_module(module)
    if outcome.status == "refused":
        outcome.message = report(program, outcome.message)
    return outcome


class ProgramFailure(Exception):
    pass


def _fail(message: str) -> None:
    raise ProgramFailure(message)


def check_source(source: str, inputs: list, wrt: tuple[int, ...], scalar: bool, seed: int = 0) -> None:
    """Check the function `f` of `source` (a regression test's program) as a generated one is
    checked, without the interpreter; raises AssertionError with the message on failure."""
    module = write_module(source)
    try:
        outcome = check_function(module.f, inputs, wrt, scalar, np.random.default_rng(seed))
    except ProgramFailure as e:
        outcome = Outcome("failed", str(e))
    finally:
        forget_module(module)
    assert outcome.status == "passed", f"{outcome.status}: {outcome.message}\n\n{source}"


def _check(program: Program, f: Callable, rng: np.random.Generator) -> Outcome:
    expected = _interpret(program)
    value = _call("f", f, tuple(program.inputs))
    _close("f's value", value, expected, 1e-10)
    return check_function(f, program.inputs, program.wrt, program.scalar, rng)


def check_function(f: Callable, inputs: list, wrt: tuple[int, ...], scalar: bool,
                   rng: np.random.Generator) -> Outcome:
    args = tuple(inputs)
    spec = wrt[0] if len(wrt) == 1 else wrt  # a bare index gives a bare derivative
    value = _call("f", f, args)

    # reverse mode first: refusal (TransformError) is decided when the derivative is made
    try:
        reverse = ts.grad(f, spec) if scalar else ts.vjp(f, spec)
        forward = ts.jvp(f, spec)
    except ts.TransformError as e:
        if type(e).__name__ == "InternalError":  # tangent_src's own bug, reported as a TransformError
            _fail(f"InternalError: {e}")
        return Outcome("refused", f"TransformError: {e}")
    except Exception:  # noqa: BLE001 - a crash of the transformation is a bug
        _fail("the transformation crashed:\n" + traceback.format_exc())

    tangents = tuple(_unit_like(args[i], rng) for i in wrt)
    norm = np.sqrt(sum(_inner(t, t) for t in tangents))
    tangents = tuple(_scale(t, 1.0 / norm) for t in tangents)
    jvp_value, jv = _call("jvp_f", forward, args + tangents)
    _close("jvp_f's value", jvp_value, value, 1e-10)
    _same_shapes("the tangent", jv, value)

    if scalar:
        if np.ndim(value) != 0:
            _fail(f"f returned shape {np.shape(value)}, not a scalar")
        u: Any = 1.0
        pulled = _call("grad_f", reverse, args)
    else:
        u = _random_like(value, rng)
        pulled = _call("vjp_f", reverse, args + (u,))
    pulled = pulled if len(wrt) > 1 else (pulled,)
    if len(pulled) != len(wrt):
        _fail(f"the reverse derivative returned {len(pulled)} gradients for wrt = {wrt}")
    for g, i in zip(pulled, wrt):
        _same_shapes(f"the gradient of x{i}", g, args[i])

    left = _inner(u, jv)
    right = sum(_inner(g, t) for g, t in zip(pulled, tangents))
    scale = _norm(u) * _norm(jv) + sum(_norm(g) * _norm(t) for g, t in zip(pulled, tangents)) + 1e-300
    if abs(left - right) > DOT_RTOL * scale + 1e-13:
        _fail(f"dot-product test: <u, J v> = {left!r} (jvp) but <J^T u, v> = {right!r} (reverse mode)")

    size = error = np.inf
    for step in (STEP, STEP / 8, STEP / 64, STEP / 512):  # smaller steps where higher derivatives are large
        fd = _central_difference(f, args, wrt, tangents, step)
        error = _difference(jv, fd)
        size = max(_norm(fd), _norm(jv))
        if error <= FD_RTOL * size + 1e-8 * (1.0 + _norm(value)):
            break
    else:
        _fail(f"jvp disagrees with finite differences: |J v - fd| = {error:.3g}, |fd| = {_norm(fd):.3g}\n"
              f"J v = {jv!r}\nfd  = {fd!r}")
    return Outcome("passed")


def _interpret(program: Program) -> Any:
    interp = Interpreter()
    interp.namespace["MARGIN"] = MARGIN
    for helper in program.helpers:
        interp.add_helper(helper)
    env = dict(zip(program.params, (_copy(a) for a in program.inputs)))
    try:
        interp.run(program.body, env)
    except Returned as r:
        return r.value
    raise AssertionError("the generated program did not return")


def _call(what: str, fn: Callable, args: tuple) -> Any:
    """fn(*args), checking that no argument is modified; any exception is a failure."""
    before = [_copy(a) for a in args]
    try:
        result = fn(*args)
    except Exception:  # noqa: BLE001 - the derivative code crashing is a bug
        _fail(f"{what} raised:\n" + traceback.format_exc())
    for k, (b, a) in enumerate(zip(before, args)):
        if not _equal(a, b):
            _fail(f"{what} modified its argument {k}")
    return result


def _copy(x: Any) -> Any:
    if isinstance(x, tuple):
        return tuple(_copy(v) for v in x)
    return x.copy() if isinstance(x, np.ndarray) else x


def _equal(a: Any, b: Any) -> bool:
    if isinstance(b, tuple):
        return isinstance(a, tuple) and len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    return np.shape(a) == np.shape(b) and bool(np.array_equal(a, b))


def _flat(x: Any) -> np.ndarray:
    if isinstance(x, tuple):
        return np.concatenate([_flat(v) for v in x]) if x else np.zeros(0)
    return np.asarray(x, dtype=float).reshape(-1)


def _inner(a: Any, b: Any) -> float:
    return float(np.dot(_flat(a), _flat(b)))


def _norm(a: Any) -> float:
    return float(np.linalg.norm(_flat(a)))


def _difference(a: Any, b: Any) -> float:
    return float(np.linalg.norm(_flat(a) - _flat(b)))


def _close(what: str, found: Any, expected: Any, rtol: float) -> None:
    _same_shapes(what, found, expected)
    if _difference(found, expected) > rtol * (1.0 + _norm(expected)):
        _fail(f"{what} is {found!r}, expected {expected!r}")


def _same_shapes(what: str, found: Any, like: Any) -> None:
    if isinstance(like, tuple):
        if not isinstance(found, tuple) or len(found) != len(like):
            _fail(f"{what} is {type(found).__name__} {found!r}, expected a tuple of {len(like)}")
        for k, (a, b) in enumerate(zip(found, like)):
            _same_shapes(f"{what}[{k}]", a, b)
        return
    if np.shape(found) != np.shape(like):
        _fail(f"{what} has shape {np.shape(found)}, expected {np.shape(like)}")


def _random_like(x: Any, rng: np.random.Generator) -> Any:
    if isinstance(x, tuple):
        return tuple(_random_like(v, rng) for v in x)
    shape = np.shape(x)
    return rng.standard_normal(shape) if shape else float(rng.standard_normal())


def _unit_like(x: Any, rng: np.random.Generator) -> Any:
    return _random_like(x, rng)


def _scale(x: Any, s: float) -> Any:
    return x * s


def _central_difference(f: Callable, args: tuple, wrt: tuple, tangents: tuple, h: float = STEP) -> Any:
    """(-f(x+2hv) + 8 f(x+hv) - 8 f(x-hv) + f(x-2hv)) / 12h, error O(h^4)."""

    def at(s: float) -> np.ndarray:
        moved = list(args)
        for i, t in zip(wrt, tangents):
            moved[i] = args[i] + s * t
            if isinstance(args[i], float):
                moved[i] = float(moved[i])
        return _flat(f(*moved))

    return (-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h)
