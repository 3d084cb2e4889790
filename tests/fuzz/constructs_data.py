"""Construct families about values (see tests/fuzz/constructs.py): random draws in callees,
containers of unequal shapes, per-step lists, in-place updates, edge points of elementwise
rules, linspace/arange, masks under a final sum, eigh/eigvalsh of non-symmetric matrices."""

from __future__ import annotations

import numpy as np

from .construct_base import Builder, Case, helper_lines as _helper
from .programs import Draw



# ------------------------------------------------------------------ random draws in callees


def random_draws(d: Draw) -> Case:
    b = Builder(d)
    n = d.integer(2, 4)
    x = b.param((n,))
    y = b.param(d.choice([(), (n,)]))
    seed = d.integer(0, 99)
    kind = d.integer(0, 10)
    reseed = True
    if kind == 0:  # a Generator made inside the helper
        body = [f"rng = np.random.default_rng({seed})", "z = rng.standard_normal(p.shape)"]
    elif kind == 1:  # numpy's global state
        body = [d.choice(["z = np.random.normal(size=p.shape)", "z = np.random.randn(*p.shape)",
                          "z = np.random.uniform(-1.0, 1.0, p.shape)", "z = np.random.standard_normal(p.shape)"])]
    elif kind == 2:  # a Generator passed in by the caller: a re-run draws other samples
        body = ["z = rng.standard_normal(p.shape)"]
    elif kind == 3:  # negative sampling: random indices
        body = [d.choice([f"idx = np.random.choice({n}, size=2)", f"idx = np.random.randint(0, {n}, size=2)"]),
                "z = np.zeros_like(p)", "z[idx] = 1.0"]
    elif kind == 4:  # Python's random module
        body = ["z = p * random.random()" if d.coin(50) else "z = p * random.gauss(0.0, 1.0)"]
    elif kind == 5:  # a draw whose parameters are differentiated (reparameterization or refusal)
        body = [d.choice(["z = np.random.normal(p, 0.5)", "z = np.random.normal(p, np.exp(0.1 * p))",
                          "z = rng.normal(p, 0.3, p.shape)", "z = rng.normal(0.0, np.exp(0.2 * p))"])]
    elif kind == 6:  # rng.integers / permutation
        body = [d.choice([f"idx = rng.integers(0, {n}, size=3)", f"idx = rng.permutation({n})"]),
                "z = p[idx]", "z = z[:1] * 0.0 + np.sum(z)"]
    elif kind == 7:  # uniform with differentiated bounds
        body = ["z = np.random.uniform(p, p + 1.0)"]
    elif kind == 9:  # dropout (CS231n): a mask drawn from the global state
        body = [d.choice(["mask = np.random.rand(*p.shape) < 0.5", "mask = (np.random.rand(*p.shape) < 0.5) / 0.5"]),
                "z = p * mask"]
    elif kind == 10:  # a draw in a loop of the callee
        body = ["z = p * 0.0", f"for i in range({d.integer(1, 3)}):",
                "    z = z + np.random.standard_normal(p.shape) * np.sin(p)"]
    else:  # a draw in f itself, then a helper
        body = ["z = np.sin(p)"]
    uses_rng = any("rng." in s for s in body) and not any("default_rng" in s for s in body)
    body.append(f"return {b.loss(b.combine('p', 'z'))} + 0.0 * np.sum(q)")
    params = "p, q, rng" if uses_rng else "p, q"
    header = ["import random", "", ""] + _helper("sample", params, body)
    call = f"sample({{a}}, {y}{', rng' if uses_rng else ''})"
    lines = [f"rng = np.random.default_rng({seed})"] if uses_rng else []
    if kind == 8:
        lines.append(d.choice([f"e = np.random.normal(size={n})",
                               f"e = np.random.default_rng({seed}).normal(size={n})"]))
        first = f"{x} + 0.1 * e"
    else:
        first = x
    lines.append(f"s = {call.format(a=first)}")
    if d.coin(30):  # the callee in a loop: other samples at every trip
        lines += [f"for t in range({d.integer(1, 3)}):", f"    s = s + {call.format(a='s * ' + x)}"]
    elif d.coin(50):  # the callee twice: the global state moves between the calls
        lines.append(f"s = s + {call.format(a=b.smooth(x))}")
    lines.append(f"return s * {b.loss(b.smooth(y))}" if d.coin(40) else "return s")
    return b.case(lines, "scalar", "random draws", reseed=reseed, header=header)


