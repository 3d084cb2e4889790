"""Tests for the ``StrictArray`` CuPy stand-in used to catch numpy fallbacks."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from strict_array import StrictArray, unwrap, wrap

CONVERSION = "Implicit conversion to a NumPy array is not allowed"
MIXING = "mixing numpy and StrictArray"


def _m() -> StrictArray:
    return StrictArray(np.arange(6.0).reshape(2, 3))


def _v() -> StrictArray:
    return StrictArray(np.array([1.0, -2.0, 3.0]))


def _assert_strict(x: Any, expected: Any) -> None:
    assert isinstance(x, StrictArray)
    np.testing.assert_allclose(x.data, expected)


# -- construction, wrap and unwrap ------------------------------------------


def test_constructor_keeps_data() -> None:
    data = np.ones(3)
    assert StrictArray(data).data is data


def test_constructor_rejects_non_numpy() -> None:
    with pytest.raises(TypeError):
        StrictArray([1.0, 2.0])  # type: ignore[arg-type]


def test_wrap_recurses_and_wraps_scalars() -> None:
    wrapped = wrap({"a": (np.ones(2), [np.float64(3.0)]), "b": 1.5, "c": "s"})
    _assert_strict(wrapped["a"][0], np.ones(2))
    scalar = wrapped["a"][1][0]
    assert isinstance(scalar, StrictArray) and scalar.shape == ()
    assert wrapped["b"] == 1.5 and wrapped["c"] == "s"


def test_unwrap_round_trips() -> None:
    original = (np.ones(2), [np.zeros(3)], {"k": np.arange(2)})
    back = unwrap(wrap(original))
    assert isinstance(back[0], np.ndarray) and isinstance(back[1], list)
    np.testing.assert_array_equal(back[2]["k"], np.arange(2))


# -- refused conversions ------------------------------------------------------


@pytest.mark.parametrize("convert", [np.asarray, np.array, np.ascontiguousarray])
def test_numpy_conversion_refused(convert: Callable[[Any], Any]) -> None:
    with pytest.raises(TypeError, match=CONVERSION):
        convert(_v())


@pytest.mark.parametrize(
    "convert",
    [
        float,
        int,
        complex,
        bool,
        operator.index,
        lambda s: s.item(),
        lambda s: s.tolist(),
        lambda s: 1.0 if s else 0.0,
    ],
)
def test_scalar_conversion_refused(convert: Callable[[Any], Any]) -> None:
    with pytest.raises(TypeError):
        convert(StrictArray(np.array(2.0)))


def test_numpy_array_indexed_by_strict_refused() -> None:
    with pytest.raises(TypeError, match=CONVERSION):
        np.zeros(3)[StrictArray(np.array([0, 1]))]


# -- ufuncs and operators -----------------------------------------------------


def test_operators_return_strict() -> None:
    v = _v()
    _assert_strict(2.0 * v + 1.0, [3.0, -3.0, 7.0])
    _assert_strict(-v, [-1.0, 2.0, -3.0])
    _assert_strict(abs(v), [1.0, 2.0, 3.0])
    _assert_strict(v**2 / 2.0 - v, [-0.5, 4.0, 1.5])
    _assert_strict(v > 0, [True, False, True])
    _assert_strict(_m() @ v, [4.0, 10.0])


def test_ufunc_calls_return_strict() -> None:
    v = _v()
    _assert_strict(np.exp(v), np.exp([1.0, -2.0, 3.0]))
    _assert_strict(np.maximum(v, 0.0), [1.0, 0.0, 3.0])
    _assert_strict(np.add.reduce(_m(), axis=0), [3.0, 5.0, 7.0])


def test_numpy_scalars_allowed() -> None:
    v = _v()
    _assert_strict(np.float64(2.0) * v, [2.0, -4.0, 6.0])
    _assert_strict(v + np.float32(1.0), [2.0, -1.0, 4.0])


def test_python_scalar_keeps_dtype() -> None:
    x = StrictArray(np.ones(2, dtype=np.float32))
    assert (x * 2.0).dtype == np.float32


def test_ufunc_out_returns_same_object() -> None:
    v, out = _v(), StrictArray(np.empty(3))
    assert np.negative(v, out=out) is out
    _assert_strict(out, [-1.0, 2.0, -3.0])


def test_inplace_operator_keeps_identity() -> None:
    v = _v()
    data, before = v.data, v
    v += 1.0
    assert v is before and v.data is data
    _assert_strict(v, [2.0, -1.0, 4.0])


def test_add_at_works_in_place() -> None:
    z = StrictArray(np.zeros(3))
    data = z.data
    np.add.at(z, StrictArray(np.array([0, 0, 2])), StrictArray(np.ones(3)))
    assert z.data is data
    _assert_strict(z, [2.0, 0.0, 1.0])


def test_reductions_are_zero_d_strict() -> None:
    for result in (np.sum(_v()), _v().sum(), np.max(_v()), _v()[0]):
        assert isinstance(result, StrictArray) and result.shape == ()
    _assert_strict(np.sum(_v()) + 1.0, 3.0)


# -- mixing with numpy -------------------------------------------------------


@pytest.mark.parametrize(
    "mix",
    [
        lambda s, n: s + n,
        lambda s, n: n + s,
        lambda s, n: n * s,
        lambda s, n: np.add(n, s),
        lambda s, n: np.dot(s, n),
        lambda s, n: np.where(s > 0, n, s),
        lambda s, n: np.concatenate([s, n]),
        lambda s, n: s.dot(n),
        lambda s, n: s[n.astype(int)],
        lambda s, n: s.__setitem__(slice(None), n),
        lambda s, n: np.add.at(s, n.astype(int), 1.0),
    ],
)
def test_mixing_numpy_raises(mix: Callable[[StrictArray, np.ndarray], Any]) -> None:
    with pytest.raises(TypeError, match=MIXING):
        mix(_v(), np.ones(3))


def test_mixing_zero_d_numpy_array_raises() -> None:
    with pytest.raises(TypeError, match=MIXING):
        _v() * np.array(2.0)


# -- array functions ----------------------------------------------------------


def test_like_functions_keep_type() -> None:
    m = _m()
    _assert_strict(np.zeros_like(m), np.zeros((2, 3)))
    _assert_strict(np.ones_like(m), np.ones((2, 3)))
    _assert_strict(np.full_like(m, 7.0), np.full((2, 3), 7.0))


def test_shape_functions_keep_type() -> None:
    v, m = _v(), _m()
    _assert_strict(np.broadcast_to(v, (2, 3)), np.broadcast_to(v.data, (2, 3)))
    assert np.expand_dims(v, 0).shape == (1, 3)
    assert isinstance(np.expand_dims(v, 0), StrictArray)
    _assert_strict(np.reshape(m, (3, 2)), m.data.reshape(3, 2))
    _assert_strict(np.transpose(m), m.data.T)
    _assert_strict(np.swapaxes(m, 0, 1), m.data.T)


def test_linear_algebra_functions_keep_type() -> None:
    v, m = _v(), _m()
    _assert_strict(np.dot(m, v), [4.0, 10.0])
    _assert_strict(np.matmul(m, v), [4.0, 10.0])
    _assert_strict(np.outer(v, v), np.outer(v.data, v.data))
    _assert_strict(np.einsum("ij,j->i", m, v), [4.0, 10.0])


def test_selection_functions_keep_type() -> None:
    v = _v()
    _assert_strict(np.where(v > 0, v, 0.0), [1.0, 0.0, 3.0])
    _assert_strict(np.clip(v, -1.0, 1.0), [1.0, -1.0, 1.0])
    _assert_strict(np.concatenate([v, v]), np.tile(v.data, 2))
    _assert_strict(np.stack([v, v]), np.stack([v.data, v.data]))


def test_tuple_results_wrapped() -> None:
    (rows, cols) = np.where(_m() > 2.0)
    _assert_strict(rows, [1, 1, 1])
    _assert_strict(cols, [0, 1, 2])


def test_non_array_results_unchanged() -> None:
    m = _m()
    assert np.shape(m) == (2, 3)
    assert np.ndim(m) == 2 and type(np.ndim(m)) is int
    assert np.size(m) == 6 and type(np.size(m)) is int


def test_array_function_out_returns_same_object() -> None:
    out = StrictArray(np.empty(3))
    assert np.clip(_v(), 0.0, 1.0, out=out) is out
    _assert_strict(out, [1.0, 0.0, 1.0])


# -- attributes and methods ---------------------------------------------------


def test_attributes() -> None:
    m = _m()
    assert m.shape == (2, 3) and m.ndim == 2 and m.size == 6
    assert m.dtype == np.float64 and len(m) == 2
    _assert_strict(m.T, m.data.T)
    assert repr(_v()).startswith("StrictArray(")


def test_getitem_unwraps_strict_index() -> None:
    v = _v()
    _assert_strict(v[StrictArray(np.array([2, 0]))], [3.0, 1.0])
    _assert_strict(v[v > 0], [1.0, 3.0])
    _assert_strict(_m()[:, 1], [1.0, 4.0])


def test_setitem_writes_into_data() -> None:
    v = _v()
    v[StrictArray(np.array([0]))] = StrictArray(np.array([9.0]))
    v[1] = 5.0
    np.testing.assert_array_equal(v.data, [9.0, 5.0, 3.0])


def test_iter_yields_strict_rows() -> None:
    rows = list(_m())
    assert len(rows) == 2 and all(isinstance(r, StrictArray) for r in rows)
    _assert_strict(rows[1], [3.0, 4.0, 5.0])


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("sum", (0,)),
        ("mean", ()),
        ("max", (1,)),
        ("min", ()),
        ("prod", ()),
        ("std", ()),
        ("var", ()),
        ("reshape", ((3, 2),)),
        ("transpose", (1, 0)),
        ("clip", (1.0, 4.0)),
        ("copy", ()),
        ("astype", (np.float32,)),
        ("ravel", ()),
        ("flatten", ()),
        ("squeeze", ()),
        ("swapaxes", (0, 1)),
        ("cumsum", ()),
        ("argmax", ()),
        ("argmin", ()),
        ("any", ()),
        ("all", ()),
    ],
)
def test_methods_delegate_and_wrap(name: str, args: tuple[Any, ...]) -> None:
    m = _m()
    result = getattr(m, name)(*args)
    _assert_strict(result, getattr(m.data, name)(*args))


def test_dot_method_takes_strict() -> None:
    _assert_strict(_m().dot(_v()), [4.0, 10.0])


def test_copy_is_independent() -> None:
    v = _v()
    c = v.copy()
    c[0] = 100.0
    assert v.data[0] == 1.0
