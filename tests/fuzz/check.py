"""Checking one generated program: both modes against each other and against finite differences.

`check_program(program)` writes the program to a module (tangent_src reads
source, so the function must live in a real file), then:

- runs f and compares it with the generator's interpreter (a check of the fuzzer itself);
- takes J v with `ts.jvp` and J^T u with `ts.grad` (scalar result, u = 1) or
  `ts.vjp` (any result), and checks the dot-product identity <u, J v> = <J^T u, v>;
- checks J v against a fourth-order central difference of f along v, in float64;
- checks that each derivative has the shape of its argument and the tangent the
  shape of the value, that jvp's value is f's value, and that no call modified
  an input;
- for the construct programs (tests/fuzz/constructs.py, `check_case`), also the
  modes "aux" (grad and value_and_grad with has_aux=True) and "refuse" (grad of a
  visibly non-float result must raise TransformError with file:line), and seeds
  numpy's and Python's random state before every evaluation where the program
  draws random numbers;
- with TANGENT_SRC_FUZZ_STRICT=1, runs the derivatives on StrictArray inputs too.

Every TransformError must name file:line and no name the program does not have
(an internal temporary `t3`, an SSA rename `x_2`).

It returns an Outcome: "passed"; "refused" (a TransformError with file:line: a
construct tangent_src does not support); or one of FAILING: "wrong" (a
derivative disagrees, has the wrong shape, or an input was modified; a grad of
a visibly tuple result accepted), "crashed" (the generated derivative raised),
"internal" (the transformation crashed or raised InternalError), "bad-refusal"
(a TransformError without file:line, or naming a name the program does not
have, such as a temporary `t3`); or "invalid" (f itself failed: the fuzzer's own
bug, or a shrinking candidate that is not a program). The message contains the
program's source.
"""

from __future__ import annotations

import atexit
import importlib.util
import inspect
import itertools
import os
import random
import re
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
RESEED = 20260  # the seed of numpy's and Python's global random state before every evaluation
STRICT = os.environ.get("TANGENT_SRC_FUZZ_STRICT") == "1"  # also run the derivatives on StrictArray inputs
FAILING = ("wrong", "crashed", "internal", "bad-refusal")  # outcomes that are tangent_src's bugs

_DIRECTORY: str | None = None
_COUNTER = itertools.count()


@dataclass
class Outcome:
    status: str  # "passed", "refused" or "failed"
    message: str = ""
    # the program has a loop checkpointed (checkpoint=1, 2, 3 or "sqrt", drawn), whose reverse
    # derivative equalled the full tape's: "checked"; refused for checkpointing (an effect in the
    # loop): "refused"; no loop to checkpoint: ""
    checkpointed: str = ""


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
        return Outcome(e.status, report(program, str(e)))
    finally:
        forget_module(module)
    if outcome.status == "refused":
        outcome.message = report(program, outcome.message)
    return outcome


class ProgramFailure(Exception):
    def __init__(self, message: str, status: str = "wrong"):
        super().__init__(message)
        self.status = status


def _fail(message: str, status: str = "wrong") -> None:
    raise ProgramFailure(message, status)


def check_source(source: str, inputs: list, wrt: tuple[int, ...], scalar: bool | str, seed: int = 0,
                 reseed: bool = False, expect: str = "passed") -> None:
    """Check the function `f` of `source` (a regression test's program) as a generated one is
    checked, without the interpreter (`scalar`: a mode of check_function; `reseed`: seed the
    global random state before each evaluation); raises AssertionError unless the outcome is
    `expect` ("passed", or "refused" for a construct refused with file:line)."""
    module = write_module(source)
    try:
        outcome = check_function(module.f, inputs, wrt, scalar, np.random.default_rng(seed), reseed)
    except ProgramFailure as e:
        outcome = Outcome(e.status, str(e))
    finally:
        forget_module(module)
    assert outcome.status == expect, f"{outcome.status}: {outcome.message}\n\n{source}"


