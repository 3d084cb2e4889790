"""Per-rule tests, generated from a table of cases covering every differentiable rule.

Each case is a small function written the way users write it (`x + y`,
`np.sum(x, axis=0)`, `x.reshape(3, 2)`) with the shapes of its inputs. For
every case the derivatives are checked, never against a hand-derived formula:

* reverse and forward mode against central finite differences (float64), for
  each argument alone and for all of them together;
* forward against reverse mode through the dot-product identity
  <u, J v> = <J^T u, v>;
* no derivative modifies its arguments;
* on StrictArray (an array type that refuses conversion to numpy, like cupy)
  the derivatives run, return StrictArrays and agree with numpy;
* on cupy where a GPU exists (marked `gpu`, skipped elsewhere).

Inputs come from the rule's domain samplers (log gets positive numbers) or
from samplers below that keep the inputs of kinked functions (max, abs,
maximum, clip, where) away from their kinks and ties, so finite differences
are valid.
"""

from __future__ import annotations

import ast
import importlib.util
import zlib
from pathlib import Path
from dataclasses import replace
from typing import Any, Callable


import numpy as np
import pytest

import tangent_src as ts
from helpers import assert_not_mutated, copy_value, dot_product_check, make_function, random_like, to_numpy
from strict_array import StrictArray, wrap
from tangent_src.rules.registry import all_rules

from casekit import (  # noqa: F401  (the kit the tables are written with)
    BINARY_SHAPES, F, TOLERANCE, UNARY_SHAPES, UNARY_UFUNCS, Case, Sampler, _bands, _binary, _make, _unary,
    away_from_tenth,
    case, clip_array_value, clip_high, clip_low, clip_scalar_bounds, distinct, large, normal, not_near_integer,
    positive, small,
)

def _away_from_zero(rng, shape):
    return rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


