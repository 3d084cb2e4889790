"""What a differentiated function returns (issue 10, points 1, 8 and 9).

- grad / value_and_grad refuse a result that is not a scalar: at transformation
  time where a `return` visibly gives several values, when the derivative runs
  otherwise; has_aux=True (the JAX convention) carries a second value along,
  never differentiated;
- a result that is not a number (a string, None, a truth value) is refused at
  transformation time in every mode; a constant number has derivative zero;
- vjp and jvp take the function's own arguments, then the cotangent or the
  tangents: a parameter with a default may be left out, or given by name.

Every derivative is checked against central differences of the function itself.
"""

from __future__ import annotations

import numpy as np
import pytest

import tangent_src as ts
from helpers import copy_value, dot_product_check, make_function
from tangent_src.errors import BadResult

STEP = 1e-6


def central_gradient(scalar, args, index):
    """d scalar(*args) / d args[index], by central differences in float64."""
    x = np.asarray(args[index], dtype=float)
    found = np.zeros_like(x)
    for position in np.ndindex(x.shape):
        parts = []
        for sign in (1, -1):
            moved = x.copy()
            moved[position] += sign * STEP
            shifted = list(copy_value(args))
            shifted[index] = moved if np.ndim(args[index]) else float(moved)
            parts.append(scalar(*shifted))
        found[position] = (parts[0] - parts[1]) / (2 * STEP)
    return found if np.ndim(args[index]) else float(found)


def assert_close(found, expected, rtol=1e-6):
    np.testing.assert_allclose(found, expected, rtol=rtol, atol=1e-8)


def assert_refused(err: BadResult, source_line: str, line: int):
    """The message names the file, the line and column of the return, shows it with a caret."""
    text = str(err)
    assert f".py:{line}:" in text.splitlines()[0], text
    assert source_line in text and "^" in text and "hint:" in text, text
    assert "t1" not in text.split("hint:")[0].replace(source_line, ""), text


# ------------------------------------------------------------------ point 1: tuple results under grad

TWO_SUMS = """
def f(x):
    return np.sum(x**2), np.sum(x)
"""

LIST_RESULT = """
def f(x):
    y = np.tanh(x)
    return [np.sum(y), np.sum(y * y)]
"""

EARLY_RETURN_IN_BRANCH = """
def f(x, threshold):
    total = np.sum(x * x)
    if total > threshold:
        return total, np.max(x)
    return total
"""

RETURN_IN_LOOP = """
def f(x):
    s = 0.0
    for v in x:
        s = s + v * v
        if s > 100.0:
            return s, v
    return s, 0.0
"""


@pytest.mark.parametrize("mode", ["grad", "value_and_grad"])
@pytest.mark.parametrize("source, shown, line", [
    (TWO_SUMS, "return np.sum(x**2), np.sum(x)", 7),
    (LIST_RESULT, "return [np.sum(y), np.sum(y * y)]", 8),
    (EARLY_RETURN_IN_BRANCH, "return total, np.max(x)", 9),
    (RETURN_IN_LOOP, "return s, v", 11),
])
def test_a_visible_tuple_result_is_refused_by_grad(source, shown, line, mode):
    f = make_function(source)
    with pytest.raises(BadResult) as info:
        getattr(ts, mode)(f)
    assert_refused(info.value, shown, line)
    assert "scalar" in str(info.value) and "has_aux=True" in str(info.value) and "vjp" in str(info.value)


def test_the_command_line_refuses_a_tuple_result_too(tmp_path):
    from tangent_src.cli import derive as derive_cli
    from tangent_src.cli import main

    (tmp_path / "model.py").write_text("import numpy as np\n\n\ndef f(x):\n    return np.sum(x**2), np.sum(x)\n")
    code = main(["derive", str(tmp_path / "model.py"), "f", "-o", str(tmp_path / "out.py")])
    assert code == derive_cli.TRANSFORM_FAILED
    assert not (tmp_path / "out.py").exists()


def test_the_two_sums_still_have_a_vjp_and_a_jvp():
    f = make_function(TWO_SUMS)
    x = np.random.default_rng(0).standard_normal(4)
    bx = ts.vjp(f)(x, (1.0, 0.0))
    assert_close(bx, 2 * x)
    dot_product_check(f, (x,), 0, np.random.default_rng(1))


