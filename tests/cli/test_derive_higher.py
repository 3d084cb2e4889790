"""`tangent-src derive --mode hvp|hessian|jacobian`: the written module, without tangent_src,
gives the Hessian of a logistic regression (X^T diag(p (1 - p)) X / N), its products with a
vector, and the Jacobian of a tanh layer worked out by hand, for a model with a helper call."""

import textwrap

import numpy as np
import pytest

from tangent_src.cli import main
from written_module import written

MODEL = textwrap.dedent('''\
    import numpy as np


    def sigmoid(z):
        return 1.0 / (1.0 + np.exp(-z))


    def loss(w, X, y):
        p = sigmoid(X @ w)
        return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


    def layer(x, W):
        return np.tanh(W @ x)
    ''')


def _written(tmp_path, *argv):
    return written(tmp_path, MODEL, *argv)[0]


def _data():
    rng = np.random.default_rng(0)
    X, w = rng.standard_normal((30, 3)), rng.standard_normal(3)
    y = (rng.random(30) > 0.5).astype(float)
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    return w, X, y, X.T @ (X * (p * (1 - p))[:, None]) / 30


@pytest.mark.parametrize("mode", ["hvp", "hessian"])
def test_hessian_modes(tmp_path, mode):
    written = _written(tmp_path, "loss", "--mode", mode)
    w, X, y, analytic = _data()
    v = np.array([0.3, -1.0, 2.0])
    np.testing.assert_allclose(written.hvp_loss(w, X, y, v), analytic @ v, rtol=1e-12, atol=1e-15)
    if mode == "hessian":
        np.testing.assert_allclose(written.hessian_loss(w, X, y), analytic, rtol=1e-12, atol=1e-15)
    assert "hvp_loss" in written.__doc__


def test_jacobian_mode(tmp_path):
    written = _written(tmp_path, "layer", "--mode", "jacobian")
    rng = np.random.default_rng(1)
    for rows in (2, 7):  # fewer outputs than inputs (reverse), more (forward)
        x, W = rng.standard_normal(4), rng.standard_normal((rows, 4))
        expected = (1 - np.tanh(W @ x) ** 2)[:, None] * W
        np.testing.assert_allclose(written.jacobian_layer(x, W), expected, rtol=1e-12, atol=1e-15)


def test_a_tuple_wrt_is_refused_with_the_api_named(tmp_path, capsys):
    (tmp_path / "model.py").write_text(MODEL)
    assert main(["derive", str(tmp_path / "model.py"), "loss", "--wrt", "w,X", "--mode", "hessian"]) == 1
    assert "ts.hessian" in capsys.readouterr().err
