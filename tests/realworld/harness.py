"""Checking one real-world program: the tool's derivatives against a hand-written oracle and finite differences.

A `Case` names a user-style function, how to make its float64 inputs, which
arguments are differentiated, and an oracle written by hand (the program's own
backward pass, or a closed-form gradient):

- for a scalar result, `oracle(*args)` returns the gradient of each `wrt`
  argument (a tuple, in `wrt` order);
- for an array (or tuple) result, `oracle(*args, u)` returns the cotangent u
  pulled back to each `wrt` argument.

`run_case` derives grad (or vjp) and jvp and checks, on random inputs:
the reverse derivative against the oracle; the oracle against a fourth-order
central difference along a random direction (so a wrong oracle cannot pass);
the tangent from jvp against the same difference; jvp's value against the
function's value; the dot-product identity <u, J v> == <J^T u, v>; shapes; and
that no call changed its inputs. The outcome is "pass", "refused" (a clean
TransformError naming file:line:col) or an AssertionError / the exception
raised inside the generated code.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

import tangent_src as ts
from tangent_src.errors import InternalError

LOCATION = re.compile(r"\.py:\d+:\d+: ")
ORACLE_RTOL = 1e-7
FD_RTOL = 1e-6
DOT_RTOL = 1e-9
STEP = 1e-3  # of the fourth-order central difference along a unit direction


@dataclass
class Case:
    name: str
    fn: Callable
    make_args: Callable[[np.random.Generator], tuple]
    wrt: tuple
    oracle: Callable
    scalar: bool = True  # grad (scalar result) or vjp (array or tuple result)
    has_aux: bool = False  # grad(fn, wrt, has_aux=True): fn returns (loss, aux)
    note: str = ""
    step: float = STEP
    seeds: tuple = field(default=(0, 1))


class Refused(Exception):
    """The tool refused the program with a clean TransformError (the message is kept)."""


# ------------------------------------------------------------------ trees of arrays


def tree_map(f: Callable, *trees: Any) -> Any:
    first = trees[0]
    if isinstance(first, dict):
        return {k: tree_map(f, *(t[k] for t in trees)) for k in first}
    if isinstance(first, (tuple, list)):
        return type(first)(tree_map(f, *items) for items in zip(*trees, strict=True))
    return f(*trees)


def copy_tree(x: Any) -> Any:
    return tree_map(lambda a: a.copy() if isinstance(a, np.ndarray) else a, x)


def random_tree(x: Any, rng: np.random.Generator) -> Any:
    def one(a: Any) -> Any:
        if isinstance(a, (int, float)) and not isinstance(a, bool):
            return float(rng.standard_normal())
        return rng.standard_normal(np.shape(a))

    return tree_map(one, x)


def inner(a: Any, b: Any) -> float:
    total = [0.0]

    def add(u: Any, v: Any) -> None:
        total[0] += float(np.sum(np.asarray(u, dtype=float) * np.asarray(v, dtype=float)))

    tree_map(add, a, b)
    return total[0]


def shapes(x: Any) -> Any:
    return tree_map(np.shape, x)


def axpy(x: Any, t: float, v: Any) -> Any:
    return tree_map(lambda a, d: a + t * d, x, v)


def equal(a: Any, b: Any) -> bool:
    flags = []
    tree_map(lambda u, v: flags.append(np.shape(u) == np.shape(v) and bool(np.array_equal(u, v))), a, b)
    return all(flags)


def close(found: Any, expected: Any, rtol: float) -> tuple[bool, float]:
    """Relative agreement of two trees, scaled by the expected tree's largest entry."""
    scale = [1e-12]
    tree_map(lambda e: scale.__setitem__(0, max(scale[0], float(np.max(np.abs(e))) if np.size(e) else 0.0)),
             expected)
    worst = [0.0]

    def one(f: Any, e: Any) -> None:
        assert np.shape(f) == np.shape(e), f"shape {np.shape(f)} where {np.shape(e)} was expected"
        if np.size(e):
            worst[0] = max(worst[0], float(np.max(np.abs(np.asarray(f, float) - np.asarray(e, float)))))

    tree_map(one, found, expected)
    gap = worst[0] / scale[0]
    return gap <= rtol, gap


# ------------------------------------------------------------------ deriving


def has_aux_supported() -> bool:
    return "has_aux" in inspect.signature(ts.grad).parameters


def derive(case: Case) -> tuple[Callable, Callable]:
    """(reverse derivative, jvp), or Refused for a clean TransformError; InternalError propagates."""
    try:
        if case.has_aux:
            reverse = ts.grad(case.fn, case.wrt, has_aux=True)
        else:
            reverse = (ts.grad if case.scalar else ts.vjp)(case.fn, case.wrt)
        forward = ts.jvp(case.fn, case.wrt)
    except InternalError:
        raise
    except ts.TransformError as error:
        raise Refused(str(error)) from error
    return reverse, forward


def call_checked(fn: Callable, args: tuple, what: str) -> Any:
    """fn(*args) on copies; asserts that the call left the copies unchanged. A TransformError is a refusal."""
    copies = copy_tree(args)
    snapshot = copy_tree(args)
    try:
        result = fn(*copies)
    except InternalError:
        raise
    except ts.TransformError as error:
        raise Refused(str(error)) from error
    assert equal(snapshot, copies), f"{what} modified one of its arguments"
    return result


# ------------------------------------------------------------------ the checks


def directional_difference(fn: Callable, args: tuple, wrt: tuple, v: list, h: float) -> Any:
    """Fourth-order central difference of fn along v (one direction per wrt argument)."""
    def at(t: float) -> Any:
        moved = list(copy_tree(args))
        for i, d in zip(wrt, v):
            moved[i] = axpy(moved[i], t, d)
        return fn(*moved)

    f2, f1, b1, b2 = at(2 * h), at(h), at(-h), at(-2 * h)
    return tree_map(lambda a, b, c, d: (-a + 8 * b - 8 * c + d) / (12 * h), f2, f1, b1, b2)