VECTOR_BY_NAME = """
def f(x):
    y = x * 2.0
    return y
"""

ONE_ELEMENT = """
def f(x):
    return np.sum(x, keepdims=True)
"""

TUPLE_BY_NAME = """
def f(x):
    pair = (np.sum(x), np.sum(x * x))
    return pair
"""


@pytest.mark.parametrize("source, kind, words", [
    (VECTOR_BY_NAME, ValueError, "shape (3,)"),
    (ONE_ELEMENT, ValueError, "shape (1,)"),
    (TUPLE_BY_NAME, TypeError, "a tuple of 2 values"),
])
def test_a_result_that_is_no_scalar_at_run_time_is_refused_by_the_seed(source, kind, words):
    f = make_function(source)
    for mode in ("grad", "value_and_grad"):
        with pytest.raises(kind) as info:
            getattr(ts, mode)(f)(np.ones(3))
        text = str(info.value)
        assert "grad needs a scalar" in text and words in text and "the value f returns" in text, text


def test_a_constant_vector_result_is_refused_too():
    """Even when the gradient would be zero, grad of a vector is not a gradient."""
    f = make_function("""
    def f(x):
        return np.zeros(3)
    """)
    with pytest.raises(ValueError, match="grad needs a scalar"):
        ts.grad(f)(np.ones(3))


@pytest.mark.parametrize("scalar", [np.float64(2.0), np.array(2.0), 2.0, 2, np.float32(2.0)])
def test_the_seed_accepts_every_kind_of_scalar(scalar):
    from tangent_src.runtime import scalar_seed

    seed = scalar_seed(scalar)
    assert seed == 1 and np.ndim(seed) == 0


@pytest.mark.parametrize("value, kind", [(np.ones(1), ValueError), (np.ones((1, 1)), ValueError),
                                         ("1.0", TypeError), (None, TypeError), (True, TypeError),
                                         (np.array(True), TypeError), ([1.0], TypeError), (1j, TypeError)])
def test_the_seed_refuses_what_is_no_real_scalar(value, kind):
    from tangent_src.runtime import scalar_seed

    with pytest.raises(kind, match="grad needs a scalar output, but the value g returns"):
        scalar_seed(value, "g")


# ------------------------------------------------------------------ has_aux

LOSS_AND_PREDICTIONS = """
def f(W, x, y):
    scores = x @ W
    probabilities = 1.0 / (1.0 + np.exp(-scores))
    loss = -np.mean(y * np.log(probabilities) + (1.0 - y) * np.log(1.0 - probabilities))
    accuracy = np.mean((probabilities > 0.5) == (y > 0.5))
    return loss, (probabilities, accuracy)
"""

AUX_IS_A_STRING = """
def f(x, y):
    p = np.tanh(x * y)
    return np.sum(p ** 2), "tanh model"
"""

AUX_IN_BRANCHES = """
def f(x, y):
    p = np.tanh(x * y)
    if y > 1.0:
        return np.sum(p), p
    return np.sum(p ** 2), p * 2.0
"""

AUX_USES_THE_LOSS = """
def f(x):
    loss = np.sum(np.sin(x) ** 2)
    return loss, [loss, 2.0 * loss, x]
"""


def _logistic_args(rng):
    return (rng.standard_normal(3), rng.standard_normal((6, 3)), (rng.random(6) > 0.5).astype(float))


HAS_AUX_CASES = {
    "loss_and_predictions": (LOSS_AND_PREDICTIONS, _logistic_args, 0),
    "loss_and_predictions_wrt_x": (LOSS_AND_PREDICTIONS, _logistic_args, (0, 1)),
    "aux_is_a_string": (AUX_IS_A_STRING, lambda rng: (rng.standard_normal(4), 0.7), (0, 1)),
    "aux_in_branch_taken": (AUX_IN_BRANCHES, lambda rng: (rng.standard_normal(4), 1.5), 0),
    "aux_in_branch_not_taken": (AUX_IN_BRANCHES, lambda rng: (rng.standard_normal(4), 0.5), 0),
    "aux_uses_the_loss": (AUX_USES_THE_LOSS, lambda rng: (rng.standard_normal(5),), 0),
}


