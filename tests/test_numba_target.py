"""The numba target and the command line's specialization (issue 14).

`ts.grad(f, target="numba")` compiles the code specialized to a call's arguments with numba.njit;
`tangent-src derive --like NAME=SHAPE` (or jaxtyping-style annotations) writes that code, and
`--target numba` a module that compiles it. Oracles: hand-written gradients and central differences.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tangent_src as ts
from test_lean import rosenbrock
from test_lean import rosenbrock_loop_by_hand as rosenbrock_by_hand

numba = pytest.importorskip("numba")


def damped(a, b):
    return a * b + np.sin(a)


def recurrence(x, w):
    """s_{k+1} = damped(s_k, w) + x_k: a scalar recurrence through a function of the user's."""
    s = 0.0
    for k in range(x.shape[0]):
        s = damped(s, w) + x[k]
    return s * s


def recurrence_by_hand(x, w):
    s = [0.0]
    for k in range(x.shape[0]):
        s.append(s[-1] * w + np.sin(s[-1]) + x[k])
    ds, dx, dw = 2 * s[-1], np.zeros_like(x), 0.0
    for k in reversed(range(x.shape[0])):
        dx[k] = ds
        dw += ds * s[k]
        ds = ds * (w + np.cos(s[k]))
    return dx, dw


def test_the_compiled_gradient_is_right_and_its_source_the_same():
    x = np.random.default_rng(0).uniform(-1, 1, 12)
    g = ts.grad(rosenbrock, target="numba")
    np.testing.assert_allclose(g(x), rosenbrock_by_hand(x), rtol=1e-12)
    assert ts.source(g, x) == ts.source(ts.grad(rosenbrock), x)  # the same readable numpy code
    assert hasattr(g.for_arguments((x,), {}).__tangent_src__.function, "__numba__")
    errors = ts.check_grad(rosenbrock, (x,), 0)
    assert max(np.atleast_1d(errors)) < 1e-6


def test_functions_the_code_calls_are_compiled_too():
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=7) * 0.3, 0.7
    found = ts.grad(recurrence, (0, 1), target="numba")(x, w)
    expected = recurrence_by_hand(x, w)
    np.testing.assert_allclose(found[0], expected[0], rtol=1e-12)
    np.testing.assert_allclose(found[1], expected[1], rtol=1e-12)
    value, gradient = ts.value_and_grad(recurrence, (0, 1), target="numba")(x, w)
    np.testing.assert_allclose(value, recurrence(x, w), rtol=1e-14)
    np.testing.assert_allclose(gradient[0], expected[0], rtol=1e-12)


def with_a_dict(p, x):
    return np.sum(p["w"] * x)


def test_code_numba_cannot_compile_is_refused_naming_the_line():
    x = np.ones(3)
    with pytest.raises(ts.TransformError, match=r"numba cannot compile the derivative of with_a_dict at `.+`"):
        ts.grad(with_a_dict, target="numba")({"w": x}, x)
    np.testing.assert_allclose(ts.grad(with_a_dict)({"w": x}, x)["w"], x)  # CPython: fine


def test_bad_targets_are_refused():
    with pytest.raises(ValueError, match="target must be"):
        ts.grad(rosenbrock, target="cuda")
    with pytest.raises(ValueError, match="specialize=True"):
        ts.grad(rosenbrock, target="numba", specialize=False)


def test_without_numba_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "numba", None)
    with pytest.raises(ImportError, match=r"tangent_src\[numba\]"):
        ts.grad(rosenbrock, target="numba")


# ---------------------------------------------------------------- the command line

MODEL = textwrap.dedent('''
    import numpy as np
    import numpy.typing as npt


    def loss(W, b, X):
        return np.sum(np.tanh(X @ W + b) ** 2)


    def annotated(W: "Float[np.ndarray, 'D H']", b: "Float[np.ndarray, 'H']", X: "Float[np.ndarray, 'B D']"):
        return np.sum(np.tanh(X @ W + b) ** 2)


    def typed(W: npt.NDArray[np.float64],  # shape: (D, H)
              b: npt.NDArray[np.float64], X: npt.NDArray[np.float64]):  # b: (H,), X: (B, D)
        return np.sum(np.tanh(X @ W + b) ** 2)


    def rosenbrock(x):
        total = 0.0
        for i in range(len(x) - 1):
            total = total + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
        return total
''')


