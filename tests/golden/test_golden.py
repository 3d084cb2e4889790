"""Golden files: the generated derivative code, reviewed and compared exactly.

Each directory tests/golden/<case>/ holds
  input.py          the function (named `loss` or `f`), WRT, and example_inputs(rng)
  expected_jvp.py   ts.source(ts.jvp(fn, WRT))
  expected_vjp.py   ts.source(ts.vjp(fn, WRT))
  expected_grad.py  ts.source(ts.grad(fn, WRT)), for functions with a scalar result
  expected_grad_specialized.py, expected_vjp_specialized.py
                    the code made for the example inputs' shapes: ts.source(ts.grad(fn, WRT), *inputs)

The text must match exactly; `pytest --update-golden` rewrites the expected
files instead, and a reviewer reads the diff. Then the derivatives run on the
example inputs and are checked against central differences (ts.check_grad, both
modes) and against each other (the dot-product identity <b, J t> = <J^T b, t>),
and run again on StrictArray (an array type that, like cupy's, refuses
conversion to numpy) to show that the emitted code never leaves the device.
A new case is a new directory with an input.py: the tests discover it.
"""

import difflib
import functools
import importlib.util
import inspect
import pathlib
import sys

import numpy as np
import pytest

import tangent_src as ts
from strict_array import unwrap, wrap

HERE = pathlib.Path(__file__).resolve().parent
CASES = sorted(p.name for p in HERE.iterdir() if (p / "input.py").is_file())
KINDS = {"jvp": ts.jvp, "vjp": ts.vjp, "grad": ts.grad}
SEED = 0
TOLERANCE = 1e-6  # largest relative error against central differences, float64