def _aux_equal(found, expected):
    if isinstance(expected, (tuple, list)):
        assert type(found) is type(expected) and len(found) == len(expected)
        for a, b in zip(found, expected):
            _aux_equal(a, b)
    elif isinstance(expected, str):
        assert found == expected
    else:
        np.testing.assert_array_equal(found, expected)


@pytest.mark.parametrize("name", list(HAS_AUX_CASES))
def test_has_aux_differentiates_the_value_and_returns_aux_as_it_is(name):
    source, make, wrt = HAS_AUX_CASES[name]
    f = make_function(source)
    args = tuple(make(np.random.default_rng(3)))
    value, aux = f(*copy_value(args))
    indices = [wrt] if not isinstance(wrt, tuple) else list(wrt)

    gradient, aux_of_grad = ts.grad(f, wrt, has_aux=True)(*copy_value(args))
    (value_2, aux_2), gradient_2 = ts.value_and_grad(f, wrt, has_aux=True)(*copy_value(args))
    _aux_equal(aux_of_grad, aux)
    _aux_equal(aux_2, aux)
    assert value_2 == pytest.approx(value, rel=1e-14)
    gradients = [gradient] if not isinstance(wrt, tuple) else list(gradient)
    gradients_2 = [gradient_2] if not isinstance(wrt, tuple) else list(gradient_2)
    for g, g2, i in zip(gradients, gradients_2, indices):
        expected = central_gradient(lambda *a: f(*a)[0], args, i)
        assert np.shape(g) == np.shape(args[i])
        assert_close(g, expected)
        assert_close(g2, g, rtol=1e-13)


@pytest.mark.parametrize("name", ["loss_and_predictions", "aux_in_branch_taken", "aux_uses_the_loss"])
def test_has_aux_gradient_agrees_with_forward_mode(name):
    """<gradient, v> is the tangent of the value along v (jvp of the whole function)."""
    source, make, wrt = HAS_AUX_CASES[name]
    f = make_function(source)
    args = tuple(make(np.random.default_rng(4)))
    rng = np.random.default_rng(5)
    v = rng.standard_normal(np.shape(args[0]))
    gradient, _ = ts.grad(f, 0, has_aux=True)(*copy_value(args))
    _, tangent = ts.jvp(f, 0)(*copy_value(args), v)
    assert float(np.sum(gradient * v)) == pytest.approx(float(tangent[0]), rel=1e-10)


def test_has_aux_leaves_the_arguments_unchanged_and_reads_like_the_docstring_says():
    f = make_function(LOSS_AND_PREDICTIONS)
    args = _logistic_args(np.random.default_rng(6))
    before = copy_value(args)
    ts.grad(f, has_aux=True)(*args)
    for a, b in zip(args, before):
        np.testing.assert_array_equal(a, b)
    text = ts.source(ts.grad(f, has_aux=True))
    assert "aux" in text.split('"""')[1] and "not differentiated" in text


@pytest.mark.parametrize("source, shown, line", [
    ("def f(x):\n    return np.sum(x)\n", "return np.sum(x)", 7),
    ("def f(x):\n    return np.sum(x), x, 2.0\n", "return np.sum(x), x, 2.0", 7),
])
def test_has_aux_needs_a_pair_in_every_return(source, shown, line):
    f = make_function(source)
    with pytest.raises(BadResult) as info:
        ts.grad(f, has_aux=True)
    assert_refused(info.value, shown, line)
    assert "has_aux=True" in str(info.value)


def test_has_aux_value_must_be_a_scalar():
    f = make_function("""
    def f(x):
        return (np.sum(x), np.sum(x * x)), x
    """)
    with pytest.raises(BadResult) as info:
        ts.grad(f, has_aux=True)
    assert_refused(info.value, "return (np.sum(x), np.sum(x * x)), x", 7)
    g = make_function("""
    def f(x):
        return x * 2.0, x
    """)
    with pytest.raises(ValueError, match="grad needs a scalar"):
        ts.grad(g, has_aux=True)(np.ones(3))