CASES: dict[str, list[Case]] = {
    "operator.add": _binary("x + y") + [case("np.add(x, y)", (2, 3), (3,)), case("x + 1", (3,))],
    "operator.sub": _binary("x - y") + [case("np.subtract(x, y)", (2, 3), (3,))],
    "operator.mul": _binary("x * y") + [case("np.multiply(x, y)", (2, 3), (3,)), case("x * x", (3,)),
                                        case("3.0 * x", (2, 3))],
    "operator.truediv": _binary("x / y") + [
        case("x / np.sum(x, axis=1, keepdims=True)", (2, 3), x=positive),
        case("1.0 / x", (3,)),
        case("x / 2.0", (2, 3)),
        case("2 / x", F),
        case("np.divide(x, y)", (2, 3), (3,)),
    ],
    "operator.pow": _binary("x ** y") + [
        case("x ** 2", (2, 3)),
        case("x ** 3", (3,)),
        case("x ** -1", (2, 3)),
        case("2.0 ** x", F),
        case("x ** 0.5", (2, 3), x=positive),
        case("2.0 ** x", (2, 3)),
        case("np.power(x, y)", (2, 3), (3,)),
    ],
    "operator.neg": _unary("-x") + [case("np.negative(x)", (3,))],
    "operator.pos": [case("+x", (2, 3)), case("+x", F)],
    **{f"numpy.{name}": _unary(f"np.{name}(x)") for name in UNARY_UFUNCS},
    "numpy.maximum": _binary("np.maximum(x, y)", x=large, y=small) + _binary("np.maximum(y, x)", x=large, y=small)
    + [case("np.maximum(x, 0.0)", (2, 3), x=large), case("np.maximum(x, x)", (3,))],
    "numpy.minimum": _binary("np.minimum(x, y)", x=large, y=small) + _binary("np.minimum(y, x)", x=large, y=small)
    + [case("np.minimum(x, 1.0)", (2, 3), x=_bands((-1.0, 0.8), (1.2, 2.0))), case("np.minimum(x, x)", (3,))],
    "numpy.where": _binary("np.where(x > 0.1, x, y)", x=away_from_tenth) + [
        case("np.where(x > 0.1, x, 0.0)", (2, 3), x=away_from_tenth),
        case("np.where(x > 0.1, 1.0, y)", (2, 3), (3,), x=away_from_tenth),
        case("np.where(y < 0.1, x, y)", (2, 3), (2, 3), y=away_from_tenth),
        case("np.where(w > 0.1, x, y)", (2, 3), (3,), (2, 1), w=away_from_tenth),
        case("np.where(w > 0.1, x, y)", (2, 3), (), F, names="w, x, y", w=away_from_tenth),
    ],
    "numpy.clip": [
        *(case("np.clip(x, -0.5, 0.5)", s, x=clip_scalar_bounds) for s in ((), (6,), (2, 3), F)),
        case("x.clip(-0.5, 0.5)", (2, 3), x=clip_scalar_bounds),
        case("np.clip(a, lo, hi)", (2, 3), (2, 3), (2, 3), names="a, lo, hi",
             a=clip_array_value, lo=clip_low, hi=clip_high),
        case("np.clip(a, lo, hi)", (2, 3), (3,), (), names="a, lo, hi",
             a=clip_array_value, lo=clip_low, hi=clip_high),
        case("np.clip(a, lo, hi)", (3,), F, F, names="a, lo, hi",
             a=clip_array_value, lo=clip_low, hi=clip_high),
        case("np.clip(a, lo, 1.0)", (2, 3), (2, 1), names="a, lo", a=clip_array_value, lo=clip_low),
        case("np.clip(a, lo, hi)", (3,), (2, 3), (2, 1), names="a, lo, hi",
             a=clip_array_value, lo=clip_low, hi=clip_high),
        case("np.clip(x, None, 0.5)", (2, 3), x=clip_scalar_bounds),
        case("np.clip(x, -0.5, None)", (2, 3), x=clip_scalar_bounds),
    ],
    "numpy.abs": _unary("np.abs(x)") + _unary("abs(x)") + [case("np.absolute(x)", (2, 3))],
    "numpy.sum": [
        case("np.sum(x)", (2, 3)),
        case("np.sum(x)", ()),
        case("np.sum(x)", (3,)),
        case("np.sum(x, axis=0)", (2, 3)),
        case("np.sum(x, 0)", (2, 3)),
        case("np.sum(x, axis=0)", (3,)),
        case("np.sum(x, axis=None)", (2, 3)),
        case("np.sum(x, keepdims=True)", (2, 3)),
        case("np.sum(x)", F),
        case("np.sum(x, axis=-1, keepdims=True)", (2, 3)),
        case("np.sum(x, axis=(0, 2))", (2, 3, 4)),
        case("np.sum(x, axis=1, keepdims=True)", (2, 3, 4)),
        case("x.sum()", (2, 3)),
        case("x.sum(axis=1)", (2, 3)),
        case("x.sum(0)", (2, 3)),
        case("x.sum(axis=0, keepdims=True)", (2, 3)),
        case("x.sum(1, keepdims=True)", (2, 3)),
    ],
    "numpy.mean": [
        case("np.mean(x)", (2, 3)),
        case("np.mean(x)", (3,)),
        case("np.mean(x, axis=0)", (2, 3)),
        case("np.mean(x, axis=-1, keepdims=True)", (2, 3)),
        case("np.mean(x, axis=(0, 2))", (2, 3, 4)),
        case("x.mean()", (2, 3)),
        case("x.mean(axis=1)", (2, 3)),
        case("x.mean(axis=0, keepdims=True)", (2, 3)),
        case("np.mean(x, 1)", (2, 3)),
        case("np.mean(x, keepdims=True)", (2, 3)),
        case("np.mean(x)", ()),
    ],
    **{
        f"numpy.{op}": [
            case(f"np.{op}(x)", (2, 3), x=distinct),
            case(f"np.{op}(x)", (4,), x=distinct),
            case(f"np.{op}(x, axis=0)", (2, 3), x=distinct),
            case(f"np.{op}(x, axis=1, keepdims=True)", (2, 3), x=distinct),
            case(f"np.{op}(x, axis=-1)", (2, 3, 4), x=distinct),
            case(f"np.{op}(x, axis=(0, 2), keepdims=True)", (2, 3, 4), x=distinct),
            case(f"x.{op}()", (2, 3), x=distinct),
            case(f"x.{op}(axis=1)", (2, 3), x=distinct),
            case(f"x.{op}(axis=0, keepdims=True)", (2, 3), x=distinct),
            case(f"np.a{op}(x, axis=0)", (2, 3), x=distinct),
            case(f"np.{op}(x, 1)", (2, 3), x=distinct),
            case(f"np.{op}(x, keepdims=True)", (2, 3), x=distinct),
            case(f"x.{op}(0)", (3,), x=distinct),
            case(f"np.{op}(x)", ()),
        ]
        for op in ("max", "min")
    },
    "numpy.transpose": [
        case("np.transpose(x)", (2, 3)),
        case("np.transpose(x)", (2, 3, 4)),
        case("np.transpose(x, (1, 0, 2))", (2, 3, 4)),
        case("np.transpose(x, axes=(2, 0, 1))", (2, 3, 4)),
        case("np.transpose(x, (0, -1, 1))", (2, 3, 4)),
        case("x.transpose(1, 0, 2)", (2, 3, 4)),
        case("x.transpose((2, 0, 1))", (2, 3, 4)),
        case("x.transpose()", (2, 3, 4)),
        case("np.transpose(x, [1, 0, 2])", (2, 3, 4)),
        case("x.transpose([2, 1, 0])", (2, 3, 4)),
    ],
    "getitem": [
        case("x[1]", (3,)),
        case("x[-1] * x[0]", (4,)),
        case("x[1:3]", (5,)),
        case("x[::2]", (5,)),
        case("x[:, 1]", (2, 3)),
        case("x[1, ::-1]", (2, 3)),
        case("x[..., 0]", (2, 3, 4)),
        case("x[[0, 2, 0, 0]]", (3,)),
        case("x[[0, 0], 1:]", (2, 3)),
        case("x[x > 0.3]", (6,)),
        case("x[:, None] * x[None, :]", (3,)),
        case("x[np.argmax(x)]", (5,)),
        case("n = x.shape[0]\nreturn x[n - 1]", (4,)),
    ],
    "setitem": [
        case("y = x * 1.0\ny[0] = 2.0 * x[1]\nreturn y", (3,)),
        case("y = np.zeros_like(x)\ny[1:3] = x[:2] ** 2\nreturn y", (4,)),
        case("y = x * 2.0\ny[:, 0] = w\nreturn y", (2, 3), (2,), names="x, w"),
        case("y = x + 0.0\ny[0] += w\ny[-1] = 0.0\nreturn y * y", (3,), (), names="x, w"),
        case("y = x * x\ny[x > 0.5] = w\nreturn np.sum(y)", (5,), (), names="x, w"),
    ],
    "unpack": [
        case("a, b = x\nreturn a * np.sin(b)", (2, 3)),
        case("a, b, c = x\nreturn a * c", (3,)),
        case("a, b = x\nreturn a", (2, 2)),
    ],
    "list.append": [
        case("xs = []\nxs.append(x)\nxs.append(x * y)\nreturn np.stack(xs)", (3,), (3,)),
        case("xs = [x]\nxs.append(np.sin(x))\nreturn np.concatenate(xs) ** 2", (2, 2)),
    ],
    "numpy.stack": [
        case("np.stack([x, y])", (3,), (3,)),
        case("np.stack((x, y * x), axis=1)", (2, 3), (2, 3)),
        case("np.stack([x, x, y], axis=-1)", (2,), (2,)),
    ],
    "numpy.concatenate": [
        case("np.concatenate([x, y])", (3,), (2,)),
        case("np.concatenate([x, y], axis=1)", (2, 3), (2, 1)),
        case("np.concatenate((x, 2.0 * x), axis=0)", (2, 2)),
    ],
    **{f"math.{name}": [case(f"math.{name}(x)", F), case(f"math.{name}(x) * y", F, F)]
       for name in ("sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "exp", "expm1",
                    "log", "log1p", "sqrt", "fabs")},
    "math.pow": [case("math.pow(x, y)", F, F), case("math.pow(x, 2.5)", F)],
    **{f"math.{name}": [case(f"math.{name}(x)", F, **domain), case(f"math.{name}(x) * y", F, F, **domain)]
       for name, domain in (("asinh", {}), ("acosh", {"x": lambda r, s: r.uniform(1.5, 3.5, s)}),
                            ("atanh", {"x": lambda r, s: r.uniform(-0.9, 0.9, s)}), ("log2", {"x": positive}),
                            ("log10", {"x": positive}), ("degrees", {}), ("radians", {}), ("erf", {}), ("erfc", {}))},
    **{f"math.{name}": [case(f"math.{name}(x, y)", F, F, x=_away_from_zero, y=_away_from_zero),
                        case(f"math.{name}(x, 2.0) * y", F, F, x=_away_from_zero)]
       for name in ("hypot", "atan2", "copysign")},
    "builtins.sum": [
        case("sum([x, y * x])", (3,), (3,)),
        case("sum(x)", (3, 2)),
        case("sum(x[i] ** 2 for i in range(3))", (4,)),
        case("sum([x * y for k in range(2)], 1.0)", (2,), ()),
    ],
    "builtins.list": [
        case("np.stack(list(x)) ** 2", (3, 2)),
        case("list(x)[1] * list(x)[0]", (3,)),
        case("np.stack(list([x, y * x]))", (3,), (3,)),
    ],
    "builtins.tuple": [
        case("np.stack(tuple(x)) * 2.0", (2, 3)),
        case("tuple([x, y])[1] * x", (3,), (3,)),
    ],
    "numpy.array": [
        case("np.array([x, y * x]) ** 2", (), ()),
        case("np.array([x, y]) * np.array([[1.0], [2.0]])", (3,), (3,)),
        case("np.asarray(x) * 3.0", (2,)),
    ],
    "ndarray.T": [case("x.T", (2, 3)), case("x.T", (2, 3, 4)), case("x.T", (3,)), case("x.T * y", (2, 3), (3, 1))],
    "numpy.reshape": [
        case("np.reshape(x, (6,))", (2, 3)),
        case("np.reshape(x, (3, -1))", (2, 3)),
        case("x.reshape(3, 2)", (2, 3)),
        case("x.reshape((3, 2))", (2, 3)),
        case("x.reshape(-1)", (2, 3, 2)),
        case("x.reshape(2, 3)", (6,)),
        case("np.reshape(x, (1, 1))", ()),
        case("np.reshape(x, (3, 2), order='F')", (2, 3)),
        case("x.reshape(-1, 1)", (2, 3)),
        case("n, m = x.shape\nreturn x.reshape(m, n)", (2, 3)),
    ],
    "numpy.dot": [
        case("np.dot(x, y)", (3,), (3,)),
        case("np.dot(x, y)", (2, 3), (3,)),
        case("np.dot(x, y)", (3,), (3, 2)),
        case("np.dot(x, y)", (2, 3), (3, 4)),
        case("np.dot(x, y)", (), (3,)),
        case("np.dot(x, y)", (2, 3), ()),
        case("np.dot(x, y)", F, (2, 3)),
        case("x.dot(y)", (2, 3), (3, 4)),
    ],
    "operator.matmul": [
        case("x @ y", (3,), (3,)),
        case("x @ y", (2, 3), (3,)),
        case("x @ y", (3,), (3, 2)),
        case("x @ y", (2, 3), (3, 4)),
        case("x @ y", (2, 3, 4), (4, 5)),
        case("x @ y", (3, 4), (2, 4, 5)),
        case("x @ y", (2, 3, 4), (2, 4, 5)),
        case("x @ y", (2, 1, 3, 4), (5, 4, 2)),
        case("x @ y", (2, 3, 4), (4,)),
        case("x @ y", (4,), (2, 4, 5)),
        case("np.matmul(x, y)", (2, 3), (3, 4)),
    ],
    "identity": [
        case("a = x\nreturn a * 2.0", (2, 3)),
        case("a = x\nb = a\nreturn b * y + a", (3,), (2, 3)),
        case("a = x\nreturn a", (3,)),
    ],
    # non-differentiable primitives: their results must flow into derivatives as constants
    "numpy.sign": [case("np.sign(x) * x", (2, 3), x=large)],
    "operator.gt": [case("np.where(x > 0, x, 0.0)", (2, 3), x=large), case("(x > 0.0) * x", (3,), x=large)],
    "operator.lt": [case("x * (x < 0.0)", (2, 3), x=large)],
    "numpy.logical_and": [case("np.where(np.logical_and(x > -1.0, x < 1.0), x, 2.0 * x)", (2, 3),
                               x=_bands((-2.0, -1.2), (-0.8, 0.8), (1.2, 2.0)))],
    "ndarray.shape": [case("n, m = x.shape\nreturn x * n / m", (2, 3))],
    "numpy.shape": [case("n, m = np.shape(x)\nreturn x * m + n", (2, 3))],
    "builtins.len": [case("x / len(x)", (2, 3))],
    "ndarray.size": [case("np.sum(x) / x.size", (2, 3))],
    "ndarray.ndim": [case("x * x.ndim", (2, 3))],
    "numpy.floor": [case("x - np.floor(x)", (2, 3), x=not_near_integer)],
    "numpy.ones_like": [case("x * np.ones_like(x)", (2, 3))],
    "numpy.zeros_like": [case("np.zeros_like(x) + x", (2, 3))],
}