@functools.cache
def load_case(case):
    """The case's input.py as a module (loaded once, so derivatives are generated once)."""
    name = f"golden_{case}_input"
    spec = importlib.util.spec_from_file_location(name, HERE / case / "input.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def function_of(module):
    found = [getattr(module, name) for name in ("loss", "f") if hasattr(module, name)]
    assert len(found) == 1, f"{module.__file__} must define exactly one of `loss` and `f`"
    return found[0]


def inputs_of(module):
    return tuple(module.example_inputs(np.random.default_rng(SEED)))


def has_scalar_result(case):
    module = load_case(case)
    value = function_of(module)(*inputs_of(module))
    return not isinstance(value, tuple) and np.ndim(value) == 0


def random_like(value, rng):
    """A random value of value's structure and shape (a Python float for a scalar)."""
    if isinstance(value, tuple):
        return tuple(random_like(v, rng) for v in value)
    shape = np.shape(value)
    return rng.standard_normal(shape) if shape else float(rng.standard_normal())


def inner(a, b):
    if isinstance(a, tuple):
        return sum(inner(u, v) for u, v in zip(a, b))
    return float(np.sum(np.asarray(a) * np.asarray(b)))


def wrt_indices(fn, wrt):
    names = list(inspect.signature(fn).parameters)
    return [w if isinstance(w, int) else names.index(w) for w in wrt]


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("case", CASES)
def test_generated_source_matches_expected(case, kind, update_golden):
    if kind == "grad" and not has_scalar_result(case):
        pytest.skip("grad needs a scalar result")
    module = load_case(case)
    generated = ts.source(KINDS[kind](function_of(module), module.WRT))
    compare_with_golden(case, f"expected_{kind}.py", generated, update_golden)


@pytest.mark.parametrize("kind", ["grad", "vjp"])
@pytest.mark.parametrize("case", CASES)
def test_specialized_source_matches_expected(case, kind, update_golden):
    """The code made for the example inputs' shapes (what runs when they are passed)."""
    if kind == "grad" and not has_scalar_result(case):
        pytest.skip("grad needs a scalar result")
    module = load_case(case)
    generated = ts.source(KINDS[kind](function_of(module), module.WRT), *derivative_arguments(case, kind))
    compare_with_golden(case, f"expected_{kind}_specialized.py", generated, update_golden)


def compare_with_golden(case, name, generated, update_golden):
    kind = name.removeprefix("expected_").removesuffix(".py")
    expected_path = HERE / case / name
    if update_golden:
        if not expected_path.is_file() or expected_path.read_text() != generated:
            expected_path.write_text(generated)
        return
    if not expected_path.is_file():
        pytest.fail(f"tests/golden/{case}/expected_{kind}.py is missing; "
                    "run `python -m pytest tests/golden --update-golden` and review it", pytrace=False)
    expected = expected_path.read_text()
    if generated != expected:
        diff = "".join(difflib.unified_diff(
            expected.splitlines(keepends=True), generated.splitlines(keepends=True),
            f"{case}/expected_{kind}.py", f"{case}: generated now"))
        pytest.fail(f"generated code differs from the golden file:\n{diff}\n"
                    "if the change is intended, run `python -m pytest tests/golden --update-golden` "
                    "and review the diff", pytrace=False)


def derivative_arguments(case, kind):
    """The example inputs followed by what the derivative kind takes after them."""
    module = load_case(case)
    fn = function_of(module)
    args = inputs_of(module)
    rng = np.random.default_rng(SEED + 1)
    if kind == "jvp":
        return args + tuple(random_like(args[i], rng) for i in wrt_indices(fn, module.WRT))
    if kind == "vjp":
        return args + (random_like(fn(*args), rng),)
    return args


@pytest.mark.parametrize("kind", [*KINDS, "grad_specialized", "vjp_specialized"])
@pytest.mark.parametrize("case", CASES)
def test_expected_file_runs_as_written(case, kind):
    """The golden text itself, executed with the input's globals, gives what the loaded derivative gives."""
    expected_path = HERE / case / f"expected_{kind}.py"
    kind = kind.removesuffix("_specialized")
    if not expected_path.is_file():
        pytest.skip(f"no {expected_path.name}")
    module = load_case(case)
    fn = function_of(module)
    arguments = derivative_arguments(case, kind)
    namespace = dict(vars(module))
    exec(compile(expected_path.read_text(), str(expected_path), "exec"), namespace)
    from_text = namespace[f"{kind}_{fn.__name__}"](*arguments)
    loaded = KINDS[kind](fn, module.WRT)(*arguments)
    np.testing.assert_equal(from_text, loaded)


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("case", CASES)
def test_runs_on_arrays_that_refuse_numpy_conversion(case, kind):
    """The same numbers on StrictArray as on numpy: no conversion, no float(), no array made from nothing."""
    if kind == "grad" and not has_scalar_result(case):
        pytest.skip("grad needs a scalar result")
    module = load_case(case)
    derivative = KINDS[kind](function_of(module), module.WRT)
    arguments = derivative_arguments(case, kind)
    on_numpy = derivative(*arguments)
    on_strict = derivative(*wrap(arguments))
    np.testing.assert_allclose(np.concatenate([np.ravel(v) for v in flatten(unwrap(on_strict))]),
                               np.concatenate([np.ravel(v) for v in flatten(on_numpy)]), rtol=1e-13)


def flatten(value):
    if isinstance(value, tuple):
        return [leaf for item in value for leaf in flatten(item)]
    return [value]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("case", CASES)
def test_derivatives_match_finite_differences(case, mode):
    module = load_case(case)
    errors = ts.check_grad(function_of(module), inputs_of(module), module.WRT, mode=mode)
    assert max(errors) < TOLERANCE, f"relative errors per wrt argument: {errors}"


@pytest.mark.parametrize("case", CASES)
def test_dot_product_identity(case):
    """<b, J t> from jvp equals <J^T b, t> from vjp, for random t and b."""
    module = load_case(case)
    fn = function_of(module)
    args = inputs_of(module)
    rng = np.random.default_rng(SEED + 2)
    tangents = tuple(random_like(args[i], rng) for i in wrt_indices(fn, module.WRT))
    value, tangent_out = ts.jvp(fn, module.WRT)(*args, *tangents)
    np.testing.assert_allclose(value, fn(*args), rtol=1e-14)
    cotangent = random_like(value, rng)
    pulled_back = ts.vjp(fn, module.WRT)(*args, cotangent)
    assert [np.shape(g) for g in pulled_back] == [np.shape(t) for t in tangents]
    forward, reverse = inner(cotangent, tangent_out), inner(pulled_back, tangents)
    assert np.isclose(forward, reverse, rtol=1e-10, atol=1e-12), (forward, reverse)


@pytest.mark.parametrize("case", CASES)
def test_grad_is_vjp_with_unit_cotangent(case):
    if not has_scalar_result(case):
        pytest.skip("grad needs a scalar result")
    module = load_case(case)
    fn = function_of(module)
    args = inputs_of(module)
    gradient = ts.grad(fn, module.WRT)(*args)
    value, gradient_too = ts.value_and_grad(fn, module.WRT)(*args)
    pulled_back = ts.vjp(fn, module.WRT)(*args, 1.0)
    np.testing.assert_allclose(value, fn(*args), rtol=1e-14)
    for g, h, k in zip(gradient, gradient_too, pulled_back):
        np.testing.assert_allclose(g, k, rtol=1e-14)
        np.testing.assert_allclose(g, h, rtol=1e-14)
