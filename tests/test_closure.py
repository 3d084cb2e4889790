"""Closure: the code tangent_src emits is a program it can differentiate again.

For every golden case and every example's differentiated function, the emitted `jvp`, `vjp`
and (for a scalar result) `grad` are differentiated again, in both modes, and checked against
central differences of the first derivative itself (ts.check_grad on the derivative, with
respect to the primal inputs differentiated and the tangents or cotangent the derivative takes).
The same for the code specialized to the example arguments (ts.source(derivative, *args), loaded
as a module): lean code is differentiable code too.
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import re
import sys
import zlib

import numpy as np
import pytest

import tangent_src as ts
from helpers import check_derivative_of
from tangent_src.errors import InternalError

ROOT = pathlib.Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
sys.path.insert(0, str(GOLDEN))
sys.path.insert(0, str(ROOT / "examples"))  # (the examples import their shared walkthrough module)
import test_golden as golden  # noqa: E402

TOLERANCE = 1e-5  # central differences of a first derivative: observed errors up to ~4e-7


def _example(name: str):
    path = ROOT / "examples" / f"{name}.py"
    module_name = f"closure_example_{name}"
    if module_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    return sys.modules[module_name]


def _attention_inputs(rng):
    m = _example("attention")
    Q, K, V = (rng.normal(size=(m.QUERIES, m.DIM)), rng.normal(size=(m.KEYS, m.DIM)),
               rng.normal(size=(m.KEYS, m.VALUE_DIM)))
    return Q, K, V, rng.normal(size=(m.QUERIES, m.VALUE_DIM))


def _lstm_inputs(rng):
    m = _example("lstm_bptt")
    n, k, o, T = m.HIDDEN, m.INPUTS, m.OUTPUTS, 3
    params = (0.5 * rng.normal(size=(4 * n, k)), 0.5 * rng.normal(size=(4 * n, n)), 0.1 * rng.normal(size=4 * n),
              0.5 * rng.normal(size=(o, n)))
    return params, rng.normal(size=(T, k)), rng.normal(size=(T, o))


def _mlp_inputs(rng):
    m = _example("mlp_backprop")
    X, Y, _ = m.make_data(rng)
    params = m.init_params(rng)
    return params, X[:, :12], Y[:, :12]


# (example, function, wrt, inputs)
EXAMPLES = {
    "attention.attention": ("attention", "attention", (0, 1, 2), lambda rng: _attention_inputs(rng)[:3]),
    "attention.loss": ("attention", "loss", (0, 1, 2), _attention_inputs),
    "chain_rule.f": ("chain_rule", "f", (0, 1), lambda rng: (0.3 + 0.1 * rng.normal(), 0.7 + 0.1 * rng.normal())),
    "conv_backprop.loss": ("conv_backprop", "loss", (0, 1), lambda rng: (rng.normal(size=12), rng.normal(size=4))),
    "conv_backprop.conv1d": ("conv_backprop", "conv1d", (0, 1),
                             lambda rng: (rng.normal(size=12), rng.normal(size=4))),
    "lstm_bptt.loss": ("lstm_bptt", "loss", 0, _lstm_inputs),
    "mlp_backprop.loss": ("mlp_backprop", "loss", 0, _mlp_inputs),
}


def _random_like(value, rng):
    if isinstance(value, (tuple, list)):
        return type(value)(_random_like(v, rng) for v in value)
    shape = np.shape(value)
    return rng.standard_normal(shape) if shape else float(rng.standard_normal())


def _subjects():
    """(id, f, wrt, inputs) for every golden case and example function."""
    for case in golden.CASES:
        module = golden.load_case(case)
        yield f"golden.{case}", golden.function_of(module), module.WRT, golden.inputs_of(module)
    for name, (example, function, wrt, inputs) in EXAMPLES.items():
        yield name, getattr(_example(example), function), wrt, inputs(np.random.default_rng(0))


SUBJECTS = {name: (f, wrt, inputs) for name, f, wrt, inputs in _subjects()}


def _is_scalar(value) -> bool:
    return not isinstance(value, (tuple, list)) and np.ndim(value) == 0


def derivative_and_arguments(name: str, kind: str):
    """The first derivative of the subject, the arguments it takes, and which of them vary."""
    f, wrt, args = SUBJECTS[name]
    rng = np.random.default_rng(1)
    indices = golden.wrt_indices(f, wrt if isinstance(wrt, tuple) else (wrt,))
    if kind == "jvp":
        extra = tuple(_random_like(args[i], rng) for i in indices)
    elif kind == "vjp":
        extra = (_random_like(f(*args), rng),)
    else:
        extra = ()
    derivative = {"jvp": ts.jvp, "vjp": ts.vjp, "grad": ts.grad}[kind](f, wrt)
    arguments = tuple(args) + extra
    return derivative, arguments, tuple(indices) + tuple(range(len(args), len(arguments)))


PAIRS = [(name, kind) for name, (f, _, args) in SUBJECTS.items()
         for kind in ("jvp", "vjp", "grad") if kind != "grad" or _is_scalar(f(*args))]


@pytest.mark.parametrize("name, kind", PAIRS, ids=[f"{n}-{k}" for n, k in PAIRS])
def test_the_derivative_differentiates_again(name, kind):
    derivative, arguments, wrt = derivative_and_arguments(name, kind)
    check_derivative_of(derivative, arguments, wrt, TOLERANCE, f"the {kind} of {name}")


def _specialized_module(derivative, arguments, f, kind: str, folder):
    """The code `derivative` runs for these arguments (ts.source), loaded as a module of its own."""
    derivative(*arguments)
    path = folder / f"specialized_{kind}_{f.__name__}.py"
    path.write_text(ts.source(derivative, *arguments))
    spec = importlib.util.spec_from_file_location(f"closure_{path.stem}_{id(f)}", path)
    module = importlib.util.module_from_spec(spec)
    module.__dict__.update({k: v for k, v in f.__globals__.items() if not k.startswith("__")})
    spec.loader.exec_module(module)
    return getattr(module, f"{kind}_{f.__name__}")


SPECIALIZED_PAIRS = PAIRS


@pytest.mark.parametrize("name, kind", SPECIALIZED_PAIRS, ids=[f"{n}-{k}" for n, k in SPECIALIZED_PAIRS])
def test_the_specialized_derivative_differentiates_again(name, kind, tmp_path):
    """The code specialized to the arguments (shapes known: `g @ W.T`, `bx[i] += g`, no helpers
    where they are no-ops) is itself a program tangent_src differentiates, in both modes."""
    derivative, arguments, wrt = derivative_and_arguments(name, kind)
    specialized = _specialized_module(derivative, arguments, SUBJECTS[name][0], kind, tmp_path)
    check_derivative_of(specialized, arguments, wrt, TOLERANCE, f"the specialized {kind} of {name}")


# ---------------------------------------------------------------- every rule's generated code, again

sys.path.insert(0, str(ROOT / "tests" / "rules"))
import test_rules as rule_tests  # noqa: E402

FULL = os.environ.get("TANGENT_SRC_FULL_CLOSURE") == "1"  # every rule (about 20 s), else a quarter of them
FIRST_CASES = {}
for _case in rule_tests.ALL_CASES:
    FIRST_CASES.setdefault(_case.key, _case)
RULE_KEYS = sorted(k for k in FIRST_CASES if FULL or zlib.crc32(k.encode()) % 4 == 0)


@pytest.mark.parametrize("key", RULE_KEYS)
def test_every_rules_derivative_differentiates_again_or_is_refused_clearly(key):
    """The first case of each rule: its grad (or vjp), differentiated again in both modes, matches
    central differences of it, or is refused by a TransformError naming the place (never wrong,
    never a crash, never an InternalError). The helpers without rules of their own are
    differentiated from their source, like functions of the user's."""
    c = FIRST_CASES[key]
    f, args = rule_tests.function_of(c), rule_tests.arguments(c)
    wrt = tuple(range(len(args)))
    value = f(*args)
    if isinstance(value, tuple):
        pytest.skip("a tuple result")
    if np.ndim(value) == 0:
        derivative, arguments, varied = ts.grad(f, wrt), args, wrt
    else:
        u = np.random.default_rng(1).standard_normal(np.shape(value))
        derivative, arguments, varied = ts.vjp(f, wrt), args + (u,), wrt + (len(args),)
    try:
        check_derivative_of(derivative, arguments, varied, TOLERANCE, f"the derivative of {key}")
    except ts.TransformError as err:
        assert not isinstance(err, InternalError), f"{key}: {err}"
        assert re.search(r":\d+:\d+:", str(err).splitlines()[0]), f"{key}: the refusal names no place: {err}"