def test_differentiate_takes_has_aux():
    f = make_function(AUX_USES_THE_LOSS)
    decorated = ts.differentiate(f, has_aux=True)
    x = np.random.default_rng(7).standard_normal(5)
    gradient, aux = decorated.grad(x)
    assert_close(gradient, 2 * np.sin(x) * np.cos(x), rtol=1e-12)
    _aux_equal(aux, f(x)[1])
    (value, aux), gradient_2 = decorated.value_and_grad(x)
    assert value == pytest.approx(f(x)[0]) and np.array_equal(gradient, gradient_2)
    with pytest.raises(TypeError, match="has_aux"):
        _ = decorated.vjp
    with pytest.raises(ValueError, match="has_aux"):
        ts.differentiate(f, mode="jvp", has_aux=True)


# ------------------------------------------------------------------ point 9: results that are not numbers

@pytest.mark.parametrize("mode", ["grad", "value_and_grad", "vjp", "jvp"])
@pytest.mark.parametrize("source, shown", [
    ('def f(x):\n    y = np.sum(x)\n    return "value"\n', '"value"'),
    ("def f(x):\n    y = np.sum(x)\n    return None\n", "None"),
    ("def f(x):\n    y = np.sum(x)\n    return True\n", "True"),
    ("def f(x):\n    return np.sum(x) > 0.0\n", "np.sum(x) > 0.0"),
    ("def f(x):\n    return f'{np.sum(x)}'\n", "f'{np.sum(x)}'"),
])
def test_a_result_that_is_no_number_is_refused_in_every_mode(source, shown, mode):
    f = make_function(source)
    with pytest.raises(BadResult) as info:
        getattr(ts, mode)(f)
    text = str(info.value)
    assert "not a number" in text and shown in text and "^" in text, text
    caret = text.splitlines()[2]
    assert caret.strip() == "^" * len(shown), text


def test_a_string_beside_a_number_is_refused_by_vjp():
    f = make_function("""
    def f(x):
        return np.sum(x), "label"
    """)
    with pytest.raises(BadResult, match="a string"):
        ts.vjp(f)


@pytest.mark.parametrize("constant", ["0.0", "np.pi", "2.5 * len(x)"])
def test_a_constant_number_has_gradient_zero(constant):
    f = make_function(f"""
    def f(x):
        y = np.sum(x * x)
        return {constant}
    """)
    x = np.random.default_rng(8).standard_normal(3)
    np.testing.assert_array_equal(ts.grad(f)(x), np.zeros(3))
    _, tangent = ts.jvp(f)(x, np.ones(3))
    assert tangent == 0


@pytest.mark.parametrize("result", ["len(x)", "x.shape[0]", "3", "np.sum(x > 0.0)"])
def test_an_integer_that_does_not_depend_on_the_input_is_refused_by_grad(result):
    """JAX refuses integer outputs under grad; here an integer result that does not depend on
    the differentiated input (a length, a count) is refused when the derivative runs."""
    f = make_function(f"""
    def f(x):
        y = np.sum(x * x)
        return {result}
    """)
    for mode in ("grad", "value_and_grad"):
        with pytest.raises(TypeError, match="the value f returns is an integer"):
            getattr(ts, mode)(f)(np.ones(3))


def test_an_integer_input_and_result_is_still_differentiated():
    f = make_function("""
    def f(x):
        return x * x + 1
    """)
    assert ts.grad(f)(3) == 6.0
    assert ts.value_and_grad(f)(3) == (10, 6.0)


def test_an_integer_valued_expression_of_the_input_is_differentiated():
    f = make_function("""
    def f(x):
        n = 3
        return n * np.sum(x * x)
    """)
    x = np.random.default_rng(9).standard_normal(3)
    assert_close(ts.grad(f)(x), central_gradient(f, (x,), 0))


# ------------------------------------------------------------------ point 8: parameters with defaults

SCALED = """
def f(x, scale=2.0):
    return np.sum(scale * x ** 2)
"""

LAYER = """
def f(x, W, b=0.0, activation="tanh", *, slope=0.1):
    z = W @ x + b
    if activation == "tanh":
        return np.tanh(z)
    return np.where(z > 0, z, slope * z)
"""