def derive(tmp_path, *options):
    source = tmp_path / "model.py"
    source.write_text(MODEL)
    return subprocess.run([sys.executable, "-m", "tangent_src", "derive", str(source), *options],
                          capture_output=True, text=True, cwd=tmp_path)


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
    return module


def loss_by_hand(W, b, X):
    h = np.tanh(X @ W + b)
    da = 2 * h * (1 - h ** 2)
    return X.T @ da, da.sum(axis=0)


def test_like_options_specialize_the_written_code(tmp_path):
    general = derive(tmp_path, "loss", "--wrt", "W,b")
    special = derive(tmp_path, "loss", "--wrt", "W,b", "--like", "W=D,H", "--like", "b=H", "--like", "X=B,D",
                     "-o", "grad_model.py")
    assert general.returncode == 0 and special.returncode == 0, special.stderr
    assert "matmul_adjoint" in general.stdout and "unbroadcast" in general.stdout
    check_specialized_module(tmp_path / "grad_model.py", "grad_loss", rows=5)


def check_specialized_module(path, name, rows):
    """The written module's gradient is specialized (no helpers) and equals the one by hand."""
    text = path.read_text()
    assert "matmul_adjoint" not in text and "unbroadcast" not in text and "X.T @ " in text
    rng = np.random.default_rng(rows)
    W, b, X = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(rows, 3))
    found = getattr(load(path, f"{path.stem}_{rows}"), name)(W, b, X)
    for a, e in zip(found, loss_by_hand(W, b, X)):
        np.testing.assert_allclose(a, e, rtol=1e-12)


def test_annotations_specialize_like_options(tmp_path):
    result = derive(tmp_path, "annotated", "--wrt", "W,b")
    assert result.returncode == 0, result.stderr
    assert "matmul_adjoint" not in result.stdout and "unbroadcast" not in result.stdout


def test_numpy_typing_annotations_with_shape_comments_specialize(tmp_path):
    result = derive(tmp_path, "typed", "--wrt", "W,b", "-o", "grad_typed.py")
    assert result.returncode == 0, result.stderr
    check_specialized_module(tmp_path / "grad_typed.py", "grad_typed", rows=6)


def test_an_ndarray_without_a_shape_comment_stays_general(tmp_path):
    source = tmp_path / "bare.py"
    source.write_text("import numpy as np\nimport numpy.typing as npt\n\n\n"
                      "def f(W: npt.NDArray[np.float64], X: npt.NDArray[np.float64]):\n"
                      "    return np.sum(np.tanh(X @ W) ** 2)\n")
    result = subprocess.run([sys.executable, "-m", "tangent_src", "derive", str(source), "f", "--wrt", "W"],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "matmul_adjoint" in result.stdout


def test_bad_like_options_are_usage_errors(tmp_path):
    result = derive(tmp_path, "loss", "--like", "W=3,2.5")
    assert result.returncode == 2 and "--like" in result.stderr
    result = derive(tmp_path, "loss", "--like", "W=3:int8")
    assert result.returncode == 2 and "dtype" in result.stderr


def test_the_numba_target_writes_a_compiled_module(tmp_path):
    result = derive(tmp_path, "rosenbrock", "--like", "x=N", "--target", "numba", "-o", "grad_rosen.py")
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "grad_rosen.py").read_text()
    assert "grad_rosenbrock = numba.njit(grad_rosenbrock)" in text and "bx[i] += " in text
    module = load(tmp_path / "grad_rosen.py", "grad_rosen_numba")
    x = np.random.default_rng(3).uniform(-1, 1, 9)
    np.testing.assert_allclose(module.grad_rosenbrock(x), rosenbrock_by_hand(x), rtol=1e-12)
