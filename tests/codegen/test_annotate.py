"""annotate=True: each derivative statement says which primal statement and rule it comes from."""

import numpy as np

import tangent_src as ts


def layer(W, b, x):
    z = W @ x + b
    h = np.tanh(z)
    return np.sum(h**2)


def test_annotated_code_names_the_primal_statement_and_the_rule():
    for made in (ts.grad(layer, (0, 1), annotate=True), ts.jvp(layer, (0, 1), annotate=True)):
        text = ts.source(made)
        assert "# from: h = np.tanh(z)   (d tanh(x) = (1 - tanh(x)**2) dx)" in text
        assert "# from: z = W @ x + b" in text


def test_annotation_changes_nothing_but_comments():
    plain, annotated = ts.source(ts.grad(layer, (0, 1))), ts.source(ts.grad(layer, (0, 1), annotate=True))
    assert "# from:" not in plain
    strip = [line for line in annotated.splitlines() if not line.strip().startswith("# from:")]
    assert strip == plain.splitlines()
    rng = np.random.default_rng(0)
    args = rng.standard_normal((2, 3)), rng.standard_normal(2), rng.standard_normal(3)
    for a, b in zip(ts.grad(layer, (0, 1), annotate=True)(*args), ts.grad(layer, (0, 1))(*args)):
        np.testing.assert_array_equal(a, b)