# ------------------------------------------------------------------ containers of unequal shapes


def containers(d: Draw) -> Case:
    b = Builder(d)
    n, m = d.integer(2, 3), d.integer(2, 4)
    x = b.param((2, n))
    w = b.param((n, m))
    bias = b.param((m,))
    kind = d.integer(0, 4)
    header: list[str] = []
    if kind == 0:  # out, cache = layer_forward(...)
        header = _helper("layer_forward", "x, w, b", ["out = np.tanh(x @ w + b)", "cache = (x, w, b)",
                                                      "return out, cache"])
        lines = [f"out, cache = layer_forward({x}, {w}, {bias})"]
        if d.coin(50):
            lines += ["xx, ww, bb = cache", f"return {b.loss('out')} + np.sum(ww * ww) + np.sum(bb)"]
        else:
            lines.append(f"return {b.loss('out')}")
    elif kind == 1:  # a list of layers of unequal sizes, sliced
        w2 = b.param((m, 2))
        lines = [f"Ws = [{w}, {w2}, {w2}.T]", f"h = {x}"]
        lines += [f"for W in Ws{d.choice(['[:-1]', '[:2]', ''])}:", "    h = np.tanh(h @ W)"]
        lines.append(f"return {b.loss('h')}")
    elif kind == 2:  # a Python list of numbers
        a = b.param(())
        lines = [f"v = {d.choice(['[1.0, {a} * {a}, 2.0]', '[1, {a} * {a}, 2]', '({a}, 2.0 * {a})']).format(a=a)}",
                 f"return {d.choice(['np.sum(v)', 'np.mean(v)', 'sum(v)'])} * {b.loss(x)}"]
    elif kind == 3:  # a parameter with a default left out
        header = _helper("h", "x, scale=2.0, shift=0.5", ["return scale * np.sum((x + shift) ** 2)"])
        call = d.choice([f"h({x})", f"h({x}, 3.0)", f"h({x}, shift=0.1)", f"h({x}, scale=np.sum({bias}))"])
        lines = [f"return {call} + {b.loss(w)}"]
    else:  # nested containers returned and indexed
        header = _helper("parts", "x, w", ["a = x @ w", "return [a, (np.sin(a), w)]"])
        lines = [f"p = parts({x}, {w})", "a = p[0]", "s, ww = p[1]",
                 f"return {b.loss('a')} + np.sum(s * s) + np.sum(ww)"]
    return b.case(lines, "scalar", "containers", header=header)


def per_step_values(d: Draw) -> Case:
    b = Builder(d)
    n = d.integer(2, 3)
    h0 = b.param((n,))
    w = b.param((n, n))
    w2 = b.param((2, n))
    trips = d.integer(1, 4)
    lines = [f"hs = [{h0}]", f"for t in range({trips}):", f"    hs.append(np.tanh({w} @ hs[-1]))"]
    if d.coin(40):
        lines.append(f"hs.append({w2} @ hs[-1])")  # a last value of another shape
        read = ["loss = 0.0", "for h in hs:", f"    loss = loss + {b.loss('h')}", "return loss"]
    else:
        read = [d.choice(["return np.sum(np.stack(hs) ** 2)", f"return {b.loss('hs[-1]')} + np.sum(hs[0])",
                          "return np.sum(np.array(hs))", "return sum(np.sum(h) for h in hs)"])]
    return b.case(lines + read, "scalar", "lists of per-step values")


# ------------------------------------------------------------------ in-place updates


