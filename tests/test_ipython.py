"""IPython and Jupyter: functions defined in a cell differentiate (IPython keeps each
cell's source where inspect finds it), and derivatives display as highlighted code."""

import textwrap

import numpy as np
import pytest

IPython = pytest.importorskip("IPython")

import tangent_src as ts  # noqa: E402


@pytest.fixture(scope="module")
def shell():
    from IPython.core.interactiveshell import InteractiveShell

    return InteractiveShell.instance()


def run(shell, code: str):
    result = shell.run_cell(textwrap.dedent(code))
    result.raise_error()
    return shell.user_ns


def test_decorated_function_in_a_cell_differentiates_in_both_modes(shell):
    ns = run(shell, """
        import numpy as np
        import tangent_src as ts

        @ts.differentiate
        def f(x):
            return np.sum(np.sin(x) * x)

        x = np.linspace(-1.0, 1.0, 5)
        g = f.grad(x)
        value, tangent = f.jvp(x, np.ones(5))
        same = f.grad is f.grad
        """)
    x = ns["x"]
    np.testing.assert_allclose(ns["g"], np.cos(x) * x + np.sin(x), rtol=1e-14)
    assert ns["value"] == pytest.approx(np.sum(np.sin(x) * x))
    assert ns["tangent"] == pytest.approx(np.sum(np.cos(x) * x + np.sin(x)))
    assert ns["same"], "the derivative is made once and cached"
    assert ts.check_grad(ns["f"].function, (x,), mode="reverse") < 1e-6


def test_a_cell_function_calling_another_cell_function(shell):
    ns = run(shell, """
        def inner(x):
            return np.tanh(x) ** 2

        def outer(x):
            return np.sum(inner(x) * 3.0)

        g2 = ts.grad(outer)(np.array([0.3, -0.2]))
        """)
    x = np.array([0.3, -0.2])
    np.testing.assert_allclose(ns["g2"], 6 * np.tanh(x) * (1 - np.tanh(x) ** 2), rtol=1e-14)


def test_derivatives_display_as_highlighted_code(shell):
    run(shell, """
        def h(x):
            return np.sum(np.exp(x))

        dh = ts.grad(h)
        """)
    data, _ = shell.display_formatter.format(shell.user_ns["dh"])
    assert "text/html" in data and "text/markdown" in data
    assert '<span class="kw">def</span> <span class="fn">grad_h</span>' in data["text/html"]
    assert data["text/markdown"].startswith("```python\ndef grad_h(x):") or "def grad_h(x):" in data["text/markdown"]
    code, _ = shell.display_formatter.format(ts.source(shell.user_ns["dh"]))
    assert "grad_h" in code["text/html"]
