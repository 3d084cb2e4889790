"""Every non-differentiable entry of the rule table is locally constant where it claims to be.

An entry may be non-differentiable in an argument only if its result does not move when
that argument moves a little (a silent zero derivative is a wrong derivative). For each
entry of the table without derivatives (rules/nondiff.py, the non-differentiable numpy
functions of rules/ufuncs.py, rules/creation.py and rules/draws.py), and for each argument
an elementwise rule marks None (np.where's condition, copysign's y), samples below give a
call on random float inputs; the test moves each claimed argument by +-h (central finite
differences) and requires the result to stay exactly the same. Arguments that are
integers or shapes are given as constants and not moved. A parameter marked `strict`
(np.full's fill_value, the parameters of draws without a reparameterization) must
instead be refused when it is differentiated.

An entry that fails here is a bug: give it a rule, or make the argument strict.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pytest

import tangent_src as ts
from helpers import make_function
from tangent_src.errors import TransformError
from tangent_src.rules.registry import all_rules

Sampler = Callable[[np.random.Generator, tuple], np.ndarray]


def normal(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return rng.standard_normal(shape)


def positive(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return rng.uniform(0.5, 3.0, shape)


def _uniform(low: float, high: float) -> Sampler:
    def draw(rng: np.random.Generator, shape: tuple) -> np.ndarray:
        return rng.uniform(low, high, shape)
    return draw


def increasing(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return np.sort(rng.uniform(-2.0, 2.0, shape), axis=-1)


@dataclass(frozen=True)
class Sample:
    body: str  # statements ending in `return ...` (or one expression), over the float inputs
    shapes: dict[str, tuple]  # the float inputs: name -> shape (() is a Python float)
    samplers: dict[str, Sampler] = field(default_factory=dict, hash=False, compare=False)

    @property
    def source(self) -> str:
        lines = self.body.splitlines() if "return" in self.body else [f"return {self.body}"]
        return f"def f({', '.join(self.shapes)}):\n" + "".join(f"    {line.strip()}\n" for line in lines)


def s(body: str, **shapes: Any) -> Sample:
    samplers = {k: v[1] for k, v in shapes.items() if isinstance(v, tuple) and len(v) == 2 and callable(v[1])}
    plain = {k: (v[0] if k in samplers else v) for k, v in shapes.items()}
    return Sample(body, plain, samplers)


X, XY = {"x": (3,)}, {"x": (3,), "y": (3,)}
RNG = "rng = np.random.default_rng(0)\nreturn "

# every argument a sample gives as a float input is claimed locally constant
LOCALLY_CONSTANT: dict[str, list[Sample]] = {
    **{f"operator.{op}": [s(f"x {sym} y", **XY), s(f"x {sym} y", x=(), y=())]
       for op, sym in (("lt", "<"), ("le", "<="), ("gt", ">"), ("ge", ">="), ("eq", "=="), ("ne", "!="),
                       ("floordiv", "//"))},
    "operator.not_": [s("not x", x=())],
    "numpy.issubdtype": [s("np.issubdtype(x.dtype, np.floating)", x=(3,))],
    "numpy.iscomplexobj": [s("np.iscomplexobj(x)", x=(3,))],
    "numpy.isrealobj": [s("np.isrealobj(x)", x=())],
    "numpy.result_type": [s("np.result_type(x, 1.0)", x=(2,))],
    "python.getattr_structure": [s("getattr(x, 'shape', ())", x=(3,)), s("getattr(x, 'ndim', 0)", x=())],
    "operator.and_": [s("(x > 0.0) & (y < 1.0)", **XY), s("(x > 0.0) & (y > 0.0)", x=(), y=())],
    "operator.or_": [s("(x > 0.0) | (y < 1.0)", **XY)],
    "operator.xor": [s("(x > 0.0) ^ (y < 1.0)", **XY)],
    "operator.invert": [s("~(x > 0.0)", x=(3,)), s("np.sum(~np.isnan(x))", x=(3,))],
    **{f"numpy.{name}": [s(f"np.{name}(x, y)", **XY)] for name in (
        "less", "less_equal", "greater", "greater_equal", "equal", "not_equal", "logical_and", "logical_or",
        "logical_xor", "floor_divide", "heaviside")},
    **{f"numpy.{name}": [s(f"np.{name}(x)", x=(2, 3))] for name in (
        "logical_not", "shape", "ndim", "size", "sign", "floor", "ceil", "round", "argmax", "argmin", "isnan",
        "isinf", "isfinite", "signbit", "rint", "trunc", "fix", "around", "argsort", "nonzero", "count_nonzero",
        "any", "all", "zeros_like", "ones_like")},
    "numpy.round": [s("np.round(x)", x=(2, 3)), s("np.round(x, 2)", x=(3,))],
    "numpy.around": [s("np.around(x, 1)", x=(3,))],
    "numpy.argmax": [s("np.argmax(x, axis=1)", x=(2, 3))],
    "ndarray.shape": [s("x.shape", x=(2, 3))],
    "ndarray.ndim": [s("x.ndim", x=(2, 3))],
    "ndarray.size": [s("x.size", x=(2, 3))],
    "builtins.len": [s("len(x)", x=(3,))],
    "builtins.round": [s("round(x)", x=()), s("round(x, 2)", x=())],
    "builtins.int": [s("int(x)", x=())],
    "builtins.isinstance": [s("isinstance(x, float)", x=())],
    "math.floor": [s("math.floor(x)", x=())],
    "math.ceil": [s("math.ceil(x)", x=())],
    "numpy.searchsorted": [s("np.searchsorted(a, v)", a=((5,), increasing), v=(3,))],
    "numpy.digitize": [s("np.digitize(x, bins)", x=(4,), bins=((5,), increasing))],
    "numpy.bincount": [s("np.bincount(np.array([0, 2, 2]))", x=())],
    "numpy.histogram": [s("np.histogram(np.array([0.5, 1.5]), bins=np.array([0.0, 1.0, 2.0]))", x=())],
    "numpy.full": [s("np.full((2, int(np.floor(x)) * 0 + 3), 1.5)", x=())],
    "numpy.full_like": [s("np.full_like(x, 2.0)", x=(2, 3))],
    "numpy.empty_like": [s("np.empty_like(x).shape", x=(2, 3))],  # its values are unspecified
    "numpy.random.choice": [s("np.random.seed(1)\nreturn np.random.choice(5, 3, p=np.full(5, 0.2))", x=())],
    "numpy.random.Generator.choice": [s(RNG + "rng.choice(5, 3)", x=())],
    **{f"numpy.random.Generator.{name}": [s(RNG + f"rng.{name}({args})", x=())] for name, args in (
        ("poisson", "2.0, 3"), ("binomial", "5, 0.5, 3"), ("negative_binomial", "5, 0.5, 3"), ("geometric", "0.5, 3"),
        ("gamma", "2.0, 1.0, 3"), ("standard_gamma", "2.0, 3"), ("beta", "2.0, 3.0, 3"), ("chisquare", "2.0, 3"),
        ("dirichlet", "[1.0, 2.0]"), ("multinomial", "5, [0.5, 0.5]"),
        ("multivariate_normal", "[0.0, 0.0], np.eye(2)"), ("permutation", "4"))},
    **{f"numpy.random.{name}": [s(f"np.random.seed(1)\nreturn np.random.{name}({args})", x=())] for name, args in (
        ("poisson", "2.0, 3"), ("binomial", "5, 0.5, 3"), ("negative_binomial", "5, 0.5, 3"), ("geometric", "0.5, 3"),
        ("gamma", "2.0, 1.0, 3"), ("standard_gamma", "2.0, 3"), ("beta", "2.0, 3.0, 3"), ("chisquare", "2.0, 3"),
        ("dirichlet", "[1.0, 2.0]"), ("multinomial", "5, [0.5, 0.5]"),
        ("multivariate_normal", "[0.0, 0.0], np.eye(2)"), ("permutation", "4"))},
}
# issue 11: conversions of values that are not numbers, and numpy's integer constructors. str and
# repr of a float do move with it, but give strings, which carry no derivative: they are sampled
# on values that are constant where they are read (a comparison, a shape, a rounded number)
LOCALLY_CONSTANT.update({
    "builtins.bool": [s("bool(x)", x=()), s("bool(x > 0.0)", x=())],
    "builtins.str": [s("str(x > 0.0)", x=()), s("str(x.shape)", x=(2, 3)), s("str(round(x))", x=())],
    "builtins.repr": [s("repr(x.shape)", x=(2, 3)), s("repr(np.floor(x))", x=())],
    "builtins.type": [s("type(x)", x=()), s("type(x)", x=(3,))],
    "numpy.int64": [s("np.int64(x)", x=()), s("np.int64(x * 3.0)", x=(3,))],
    "numpy.int32": [s("np.int32(x * 3.0)", x=())],
})
# issue 11: the Python around numpy code (rules/containers.py): identity, membership, keys,
# attributes of objects, strings made of values
LOCALLY_CONSTANT.update({
    "operator.is_": [s("x is None", x=()), s("x is x", x=(3,))],
    "operator.is_not": [s("x is not None", x=())],
    "operator.contains": [s("x in (1.0, 2.0)", x=()), s("'a' in {'a': x}", x=(3,))],
    "operator.not_contains": [s("x not in (1.0, 2.0)", x=())],
    "dict.keys": [s("list({'a': x, 'b': 2.0 * x})", x=())],
    "dict.sorted_keys": [s("[k for k, v in sorted({'b': x, 'a': 2.0 * x}.items())]", x=())],
    "numpy.flatnonzero": [s("np.flatnonzero(x > 0.0)", x=(4,)), s("np.flatnonzero(x)", x=(2, 3))],
    "numpy.argwhere": [s("np.argwhere(x > 0.0)", x=(2, 3))],
    "builtins.any": [s("any(x > 0.0)", x=(3,)), s("any([x > 0.0, x < -1.0])", x=())],
    "builtins.all": [s("all(x > 0.0)", x=(3,))],
    "getattr": [s("x.__class__", x=()), s("x.ndim", x=(3,))],
    "builtins.getattr": [s("getattr(x, 'ndim', 0)", x=(3,))],
    "builtins.hasattr": [s("hasattr(x, 'shape')", x=(3,))],
    "builtins.callable": [s("callable(x)", x=())],
    "ndarray.dtype": [s("x.dtype", x=(3,))],
    "ndarray.itemsize": [s("x.itemsize", x=(3,))],
    "python.format": [s("f'{x > 0.0} {x.shape}'", x=(3,))],
})
# arguments an elementwise rule marks None: claimed locally constant too
LOCALLY_CONSTANT["numpy.where"] = [s("np.where(c, x, y)", c=(3,), x=(3,), y=(3,))]
LOCALLY_CONSTANT["numpy.copysign"] = [s("np.copysign(x, y)", x=(3,), y=(3,))]
ELEMENTWISE_NONE = {"numpy.where": ("condition", "c"), "numpy.copysign": ("y", "y")}
MOVED_ARGUMENT: dict[str, tuple[str, ...]] = {"numpy.where": ("c",), "numpy.copysign": ("y",)}

# the runtime helpers of generated code (rules/helpers.py), differentiated again for higher order
RT = "tangent_src.runtime.core"
LOCALLY_CONSTANT.update({
    f"{RT}.check_real": [s("rt.check_real(x)", x=(3,)), s("rt.check_real(x, [x])", x=())],
    f"{RT}.check_sequence": [s("rt.check_sequence(x, 'x')", x=(3,))],
    f"{RT}.scalar_seed": [s("rt.scalar_seed(np.sum(x))", x=(3,)), s("rt.scalar_seed(x, 'f')", x=())],
    f"{RT}.zeros_like_tree": [s("rt.zeros_like_tree(x)", x=(3,)), s("rt.zeros_like_tree((x, [x]))", x=())],
    f"{RT}.reduced_size": [s("rt.reduced_size(x, np.sum(x, axis=0))", x=(3, 4))],
    f"{RT}.extremum_weights": [s("rt.extremum_weights(x, np.max(x))", x=(4,)),
                               s("rt.extremum_weights(x, np.min(x, axis=1), axis=1)", x=(2, 3))],
    f"{RT}.quantile_weights": [s("rt.quantile_weights(x, 0.3)", x=(5,)),
                               s("rt.quantile_weights(x, 0.5, axis=0)", x=(4, 2))],
    f"{RT}.linspace_fractions": [s("rt.linspace_fractions(x)", x=(4,))],
    f"{RT}.arange_index": [s("rt.arange_index(x)", x=(4,))],
    f"{RT}.arange_start_slope": [s("rt.arange_start_slope(x, 3.0)", x=(3,))],
    "tangent_src.runtime.directions.zeros_along": [s("rt.zeros_along(x, 3)", x=(2,)), s("rt.zeros_along(x, 2)", x=())],
    "tangent_src.runtime.directions.direction_count": [s("rt.direction_count(x)", x=(3, 2))],
    f"{RT}.updated_in_place": [s("rt.updated_in_place(x, '__iadd__')", x=(3,)),
                               s("rt.updated_in_place(x, '__iadd__')", x=())],
})

# entries whose every argument is an integer, a shape, a seed or a type: nothing to move
NO_FLOAT_ARGUMENT = {
    "builtins.slice", "numpy.finfo", "numpy.iinfo", f"{RT}.inverse_axes",
    "mismatched_return",  # (its arguments are a line and two counts; it raises)
    "builtins.range", "numpy.zeros", "numpy.ones", "numpy.empty", "numpy.eye", "numpy.identity",
    *(f"numpy.random.{n}" for n in ("seed", "rand", "randn", "random", "random_sample", "standard_normal", "randint",
                                    "default_rng", "standard_exponential", "standard_cauchy")),
    *(f"numpy.random.Generator.{n}" for n in ("random", "standard_normal", "integers", "standard_exponential",
                                              "standard_cauchy")),
    *(f"random.{n}" for n in ("seed", "random", "randint", "randrange", "getrandbits")),
    "random.choice", "random.sample", "random.shuffle",  # their one float argument is strict (REFUSED)
    "numpy.triu_indices", "numpy.tril_indices", "numpy.diag_indices", "numpy.indices", "numpy.unravel_index",
    "numpy.ravel_multi_index",  # shapes and counts in, indices out
    "python.new_object",  # `Model.__new__(Model)`: its one argument is a class (tests/test_local_objects.py)
    # methods of strings (keys of a params dict), no float goes in (tests/test_dict_param_loops.py)
    *(f"str.{n}" for n in ("startswith", "endswith", "lower", "upper", "strip", "lstrip", "rstrip", "split",
                           "replace", "join", "isdigit", "isalpha")),
}

# for each strict parameter, a call that differentiates it: it must be refused
REFUSED: dict[tuple[str, str], str] = {
    ("numpy.full", "fill_value"): "np.full(3, x)",
    ("numpy.full_like", "fill_value"): "np.full_like(np.zeros(3), x)",
    ("numpy.bincount", "weights"): "np.bincount(np.array([0, 1, 1]), weights=x * np.ones(3))",
    ("numpy.histogram", "a"): "np.histogram(x * np.ones(3))[1]",
    ("numpy.histogram", "bins"): "np.histogram(np.ones(3), bins=x * np.arange(3.0))[0]",
    ("numpy.histogram", "range"): "np.histogram(np.ones(3), range=(0.0, x))[1]",
    ("numpy.histogram", "weights"): "np.histogram(np.ones(3), weights=x * np.ones(3))[0]",
    ("numpy.random.choice", "a"): "np.random.choice(x * np.ones(3), 2)",
    ("random.choice", "seq"): "random.choice([x, 2.0 * x])",
    ("random.sample", "population"): "random.sample([x, 2.0 * x], 1)",
    ("random.shuffle", "x"): "random.shuffle([x, 2.0 * x])",
    ("numpy.random.choice", "p"): "np.random.choice(3, 2, p=x * np.ones(3) / (3 * x))",
    ("numpy.random.permutation", "x"): "np.random.permutation(x * np.arange(3.0))",
    ("getattr", "obj"): "(x * np.ones(3)).my_attribute",
    ("builtins.getattr", "obj"): "getattr(x * np.ones(3), 'my_attribute')",
}
_GENERATOR_REFUSALS = {
    "poisson": {"lam": "x"}, "binomial": {"n": "x, 0.5", "p": "5, x"},
    "negative_binomial": {"n": "x, 0.5", "p": "5, x"},
    "geometric": {"p": "x"}, "gamma": {"shape": "x", "scale": "2.0, x"}, "standard_gamma": {"shape": "x"},
    "beta": {"a": "x, 2.0", "b": "2.0, x"}, "chisquare": {"df": "x"}, "dirichlet": {"alpha": "x * np.ones(2)"},
    "multinomial": {"n": "x, [0.5, 0.5]", "pvals": "5, x * np.array([0.5, 0.5])"},
    "multivariate_normal": {"mean": "x * np.ones(2), np.eye(2)", "cov": "np.zeros(2), x * np.eye(2)"},
    "choice": {"a": "x * np.ones(3), 2", "p": "3, 2, p=x * np.ones(3) / (3 * x)"},
    "permutation": {"x": "x * np.arange(3.0)"},
}
for _name, _params in _GENERATOR_REFUSALS.items():
    for _param, _args in _params.items():
        REFUSED[(f"numpy.random.Generator.{_name}", _param)] = f"np.random.default_rng(0).{_name}({_args})"
        if _name not in ("choice", "permutation"):
            REFUSED[(f"numpy.random.{_name}", _param)] = f"np.random.{_name}({_args})"


def builtin_nondiff() -> list[str]:
    return [r.key for r in all_rules() if not r.diff and r.origin.startswith("tangent_src.")]


def test_every_nondifferentiable_entry_has_samples():
    missing = [k for k in builtin_nondiff() if k not in LOCALLY_CONSTANT and k not in NO_FLOAT_ARGUMENT]
    assert not missing, f"non-differentiable entries without samples in this file: {missing}"
    stale = [k for k in [*LOCALLY_CONSTANT, *NO_FLOAT_ARGUMENT] if k not in {r.key for r in all_rules()}]
    assert not stale, f"samples for keys that are not in the table: {stale}"


def test_every_strict_parameter_has_a_refusal():
    strict = {(r.key, p) for r in all_rules() if not r.diff and r.origin.startswith("tangent_src.") for p in r.strict}
    assert strict <= set(REFUSED), f"strict parameters without a refusal sample: {sorted(strict - set(REFUSED))}"


# parameters of differentiable rules the result is locally constant in (Rule.constant_in): a
# call moving only that argument, as the other LOCALLY_CONSTANT samples are checked
CONSTANT_IN: dict[tuple[str, str], list[Sample]] = {
    ("numpy.add.at", "indices"): [s("y = np.zeros(3)\nnp.add.at(y, np.array([0, 1, 0]) + 0 * np.int64(x), 1.0)\n"
                                    "return y",
                                    x=())],
    ("numpy.arange", "stop"): [s("np.arange(0.25, x)", x=((), _uniform(2.3, 2.7))),
                               s("np.arange(x)", x=((), _uniform(3.2, 3.8)))],
    ("numpy.arange", "like"): [s("np.arange(3, like=x)", x=(3,))],
    (f"{RT}.unbroadcast", "like"): [s("rt.unbroadcast(np.ones((2, 3)), like=x)", x=(3,))],
    (f"{RT}.broadcast_like", "like"): [s("rt.broadcast_like(np.ones(3), like=x)", x=(2, 3))],
    (f"{RT}.unreduce", "like"): [s("rt.unreduce(np.ones(3), like=x, axis=0)", x=(2, 3))],
    (f"{RT}.unindex", "like"): [s("rt.unindex(np.ones(2), like=x, index=slice(0, 2))", x=(4,))],
    (f"{RT}.unindex", "index"): [s("rt.unindex(np.ones(3), like=np.ones(4), "
                                   "index=np.array([0, 1, 0]) + 0 * np.int64(x))", x=())],
    (f"{RT}.add_at", "like"): [s("rt.add_at(np.zeros(4), np.ones(2), like=x, index=slice(0, 2))", x=(4,))],
    (f"{RT}.add_at", "index"): [s("rt.add_at(np.zeros(4), np.ones(3), like=np.ones(4), "
                                  "index=np.array([0, 1, 0]) + 0 * np.int64(x))", x=())],
    (f"{RT}.with_item", "index"): [s("rt.with_item(np.zeros(3), np.int64(1) + 0 * np.int64(x), 1.0)", x=())],
    (f"{RT}.pack_like", "like"): [s("rt.pack_like((np.ones(2), None), like=(x, 1.0))", x=(2,))],
    (f"{RT}.unpack_like", "like"): [s("rt.unpack_like((np.ones(2), 2.0), like=x)", x=(2,))],
    (f"{RT}.matmul_adjoint_lhs", "a"): [s("rt.matmul_adjoint_lhs(np.ones((2, 4)), x, np.ones((3, 4)))", x=(2, 3))],
    (f"{RT}.matmul_adjoint_rhs", "b"): [s("rt.matmul_adjoint_rhs(np.ones((2, 4)), np.ones((2, 3)), x)", x=(3, 4))],
    ("tangent_src.runtime.directions.lift", "like"): [s("rt.lift(np.ones((2, 3)), like=x)", x=(4, 3))],
    ("tangent_src.runtime.directions.undirection", "like"): [s("rt.undirection(np.ones(2), like=x, j=1)", x=(3, 2))],
    ("tangent_src.runtime.directions.unstack_directions", "like"): [
        s("rt.unstack_directions(np.ones((2, 3)), like=[x, x])", x=())],
    ("tangent_src.runtime.directions.untake_directions", "like"): [
        s("rt.untake_directions(np.ones(2), like=x, index=1)", x=(2, 3))],
    ("tangent_src.runtime.directions.spread_directions", "like"): [s("rt.spread_directions(np.ones(3), like=x)",
                                                                     x=(3, 2))],
    ("tangent_src.runtime.linalg.dot_adjoint_left", "a"): [s("rt.dot_adjoint_left(np.ones(2), x, np.ones((3, 2)))",
                                                             x=(3,))],
    ("tangent_src.runtime.linalg.dot_adjoint_right", "b"): [s("rt.dot_adjoint_right(np.ones(2), np.ones(3), x)",
                                                              x=(3, 2))],
}


def test_every_constant_in_parameter_has_samples():
    found = {(r.key, p) for r in all_rules() for p in r.constant_in if r.origin.startswith("tangent_src.")}
    assert found <= set(CONSTANT_IN), f"constant_in parameters without a sample: {sorted(found - set(CONSTANT_IN))}"


def test_none_partials_of_elementwise_rules_have_samples():
    found = {r.key for r in all_rules() if r.elementwise and r.origin.startswith("tangent_src.")
             and set(r.params) - set(r.diff)}
    assert found <= set(ELEMENTWISE_NONE), f"elementwise rules with None partials and no sample: {found}"


def _inputs(sample: Sample, rng: np.random.Generator) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, shape in sample.shapes.items():
        value = sample.samplers.get(name, normal)(rng, shape)
        values[name] = float(value) if shape == () else np.asarray(value, dtype=float)
    return values


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(u, v) for u, v in zip(a, b))
    return np.shape(a) == np.shape(b) and bool(np.array_equal(a, b))


def _moved(value: Any, step: float, rng: np.random.Generator) -> Any:
    direction = rng.choice([-1.0, 1.0], np.shape(value))
    moved = value + step * np.maximum(np.abs(value), 1.0) * direction
    return float(moved) if isinstance(value, float) else moved


CONSTANCY_CASES = [(k, i, sample) for k, samples in LOCALLY_CONSTANT.items() for i, sample in enumerate(samples)]
CONSTANCY_CASES += [(f"{k}.{p}", i, sample)
                    for (k, p), samples in CONSTANT_IN.items() for i, sample in enumerate(samples)]


@pytest.mark.parametrize("key, index, sample", CONSTANCY_CASES, ids=[f"{k}[{i}]" for k, i, _ in CONSTANCY_CASES])
def test_result_is_locally_constant(key: str, index: int, sample: Sample):
    f = make_function(sample.source)
    rng = np.random.default_rng(zlib.crc32(f"{key}{index}".encode()))
    names = MOVED_ARGUMENT.get(key, tuple(sample.shapes))
    for trial in range(3):
        args = _inputs(sample, rng)
        value = f(**args)
        for name in names:
            for step in (1e-6, -1e-6, 1e-9):
                moved = dict(args, **{name: _moved(args[name], step, rng)})
                assert _same(f(**moved), value), (
                    f"{key} is listed as non-differentiable, but its result moves with `{name}` at {args} "
                    f"(step {step}):\n{sample.source}")


def test_the_moving_check_can_fail():
    """The check above notices a result that moves (an entry wrongly listed)."""
    f = make_function("def f(x):\n    return np.linspace(0.0, x, 3)\n")
    assert not _same(f(1.0), f(_moved(1.0, 1e-6, np.random.default_rng(0))))


REFUSAL_CASES = sorted(REFUSED.items())


@pytest.mark.parametrize("mode", ["grad", "jvp"])
@pytest.mark.parametrize("item", REFUSAL_CASES, ids=[f"{k}.{p}" for (k, p), _ in REFUSAL_CASES])
def test_strict_parameter_is_refused(item: tuple[tuple[str, str], str], mode: str):
    (key, param), call = item
    f = make_function(f"def f(x):\n    return np.sum(np.asarray({call}, dtype=float))\n")
    expected = "reads an attribute of" if key in ("getattr", "builtins.getattr") else f"argument `{param}` of {key}"
    with pytest.raises(TransformError, match=expected):
        if mode == "grad":
            ts.grad(f)(0.7)
        else:
            ts.jvp(f)(0.7, 1.0)


# ------------------------------------------------------------------ issue 10, point 4: no silent zeros

from helpers import dot_product_check  # noqa: E402

TOLERANCE = 1e-6
USER_PROGRAMS = {
    # the shrunk programs
    "linspace": ("def f(a, b):\n    return np.sum(np.linspace(a, b, 5) ** 2)\n", (0.3, 1.7)),
    "normal": ("def f(mu, sigma):\n    rng = np.random.default_rng(0)\n"
               "    return np.sum(rng.normal(mu, sigma, 4) ** 2)\n", (0.4, 1.3)),
    "legacy_normal": ("def f(mu, sigma):\n    np.random.seed(0)\n    return np.random.normal(mu, sigma) ** 2\n",
                      (0.4, 1.3)),
    # course style: a noisy linear model with a learned noise scale, sampled on a grid
    "noisy_model": (
        "def loss(w, log_sigma, x_min):\n"
        "    rng = np.random.default_rng(42)\n"
        "    xs = np.linspace(x_min, x_min + 2.0, 20)\n"
        "    noise = rng.normal(0.0, np.exp(log_sigma), size=xs.shape)\n"
        "    ys = w * xs + noise\n"
        "    return np.mean((ys - 0.5 * xs) ** 2)\n",
        (np.array(0.8), -0.5, 0.25)),
    # course style: a reparameterized Gaussian sample (a VAE's sampling step)
    "vae_sample": (
        "def elbo_term(mean, log_var):\n"
        "    rng = np.random.default_rng(3)\n"
        "    z = rng.normal(mean, np.exp(0.5 * log_var))\n"
        "    return np.sum(z ** 2) + np.sum(rng.uniform(mean - 1.0, mean + 1.0))\n",
        (np.array([0.1, -0.4, 0.7]), np.array([0.2, -0.3, 0.0]))),
}


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("name", sorted(USER_PROGRAMS))
def test_dependence_on_endpoints_and_draw_parameters(name: str, mode: str):
    source, args = USER_PROGRAMS[name]
    f = make_function(source, source.split("(")[0][4:])
    wrt = tuple(range(len(args)))
    errors = ts.check_grad(f, args, wrt, mode=mode)
    assert max(errors) < TOLERANCE, errors
    gradient = ts.grad(f, wrt)(*args)
    assert all(np.any(g != 0) for g in gradient), f"a zero derivative: {gradient}"
    dot_product_check(f, args, wrt, np.random.default_rng(0))


@pytest.mark.parametrize("mode", ["grad", "jvp"])
@pytest.mark.parametrize("call", ["rng.poisson(lam, 4)", "rng.binomial(10, lam / 4.0)", "rng.gamma(lam)",
                                  "np.random.poisson(lam)"])
def test_draws_without_reparameterization_are_refused(call: str, mode: str):
    f = make_function(f"def f(lam):\n    rng = np.random.default_rng(0)\n    return np.sum({call})\n")
    with pytest.raises(TransformError, match=r"f\.py|_case_\d+\.py") as info:
        ts.grad(f)(2.0) if mode == "grad" else ts.jvp(f)(2.0, 1.0)
    assert "lam" in str(info.value) and "^" in str(info.value)  # the user's names and a caret


def test_reverse_sweep_does_not_redraw():
    """The adjoint reads the recorded draw: the gradient is for the very sample of the loss."""
    f = make_function("def f(mu):\n    rng = np.random.default_rng(5)\n    z = rng.normal(mu, 2.0, 3)\n"
                      "    return np.sum(z * z)\n")
    z = np.random.default_rng(5).normal(0.3, 2.0, 3)
    np.testing.assert_allclose(ts.grad(f)(0.3), np.sum(2 * z), rtol=1e-12)
    assert ts.source(ts.grad(f)).count(".normal(") == 1