def _more_cases() -> dict[str, list[Case]]:
    """The CASES of every tests/rules/cases_<topic>.py beside this file."""
    found: dict[str, list[Case]] = {}
    for path in sorted(Path(__file__).parent.glob("cases_*.py")):
        spec = importlib.util.spec_from_file_location(f"rule_cases_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        for key, cases in module.CASES.items():
            found.setdefault(key, []).extend(cases)
    return found


for _key, _cases in _more_cases().items():
    CASES.setdefault(_key, []).extend(_cases)
ALL_CASES = [replace(c, key=key) for key, cases in CASES.items() for c in cases]
_FUNCTIONS: dict[str, Callable] = {}


def function_of(c: Case) -> Callable:
    """The case's function, made once per process so derivatives are cached across tests."""
    if c.source not in _FUNCTIONS:
        _FUNCTIONS[c.source] = make_function(c.source)
    return _FUNCTIONS[c.source]


def arguments(c: Case) -> tuple:
    """Deterministic random inputs for a case (seeded by its id)."""
    rng = np.random.default_rng(zlib.crc32(c.id.encode()))
    args: list[Any] = []
    for name, shape in zip(c.names, c.shapes):
        sample = c.sampler(name)
        if shape == F:
            args.append(float(np.asarray(sample(rng, ()))))
        else:
            args.append(np.array(sample(rng, shape), dtype=float).reshape(shape))
    return tuple(args)


def wrt_choices(c: Case) -> list[Any]:
    n = len(c.names)
    return list(range(n)) + ([tuple(range(n))] if n > 1 else [])


def wrt_all(c: Case) -> Any:
    return tuple(range(len(c.names))) if len(c.names) > 1 else 0


def parametrize_cases(test: Callable) -> Callable:
    return pytest.mark.parametrize("c", ALL_CASES, ids=[c.id for c in ALL_CASES])(test)


# ------------------------------------------------------------------ the table itself


# differentiable rules whose cases cannot run in both modes yet, with where they are checked instead
CHECKED_ELSEWHERE = {
    "builtins.reversed": "test_rule_limits.py: forward mode; reverse mode waits for the front end (issue 11)",
}


def test_every_differentiable_rule_has_a_case():
    missing = [r.key for r in all_rules() if r.diff and not CASES.get(r.key) and r.origin.startswith("tangent_src.")
               and r.key not in CHECKED_ELSEWHERE]
    assert not missing, f"differentiable rules without a test case (test_rules.py or cases_*.py): {missing}"


def test_every_case_key_is_a_rule():
    keys = {r.key for r in all_rules()}
    assert not [k for k in CASES if k not in keys]


def test_case_ids_are_unique():
    ids = [c.id for c in ALL_CASES]
    assert len(ids) == len(set(ids))


# ------------------------------------------------------------------ derivatives against finite differences


@parametrize_cases
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_matches_finite_differences(c: Case, mode: str):
    f = function_of(c)
    args = arguments(c)
    for wrt in wrt_choices(c):
        errors = ts.check_grad(f, args, wrt, mode=mode)
        errors = errors if isinstance(errors, tuple) else (errors,)
        assert max(errors) < TOLERANCE, f"wrt={wrt}: relative errors {errors}\n{c.source}"


@parametrize_cases
def test_dot_product_identity(c: Case):
    f = function_of(c)
    args = arguments(c)
    rng = np.random.default_rng(zlib.crc32(c.id.encode()) + 1)
    for wrt in wrt_choices(c):
        dot_product_check(f, args, wrt, rng)


@parametrize_cases
def test_arguments_not_mutated(c: Case):
    f = function_of(c)
    args = arguments(c)
    rng = np.random.default_rng(0)
    wrt = wrt_all(c)
    value = f(*copy_value(args))
    tangents = [random_like(a, rng) for a in args]
    assert_not_mutated(ts.jvp(f, wrt), (*args, *tangents))
    cotangent = random_like(value, rng)
    pulled = assert_not_mutated(ts.vjp(f, wrt), (*args, cotangent))
    if np.shape(value) == ():
        grads = assert_not_mutated(ts.grad(f, wrt), args)
        ones = np.ones(()) if isinstance(value, np.ndarray) else 1.0
        expected = ts.vjp(f, wrt)(*args, ones)
        for g, e in zip(_as_tuple(grads), _as_tuple(expected)):
            np.testing.assert_allclose(g, e, rtol=1e-12)
    assert len(_as_tuple(pulled)) == len(_as_tuple(wrt))


def _as_tuple(x: Any) -> tuple:
    return x if isinstance(x, tuple) else (x,)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize("body", ["np.transpose(x, None)", "np.transpose(x, axes=None)", "x.clip(-0.5)",
                                  "np.clip(x, None, 0.5)"])
def test_optional_arguments_passed_explicitly_or_left_out(body: str, mode: str):
    f = make_function(f"def f(x):\n    return {body}\n")
    args = (np.random.default_rng(0).standard_normal((2, 3, 4)),)
    assert ts.check_grad(f, args, 0, mode=mode) < TOLERANCE


def test_helpers_notice_mutation_and_wrong_adjoints():
    def mutates(x):
        x[0] = 1.0

    with pytest.raises(AssertionError, match="modified its argument 0"):
        assert_not_mutated(mutates, (np.zeros(2),))
    assert_not_mutated(lambda x, y: x + y, (np.zeros(2), 1.0))
    f = make_function("def f(x):\n    return np.transpose(x, (1, 2, 0))\n")
    g = make_function("def f(x):\n    return np.transpose(x, (1, 2, 0))\n")
    assert f is not g and f.__module__ != g.__module__
    dot_product_check(f, (np.ones((2, 3, 4)),), 0, np.random.default_rng(0))


# ------------------------------------------------------------------ activity analysis


def test_only_the_differentiated_argument_gets_a_derivative():
    f = make_function("def f(x, y):\n    return x * y\n")
    for derivative in (ts.vjp(f, 0), ts.jvp(f, 0)):
        text = ts.source(derivative)
        names = {n.id for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Name)}
        names |= {a.arg for n in ast.walk(ast.parse(text)) if isinstance(n, ast.arguments) for a in n.args}
        assert "x" in names and not names & {"by", "dy"}, text
    x, y = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(ts.vjp(f, 0)(x, y, np.ones(3)), y)
    _, tangent = ts.jvp(f, 0)(x, y, np.ones(3))
    np.testing.assert_allclose(tangent, y)


