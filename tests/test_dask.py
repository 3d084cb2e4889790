"""Generated derivatives on dask arrays, on a dask.distributed cluster of two worker processes.

The emitted code keeps the user's numpy calls, and dask.array takes them through
__array_function__ / __array_ufunc__: the same derivative builds a lazy task graph when its
data are dask arrays split in chunks. Each program here is written as people write numpy (a
course's logistic regression, a ridge loss, an MLP with a parameter dict, an RNN over a
sequence, an embedding lookup); for each:

- the derivative is called while a scheduler that raises is installed, so that any helper that
  computes (np.size of a lazy array, float() of one, np.add.at) fails the test;
- the result holds dask collections where the data made it depend on them;
- computing it on the cluster equals the numpy derivative on the same numbers, which is
  checked against central differences (and, for the logistic regression, its hand-written
  gradient).

Skipped without dask and distributed (the test extra installs them; .ci/run does).
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

import tangent_src as ts

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("dask.distributed")


def _raising_scheduler(dsk, keys, **kwargs):
    raise AssertionError("a dask array was computed while the derivative was being built")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=40)
    with distributed.Client(cluster) as connected:
        yield connected
    cluster.close()


def lazily(derivative, *args):
    """derivative(*args) with every computation refused: the graph is only built."""
    with dask.config.set(scheduler=_raising_scheduler):
        return derivative(*args)


def chunked(x, rows=250):
    return da.from_array(x, chunks=(rows,) + np.shape(x)[1:])


def leaves(x):
    if isinstance(x, dict):
        return [leaf for k in sorted(x) for leaf in leaves(x[k])]
    if isinstance(x, (tuple, list)):
        return [leaf for item in x for leaf in leaves(item)]
    return [x]


def central_differences(f, args, wrt=0, h=1e-6):
    """The gradient of a scalar f with respect to args[wrt] (an array or a dict of arrays)."""
    target = args[wrt]
    parts = target if isinstance(target, dict) else {None: target}
    found = {}
    for key, value in parts.items():
        g = np.zeros_like(value, dtype=float)
        for i in np.ndindex(np.shape(value)):
            steps = []
            for sign in (1, -1):
                moved = np.array(value, dtype=float)
                moved[i] += sign * h
                new = dict(parts, **{key: moved}) if key is not None else moved
                steps.append(f(*args[:wrt], new, *args[wrt + 1:]))
            g[i] = (steps[0] - steps[1]) / (2 * h)
        found[key] = g
    return found if isinstance(target, dict) else found[None]


def assert_same(got, expected):
    got, expected = leaves(got), leaves(expected)
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------- the programs, as people write them


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def logistic_loss(w, b, X, y, reg):
    """Mean cross-entropy of a logistic regression, with an L2 penalty."""
    p = sigmoid(X @ w + b)
    data = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    return data + 0.5 * reg * np.sum(w * w)


def logistic_gradient_by_hand(w, b, X, y, reg):
    p = sigmoid(X @ w + b)
    return X.T @ (p - y) / X.shape[0] + reg * w


def ridge_loss(w, X, y, lam):
    residual = X @ w - y
    return 0.5 * np.sum(residual**2) / X.shape[0] + lam * np.sum(w**2)


def mlp_loss(params, X, y):
    h = np.maximum(X @ params["W1"] + params["b1"], 0)
    scores = h @ params["W2"] + params["b2"]
    return np.mean((scores - y) ** 2)


def rnn_loss(params, xs, ys):
    """A vanilla RNN over xs[t] (batch by features), the squared error of every step's output."""
    h = np.zeros((xs.shape[1], params["Wh"].shape[0]))
    loss = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ params["Wx"] + h @ params["Wh"] + params["b"])
        loss = loss + np.sum((h @ params["Wy"] - ys[t]) ** 2)
    return loss / xs.shape[0]


def embedding_loss(E, words, targets):
    """Sum of each row's embedding, against a target: the rows of E looked up by word index."""
    vectors = np.take(E, words, axis=0)
    return np.sum((np.sum(vectors, axis=1) - targets) ** 2)


def indexed_embedding_loss(E, words, targets):
    vectors = E[words]
    return np.sum((np.sum(vectors, axis=1) - targets) ** 2)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    n, d, hidden = 1000, 6, 5
    return {"rng": rng, "X": rng.standard_normal((n, d)), "y": (rng.random(n) > 0.5) * 1.0,
            "w": rng.standard_normal(d) * 0.3, "n": n, "d": d, "hidden": hidden}