def test_vjp_and_jvp_of_a_function_whose_default_is_left_out():
    f = make_function(SCALED)
    x = np.random.default_rng(10).standard_normal(4)
    expected = central_gradient(f, (x,), 0)
    assert_close(ts.vjp(f)(x, 1.0), expected)
    assert_close(ts.vjp(f)(x, 2.0, 1.0), expected)
    assert_close(ts.vjp(f)(x, 1.0, scale=2.0), expected)
    assert_close(ts.vjp(f)(x, 3.0, 1.0), 1.5 * expected)
    assert_close(ts.vjp(f)(x, 1.0, scale=3.0), 1.5 * expected)
    v = np.random.default_rng(11).standard_normal(4)
    value, tangent = ts.jvp(f)(x, v)
    assert value == pytest.approx(f(x)) and tangent == pytest.approx(float(expected @ v), rel=1e-6)
    value, tangent = ts.jvp(f)(x, v, scale=3.0)
    assert value == pytest.approx(f(x, 3.0)) and tangent == pytest.approx(1.5 * float(expected @ v), rel=1e-6)
    gradient_scale = central_gradient(lambda x, s: f(x, s), (x, 2.0), 1)
    _, tangent = ts.jvp(f, wrt=(0, 1))(x, 2.0, v, 1.0)
    assert tangent == pytest.approx(float(expected @ v) + gradient_scale, rel=1e-6)
    assert ts.grad(f)(x) == pytest.approx(expected)


@pytest.mark.parametrize("call", ["defaults", "positional", "keywords"])
def test_a_layer_with_defaults_called_every_way(call):
    f = make_function(LAYER)
    rng = np.random.default_rng(12)
    x, W, b = rng.standard_normal(3), rng.standard_normal((4, 3)), rng.standard_normal(4)
    u, v = rng.standard_normal(4), rng.standard_normal((4, 3))
    primal, keywords = {"defaults": ((x, W), {}), "positional": ((x, W, b, "relu"), {}),
                        "keywords": ((x, W), {"b": b, "activation": "relu", "slope": 0.3})}[call]
    value = f(*primal, **keywords)
    expected = central_gradient(lambda x, W: float(u @ f(x, W, *primal[2:], **keywords)), (x, W), 1)
    bW = ts.vjp(f, wrt=1)(*primal, u, **keywords)
    assert_close(bW, expected)
    jvp_value, tangent = ts.jvp(f, wrt=1)(*primal, v, **keywords)
    assert_close(jvp_value, value, rtol=1e-14)
    assert float(u @ tangent) == pytest.approx(float(np.sum(expected * v)), rel=1e-6)


def test_the_cotangent_may_be_given_by_its_name():
    f = make_function(SCALED)
    x = np.ones(3)
    name = list(__import__("inspect").signature(ts.vjp(f)).parameters)[-1]
    assert_close(ts.vjp(f)(x, **{name: 1.0}), 4.0 * x)


def test_too_few_arguments_is_a_clear_type_error():
    f = make_function(SCALED)
    with pytest.raises(TypeError):
        ts.vjp(f)()
    with pytest.raises(TypeError):
        ts.jvp(f, wrt=(0, 1))(np.ones(3), np.ones(3))  # two tangents needed, x missing


# ------------------------------------------------------------------ the command line: --has-aux

CLI_MODEL = '''\
import numpy as np


def loss_and_accuracy(w, x, y):
    p = 1.0 / (1.0 + np.exp(-(x @ w)))
    loss = -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))
    return loss, np.mean((p > 0.5) == (y > 0.5))
'''

CLI_CHECK = '''\
import json, sys
sys.modules["tangent_src"] = None  # importing tangent_src now fails
import numpy as np
import derived
from model import loss_and_accuracy

rng = np.random.default_rng(0)
w, x, y = rng.standard_normal(3), rng.standard_normal((8, 3)), (rng.random(8) > 0.5).astype(float)
bw, accuracy = derived.grad_loss_and_accuracy(w, x, y)
(value, accuracy_2), bw_2 = derived.value_and_grad_loss_and_accuracy(w, x, y)
numeric = np.zeros(3)
for i in range(3):
    up, down = w.copy(), w.copy()
    up[i] += 1e-6
    down[i] -= 1e-6
    numeric[i] = (loss_and_accuracy(up, x, y)[0] - loss_and_accuracy(down, x, y)[0]) / 2e-6
expected_value, expected_accuracy = loss_and_accuracy(w, x, y)
print(json.dumps({"bw": bw.tolist(), "bw_2": bw_2.tolist(), "numeric": numeric.tolist(),
                  "accuracy": [float(accuracy), float(accuracy_2), float(expected_accuracy)],
                  "value": [float(value), float(expected_value)]}))
'''