def run_case(case: Case, seed: int) -> None:
    """All checks of one case at one seed; raises Refused, AssertionError or what the generated code raised."""
    rng = np.random.default_rng(seed)
    args = case.make_args(rng)
    names = list(inspect.signature(case.fn).parameters)
    wrt = tuple(w if isinstance(w, int) else names.index(w) for w in case.wrt)
    reverse, forward = derive(case)
    value = case.fn(*copy_tree(args))
    u = 1.0 if case.scalar else random_tree(value, rng)
    v = [random_tree(args[i], rng) for i in wrt]

    if case.has_aux:
        pulled, aux = call_checked(reverse, args, "grad(has_aux=True)")
        assert equal(aux, value[1]), "the aux value differs from the function's"
        expected = case.oracle(*copy_tree(args))
    elif case.scalar:
        pulled = call_checked(reverse, args, "grad")
        expected = case.oracle(*copy_tree(args))
        both_value, both_grad = call_checked(ts.value_and_grad(case.fn, case.wrt), args, "value_and_grad")
        assert close(both_value, value, 1e-12)[0], "value_and_grad's value differs from the function's"
        assert close(tuple(both_grad), tuple(pulled), 1e-12)[0], "value_and_grad's gradient differs from grad's"
    else:
        pulled = call_checked(reverse, (*args, u), "vjp")
        expected = case.oracle(*copy_tree(args), u)
    pulled, expected = tuple(pulled), tuple(expected)
    assert shapes(pulled) == shapes(tuple(args[i] for i in wrt)), "a gradient is not shaped like its argument"

    # the oracle itself against finite differences (a wrong oracle must not pass)
    loss_fn = (lambda *a: case.fn(*a)[0]) if case.has_aux else case.fn
    fd = directional_difference(loss_fn, args, wrt, v, case.step)
    fd_scalar = inner(u, fd)
    oracle_scalar = inner(expected, tuple(v))
    assert abs(oracle_scalar - fd_scalar) <= FD_RTOL * max(1.0, abs(fd_scalar)), (
        f"test defect: the oracle gives {oracle_scalar!r} along v, finite differences {fd_scalar!r}")

    ok, gap = close(pulled, expected, ORACLE_RTOL)
    assert ok, f"reverse mode differs from the hand-written oracle (relative gap {gap:.3g})"

    jvp_value, tangent = call_checked(forward, (*args, *v), "jvp")
    jv_value = value[0] if case.has_aux else value
    assert equal(tree_map(np.shape, jvp_value), tree_map(np.shape, value))
    ok, gap = close(jvp_value, value, 1e-12)
    assert ok, f"jvp's value differs from the function's (gap {gap:.3g})"
    tangent_loss = tangent[0] if case.has_aux else tangent
    assert shapes(tangent_loss) == shapes(jv_value), "the tangent is not shaped like the value"
    ok, gap = close(tangent_loss, fd, FD_RTOL)
    assert ok, f"forward mode differs from finite differences (relative gap {gap:.3g})"

    left, right = inner(u, tangent_loss), inner(pulled, tuple(v))
    gap = abs(left - right) / max(abs(left), abs(right), 1e-12)
    assert gap <= DOT_RTOL, f"dot-product test: <u, J v> = {left!r}, <J^T u, v> = {right!r}"


def outcome(case: Case) -> str:
    """'pass', 'refused: <first line>', 'wrong: <message>' or 'crash: <exception>' (for the report table)."""
    try:
        for seed in case.seeds:
            run_case(case, seed)
    except Refused as refusal:
        first = str(refusal).splitlines()[0]
        return "refused: " + first
    except AssertionError as failure:
        return "wrong: " + str(failure).splitlines()[0]
    except Exception as error:  # noqa: BLE001 - the report names whatever the generated code raised
        return f"crash: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    return "pass"


# ------------------------------------------------------------------ the same derivatives on a CuPy stand-in


def run_strict(case: Case, seed: int) -> bool:
    """Where the program itself runs on StrictArray inputs (a CuPy stand-in that refuses conversion to
    numpy or to Python numbers), its derivatives must run on them too and equal the numpy results.
    Returns False where the user's own code does not run on StrictArray (nothing to check)."""
    from strict_array import unwrap, wrap

    rng = np.random.default_rng(seed)
    args = case.make_args(rng)
    wrapped = wrap(copy_tree(args))
    try:
        value = case.fn(*wrapped)
    except Exception:  # noqa: BLE001 - the user's code is not array-agnostic: nothing to check
        return False
    reverse, forward = derive(case)
    names = list(inspect.signature(case.fn).parameters)
    wrt = tuple(w if isinstance(w, int) else names.index(w) for w in case.wrt)
    v = [random_tree(args[i], rng) for i in wrt]
    if case.has_aux or case.scalar:
        on_numpy = reverse(*copy_tree(args))
        on_strict = reverse(*wrap(copy_tree(args)))
    else:
        u = random_tree(unwrap(value), rng)
        on_numpy = reverse(*copy_tree(args), u)
        on_strict = reverse(*wrap(copy_tree(args)), wrap(u))
    assert close(unwrap(on_strict), on_numpy, 1e-12)[0], "the reverse derivative differs on StrictArray"
    jvp_numpy = forward(*copy_tree(args), *copy_tree(v))
    jvp_strict = forward(*wrap(copy_tree(args)), *wrap(copy_tree(v)))
    assert close(unwrap(jvp_strict), jvp_numpy, 1e-12)[0], "jvp differs on StrictArray"
    return True