# ---------------------------------------------------------------- the tests


def test_logistic_regression_gradient_is_lazy_and_right(client, data):
    X, y, w = data["X"], data["y"], data["w"]
    args = (w, 0.1, X, y, 0.01)
    derivative = ts.grad(logistic_loss, wrt=(0, 1))
    expected = derivative(*args)
    np.testing.assert_allclose(expected[0], logistic_gradient_by_hand(*args), rtol=1e-12)
    np.testing.assert_allclose(expected[0], central_differences(logistic_loss, args), rtol=1e-6)
    lazy = lazily(derivative, w, 0.1, chunked(X), chunked(y), 0.01)
    assert all(dask.is_dask_collection(g) for g in lazy)
    assert_same(dask.compute(*lazy), expected)


def test_logistic_regression_value_and_grad_in_one_compute(client, data):
    X, y, w = data["X"], data["y"], data["w"]
    derivative = ts.value_and_grad(logistic_loss)
    value, gradient = derivative(w, 0.0, X, y, 0.01)
    lazy_value, lazy_gradient = lazily(derivative, w, 0.0, chunked(X), chunked(y), 0.01)
    assert dask.is_dask_collection(lazy_value) and dask.is_dask_collection(lazy_gradient)
    computed = dask.compute(lazy_value, lazy_gradient)
    assert_same(computed, (value, gradient))


def test_ridge_in_both_modes(client, data):
    X, y, w = data["X"], data["rng"].standard_normal(data["n"]), data["w"]
    v, u = data["rng"].standard_normal(data["d"]), 1.0
    gradient = ts.grad(ridge_loss)(w, X, y, 0.1)
    np.testing.assert_allclose(gradient, central_differences(ridge_loss, (w, X, y, 0.1)), rtol=1e-6)
    forward = ts.jvp(ridge_loss)
    value, tangent = forward(w, X, y, 0.1, v)
    np.testing.assert_allclose(tangent * u, np.dot(v, gradient * u), rtol=1e-12)  # <J v, u> == <v, J^T u>
    lazy_gradient = lazily(ts.grad(ridge_loss), w, chunked(X), chunked(y), 0.1)
    lazy_value, lazy_tangent = lazily(forward, w, chunked(X), chunked(y), 0.1, v)
    assert all(dask.is_dask_collection(x) for x in (lazy_gradient, lazy_value, lazy_tangent))
    assert_same(dask.compute(lazy_gradient, lazy_value, lazy_tangent), (gradient, value, tangent))


def test_mlp_with_a_parameter_dict(client, data):
    rng, d, hidden = data["rng"], data["d"], data["hidden"]
    params = {"W1": rng.standard_normal((d, hidden)), "b1": rng.standard_normal(hidden) * 0.1,
              "W2": rng.standard_normal(hidden), "b2": 0.3}
    X, y = data["X"], rng.standard_normal(data["n"])
    derivative = ts.grad(mlp_loss)
    expected = derivative(params, X, y)
    differences = central_differences(mlp_loss, (params, X, y))
    for key in params:
        np.testing.assert_allclose(expected[key], differences[key], rtol=1e-5, atol=1e-8)
    lazy = lazily(derivative, params, chunked(X), chunked(y))
    assert all(dask.is_dask_collection(lazy[key]) for key in params)
    assert_same(dask.compute(lazy)[0], expected)


def test_rnn_over_a_time_chunked_sequence(client, data):
    rng = data["rng"]
    steps, batch, features, hidden = 12, 8, 3, 4
    params = {"Wx": rng.standard_normal((features, hidden)) * 0.5, "Wh": rng.standard_normal((hidden, hidden)) * 0.5,
              "b": np.zeros(hidden), "Wy": rng.standard_normal(hidden)}
    xs, ys = rng.standard_normal((steps, batch, features)), rng.standard_normal((steps, batch))
    derivative = ts.grad(rnn_loss)
    expected = derivative(params, xs, ys)
    differences = central_differences(rnn_loss, (params, xs, ys))
    for key in params:
        np.testing.assert_allclose(expected[key], differences[key], rtol=1e-5, atol=1e-8)
    lazy = lazily(derivative, params, da.from_array(xs, chunks=(4, batch, features)),
                  da.from_array(ys, chunks=(4, batch)))
    assert all(dask.is_dask_collection(lazy[key]) for key in params)
    assert_same(dask.compute(lazy)[0], expected)