def _cli(*args, cwd):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "tangent_src", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def test_the_command_line_writes_has_aux_derivatives_that_run_alone(tmp_path):
    import json
    import subprocess
    import sys

    (tmp_path / "model.py").write_text(CLI_MODEL)
    for mode in ("grad", "value_and_grad"):
        done = _cli("derive", "model.py", "loss_and_accuracy", "--mode", mode, "--has-aux", "-o", f"{mode}.py",
                    cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    text = (tmp_path / "grad.py").read_text() + (tmp_path / "value_and_grad.py").read_text()
    assert "--has-aux" in text and "not differentiated" in text
    (tmp_path / "derived.py").write_text((tmp_path / "grad.py").read_text() + "\n\nfrom value_and_grad import *\n")
    (tmp_path / "check.py").write_text(CLI_CHECK)
    fresh = subprocess.run([sys.executable, "check.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert fresh.returncode == 0, fresh.stderr
    found = json.loads(fresh.stdout)
    np.testing.assert_allclose(found["bw"], found["numeric"], rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(found["bw"], found["bw_2"])
    assert found["accuracy"][0] == found["accuracy"][1] == found["accuracy"][2]
    assert found["value"][0] == pytest.approx(found["value"][1], rel=1e-14)


def test_the_command_line_refuses_the_pair_without_has_aux_and_has_aux_in_forward_mode(tmp_path):
    from tangent_src.cli import derive as derive_cli

    (tmp_path / "model.py").write_text(CLI_MODEL)
    done = _cli("derive", "model.py", "loss_and_accuracy", "-o", "out.py", cwd=tmp_path)
    assert done.returncode == derive_cli.TRANSFORM_FAILED
    assert "model.py:7:5:" in done.stderr and "^" in done.stderr and "--has-aux" in done.stderr
    for mode in ("jvp", "both", "vjp"):
        done = _cli("derive", "model.py", "loss_and_accuracy", "--mode", mode, "--has-aux", cwd=tmp_path)
        assert done.returncode == derive_cli.USAGE and "--has-aux" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.py"]


def test_has_aux_a_return_of_one_value_beside_pairs():
    """A course model's loss: `if y is None: return scores`, else `return loss, grads`. With has_aux the
    return of one value gives (value, None): grad works where y is given, and says its value is no
    scalar where the scores are returned."""
    f = make_function("""
def loss(W, X, y=None):
    scores = X @ W
    if y is None:
        return scores
    data_loss = np.sum((scores - y) ** 2)
    return data_loss, {"scores": scores}
""", "loss")
    rng = np.random.default_rng(3)
    W, X, y = rng.standard_normal((3, 2)), rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    g, aux = ts.grad(f, has_aux=True)(W, X, y)
    np.testing.assert_allclose(g, 2 * X.T @ (X @ W - y))
    np.testing.assert_allclose(aux["scores"], X @ W)
    with pytest.raises((ts.TransformError, ValueError), match="scalar"):
        ts.grad(f, has_aux=True)(W, X)  # (made for y None: the scores, no scalar)


def test_returns_of_different_numbers_of_values_in_every_mode():
    """cs231n's fc_net: `mode = "test" if y is None else "train"` ... `if mode == "test": return scores`,
    then `return loss, grads`: every mode takes the returns of the most values; the return of fewer
    values raises, saying so, if it is taken."""
    f = make_function("""
def loss(W, X, y=None):
    mode = "test" if y is None else "train"
    scores = X @ W
    if mode == "test":
        return scores
    return np.sum((scores - y) ** 2), scores
""", "loss")
    rng = np.random.default_rng(4)
    W, X, y = rng.standard_normal((3, 2)), rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    dW = rng.standard_normal((3, 2))
    (value, scores), (dvalue, dscores) = ts.jvp(f)(W, X, y, dW)
    np.testing.assert_allclose(dvalue, np.sum(2 * (X @ W - y) * (X @ dW)))
    np.testing.assert_allclose(dscores, X @ dW)
    g, aux = ts.grad(f, has_aux=True)(W, X, y)
    np.testing.assert_allclose(g, 2 * X.T @ (X @ W - y))
    with pytest.raises(ValueError, match="line .* gives 1 value"):
        ts.jvp(f)(W, X, None, dW)