def check_case(case: Any, seed: int = 0) -> Outcome:
    """Check a Case of tests/fuzz/constructs.py (its source defines f; the reference is f itself)."""
    try:
        module = write_module(case.source)
    except Exception as e:  # noqa: BLE001 - a candidate of the shrinker that is not a program
        return Outcome("invalid", f"{e!r}\n\n--- program ---\n{case.source}")
    try:
        outcome = check_function(module.f, case.inputs, case.wrt, case.mode, np.random.default_rng(seed),
                                 case.reseed)
    except ProgramFailure as e:
        outcome = Outcome(e.status, str(e))
    finally:
        forget_module(module)
    if outcome.status != "passed":
        outcome.message = f"{outcome.message}\n\n--- program ({case.family}) ---\n{case.source}" \
                          f"--- inputs ---\n{case.describe_inputs()}\n"
    return outcome


def _check(program: Program, f: Callable, rng: np.random.Generator) -> Outcome:
    expected = _interpret(program)
    value = _call("f", f, tuple(program.inputs))
    _close("f's value", value, expected, 1e-10)
    return check_function(f, program.inputs, program.wrt, program.scalar, rng)


def check_function(f: Callable, inputs: list, wrt: tuple[int, ...], scalar: bool | str,
                   rng: np.random.Generator, reseed: bool = False) -> Outcome:
    """Check f's derivatives; `scalar` is a mode (see tests/fuzz/constructs.py) or a bool:
    True for "scalar" (grad), False for "array" (vjp)."""
    mode = scalar if isinstance(scalar, str) else ("scalar" if scalar else "array")
    args = tuple(inputs)
    spec = wrt[0] if len(wrt) == 1 else wrt  # a bare index gives a bare derivative
    value = _call("f", f, args, reseed, status="invalid")
    if mode == "aux" and not has_aux():
        mode = "array"  # until grad takes has_aux: the pair is checked with vjp
    if mode == "refuse":
        for make in (ts.grad, ts.value_and_grad):
            _expect_refusal(make, f, spec, args, reseed)
        mode = "array"

    tangents = tuple(_unit_like(args[i], rng) for i in wrt)
    norm = np.sqrt(sum(_inner(t, t) for t in tangents))
    tangents = tuple(_scale(t, 1.0 / norm) for t in tangents)
    u: Any = _random_like(value, rng) if mode == "array" else 1.0

    # reverse mode first: refusal (TransformError) is decided when the derivative is made: at
    # ts.grad(f) for what f's source shows, at the first call (made for the arguments) for the rest
    try:
        if mode == "aux":
            reverse = ts.grad(f, spec, has_aux=True)
            both = ts.value_and_grad(f, spec, has_aux=True)
        else:
            reverse = ts.grad(f, spec) if mode == "scalar" else ts.vjp(f, spec)
        forward = ts.jvp(f, spec)
        for made, arguments in ((reverse, args if mode != "array" else args + (u,)), (forward, args + tangents)):
            if hasattr(made, "for_arguments"):
                made.for_arguments(arguments, {})  # (made now, not run)
    except ts.TransformError as e:
        return _refused(e, f)
    except Exception:  # noqa: BLE001 - a crash of the transformation is a bug
        _fail("the transformation crashed:\n" + traceback.format_exc(), "internal")
    jvp_value, jv = _call("jvp_f", forward, args + tangents, reseed)
    _close("jvp_f's value", jvp_value, value, 1e-10)
    _same_shapes("the tangent", jv, value)
    if STRICT:
        _check_strict(f, forward, reverse, mode, args, tangents, reseed)

    if mode == "scalar":
        if np.ndim(value) != 0:
            _fail(f"f returned shape {np.shape(value)}, not a scalar", "invalid")
        pulled = _call("grad_f", reverse, args, reseed)
    elif mode == "aux":
        if not (isinstance(value, tuple) and len(value) == 2 and np.ndim(value[0]) == 0):
            _fail(f"f returned {value!r}, not (scalar, aux)", "invalid")
        u = (1.0, _zeros_like(value[1]))
        pulled = _check_aux(reverse, both, args, value, reseed)
    else:
        pulled = _call("vjp_f", reverse, args + (u,), reseed)
    pulled = pulled if len(wrt) > 1 else (pulled,)
    if not isinstance(pulled, tuple) or len(pulled) != len(wrt):
        _fail(f"the reverse derivative returned {pulled!r}, not {len(wrt)} gradients for wrt = {wrt}")
    for g, i in zip(pulled, wrt):
        _same_shapes(f"the gradient of x{i}", g, args[i])

    checkpointed = _check_checkpointed(f, spec, mode, args, u, pulled, rng, reseed)
    _check_specialized(f, spec, mode, args, u, pulled, reseed)

    left = _inner(u, jv)
    right = sum(_inner(g, t) for g, t in zip(pulled, tangents))
    scale = _norm(u) * _norm(jv) + sum(_norm(g) * _norm(t) for g, t in zip(pulled, tangents)) + 1e-300
    if abs(left - right) > DOT_RTOL * scale + 1e-13:
        _fail(f"dot-product test: <u, J v> = {left!r} (jvp) but <J^T u, v> = {right!r} (reverse mode)")

    size = error = np.inf
    for step in (STEP, STEP / 8, STEP / 64, STEP / 512):  # smaller steps where higher derivatives are large
        fd = _central_difference(f, args, wrt, tangents, step, reseed)
        error = _difference(jv, fd)
        size = max(_norm(fd), _norm(jv))
        if error <= FD_RTOL * size + 1e-8 * (1.0 + _norm(value)):
            break
    else:
        _fail(f"jvp disagrees with finite differences: |J v - fd| = {error:.3g}, |fd| = {_norm(fd):.3g}\n"
              f"J v = {jv!r}\nfd  = {fd!r}")
    return Outcome("passed", checkpointed=checkpointed)


