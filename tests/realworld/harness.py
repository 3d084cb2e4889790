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
that every call leaves its inputs as the program itself does: unchanged, or,
for the arguments in `mutates`, with the same keys, attributes and items bound
(batchnorm's running mean in bn_param) -- but never with a change inside an
array the caller passed, even where the program makes one in place.

A case may be a method (`fn` the class's function, `args[0]` the object, wrt
items "self.<attr>" or parameter names): it is differentiated as the user
does it, `ts.grad(model.loss, wrt=("self.params",))(X, y)`, the gradient
shaped like the attribute, and jvp takes one tangent per wrt item after the
method's own arguments; the object's state after each call must equal the
state the method itself leaves. The outcome is "pass", "refused" (a clean
TransformError naming file:line:col) or an AssertionError / the exception
raised inside the generated code.
"""

from __future__ import annotations

import copy
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
    mutates: tuple = ()  # arguments the program itself changes (see check_effects)


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


# ------------------------------------------------------------------ the program as called


def has_aux_supported() -> bool:
    return "has_aux" in inspect.signature(ts.grad).parameters


class Target:
    """How one case is called: a plain function, or a method of the object `args[0]` (then `fn` is the
    class's function, e.g. `TwoLayerNet.loss`, and each wrt item is a parameter name or "self.<attr>",
    an attribute of the object, differentiated as `ts.grad(model.loss, wrt="self.params")`).

    Every call gets fresh copies of the arguments (and a deep copy of the object), so that what one
    call changes is never seen by another."""

    def __init__(self, case: Case):
        self.case = case
        self.method = bool(case.wrt) and any(isinstance(w, str) and w.startswith("self.") for w in case.wrt)
        names = list(inspect.signature(case.fn).parameters)
        self.items = [self._item(w, names) for w in case.wrt]

    def _item(self, w: Any, names: list) -> tuple[str, Any]:
        if isinstance(w, str) and w.startswith("self."):
            return "attr", w[len("self."):]
        index = w if isinstance(w, int) else names.index(w)
        assert not (self.method and isinstance(w, int)), "a method's wrt names its parameters"
        return "arg", index

    def copy(self, args: tuple) -> tuple:
        if not self.method:
            return copy_tree(args)
        return (copy.deepcopy(args[0]), *copy_tree(args[1:]))

    def get(self, args: tuple, item: tuple[str, Any]) -> Any:
        kind, where = item
        return getattr(args[0], where) if kind == "attr" else args[where]

    def wrt_values(self, args: tuple) -> list:
        return [self.get(args, item) for item in self.items]

    def moved(self, args: tuple, t: float, v: list) -> tuple:
        """A copy of args with each wrt value moved by t along its direction."""
        moved = list(self.copy(args))
        for (kind, where), d in zip(self.items, v):
            if kind == "attr":
                setattr(moved[0], where, axpy(getattr(moved[0], where), t, d))
            else:
                moved[where] = axpy(moved[where], t, d)
        return tuple(moved)

    def split(self, args: tuple) -> tuple[Callable, tuple]:
        """(what to call, its arguments): the function itself, or the bound method of args[0]."""
        if self.method:
            return getattr(args[0], self.case.fn.__name__), args[1:]
        return self.case.fn, args

    def call(self, args: tuple) -> Any:
        """The program itself, on copies."""
        fn, rest = self.split(self.copy(args))
        return fn(*rest)

    def effects(self, args: tuple) -> dict:
        """What the program does to (copies of) its arguments: see `effects`."""
        copies = self.copy(args)
        snapshot = snapshot_of(copies)
        fn, rest = self.split(copies)
        fn(*rest)
        return effects(snapshot, leaves(copies))

    def derive(self, transform: Callable, args: tuple, **options: Any) -> tuple[Callable, tuple]:
        """(the derivative, the copies of the arguments its call takes); a method is derived on its
        object's copy. Refused for a clean TransformError; InternalError propagates."""
        copies = self.copy(args)
        fn, _ = self.split(copies)
        try:
            return transform(fn, self.case.wrt, **options), copies
        except InternalError:
            raise
        except ts.TransformError as error:
            raise Refused(str(error)) from error


def leaves(x: Any, path: tuple = ()) -> dict:
    """path -> leaf of a tree of arguments: dict keys, list and tuple items and an object's attributes are
    walked; containers are leaves too (as their type and keys or length), so structure is compared."""
    if isinstance(x, dict):
        found = {path: ("dict", tuple(x))}
        for k, v in x.items():
            found.update(leaves(v, (*path, k)))
        return found
    if isinstance(x, (tuple, list)):
        found = {path: (type(x).__name__, len(x))}
        for i, v in enumerate(x):
            found.update(leaves(v, (*path, i)))
        return found
    if hasattr(x, "__dict__") and not callable(x) and not isinstance(x, type):
        return {path: ("object", type(x))} | leaves(vars(x), (*path, "<attributes>"))
    return {path: x}


def snapshot_of(x: Any) -> dict:
    """path -> (the leaf, a copy of it if it is an array), before a call; the leaf itself is kept so that no
    new object can take its id."""
    return {path: (v, v.copy() if isinstance(v, np.ndarray) else v) for path, v in leaves(x).items()}


def effects(snapshot: dict, after: dict) -> dict:
    """path -> what the program did there: ("untouched",), ("in place",) for an array of the caller's it
    changed, or ("new", value) for a path it bound or rebound (a dict key, an attribute, an appended item)."""
    found = {}
    for path, x in after.items():
        old = snapshot.get(path)
        if old is not None and isinstance(x, np.ndarray) and isinstance(old[1], np.ndarray):
            unchanged = np.shape(x) == np.shape(old[1]) and np.array_equal(x, old[1])
            found[path] = ("untouched",) if unchanged else ("in place",) if old[0] is x else ("new", x)
        elif old is not None and not isinstance(old[1], np.ndarray) and _same_leaf(x, old[1]):
            found[path] = ("untouched",)
        else:
            found[path] = ("new", x)
    return found


def _same_leaf(found: Any, expected: Any) -> bool:
    if isinstance(expected, (np.ndarray, np.generic, float)) and not isinstance(found, (tuple, str)):
        return np.shape(found) == np.shape(expected) and close(found, expected, 1e-12)[0]
    try:
        return found is expected or bool(np.all(found == expected))
    except (TypeError, ValueError):
        return False


def check_effects(program: dict, snapshot: dict, after: dict, what: str, mutates: tuple) -> None:
    """The derivative did to the arguments what the program does: the same structure and the same values
    bound (batchnorm's running mean in bn_param, a velocity in config), and never a change inside an
    array the caller passed (the house rule, even where the program itself changes it in place)."""
    assert set(after) == set(program), (
        f"{what} left the arguments shaped otherwise than the program does: "
        f"{sorted(map(str, set(after) ^ set(program)))}")
    for path, done in program.items():
        argument = path[0] if path else None
        assert done[0] == "untouched" or argument in mutates, (
            f"test defect: the program changes argument {argument} ({path}), which `mutates` does not list")
        if done[0] == "new":
            assert _same_leaf(after[path], done[1]), f"{what} left {path} otherwise than the program does"
        elif isinstance(snapshot[path][1], np.ndarray):
            assert np.array_equal(after[path], snapshot[path][1]), f"{what} modified an argument's array {path}"
        else:
            assert _same_leaf(after[path], snapshot[path][1]), f"{what} changed {path} of the arguments"


def call_checked(target: Target, derivative: Callable, copies: tuple, extra: tuple, what: str) -> Any:
    """derivative(*the program's arguments, *extra) on copies, then `check_effects`. A TransformError is
    a refusal."""
    program = target.effects(copies)
    snapshot = snapshot_of(copies)
    _, rest = target.split(copies)
    try:
        result = derivative(*rest, *extra)
    except InternalError:
        raise
    except ts.TransformError as error:
        raise Refused(str(error)) from error
    mutates = (*target.case.mutates, *((0,) if target.method else ()))
    check_effects(program, snapshot, leaves(copies), what, mutates)
    return result


# ------------------------------------------------------------------ the checks


def directional_difference(target: Target, args: tuple, v: list, h: float, loss: bool) -> Any:
    """Fourth-order central difference of the program along v (one direction per wrt item)."""
    def at(t: float) -> Any:
        value = target.call(target.moved(args, t, v))
        return value[0] if loss else value

    f2, f1, b1, b2 = at(2 * h), at(h), at(-h), at(-2 * h)
    return tree_map(lambda a, b, c, d: (-a + 8 * b - 8 * c + d) / (12 * h), f2, f1, b1, b2)


def _reverse(case: Case, target: Target, args: tuple, value: Any, u: Any) -> Any:
    """The reverse derivative's result (grad, grad with has_aux, or vjp), value_and_grad checked against grad."""
    if case.has_aux:
        reverse, copies = target.derive(ts.grad, args, has_aux=True)
        pulled, aux = call_checked(target, reverse, copies, (), "grad(has_aux=True)")
        assert equal(aux, value[1]), "the aux value differs from the function's"
        return pulled
    if not case.scalar:
        reverse, copies = target.derive(ts.vjp, args)
        return call_checked(target, reverse, copies, (u,), "vjp")
    reverse, copies = target.derive(ts.grad, args)
    pulled = call_checked(target, reverse, copies, (), "grad")
    both, copies = target.derive(ts.value_and_grad, args)
    both_value, both_grad = call_checked(target, both, copies, (), "value_and_grad")
    assert close(both_value, value, 1e-12)[0], "value_and_grad's value differs from the function's"
    assert close(tuple(both_grad), tuple(pulled), 1e-12)[0], "value_and_grad's gradient differs from grad's"
    return pulled


def _oracle(case: Case, target: Target, args: tuple, u: Any) -> Any:
    oracle_args = target.copy(args)
    return tuple(case.oracle(*oracle_args) if case.scalar or case.has_aux else case.oracle(*oracle_args, u))


def check_oracle(case: Case, seed: int) -> None:
    """The hand-written oracle against finite differences, without the tool (a wrong oracle must not pass,
    and a refused program's oracle is ready for the day the tool accepts it)."""
    rng = np.random.default_rng(seed)
    target = Target(case)
    args = case.make_args(rng)
    value = target.call(args)
    u = 1.0 if case.scalar else random_tree(value, rng)
    v = [random_tree(a, rng) for a in target.wrt_values(args)]
    expected = _oracle(case, target, args, u)
    assert shapes(expected) == shapes(tuple(target.wrt_values(args))), "test defect: the oracle's shapes"
    fd = directional_difference(target, args, v, case.step, case.has_aux)
    fd_scalar, oracle_scalar = inner(u, fd), inner(expected, tuple(v))
    assert abs(oracle_scalar - fd_scalar) <= FD_RTOL * max(1.0, abs(fd_scalar)), (
        f"test defect: the oracle gives {oracle_scalar!r} along v, finite differences {fd_scalar!r}")


def run_case(case: Case, seed: int) -> None:
    """All checks of one case at one seed; raises Refused, AssertionError or what the generated code raised."""
    rng = np.random.default_rng(seed)
    target = Target(case)
    args = case.make_args(rng)
    value = target.call(args)
    u = 1.0 if case.scalar else random_tree(value, rng)
    v = [random_tree(a, rng) for a in target.wrt_values(args)]

    pulled = tuple(_reverse(case, target, args, value, u))
    expected = _oracle(case, target, args, u)
    assert shapes(pulled) == shapes(tuple(target.wrt_values(args))), "a gradient is not shaped like its argument"

    # the oracle itself against finite differences (a wrong oracle must not pass)
    fd = directional_difference(target, args, v, case.step, case.has_aux)
    fd_scalar = inner(u, fd)
    oracle_scalar = inner(expected, tuple(v))
    assert abs(oracle_scalar - fd_scalar) <= FD_RTOL * max(1.0, abs(fd_scalar)), (
        f"test defect: the oracle gives {oracle_scalar!r} along v, finite differences {fd_scalar!r}")

    ok, gap = close(pulled, expected, ORACLE_RTOL)
    assert ok, f"reverse mode differs from the hand-written oracle (relative gap {gap:.3g})"

    forward, copies = target.derive(ts.jvp, args)
    jvp_value, tangent = call_checked(target, forward, copies, tuple(copy_tree(v)), "jvp")
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


def _wrapped(target: Target, args: tuple) -> tuple:
    """Copies of args with every array on StrictArray (for a method: the differentiated attributes)."""
    from strict_array import wrap

    if not target.method:
        return wrap(copy_tree(args))
    copies = target.copy(args)
    for kind, where in target.items:
        if kind == "attr":
            setattr(copies[0], where, wrap(getattr(copies[0], where)))
    return (copies[0], *wrap(copies[1:]))


def run_strict(case: Case, seed: int) -> bool:
    """Where the program itself runs on StrictArray inputs (a CuPy stand-in that refuses conversion to
    numpy or to Python numbers), its derivatives must run on them too and equal the numpy results.
    Returns False where the user's own code does not run on StrictArray (nothing to check)."""
    from strict_array import unwrap, wrap

    rng = np.random.default_rng(seed)
    target = Target(case)
    args = case.make_args(rng)
    try:
        value = target.call(_wrapped(target, args))
    except Exception:  # noqa: BLE001 - the user's code is not array-agnostic: nothing to check
        return False
    v = [random_tree(a, rng) for a in target.wrt_values(args)]
    extra: tuple = ()
    if not (case.has_aux or case.scalar):
        extra = (random_tree(unwrap(value), rng),)
    options = {"has_aux": True} if case.has_aux else {}
    transform = ts.grad if case.has_aux or case.scalar else ts.vjp
    results = []
    for strict in (False, True):
        reverse, copies = target.derive(transform, _wrapped(target, args) if strict else args, **options)
        _, rest = target.split(copies)
        results.append(reverse(*rest, *(wrap(extra) if strict else extra)))
    assert close(unwrap(results[1]), results[0], 1e-12)[0], "the reverse derivative differs on StrictArray"
    tangents = []
    for strict in (False, True):
        forward, copies = target.derive(ts.jvp, _wrapped(target, args) if strict else args)
        _, rest = target.split(copies)
        tangents.append(forward(*rest, *(wrap(copy_tree(v)) if strict else copy_tree(v))))
    assert close(unwrap(tangents[1]), tangents[0], 1e-12)[0], "jvp differs on StrictArray"
    return True
