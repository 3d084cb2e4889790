"""`@tangent_src.differentiate`: the function keeps working and carries its derivatives."""

import numpy as np
import pytest

import tangent_src as ts


@ts.differentiate
def energy(x):
    return np.sum(np.sin(x) ** 2)


@ts.differentiate(wrt=(0, 1), mode="jvp")
def bilinear(x, y):
    return np.sum(x * y) + energy(x)


def test_the_function_still_computes():
    x = np.linspace(-1.0, 1.0, 5)
    assert energy(x) == pytest.approx(np.sum(np.sin(x) ** 2))
    assert energy.__name__ == "energy" and "sin" in ts.source(energy.grad)


def test_derivatives_are_attached_and_made_once():
    x = np.linspace(-1.0, 1.0, 5)
    np.testing.assert_allclose(energy.grad(x), 2 * np.sin(x) * np.cos(x))
    assert energy.grad is energy.grad
    value, g = energy.value_and_grad(x)
    assert value == pytest.approx(energy(x))
    np.testing.assert_allclose(energy.vjp(x, 1.0), g)
    _, tangent = energy.jvp(x, np.ones_like(x))
    assert tangent == pytest.approx(np.sum(g))


def test_wrt_mode_and_calls_between_decorated_functions():
    x, y = np.array([0.3, -0.7]), np.array([1.5, 0.2])
    assert "def jvp_bilinear" in bilinear.source() and "def grad_bilinear" in bilinear.source("grad")
    gx, gy = bilinear.grad(x, y)
    np.testing.assert_allclose(gx, y + 2 * np.sin(x) * np.cos(x))
    np.testing.assert_allclose(gy, x)


def test_bad_mode_is_refused():
    with pytest.raises(ValueError, match="mode"):
        ts.differentiate(mode="hessian")


def test_function_typed_at_the_prompt_gets_a_clear_error():
    """`python -c` (like the plain interactive prompt) keeps no source: the error says what to do."""
    import subprocess
    import sys

    code = ("import numpy as np, tangent_src as ts\n"
            "def f(x):\n    return np.sin(x)\n"
            "try:\n    ts.grad(f)(1.0)\nexcept ts.TransformError as err:\n    print(err)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "cannot read the source of 'f'" in done.stdout
    assert "put it in a .py file" in done.stdout and "IPython or Jupyter" in done.stdout


def test_decorated_function_in_a_script_run_as_main(tmp_path):
    """`python script.py`: the function lives in __main__, read from the script's file."""
    import subprocess
    import sys

    script = tmp_path / "script.py"
    script.write_text(
        "import numpy as np\nimport tangent_src as ts\n\n\n"
        "@ts.differentiate(wrt=(0, 1))\ndef f(a, b):\n    return np.sum(np.exp(a) * b)\n\n\n"
        "a, b = np.array([0.1, -0.4]), np.array([2.0, 3.0])\n"
        "ga, gb = f.grad(a, b)\n"
        "assert np.allclose(ga, np.exp(a) * b) and np.allclose(gb, np.exp(a))\n"
        "value, tangent = f.jvp(a, b, np.ones(2), np.zeros(2))\n"
        "assert np.isclose(tangent, np.sum(np.exp(a) * b))\n"
        "assert max(ts.check_grad(f.function, (a, b), wrt=(0, 1))) < 1e-6\n"
        "print('ok')\n")
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