def _check_specialized(f: Callable, spec: Any, mode: str, args: tuple, u: Any, pulled: tuple, reseed: bool) -> None:
    """The reverse derivative (specialized to the arguments, the default) must equal the general
    code's (specialize=False)."""
    if mode not in ("scalar", "array"):
        return
    try:
        made = ts.grad(f, spec, specialize=False) if mode == "scalar" else ts.vjp(f, spec, specialize=False)
        found = _call("general", made, args if mode == "scalar" else args + (u,), reseed)
    except ProgramFailure:
        raise
    except Exception:  # noqa: BLE001
        _fail("the general derivative failed:\n" + traceback.format_exc(), "crashed")
    found = found if isinstance(pulled, tuple) and len(pulled) > 1 else (found,)
    for g, expected in zip(found, pulled):
        _same_shapes("the general code's gradient", g, expected)
        if _difference(g, expected) > 1e-11 * (1.0 + _norm(expected)):
            _fail(f"the specialized gradient {expected!r} is not the general code's {g!r}")


def _check_checkpointed(f: Callable, spec: Any, mode: str, args: tuple, u: Any, pulled: tuple,
                        rng: np.random.Generator, reseed: bool) -> str:
    """The reverse derivative again with its loops checkpointed (a setting drawn): it must equal the
    full tape's (the trips run again compute what they computed), or be refused for checkpointing
    with file:line (a loop with an effect)."""
    try:
        source = inspect.getsource(f)
    except (OSError, TypeError):
        return ""
    if "for " not in source:
        return ""
    setting = [1, 2, 3, "sqrt"][int(rng.integers(4))]
    try:
        if mode == "aux":
            checkpointed = ts.grad(f, spec, has_aux=True, checkpoint=setting)
        else:
            checkpointed = ts.grad(f, spec, checkpoint=setting) if mode == "scalar" else \
                ts.vjp(f, spec, checkpoint=setting)
        text = ts.source(checkpointed)  # (the general code: made now, refused now for checkpointing)
    except ts.TransformError as e:
        if "checkpointed loop" in str(e) and _refusal_problem(e, f) is None:
            return "refused"
        _fail(f"checkpoint={setting!r} refused what the full tape differentiates: {e}", "bad-refusal")
    except Exception:  # noqa: BLE001
        _fail(f"the transformation with checkpoint={setting!r} crashed:\n" + traceback.format_exc(), "internal")
    if "Checkpoints(" not in text:
        return ""  # no loop it could checkpoint (a while loop, a break, nothing to reverse)
    found = _call(f"checkpointed (checkpoint={setting!r})", checkpointed, args if mode != "array" else args + (u,),
                  reseed)
    found = found[0] if mode == "aux" else found
    found = found if isinstance(pulled, tuple) and len(pulled) > 1 else (found,)
    for g, expected in zip(found, pulled):
        if _difference(g, expected) > 1e-11 * (1.0 + _norm(expected)):
            _fail(f"checkpoint={setting!r} gave another gradient: {g!r}, the full tape's {expected!r}")
    return "checked"


