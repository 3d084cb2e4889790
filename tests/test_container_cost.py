"""Per-step containers cost O(1) per access in both modes, and their adjoints add as they should.

A loop that reads `hs[t - 1]` of a dict or list of per-step values, or writes `y[i] = v`,
would cost the whole container per trip if reading made zeros of the whole container
(unindex) or writing copied it (with_item): O(T^2) for T steps. The generated code adds
into the adjoint container it owns (add_at) and writes in place where the old version is
read by nothing afterwards (codegen/inplace.py). Here:

- the runtime's container semantics: dict adjoints add over the union of their keys, None
  is the zero of a value that carries no derivative, with_item and add_at on dicts and lists;
- the cost, by counting the container items that whole-container helpers touch during one
  derivative (zeros, copies, sums of containers): it grows linearly in T, in both modes,
  for the character-level RNN with per-step dicts and with a list (never wall times);
- that writing in place never changes what the derivative computes: programs whose old
  versions, views or items are read afterwards, writes into arguments, tangents and
  cotangents, checked against central differences in both modes and by the dot-product
  test, with every argument, tangent and cotangent left as it was.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import tangent_src as ts
import tangent_src.runtime as runtime
import tangent_src.runtime.core as core
from benchmarks import workloads
from helpers import assert_not_mutated, copy_value, dot_product_check, make_function
from strict_array import unwrap, wrap
from tangent_src.runtime import Dict, List, Tuple, add_at, unindex, with_item, zeros_like_tree

TOLERANCE = 1e-6


# ------------------------------------------------------------------ container semantics


def test_dict_adjoints_add_over_the_union_of_their_keys():
    a = Dict({"w": np.ones(2), "b": 1.0})
    b = Dict({"w": np.full(2, 2.0), "v": np.ones(3)})
    total = a + b
    assert isinstance(total, Dict) and set(total) == {"w", "b", "v"}
    np.testing.assert_array_equal(total["w"], [3.0, 3.0])
    assert total["b"] == 1.0 and total["v"] is b["v"]
    assert set(a) == {"w", "b"} and set(b) == {"w", "v"}  # neither side changed
    assert set({"u": 1.0} + Dict({"w": 2.0})) == {"u", "w"}  # a plain dict on the left too


def test_none_is_zero_where_adjoints_add():
    assert core.add_adjoints(None, 2.0) == 2.0 and core.add_adjoints(3.0, None) == 3.0
    assert core.add_adjoints(None, None) is None
    assert List([None, 1.0]) + List([2.0, None]) == [2.0, 1.0]
    assert Tuple((None, np.ones(1))) + Tuple((1.0, None)) == (1.0, np.ones(1))
    assert (Dict({"mode": None, "w": 1.0}) + Dict({"mode": None, "w": 2.0})) == {"mode": None, "w": 3.0}


def test_a_number_zero_plus_a_container_adjoint_is_a_new_container():
    for zero in (0.0, 0, None):
        for value in (List([1.0, 2.0]), Tuple((1.0, 2.0)), Dict({"a": 1.0})):
            for total in (value + zero, zero + value) if zero is not None else (value + zero,):
                assert total == value and type(total) is type(value) and total is not value
    assert [1.0] + List([2.0]) == [1.0, 2.0]  # a plain list still joins


def test_zeros_of_a_tree_of_settings():
    settings = {"mode": "train", "eps": 1e-5, "momentum": 0.9, "seed": 3, "verbose": True, "cache": None,
                "act": np.tanh, "flag": np.bool_(True), "mask": np.array([True, False]),
                "running_mean": np.ones(3), "pair": (np.ones(2), "x"), "layers": [np.ones((2, 2)), 2.0]}
    zeros = zeros_like_tree(settings)
    assert isinstance(zeros, Dict) and set(zeros) == set(settings)
    for key in ("mode", "verbose", "cache", "act", "flag", "mask"):
        assert zeros[key] is None, key
    assert zeros["eps"] == 0.0 and zeros["seed"] == 0.0 and zeros["momentum"] == 0.0
    np.testing.assert_array_equal(zeros["running_mean"], np.zeros(3))
    assert isinstance(zeros["pair"], Tuple) and zeros["pair"][1] is None
    assert isinstance(zeros["layers"], List) and zeros["layers"][1] == 0.0
    total = zeros + Dict({"running_mean": np.ones(3), "mode": None})
    np.testing.assert_array_equal(total["running_mean"], np.ones(3))
    assert total["mode"] is None


def test_with_item_copies_dicts_lists_tuples_and_arrays():
    d = Dict({"a": 1.0})
    written = with_item(d, "b", 2.0)
    assert written == {"a": 1.0, "b": 2.0} and isinstance(written, Dict) and d == {"a": 1.0}
    plain = {-1: np.zeros(2)}
    assert with_item(plain, 0, 1.0) == {-1: plain[-1], 0: 1.0} and set(plain) == {-1}
    items = List([1.0, 2.0])
    assert with_item(items, -1, 5.0) == [1.0, 5.0] and isinstance(with_item(items, 0, 0.0), List)
    assert items == [1.0, 2.0]
    assert with_item((1.0, 2.0), 0, 3.0) == (3.0, 2.0)
    x = np.zeros(3)
    np.testing.assert_array_equal(with_item(x, 1, 4.0), [0.0, 4.0, 0.0])
    assert not x.any()


def test_add_at_adds_into_a_container_in_place_without_changing_its_items():
    item = np.ones(2)
    b = List([item, np.zeros(2)])
    assert add_at(b, np.ones(2), like=[item, item], index=0) is b
    np.testing.assert_array_equal(b[0], [2.0, 2.0])
    np.testing.assert_array_equal(item, [1.0, 1.0])  # the old item, which others may hold, kept
    add_at(b, List([np.ones(2), np.ones(2)]), like=[item, item], index=slice(0, 2))
    np.testing.assert_array_equal(b[1], [1.0, 1.0])
    d = Dict({0: np.zeros(2)})
    assert add_at(d, np.ones(2), like={0: item, 1: item}, index=1) is d and set(d) == {0, 1}
    add_at(d, np.ones(2), like={0: item}, index=0)
    np.testing.assert_array_equal(d[0], [1.0, 1.0])
    t = Tuple((0.0, 1.0))
    assert add_at(t, 2.0, like=(1.0, 1.0), index=1) == (0.0, 3.0) and t == (0.0, 1.0)  # a tuple: a new one


def test_unindex_of_a_container_keeps_its_structure():
    hs = {-1: np.ones(2), 0: np.ones((2, 2)), "mode": "train"}
    g = unindex(np.full(2, 3.0), like=hs, index=-1)
    assert isinstance(g, Dict) and set(g) == set(hs) and g["mode"] is None
    np.testing.assert_array_equal(g[0], np.zeros((2, 2)))
    listed = unindex(1.0, like=[np.ones(2), 2.0], index=1)
    assert isinstance(listed, List) and listed[1] == 1.0


# ------------------------------------------------------------------ the cost, counted


class _Counter:
    """Counts the items that whole-container helpers touch: zeros of a container, a copy of one
    (with_item; an array's elements), the sum of two containers."""

    def __init__(self, monkeypatch):
        self.items = 0
        original_zeros, original_with_item = core.zeros_like_tree, core.with_item

        def zeros(x):
            if isinstance(x, (list, tuple, dict)):
                self.items += len(x)
            return original_zeros(x)

        def copy_with_item(a, index, value):
            self.items += len(a) if isinstance(a, (list, tuple, dict)) else int(np.size(a))
            return original_with_item(a, index, value)

        for module in (core, runtime):
            monkeypatch.setattr(module, "zeros_like_tree", zeros)
            monkeypatch.setattr(module, "with_item", copy_with_item)
        for kind in (List, Tuple, Dict):
            monkeypatch.setattr(kind, "__add__", self._counting(kind.__add__))

    def _counting(self, add):
        def counted(a, b):
            self.items += len(a)
            return add(a, b)
        return counted


def _fresh(fn):
    """fn defined again in a module of its own, so that its derivatives are generated anew
    (and bind the counting helpers)."""
    return make_function(inspect.getsource(fn), fn.__name__)


WRT = (2, 3, 4, 5, 6, 7)


def _items_touched(monkeypatch, fn, mode, T):
    counter = _Counter(monkeypatch)
    args = workloads.make_char_rnn(np.random.default_rng(0), T=T, vocab=7, hidden=5)
    fresh = _fresh(fn)
    if mode == "grad":
        derivative = ts.grad(fresh, wrt=WRT)
        call = lambda: derivative(*args)  # noqa: E731
    else:
        derivative = ts.jvp(fresh, wrt=WRT)
        tangents = [np.ones_like(args[i]) for i in WRT]
        call = lambda: derivative(*args, *tangents)  # noqa: E731
    counter.items = 0
    call()
    monkeypatch.undo()
    return counter.items


@pytest.mark.parametrize("mode", ["grad", "jvp"])
@pytest.mark.parametrize("fn", [workloads.char_rnn_loss, workloads.char_rnn_loss_lists], ids=["dicts", "lists"])
def test_whole_container_work_grows_linearly_in_the_sequence_length(monkeypatch, fn, mode):
    short = _items_touched(monkeypatch, fn, mode, 8)
    long = _items_touched(monkeypatch, fn, mode, 32)
    # linear: about 4 times as much for 4 times the steps; a copy or zeros of the whole
    # container per step would be about 16 times as much
    assert long <= 5 * max(short, 1), (short, long)


def test_the_list_version_reads_and_writes_in_place():
    code = ts.source(ts.grad(_fresh(workloads.char_rnn_loss_lists), wrt=WRT))
    reverse = code[code.index("while tape:"):]
    assert "with_item(" not in code  # x[inputs[t]] = 1 writes into the new x of the trip
    # (the function has both h and a bias bh: its adjoints are spelled hs_bar, t5_bar, ...)
    assert "add_at(hs_bar," in reverse and "unindex(" not in reverse.replace("unindex(t", "")


def test_the_dict_version_adds_into_its_adjoint_dicts_in_place():
    code = ts.source(ts.grad(_fresh(workloads.char_rnn_loss), wrt=WRT))
    reverse = code[code.index("while tape:"):]
    for name in ("bhs", "bys", "bps"):
        assert f"= add_at({name}" in reverse, name
    assert "+ unindex(" not in code
    assert code.count("with_item(") == 1  # only the copy of xs[t] before `xs[t][inputs[t]] = 1`


def test_the_benchmark_programs_are_right():
    args = workloads.make_char_rnn(np.random.default_rng(4), small=True)
    for fn in (workloads.char_rnn_loss, workloads.char_rnn_loss_lists):
        for mode in ("reverse", "forward"):
            assert max(ts.check_grad(fn, args, WRT, mode=mode)) < TOLERANCE, (fn.__name__, mode)
        dot_product_check(fn, args, WRT, np.random.default_rng(5))
        for got, want in zip(assert_not_mutated(ts.grad(fn, wrt=WRT), copy_value(args)),
                             workloads.char_rnn_grad(*args)):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------ writing in place changes nothing


PROGRAMS = {
    "recurrence": ("""
def f(x):
    y = np.zeros_like(x)
    y[0] = x[0]
    for i in range(1, len(x)):
        y[i] = y[i - 1] * x[i] + x[i]
    return np.sum(y ** 2)
""", lambda r: (r.standard_normal(5),), 0),
    "row_views": ("""
def f(x):
    y = np.zeros_like(x)
    y[0] = x[0]
    for i in range(1, len(x)):
        r = y[i - 1]
        y[i] = r * x[i] + np.tanh(r)
    return np.sum(y * x)
""", lambda r: (r.standard_normal((4, 3)),), 0),
    "old_version_read_afterwards": ("""
def f(x):
    y = x * 1.0
    z = np.sum(y ** 2)
    y[0] = 3.0
    return z + np.sum(y * x)
""", lambda r: (r.standard_normal(4),), 0),
    "argument_written": ("""
def f(x):
    x[0] = 2.0 * x[1]
    return np.sum(x ** 3)
""", lambda r: (r.standard_normal(4),), 0),
    "tangent_of_a_copy_is_the_argument_tangent": ("""
def f(x):
    y = x + 0.0
    y[0] = 1.0
    return y * x
""", lambda r: (r.standard_normal(4),), 0),
    "cotangent_written": ("""
def f(x):
    y = np.sin(x)
    y[0] = 0.5
    return y
""", lambda r: (r.standard_normal(4),), 0),
    "dict_filled_then_read_in_another_loop": ("""
def f(x, W):
    hs = {}
    h = x
    for t in range(4):
        h = np.tanh(W @ h)
        hs[t] = h
    total = 0.0
    for t in range(4):
        total = total + np.sum(hs[t] * hs[3 - t])
    return total
""", lambda r: (r.standard_normal(3), r.standard_normal((3, 3)) * 0.5), (0, 1)),
    "list_items_rewritten": ("""
def f(x):
    ys = [x * 0.0, x * 1.0, x * 2.0]
    for i in range(3):
        ys[i] = ys[i] * x + ys[(i + 1) % 3]
    return np.sum(ys[0] * ys[1] + ys[2])
""", lambda r: (r.standard_normal(3),), 0),
    "matrix_filled_by_two_loops": ("""
def f(x):
    A = np.zeros((len(x), len(x)))
    for i in range(len(x)):
        for j in range(len(x)):
            A[i, j] = x[i] * x[j] + A[i - 1, j]
    return np.sum(A ** 2)
""", lambda r: (r.standard_normal(3),), 0),
    "while_with_break": ("""
def f(x):
    y = np.zeros_like(x)
    i = 0
    while i < len(x):
        y[i] = np.sin(x[i]) * 2.0
        i = i + 1
        if i > 2:
            break
    return np.sum(y * x)
""", lambda r: (r.standard_normal(5),), 0),
    "writes_in_branches": ("""
def f(x):
    y = np.zeros_like(x)
    for i in range(len(x)):
        if x[i] > 0:
            y[i] = x[i] ** 2
        else:
            y[i] = np.sin(x[i])
    return np.sum(y * y)
""", lambda r: (r.standard_normal(6),), 0),
    "dict_of_an_argument_rewritten": ("""
def f(x):
    d = {}
    d[0] = x
    d[1] = x * 2.0
    d[0] = d[1] * d[0]
    return np.sum(d[0] + d[1])
""", lambda r: (r.standard_normal(3),), 0),
    "rows_and_slices_of_a_matrix": ("""
def f(x):
    y = np.zeros((3, 4))
    y[0] = x
    y[1, 1:3] = x[:2] * y[0, 2:]
    y[2] = y[1] + np.tanh(y[0])
    return np.sum(y ** 2)
""", lambda r: (r.standard_normal(4),), 0),
    "trajectory_of_an_integrator": ("""
def f(x0, k):
    traj = np.zeros((6, 2))
    traj[0] = x0
    for i in range(1, 6):
        prev = traj[i - 1]
        traj[i] = prev + 0.1 * np.array([prev[1], -k * prev[0]])
    return np.sum(traj[:, 0] ** 2)
""", lambda r: (r.standard_normal(2), 1.5), (0, 1)),
    # its items are numbers (v unchanged): a copy of an item must stay a number, or the write-back
    # that Python's `item *= 2.0` does on the rows of a 2-D v would change v
    "loop_items_updated_in_place_1d": ("""
def f(x):
    v = x * 1.0
    for item in v:
        item *= 2.0
    return np.sum(v * x)
""", lambda r: (r.standard_normal(3),), 0),
    "loop_items_updated_in_place_2d": ("""
def f(x):
    v = x * 1.0
    for item in v:
        item *= 2.0
    return np.sum(v * x)
""", lambda r: (r.standard_normal((2, 3)),), 0),
    "nested_loop_carries_what_the_outer_trip_reads": ("""
def f(x0):
    for i in range(0, 2):
        v1 = x0 - 2.0
        for j in range(1):
            x0 = x0 - 0.1 * x0
        x0 = np.tanh(x0 + v1)
    return x0.sum()
""", lambda r: (r.standard_normal((2, 3)),), 0),  # (fuzz campaign seed 777140: the inner tape must restore x0)
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_writing_in_place_keeps_every_derivative(name):
    source, make, wrt = PROGRAMS[name]
    f = make_function(source)
    args = make(np.random.default_rng(1))
    for mode in ("reverse", "forward"):
        errors = ts.check_grad(f, copy_value(args), wrt, mode=mode)
        assert max(np.atleast_1d(errors)) < TOLERANCE, (mode, errors)
    dot_product_check(f, copy_value(args), wrt, np.random.default_rng(2))
    indices = [wrt] if isinstance(wrt, int) else list(wrt)
    tangents = tuple(np.random.default_rng(3).standard_normal(np.shape(args[i])) for i in indices)
    assert_not_mutated(ts.jvp(f, wrt), copy_value(args) + tangents)  # the arguments and the tangents
    value = f(*copy_value(args))
    cotangent = np.full(np.shape(value), 1.5)
    assert_not_mutated(ts.vjp(f, wrt), copy_value(args) + (cotangent,))  # and the cotangent


@pytest.mark.parametrize("name", ["recurrence", "row_views", "dict_filled_then_read_in_another_loop",
                                  "list_items_rewritten", "while_with_break"])
def test_writing_in_place_stays_on_the_device(name):
    """The same derivatives on StrictArray, which refuses conversion to numpy as cupy does (for the
    programs that make their arrays like their inputs: np.zeros((n, n)) makes a CPU array)."""
    source, make, wrt = PROGRAMS[name]
    f = make_function(source)
    args = make(np.random.default_rng(6))
    indices = [wrt] if isinstance(wrt, int) else list(wrt)
    tangents = tuple(np.random.default_rng(7).standard_normal(np.shape(args[i])) for i in indices)
    expected = (ts.grad(f, wrt)(*copy_value(args)), ts.jvp(f, wrt)(*copy_value(args), *tangents))
    strict = (ts.grad(f, wrt)(*wrap(copy_value(args))), ts.jvp(f, wrt)(*wrap(copy_value(args)), *wrap(tangents)))
    for got, want in zip(_leaves(unwrap(strict)), _leaves(expected)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def _leaves(value):
    if isinstance(value, (tuple, list)):
        return [leaf for v in value for leaf in _leaves(v)]
    return [np.asarray(value)]