def in_place(d: Draw) -> Case:
    b = Builder(d)
    a = b.param(())
    x = b.param((3,))
    kind = d.integer(0, 4)
    header: list[str] = []
    if kind == 0:
        lines = [f"for i in range({d.integer(1, 3)}):", f"    {a} += {x}[i]", f"return {a} * {b.smooth(a)}"]
    elif kind == 1:
        lines = [f"s = {a}", "s += 1.0", f"s *= {x}[0]", f"return s * {a}"]
    elif kind == 2:
        lines = ["y = np.zeros(3)", "for i in range(3):", f"    y[i] = {b.smooth(f'{x}[i]')}",
                 f"return y[0] * y[2] + {b.loss('y')}"]
    elif kind == 3:
        op = d.choice(["p += 1.0", "p *= 2.0", "p[0] = q[1]", "p -= q"])
        header = _helper("h", "p, q", [op, "return np.sum(p * q)"])
        lines = [f"c = {x} * 1.0", f"v = h(c, {b.smooth(x)})",
                 f"return v + {d.choice(['np.sum(c * c)', '0.0', 'c[0]'])}"]
    else:
        lines = [f"s = {x} * 1.0", f"s += {a}", "t_ = s", "t_ *= 2.0", f"return np.sum(s) + {b.loss('t_')}"]
    return b.case(lines, "scalar", "in-place updates", header=header)


# ------------------------------------------------------------------ edge points, linspace, arange


def edge_points(d: Draw) -> Case:
    b = Builder(d)
    x = b.param((4,))
    b.inputs[0][d.integer(0, 3)] = 0.0  # an exact zero
    z = b.param(())
    if d.coin(50):
        b.inputs[1] = 0.0
    y = b.param((4,), 0.5, 1.5)  # positive exponents
    terms = [f"{x} ** 0", f"{x} ** 0.0", f"{x} ** 1", f"{x} ** 1.0", f"{x} ** 2", f"{x} ** 3", f"np.power({x}, 2)",
             f"0.0 ** {y}", f"{x} ** 2.0", f"{z} ** 0", f"{z} ** 0.0", f"{z} ** 2", f"{z} ** 1.0", f"{z} * {z}",
             f"np.square({x})", f"{x} * {x} ** 2", f"(2.0 * {x}) ** 4", f"np.zeros(4) ** {y}"]
    chosen = [d.choice(terms) for _ in range(d.integer(1, 3))]
    lines = [f"v = {' + '.join(chosen)}", f"return np.sum(v * {y})"]
    return b.case(lines, "scalar", "edge points")


def ranges(d: Draw) -> Case:
    b = Builder(d)
    a = b.param(())
    c = b.param((), 1.5, 2.5)
    n = d.integer(2, 5)
    w = b.param((n,))
    kind = d.integer(0, 4)
    if kind == 0:
        e = f"np.linspace({a}, {c}, {n})"
    elif kind == 1:
        e = f"np.linspace({d.choice(['0.0', a])}, {c}, {n}, endpoint={d.choice(['True', 'False'])})"
    elif kind == 2:
        e = f"np.arange({a}, {a} + {n - 0.5})"
    elif kind == 3:
        e = f"np.arange({n}) * {a} + {c}"
    else:
        e = f"np.arange({a}, {a} + {n - 0.5}, 1.0) * {c}"
    lines = [f"t = {e}", f"return np.sum({b.smooth('t')} * {w})"]
    return b.case(lines, "scalar", "linspace and arange")


def masks(d: Draw) -> Case:
    """minimum/maximum/clip/where under a final sum (the shortcut that returned the boolean mask)."""
    b = Builder(d)
    x = b.param(d.choice([(3,), (2, 3)]))
    c = d.choice(["0.5", "0.0", "-0.3"])
    value = b.inputs[0]
    near = np.abs(value - float(c)) < 0.1
    value[near] = float(c) + 0.2  # away from the kink
    stacked = d.choice([f"np.stack([{x}, {x}])", x, f"np.concatenate([{x}, 2.0 * {x}])", f"{x} * 1.0"])
    if "2.0 *" in stacked:
        value[np.abs(2.0 * value - float(c)) < 0.1] = float(c) + 0.3
    e = d.choice([f"np.minimum({stacked}, {c})", f"np.maximum({stacked}, {c})", f"np.maximum({c}, {stacked})",
                  f"np.clip({stacked}, {c}, 5.0)", f"np.where({stacked} > {c}, {stacked}, 0.0)",
                  f"np.fmin({stacked}, {c})", f"np.abs({stacked} - {c})"])
    lines = [f"return {d.choice(['np.sum({e})', 'np.mean({e})', 'np.sum({e}) * 2.0', '{e}.sum()']).format(e=e)}"]
    return b.case(lines, "scalar", "masks under a sum")