# ------------------------------------------------------------------ other array types


def _run_all(c: Case, args: tuple, tangents: list, cotangent: Any) -> dict[str, Any]:
    f = function_of(c)
    wrt = wrt_all(c)
    results = {
        "jvp": ts.jvp(f, wrt)(*args, *tangents),
        "vjp": _as_tuple(ts.vjp(f, wrt)(*args, cotangent)),
    }
    if np.shape(to_numpy(f(*copy_value(args)))) == ():
        results["grad"] = _as_tuple(ts.grad(f, wrt)(*args))
    return results


def _check_on(c: Case, to_device: Callable[[Any], Any], is_device_array: Callable[[Any], bool],
              rtol: float = 1e-12, atol: float = 1e-14) -> None:
    """Run jvp, vjp and grad on device arrays; compare types and values with numpy."""
    f = function_of(c)
    args = arguments(c)
    rng = np.random.default_rng(1)
    tangents = [random_like(a, rng) for a in args]
    cotangent = random_like(f(*copy_value(args)), rng)
    expected = _run_all(c, args, tangents, cotangent)
    device_args = tuple(to_device(a) for a in args)
    found = _run_all(c, device_args, [to_device(t) for t in tangents], to_device(cotangent))
    any_array = any(is_device_array(a) for a in device_args)

    def check(got: Any, want: Any, should_be_device: bool, what: str) -> None:
        if should_be_device:
            assert is_device_array(got), f"{what} is a {type(got).__name__}, not a device array"
        np.testing.assert_allclose(to_numpy(got), want, rtol=rtol, atol=atol, err_msg=what)

    value, tangent = found["jvp"]
    check(value, expected["jvp"][0], any_array, "the jvp value")
    check(tangent, expected["jvp"][1], any_array, "the jvp tangent")
    for mode in ("vjp", "grad"):
        if mode in expected:
            for i, (got, want) in enumerate(zip(found[mode], expected[mode], strict=True)):
                check(got, want, is_device_array(device_args[i]), f"the {mode} for argument {i}")