@pytest.mark.parametrize("loss", [embedding_loss, indexed_embedding_loss], ids=["np.take", "subscript"])
def test_embedding_lookup_with_repeated_words(client, data, loss):
    rng = data["rng"]
    E = rng.standard_normal((20, 3))
    words = rng.integers(0, 20, data["n"])  # every word many times: the adjoint sums repeats
    targets = rng.standard_normal(data["n"])
    derivative = ts.grad(loss)
    expected = derivative(E, words, targets)
    np.testing.assert_allclose(expected, central_differences(loss, (E, words, targets)), rtol=1e-6, atol=1e-8)
    table = da.from_array(E)  # numpy's E[i] and np.take(E, i) with numpy E compute a dask i: E is dask too
    lazy = lazily(derivative, table, chunked(words), chunked(targets))
    assert dask.is_dask_collection(lazy)
    assert_same(dask.compute(lazy)[0], expected)
    assert_same(ts.grad(loss)(E, words, targets), expected)  # the numpy path is untouched


def standalone_model() -> str:
    """The logistic regression above as a file of its own, as a user's model.py would hold it."""
    import inspect

    return "import numpy as np\n\n\n" + inspect.getsource(sigmoid) + "\n\n" + inspect.getsource(logistic_loss)


def test_the_module_tangent_src_derive_writes_runs_lazily_too(client, data, tmp_path, monkeypatch):
    """The written module imports numpy only (its runtime helpers are copies): on dask arrays it
    builds the same lazy graph as ts.grad's code, and computes the same numbers."""
    import importlib.util

    from tangent_src.cli import main

    (tmp_path / "dask_model.py").write_text(standalone_model())  # a name no other test's module has
    written = tmp_path / "grad_dask_model.py"
    assert main(["derive", str(tmp_path / "dask_model.py"), "logistic_loss", "--wrt", "w,b", "--mode", "value_and_grad",
                 "--module", "dask_model", "-o", str(written)]) == 0
    assert "tangent_src" not in "".join(line for line in written.read_text().splitlines(True)
                                        if line.startswith(("import", "from")))
    monkeypatch.syspath_prepend(str(tmp_path))  # it imports sigmoid from the user's dask_model.py
    monkeypatch.delitem(sys.modules, "dask_model", raising=False)
    spec = importlib.util.spec_from_file_location("grad_model_for_dask", written)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    X, y, w = data["X"], data["y"], data["w"]
    expected = ts.value_and_grad(logistic_loss, wrt=(0, 1))(w, 0.1, X, y, 0.01)
    value, (gw, gb) = lazily(module.value_and_grad_logistic_loss, w, 0.1, chunked(X), chunked(y), 0.01)
    assert all(dask.is_dask_collection(x) for x in (value, gw, gb))
    assert_same(dask.compute(value, gw, gb), (expected[0], *expected[1]))


def test_the_cluster_benchmark_times_both_gradients(client):
    """benchmarks/cluster.py on a small size: it times the generated and the hand-written gradient
    on the workers (its numpy side checks the two agree); the numbers go to results.md."""
    from benchmarks import cluster

    times = cluster._on_the_cluster(client, 8_000, repeats=1)
    assert set(times) == {"generated", "hand-written"} and all(t > 0 for t in times.values())
    numpy_side = cluster.numpy_times(8_000, repeats=1)
    text = cluster.section({8_000: {**numpy_side, "1 worker": 1.0, "hand-written, 1 worker": 1.0,
                                    "2 workers": 0.5, "hand-written, 2 workers": 0.5}})
    assert text.startswith(cluster.SECTION) and "| 8e+03 |" in text


def test_no_runtime_helper_asks_an_array_for_its_values():
    """Read the helpers' source: none calls np.size (which may compute a lazy array: sizes come
    from shapes, size_of), float(), bool() or .item() on an array, nor np.add.at outside
    scatter_add (dask's ufuncs have no .at). The tests above run some helpers; this covers all."""
    import ast
    import pathlib

    import tangent_src.runtime as runtime

    found = []
    for path in sorted(pathlib.Path(runtime.__file__).parent.glob("*.py")):
        tree = ast.parse(path.read_text())
        scatter = {id(node) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and f.name == "scatter_add"
                   for node in ast.walk(f)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = ast.unparse(node.func)
            if name in ("np.size", "float", "bool") or name.endswith(".item") \
                    or (name == "np.add.at" and id(node) not in scatter):
                found.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    assert found == [], "helpers that ask an array for its values:\n" + "\n".join(found)
