"""Logistic regression on data that need not fit in memory: the generated gradient on dask arrays.

The loss below is ordinary numpy code. ts.value_and_grad(loss) emits numpy calls too, and
dask.array takes numpy calls through __array_function__ / __array_ufunc__, so called with a
dask X and y the derivative does not compute anything: it builds a task graph. One
dask.compute per optimizer step then evaluates the loss and its gradient together, chunk by
chunk, on the workers of a dask.distributed cluster; the gradient's reduction over rows is the
sum of per-chunk matrix products, which dask schedules where the chunks are.

The data are generated lazily, chunk by chunk, from a seeded random generator: with
`--rows 400_000_000` (32 GB of float64 at 10 features) they are larger than this machine's
memory, and each step regenerates every chunk on the workers instead of storing it. The
default is small, so that the example runs in seconds in the tests; there it also checks:

- building the derivative computes nothing (a scheduler that raises is installed meanwhile);
- the gradient equals the hand-written one, X.T @ (p - y) / N + lam * w, on the same numbers;
- L-BFGS-B on the cluster reaches the optimum numpy's gradient gives on the computed data
  (the same weights to ~1e-6), with a gradient norm near zero there.

    python examples/dask_logistic.py                      # 20 000 rows, a local 2-worker cluster
    python examples/dask_logistic.py --rows 10_000_000 --chunk 1_000_000
    python examples/dask_logistic.py --scheduler tcp://HOST:8786   # an existing cluster
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import tangent_src as ts

try:
    import dask
    import dask.array as da
    from dask.distributed import Client, LocalCluster
    from scipy.optimize import minimize
except ImportError as missing:  # pragma: no cover - the test extra installs them
    raise SystemExit(f"this example needs dask, distributed and scipy ({missing}): "
                     "pip install 'tangent_src[dask]' scipy") from None

FEATURES = 10
LAM = 1e-3


def loss(w, X, y, lam):
    """Mean logistic loss of the labels y in {0, 1} given the scores X @ w, plus an L2 penalty."""
    z = X @ w
    return np.mean(np.logaddexp(0.0, z) - y * z) + 0.5 * lam * np.sum(w**2)


def hand_gradient(w, X, y, lam):
    """The gradient as a course derives it: X.T (sigmoid(X w) - y) / N + lam w."""
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    return X.T @ (p - y) / X.shape[0] + lam * w


def make_data(rows: int, chunk: int, seed: int = 0):
    """X (rows, FEATURES) and y (rows,), lazy: each chunk is drawn when a computation needs it."""
    rng = da.random.default_rng(seed)
    X = rng.standard_normal((rows, FEATURES), chunks=(chunk, FEATURES))
    w_true = np.linspace(-2.0, 2.0, FEATURES)
    noise = rng.logistic(size=(rows,), chunks=(chunk,))
    y = (X @ w_true + noise > 0).astype(np.float64)
    return X, y


def train(value_and_grad, X, y, w0):
    """L-BFGS-B with the value and gradient of each step from one dask.compute (or numpy)."""
    history = []

    def fun(w):
        value, gradient = value_and_grad(w, X, y, LAM)
        value, gradient = dask.compute(value, gradient)  # one pass over the chunks for both
        history.append((float(value), float(np.linalg.norm(gradient))))
        return float(value), np.asarray(gradient, dtype=np.float64)

    found = minimize(fun, w0, jac=True, method="L-BFGS-B", options={"gtol": 1e-10, "ftol": 1e-15})
    return found.x, history


def refuse_computing(dsk, keys, **kwargs):
    raise AssertionError("the derivative computed a dask array while its graph was being built")


def run(rows: int, chunk: int, client: Client) -> dict:
    value_and_grad = ts.value_and_grad(loss)
    X, y = make_data(rows, chunk)
    w0 = np.zeros(FEATURES)
    with dask.config.set(scheduler=refuse_computing):
        value, gradient = value_and_grad(w0 + 0.1, X, y, LAM)
    results = {"rows": rows, "chunks": X.numblocks[0], "workers": len(client.scheduler_info()["workers"]),
               "lazy": isinstance(value, da.Array) and isinstance(gradient, da.Array)}
    start = time.perf_counter()
    w, history = train(value_and_grad, X, y, w0)
    results.update(w=w, history=history, seconds=time.perf_counter() - start)
    if rows <= 200_000:  # small enough to check against numpy on the same numbers
        Xn, yn = dask.compute(X, y)
        results["hand error"] = np.max(np.abs(np.asarray(gradient.compute()) - hand_gradient(w0 + 0.1, Xn, yn, LAM)))
        results["numpy w"], _ = train(ts.value_and_grad(loss), Xn, yn, w0)
    return results


def table(results: dict) -> str:
    lines = [f"logistic regression, {results['rows']} rows x {FEATURES} features in {results['chunks']} chunks, "
             f"{results['workers']} workers: {len(results['history'])} evaluations in {results['seconds']:.2f} s",
             f"{'evaluation':>10} {'loss':>14} {'|gradient|':>11}"]
    shown = sorted({0, 1, 2, 5, 10, len(results["history"]) - 1} & set(range(len(results["history"]))))
    lines += [f"{k:>10} {results['history'][k][0]:>14.10f} {results['history'][k][1]:>11.2e}" for k in shown]
    if "numpy w" in results:
        lines.append(f"max |w - w(numpy)| = {np.max(np.abs(results['w'] - results['numpy w'])):.1e}, "
                     f"max |gradient - hand-written| = {results['hand error']:.1e}")
    return "\n".join(lines)


def check(results: dict) -> None:
    assert results["lazy"], "the derivative of dask arrays did not return dask arrays"
    assert results["history"][-1][1] < 1e-6 * results["history"][0][1], "L-BFGS-B did not reach the optimum"
    if "numpy w" in results:
        assert results["hand error"] < 1e-12, f"the gradient is {results['hand error']:.1e} from the hand-written one"
        difference = np.max(np.abs(results["w"] - results["numpy w"]))
        assert difference < 1e-6, f"the cluster's optimum is {difference:.1e} from numpy's"


def main(argv=()) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--chunk", type=int, default=5_000, help="rows per chunk")
    parser.add_argument("--workers", type=int, default=2, help="of the local cluster")
    parser.add_argument("--scheduler", help="address of an existing cluster's scheduler (tcp://HOST:8786)")
    args = parser.parse_args(list(argv))
    if args.scheduler:
        client, cluster = Client(args.scheduler), None
    else:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, dashboard_address=None,
                               silence_logs=40)
        client = Client(cluster)
    try:
        results = run(args.rows, args.chunk, client)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    print(table(results))
    check(results)


if __name__ == "__main__":
    main(sys.argv[1:])
