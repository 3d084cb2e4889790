"""ts.profile: the line profile of a derivative's generated code, on numpy code as users write it.

Each profiled run is checked to return what the derivative returns called plainly, and that
against central finite differences (float64, random inputs); the table to list every line of
the generated function in order, loop bodies hit once per trip (the forward sweep's `for` and
the reverse sweep's `while tape:`, and a primal `while`), and the shares to sum to about 100 %.
"""

from __future__ import annotations

import sys
import tracemalloc

import numpy as np
import pytest

import tangent_src as ts


def mlp_loss(params, x, y):
    h = np.tanh(x @ params["W1"] + params["b1"])
    scores = h @ params["W2"] + params["b2"]
    return np.mean((scores - y) ** 2)


def rnn_step(h, W, U, x):
    return np.tanh(h @ W + x @ U)


def rnn_loss(W, U, xs, h0):
    h = h0
    T = xs.shape[0]
    for t in range(T):
        h = rnn_step(h, W, U, xs[t])
    return np.sum(h ** 2)


def damped(x, n):
    i = 0
    s = np.zeros_like(x)
    while i < n:
        s = s + np.sin(x * (i + 1)) / (i + 1)
        i = i + 1
    return np.sum(s ** 2)


def _central(f, x, eps=1e-6):
    """The gradient of f at the array x by central differences."""
    grad = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[k] = eps
        grad[k] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad


def _mlp_data(rng):
    params = {"W1": rng.standard_normal((6, 128)) * 0.3, "b1": rng.standard_normal(128) * 0.1,
              "W2": rng.standard_normal((128, 3)) * 0.1, "b2": rng.standard_normal(3) * 0.1}
    return params, rng.standard_normal((512, 6)), rng.standard_normal((512, 3))


def _body(profile, header):
    """The lines of the loop whose header starts with `header`, in the profile's table."""
    lines = profile.lines
    start = next(k for k, line in enumerate(lines) if line.source.strip().startswith(header))
    indent = len(lines[start].source) - len(lines[start].source.lstrip())
    body = []
    for line in lines[start + 1:]:
        if len(line.source) - len(line.source.lstrip()) <= indent:
            break
        body.append(line)
    return lines[start], body


def test_mlp_gradient_profile_lists_every_line_and_gives_the_plain_result():
    rng = np.random.default_rng(0)
    params, x, y = _mlp_data(rng)
    grad = ts.grad(mlp_loss)
    profile = ts.profile(grad, params, x, y)
    plain = grad(params, x, y)
    assert profile.result.keys() == plain.keys()
    for name, value in plain.items():
        np.testing.assert_array_equal(profile.result[name], value)
    for _ in range(3):  # central differences along random directions of all the parameters
        direction = {name: rng.standard_normal(value.shape) for name, value in params.items()}
        eps = 1e-6
        up = mlp_loss({k: v + eps * direction[k] for k, v in params.items()}, x, y)
        down = mlp_loss({k: v - eps * direction[k] for k, v in params.items()}, x, y)
        along = sum(np.sum(plain[k] * direction[k]) for k in params)
        assert along == pytest.approx((up - down) / (2 * eps), rel=1e-6, abs=1e-9)
    assert [line.number for line in profile.lines] == list(range(1, len(profile.lines) + 1))
    assert profile.lines[0].source.startswith("def grad_mlp_loss(") and profile.lines[0].hits == 0
    assert profile.lines[-1].source.strip().startswith("return ")
    code = [line.source.strip() for line in profile.lines if line.hits]
    shown = [text.strip() for text in ts.source(grad, params, x, y).splitlines()]
    assert all(text in shown for text in code), "a profiled line is not in the generated source"
    assert all(line.hits == 1 for line in profile.lines if line.hits)  # (no loop)
    assert 99.0 <= sum(line.share for line in profile.lines) <= 101.0
    assert profile.name == "grad_mlp_loss" and profile.calls == 1 and profile.total > 0


def test_rnn_loop_lines_are_hit_once_per_trip_in_both_sweeps_and_callees_get_tables():
    rng = np.random.default_rng(1)
    T = 7
    W, U = rng.standard_normal((5, 5)) * 0.4, rng.standard_normal((3, 5)) * 0.4
    xs, h0 = rng.standard_normal((T, 4, 3)), rng.standard_normal((4, 5))
    value_and_grad = ts.value_and_grad(rnn_loss, wrt=(0, 1))
    profile = ts.profile(value_and_grad, W, U, xs, h0)
    value, (gW, gU) = value_and_grad(W, U, xs, h0)
    assert profile.result[0] == value
    np.testing.assert_array_equal(profile.result[1][0], gW)
    np.testing.assert_array_equal(profile.result[1][1], gU)
    np.testing.assert_allclose(gW, _central(lambda v: rnn_loss(v, U, xs, h0), W), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gU, _central(lambda v: rnn_loss(W, v, xs, h0), U), rtol=1e-6, atol=1e-8)
    for header in ("for ", "while "):  # the forward sweep, then the reverse sweep over the tape
        head, body = _body(profile, header)
        assert head.hits == T + 1 and body, header
        assert all(line.hits == T for line in body), [(line.source, line.hits) for line in body]
        assert all(line.per_hit == pytest.approx(line.time / T) for line in body)
    assert 99.0 <= sum(line.share for line in profile.lines) <= 101.0
    (callee,) = profile.callees
    assert callee.name.startswith("vjp_rnn_step") and callee.calls == T
    assert all(line.hits in (0, T) for line in callee.lines)
    calling = next(line for line in profile.lines if f"{callee.name}(" in line.source)
    assert calling.time >= callee.total  # the calling line's time includes its callee's