def _wrap(x: Any) -> Any:
    return wrap(x) if isinstance(x, np.ndarray) else x


def _converts_to_numpy(c: Case) -> bool:
    """Whether the function itself (not its derivative) converts its input to numpy."""
    return any(s in c.body for s in ("np.array(", "np.asarray(", "scipy.special.logsumexp(", "softmax(",
                                     "np.random.", "np.histogram(np.linspace",  # numpy arrays made inside
                                     "float(", "np.float64(", "np.float32("))  # an array read as a number


@parametrize_cases
def test_strict_array(c: Case):
    if _converts_to_numpy(c):
        pytest.skip("the function itself converts its input to a numpy array")
    if all(s == F for s in c.shapes):
        pytest.skip("only Python numbers in: an array the function makes is a numpy array")
    _check_on(c, _wrap, lambda x: isinstance(x, StrictArray))


def _cupy() -> Any:
    try:
        import cupy
    except ImportError:
        pytest.skip("cupy is not installed")
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            pytest.skip("no CUDA device")
    except Exception as err:  # noqa: BLE001  (cupy raises its own runtime errors without a driver)
        pytest.skip(f"no usable CUDA device: {err}")
    return cupy


@pytest.mark.gpu
@parametrize_cases
def test_cupy(c: Case):
    cupy = _cupy()
    if _converts_to_numpy(c):
        pytest.skip("the function itself converts its input to a numpy array")
    _check_on(c, lambda x: cupy.asarray(x) if isinstance(x, np.ndarray) else x,
              lambda x: isinstance(x, cupy.ndarray), rtol=1e-10, atol=1e-12)  # GPU math differs by a few ulps