def _check_strict(f: Callable, forward: Callable, reverse: Callable, mode: str, args: tuple, tangents: tuple,
                  reseed: bool) -> None:
    """With TANGENT_SRC_FUZZ_STRICT=1: where f itself runs on StrictArray inputs (a stand-in for a
    CuPy array that refuses conversion to numpy, tests/strict_array.py), its derivatives must too."""
    sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
    from strict_array import wrap  # noqa: PLC0415 - tests/strict_array.py, only when asked for

    strict = wrap(args)
    try:
        _reseed(reseed)
        f(*strict)
    except Exception:  # noqa: BLE001 - f itself makes numpy arrays: nothing to check
        return
    plain = tuple(float(t) if isinstance(t, (float, np.floating)) else t for t in tangents)  # floats stay floats
    _call("jvp_f on StrictArray inputs", forward, strict + wrap(plain), reseed)
    if mode == "scalar" or mode == "aux":
        _call("grad_f on StrictArray inputs", reverse, strict, reseed)


def has_aux() -> bool:
    """Whether ts.grad and ts.value_and_grad take `has_aux` (the JAX convention)."""
    return all("has_aux" in inspect.signature(fn).parameters for fn in (ts.grad, ts.value_and_grad))


def _check_aux(reverse: Callable, both: Callable, args: tuple, value: Any, reseed: bool) -> Any:
    """grad(f, has_aux=True) gives (gradient, aux); value_and_grad ((value, aux), gradient)."""
    got = _call("grad_f", reverse, args, reseed)
    if not (isinstance(got, tuple) and len(got) == 2):
        _fail(f"grad(f, has_aux=True) returned {got!r}, not (gradient, aux)")
    pulled, aux = got
    _close("grad_f's aux", aux, value[1], 1e-10)
    got = _call("value_and_grad_f", both, args, reseed)
    if not (isinstance(got, tuple) and len(got) == 2 and isinstance(got[0], tuple) and len(got[0]) == 2):
        _fail(f"value_and_grad(f, has_aux=True) returned {got!r}, not ((value, aux), gradient)")
    (v, aux2), g2 = got
    _close("value_and_grad_f's value", v, value[0], 1e-10)
    _close("value_and_grad_f's aux", aux2, value[1], 1e-10)
    _close("value_and_grad_f's gradient", g2, pulled, 1e-10)
    return pulled


LOCATION = re.compile(r"\.py:\d+:\d+: ")
INTERNAL_NAME = re.compile(r"\b(t\d+|[A-Za-z_]\w*?_\d+)\b")


def _refusal_problem(e: Exception, f: Callable) -> str | None:
    """What is wrong with a refusal: no file:line, or a name the user never wrote."""
    text = str(e)
    if type(e).__name__ == "InternalError":
        return "internal"
    if not LOCATION.search(text):
        return "a refusal without file:line"
    path = f.__code__.co_filename
    with open(path, encoding="utf-8") as handle:
        words = set(re.findall(r"\w+", handle.read()))
    text = text.replace(path, "").replace(os.path.basename(path), "")
    internal = sorted({m for m in INTERNAL_NAME.findall(text) if m not in words})
    return f"a refusal naming {', '.join(internal)}, which the program does not" if internal else None


def _refused(e: Exception, f: Callable) -> Outcome:
    problem = _refusal_problem(e, f)
    if problem == "internal":
        _fail(f"InternalError: {e}", "internal")
    if problem:
        _fail(f"{problem}: {type(e).__name__}: {e}", "bad-refusal")
    return Outcome("refused", f"{type(e).__name__}: {e}")