def test_a_primal_while_loop_and_the_jvp():
    rng = np.random.default_rng(2)
    x, v, n = rng.standard_normal(8), rng.standard_normal(8), 5
    grad = ts.grad(damped)
    profile = ts.profile(grad, x, n)
    np.testing.assert_array_equal(profile.result, grad(x, n))
    np.testing.assert_allclose(profile.result, _central(lambda z: damped(z, n), x), rtol=1e-6, atol=1e-8)
    head, body = _body(profile, "while i")
    assert head.hits == n + 1 and all(line.hits == n for line in body)
    head, body = _body(profile, "while tape")
    assert head.hits == n + 1 and all(line.hits == n for line in body)

    jvp = ts.jvp(damped)
    forward = ts.profile(jvp, x, n, v)
    value, tangent = jvp(x, n, v)
    assert forward.result == (value, tangent) and value == damped(x, n)
    eps = 1e-6
    assert tangent == pytest.approx((damped(x + eps * v, n) - damped(x - eps * v, n)) / (2 * eps), rel=1e-6)
    assert forward.name == "jvp_damped"
    head, body = _body(forward, "while i")
    assert head.hits == n + 1 and all(line.hits == n for line in body)


def test_text_table_is_aligned_and_html_escapes():
    rng = np.random.default_rng(3)
    params, x, y = _mlp_data(rng)
    profile = ts.profile(ts.grad(mlp_loss), params, x, y)
    rows = str(profile).splitlines()
    assert rows[0].startswith("grad_mlp_loss: 1 call, ") and rows[0].endswith("(traced)")
    header = rows[1]
    assert header.split() == ["line", "hits", "time", "per", "hit", "%", "source"]
    column = header.index("source")
    table = rows[2:2 + len(profile.lines)]
    for row, line in zip(table, profile.lines):
        assert row[column:] == line.source.rstrip() and row[:column].strip().split()[0] == str(line.number)
        assert row[:column].split()[1] == str(line.hits)
        if line.hits:  # (the % column right-aligned under its header)
            assert row[:header.index("%") + 1].endswith(f" {line.share:.1f}")
    page = profile._repr_html_()
    assert page.count("<tr>") == len(profile.lines) + 1 and "<table>" in page
    assert "&quot;&quot;&quot;Gradient of mlp_loss" in page and '"""' not in page  # the source escaped


def test_memory_flag_records_net_bytes_per_line():
    rng = np.random.default_rng(4)
    W, U = rng.standard_normal((32, 32)), rng.standard_normal((3, 32))
    xs, h0 = rng.standard_normal((4, 16, 3)), rng.standard_normal((16, 32))
    profile = ts.profile(ts.grad(rnn_loss), W, U, xs, h0, memory=True)
    assert not tracemalloc.is_tracing()
    assert all(isinstance(line.memory, int) for line in profile.lines)
    step = next(line for line in profile.lines if "rnn_step(" in line.source)
    assert step.memory >= 4 * 16 * 32 * 8  # each trip's new h, kept on the tape
    assert "memory" in str(profile).splitlines()[1]
    assert ts.profile(ts.grad(rnn_loss), W, U, xs, h0).lines[0].memory is None


def apply_all(x, act):
    return np.sum(act(x) ** 2)


def test_a_derivative_made_at_its_first_call_and_the_trace_function_put_back():
    x = np.random.default_rng(6).standard_normal(5)
    calls = []

    def other(frame, event, arg):
        calls.append(event)
    previous = sys.gettrace()
    sys.settrace(other)
    try:
        profile = ts.profile(ts.grad(apply_all), x, np.tanh)  # (made inside the run, for np.tanh)
        assert sys.gettrace() is other
    finally:
        sys.settrace(previous)
    np.testing.assert_allclose(profile.result, 2 * np.tanh(x) * (1 - np.tanh(x) ** 2), rtol=1e-12)
    assert profile.name == "grad_apply_all" and profile.lines[-1].hits == 1


def test_a_function_that_is_not_a_derivative_is_refused():
    with pytest.raises(TypeError, match=r"pass a derivative such as ts\.grad\(f\)"):
        ts.profile(mlp_loss, *_mlp_data(np.random.default_rng(5)))
    with pytest.raises(TypeError, match="ts.grad"):
        ts.profile(np.sin, 1.0)


def test_the_benchmark_profile_is_a_table_of_ts_profile():
    from benchmarks.profile import profile

    text = profile("sin_sum", "grad", calls=3)
    rows = text.splitlines()
    assert rows[0].startswith("grad_sin_sum: ") and rows[0].endswith(" us per call (instrumented)")
    assert rows[-1].strip().endswith("return bx") or "return" in rows[-1]
    assert all(" us  " in row for row in rows[1:])
    assert any(row.lstrip()[:1].isdigit() and "%" in row for row in rows[1:])


def test_import_leaves_the_profiler_to_its_first_use():
    import subprocess

    program = ("import sys, tangent_src as ts; print('tangent_src.profiling' in sys.modules); "
               "print(callable(ts.profile), 'tangent_src.profiling' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert result.stdout.split() == ["False", "True", "True"], result.stderr
