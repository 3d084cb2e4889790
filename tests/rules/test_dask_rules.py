"""Every case of the rule table on dask arrays: the derivatives build a lazy graph and compute
what numpy computes.

For each case whose function itself runs lazily on dask arrays (and gives numpy's value), its
jvp, vjp and (for a scalar result) grad are called with the arguments as dask arrays split in
two chunks along their first axis, while a scheduler that raises is installed: any runtime
helper that computes an array (np.size, np.split, float() of one) fails the case. The results
are then computed and compared with the same derivatives on numpy arrays, which test_rules.py
checks against finite differences. Cases the function of which dask cannot run lazily are
skipped; KNOWN lists what dask cannot do in the derivative, each failing as said (strict).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tangent_src as ts
from helpers import copy_value, random_like

from .test_rules import ALL_CASES, _as_tuple, _converts_to_numpy, arguments, function_of, wrt_all

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")

SORTING = "the adjoint ranks the values (np.argsort), which dask computes"
GRADIENT = "the adjoint of np.gradient computes its edge weights with np.gradient of a numpy array"
DOT = "np.dot with a 0-d dask array"
KNOWN = {  # case id: why its derivative cannot run lazily on dask (each fails loudly, none silently)
    "getitem[x[1, ::-1]](2x3)": "dask's setitem refuses a negative step",
    "getitem[x[x > 0.3]](6)": "a boolean mask gives dask an unknown size (nan)",
    "getitem[x[:, None] * x[None, :]](3)": "dask's setitem with None in the index",
    "getitem[x[np.argmax(x)]](5)": "dask cannot assign at an index that is a dask array",
    "numpy.nonzero[x[(x > 0).nonzero()] ** 2](4)": "nonzero's result has an unknown size on dask (nan)",
    "numpy.median[np.median(x, axis=0)](4x3)": SORTING,
    "numpy.median[np.median(x, axis=-1, keepdims=True)](2x5)": SORTING,
    "numpy.percentile[np.percentile(x, 90, axis=0, keepdims=True)](5x2)": SORTING,
    "numpy.quantile[np.quantile(x, 0.75, axis=1)](2x5)": SORTING,
    "numpy.gradient[a, b = np.gradient(x); return a * b](4x5)": GRADIENT,
    "numpy.gradient[np.gradient(x)](6)": GRADIENT,
    "numpy.gradient[np.gradient(x, 0.5)](5)": GRADIENT,
    "numpy.gradient[np.gradient(x, edge_order=2)](6)": GRADIENT,
    "numpy.gradient[np.gradient(x * y)](5,5)": GRADIENT,
    "numpy.gradient[np.gradient(x, axis=1)](3x4x2)": GRADIENT,
    "numpy.gradient[np.gradient(x, 0.25, axis=-1, edge_order=2)](2x5)": GRADIENT,
    "numpy.reshape[x.reshape(-1)](2x3x2)": "the tangent is np.reshape(dx, -1), and dask's np.reshape takes no bare -1",
    "numpy.vdot[np.vdot(x, y)](2x3,3x2)": "dask's reshape cannot split the flattened cotangent back",
    "tangent_src.runtime.linalg.dot_adjoint_left[rt.dot_adjoint_left(x, 2.0, y)](3,3)": DOT,
    "tangent_src.runtime.linalg.dot_adjoint_right[rt.dot_adjoint_right(x, y, 2.0)](3,3)": DOT,
    "numpy.linalg.cholesky[np.sum(np.log(np.diagonal(np.linalg.cholesky((x + x.T) / 2))))](4x4)":
        "dask's np.linalg.cholesky returns the upper factor U where numpy returns L: the function's value (a sum "
        "over the diagonal) agrees, its derivative through L does not",
}


def _refuse(dsk, keys, **kwargs):
    raise AssertionError("a dask array was computed while the derivative was being built")


def _chunked(x: Any) -> Any:
    if not isinstance(x, np.ndarray):
        return x
    if x.ndim and x.shape[0] >= 2:
        return da.from_array(x, chunks=((x.shape[0] + 1) // 2,) + x.shape[1:])
    return da.from_array(x)


def _derivatives(c, args: tuple, tangents: list, cotangent: Any, scalar: bool) -> list:
    f, wrt = function_of(c), wrt_all(c)
    found = [*ts.jvp(f, wrt)(*args, *tangents), *_as_tuple(ts.vjp(f, wrt)(*args, cotangent))]
    return found + list(_as_tuple(ts.grad(f, wrt)(*args))) if scalar else found


def _lazy_primal(f, args: tuple, expected: Any) -> None:
    try:
        with dask.config.set(scheduler=_refuse):
            value = f(*args)
        same = np.allclose(np.asarray(dask.compute(value, scheduler="sync")[0]), expected, rtol=1e-10, atol=1e-12)
    except Exception as err:  # noqa: BLE001  (dask's limits, not the derivative's)
        pytest.skip(f"the function itself does not run lazily on dask: {type(err).__name__}: {err}")
    if not same:
        pytest.skip("dask computes another value for the function itself")


def _params() -> list:
    known = {key: [pytest.mark.xfail(reason=why, strict=True)] for key, why in KNOWN.items()}
    return [pytest.param(c, id=c.id, marks=known.get(c.id, [])) for c in ALL_CASES]


@pytest.mark.parametrize("c", _params())
def test_dask(c):
    args = arguments(c)
    if _converts_to_numpy(c) or not any(isinstance(a, np.ndarray) for a in args):
        pytest.skip("no array reaches the function as a dask array")
    f = function_of(c)
    expected_value = f(*copy_value(args))
    rng = np.random.default_rng(1)
    tangents = [random_like(a, rng) for a in args]
    cotangent = random_like(expected_value, rng)
    scalar = np.shape(expected_value) == ()
    expected = _derivatives(c, args, tangents, cotangent, scalar)
    lazy_args = tuple(_chunked(a) for a in args)
    _lazy_primal(f, lazy_args, expected_value)
    with dask.config.set(scheduler=_refuse):
        found = _derivatives(c, lazy_args, [_chunked(t) for t in tangents], _chunked(cotangent), scalar)
    computed = dask.compute(found, scheduler="sync")[0]
    for i, (got, want) in enumerate(zip(computed, expected, strict=True)):
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-10, atol=1e-12, err_msg=f"result {i}")