def symmetric_eigen(d: Draw) -> Case:
    """eigh/eigvalsh read one triangle: the derivative is that of what numpy computes."""
    b = Builder(d)
    n = d.integer(2, 3)
    for _ in range(20):
        a = b.rng.uniform(-1.0, 1.0, (n, n))
        lower = np.linalg.eigvalsh(a)
        upper = np.linalg.eigvalsh(a, UPLO="U")
        if min(np.min(np.diff(lower)), np.min(np.diff(upper))) > 0.2:
            break
    b.inputs.append(a)
    c = b.param((n,))
    uplo = d.choice(["", ", UPLO='L'", ", UPLO='U'", ", 'U'"])
    kind = d.integer(0, 2)
    if kind == 0:
        lines = [f"w = np.linalg.eigvalsh(x0{uplo})", f"return np.sum(w * {c})"]
    elif kind == 1:
        lines = [f"w, v = np.linalg.eigh(x0{uplo})", f"return np.sum(w * {c}) + np.sum((v * v) @ {c})"]
    else:
        sym = d.choice(["0.5 * (x0 + x0.T)", "x0 @ x0.T", "x0 + x0.T"])
        lines = [f"w = np.linalg.eigvalsh({sym}{uplo})", f"return np.sum(w * {c})"]
    return b.case(lines, "scalar", "symmetric eigen")


def course_code(d: Draw) -> Case:
    """The shapes of course assignments: a forward pass keeping caches in a list of tuples, a
    dict of parameters, regularization over a list comprehension, loops over reversed ranges."""
    b = Builder(d)
    n, m = d.integer(2, 3), d.integer(2, 3)
    x = b.param((2, n))
    w1 = b.param((n, m))
    w2 = b.param((m, 2))
    kind = d.integer(0, 4)
    if kind == 0:
        lines = ["caches = []", f"h = {x}", f"for W in [{w1}, {w2}]:", "    z = h @ W", "    caches.append((h, z))",
                 "    h = np.tanh(z)", f"loss = {b.loss('h')}"]
        lines += d.choice([["for hh, z in caches:", "    loss = loss + 0.01 * np.sum(z * z)"],
                           ["for cache in reversed(caches):", "    loss = loss + 0.1 * np.sum(cache[0])"],
                           ["for k in range(len(caches) - 1, -1, -1):", "    hh, z = caches[k]",
                            "    loss = loss + np.sum(hh) * k"]])
        lines.append("return loss")
    elif kind == 1:
        lines = [f"params = {{'W1': {w1}, 'W2': {w2}}}", f"h = np.tanh({x} @ params['W1'])", "out = h @ params['W2']",
                 f"reg = {d.choice(['0.0', '0.5'])}"]
        lines += d.choice([["for name in params:", "    reg = reg + np.sum(params[name] ** 2)"],
                           ["for name, W in params.items():", "    reg = reg + np.sum(W * W)"],
                           ["for W in params.values():", "    reg = reg + np.sum(W ** 2)"]])
        lines.append(f"return {b.loss('out')} + 0.1 * reg")
    elif kind == 2:
        lines = [f"Ws = [{w1}, {w2}]", f"h = {x} @ Ws[0] @ Ws[1]",
                 d.choice(["reg = np.sum([np.sum(W * W) for W in Ws])", "reg = sum(np.sum(W * W) for W in Ws)",
                           "reg = sum([np.sum(W ** 2) for W in Ws])"]),
                 f"return {b.loss('h')} + 0.5 * reg"]
    elif kind == 3:
        step = d.choice(["range(0, 3, 2)", "reversed(range(3))", "range(2, -1, -1)", "range(1, 3)"])
        lines = [f"s = {x}[0] * 1.0", f"for i in {step}:", f"    s = {b.combine('s', f'{x}[1] * i', bounded=True)}",
                 f"return {b.loss('s')}"]
    else:
        lines = [f"s = {x}[0] * 0.0", f"for k, r in enumerate({x}, {d.choice(['1', 'start=2'])}):",
                 "    s = s + r * k", f"return {b.loss('s')} + np.sum({w1})"]
    return b.case(lines, "scalar", "course code")