def _expect_refusal(make: Callable, f: Callable, spec: Any, args: tuple, reseed: bool) -> None:
    """make(f) (grad or value_and_grad) must refuse f, which visibly returns a tuple."""
    try:
        derivative = make(f, spec)
    except ts.TransformError as e:
        problem = _refusal_problem(e, f)
        if problem == "internal":
            _fail(f"InternalError: {e}", "internal")
        if problem:
            _fail(f"{make.__name__} of a tuple result: {problem}: {e}", "bad-refusal")
        return
    except Exception:  # noqa: BLE001
        _fail(f"{make.__name__} of a tuple result crashed:\n" + traceback.format_exc(), "internal")
    try:
        _reseed(reseed)
        got = derivative(*args)
    except ts.TransformError as e:
        _fail(f"{make.__name__} of a tuple result refused only when called: {e}", "bad-refusal")
    except Exception:  # noqa: BLE001
        _fail(f"{make.__name__} of a tuple result raised when called:\n" + traceback.format_exc(), "crashed")
    _fail(f"{make.__name__} of a result that is not a float (a tuple, a string, ...) was not refused: "
          f"it returned {got!r}", "wrong")


def _reseed(on: bool) -> None:
    if on:
        np.random.seed(RESEED)
        random.seed(RESEED)


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


def _call(what: str, fn: Callable, args: tuple, reseed: bool = False, status: str = "crashed") -> Any:
    """fn(*args), checking that no argument is modified; any exception is a failure (`status`:
    "crashed" for the generated derivatives, "invalid" for f itself, the fuzzer's own bug)."""
    before = [_copy(a) for a in args]
    try:
        _reseed(reseed)
        result = fn(*args)
    except Exception:  # noqa: BLE001 - the derivative code crashing is a bug
        _fail(f"{what} raised:\n" + traceback.format_exc(), status)
    for k, (b, a) in enumerate(zip(before, args)):
        if not _equal(a, b):
            _fail(f"{what} modified its argument {k}", "wrong" if status == "crashed" else status)
    return result


def _copy(x: Any) -> Any:
    if isinstance(x, (tuple, list)):
        return type(x)(_copy(v) for v in x)
    return x.copy() if isinstance(x, np.ndarray) else x


def _equal(a: Any, b: Any) -> bool:
    if isinstance(b, (tuple, list)):
        return isinstance(a, type(b)) and len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    return np.shape(a) == np.shape(b) and bool(np.array_equal(a, b))


def _flat(x: Any) -> np.ndarray:
    if isinstance(x, (tuple, list)):
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
    if isinstance(like, (tuple, list)):
        if not isinstance(found, (tuple, list)) or len(found) != len(like):
            _fail(f"{what} is {type(found).__name__} {found!r}, expected a tuple of {len(like)}")
        for k, (a, b) in enumerate(zip(found, like)):
            _same_shapes(f"{what}[{k}]", a, b)
        return
    if np.shape(found) != np.shape(like):
        _fail(f"{what} has shape {np.shape(found)}, expected {np.shape(like)}")


def _random_like(x: Any, rng: np.random.Generator) -> Any:
    if isinstance(x, (tuple, list)):
        return type(x)(_random_like(v, rng) for v in x)
    shape = np.shape(x)
    return rng.standard_normal(shape) if shape else float(rng.standard_normal())


def _zeros_like(x: Any) -> Any:
    if isinstance(x, (tuple, list)):
        return tuple(_zeros_like(v) for v in x)
    return np.zeros(np.shape(x)) if np.shape(x) else 0.0


def _unit_like(x: Any, rng: np.random.Generator) -> Any:
    return _random_like(x, rng)


def _scale(x: Any, s: float) -> Any:
    return x * s


def _central_difference(f: Callable, args: tuple, wrt: tuple, tangents: tuple, h: float = STEP,
                        reseed: bool = False) -> Any:
    """(-f(x+2hv) + 8 f(x+hv) - 8 f(x-hv) + f(x-2hv)) / 12h, error O(h^4)."""

    def at(s: float) -> np.ndarray:
        moved = list(args)
        for i, t in zip(wrt, tangents):
            moved[i] = args[i] + s * t
            if isinstance(args[i], float):
                moved[i] = float(moved[i])
        _reseed(reseed)
        return _flat(f(*moved))

    return (-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h)
