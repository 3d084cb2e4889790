"""`tangent-src derive --checkpoint K`: the written module checkpoints the loop (the schedule's helper
copied in, no tangent_src import) and gives the gradient of a tanh RNN worked out by hand."""

import textwrap

import numpy as np
import pytest

from tangent_src.cli import main
from written_module import written

MODEL = textwrap.dedent('''\
    import numpy as np


    def loss(W, U, xs, h0):
        h = h0
        total = 0.0
        for t in range(xs.shape[0]):
            h = np.tanh(W @ h + U @ xs[t])
            total = total + np.sum(h)
        return total


    def marked(W, U, xs, h0):
        h = h0
        # tangent_src: checkpoint(snapshots=2)
        for t in range(xs.shape[0]):
            h = np.tanh(W @ h + U @ xs[t])
        return np.sum(h)
    ''')


def _written(tmp_path, *argv):
    return written(tmp_path, MODEL, *argv)


def _by_hand(W, U, xs, h0, every_step=True):
    hs = [h0]
    for x in xs:
        hs.append(np.tanh(W @ hs[-1] + U @ x))
    dW, dU, dh = np.zeros_like(W), np.zeros_like(U), np.zeros_like(h0)
    for t in reversed(range(len(xs))):
        dh = dh + 1.0 if every_step or t == len(xs) - 1 else dh
        da = (1 - hs[t + 1] ** 2) * dh
        dW += np.outer(da, hs[t])
        dU += np.outer(da, xs[t])
        dh = W.T @ da
    return dW, dU


@pytest.mark.parametrize("setting", ["1", "3", "sqrt"])
def test_the_written_module_checkpoints_the_loop(tmp_path, setting):
    written, text = _written(tmp_path, "loss", "--wrt", "W,U", "--checkpoint", setting)
    assert "class Checkpoints" in text and "checkpoints.reverse()" in text
    rng = np.random.default_rng(0)
    W, U = rng.normal(size=(4, 4)) * 0.5, rng.normal(size=(4, 2))
    xs, h0 = rng.normal(size=(11, 2)), rng.normal(size=4)
    for found, expected in zip(written.grad_loss(W, U, xs, h0), _by_hand(W, U, xs, h0)):
        np.testing.assert_allclose(found, expected, rtol=1e-12)


def test_directives_are_followed_and_none_turns_them_off(tmp_path):
    written, text = _written(tmp_path, "marked", "--wrt", "W,U")
    assert "snapshots=2" in text
    rng = np.random.default_rng(1)
    W, U = rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(3, 2))
    xs, h0 = rng.normal(size=(6, 2)), rng.normal(size=3)
    for found, expected in zip(written.grad_marked(W, U, xs, h0), _by_hand(W, U, xs, h0, every_step=False)):
        np.testing.assert_allclose(found, expected, rtol=1e-12)
    _, text = _written(tmp_path, "marked", "--wrt", "W,U", "--checkpoint", "none")
    assert "Checkpoints" not in text


def test_a_bad_setting_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "model.py").write_text(MODEL)
    with pytest.raises(SystemExit) as caught:
        main(["derive", str(tmp_path / "model.py"), "loss", "--checkpoint", "0"])
    assert caught.value.code == 2
    assert "expected a number of snapshots" in capsys.readouterr().err
