"""Random programs of the construct classes of issue 10, written as Python source.

tests/fuzz/programs.py builds straight-line code, `if`, `for` over `range` or
rows and helper calls, statement by statement under guards. The classes here
need shapes the statement builder does not make (containers of unequal
shapes, `while`, `break`/`continue`, tuple results, random draws), so each
family below draws a program of its class from a Draw (random sizes, which
constructs appear and where, which smooth operations, which inputs are
differentiated) and writes it directly. Every family keeps the program smooth
in a neighbourhood of its inputs: conditions read loop counters only, and the
operations are smooth everywhere (or fed inputs inside their domain).

A `Case` says how the checker must differentiate it (`mode`):

- "scalar": f returns a float: grad, jvp;
- "array": f returns an array or a tuple of arrays: vjp, jvp;
- "aux": f returns (loss, aux): grad(f, has_aux=True) and value_and_grad(f, has_aux=True)
  (vjp of the pair where tangent_src has no `has_aux` yet);
- "refuse": f visibly returns a tuple: grad and value_and_grad must refuse it with a
  TransformError naming the return statement; vjp and jvp are checked as for "array".

`reseed`: the program draws from numpy's or Python's global random state, and the
checker seeds both identically before every evaluation (f, its derivatives and each
point of the finite differences), so all of them see the same samples.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .construct_base import Builder, Case, helper_lines as _helper
from .constructs_data import (containers, course_code, edge_points, in_place, masks, per_step_values, random_draws,
                              ranges, symmetric_eigen)
from .programs import Draw


# ------------------------------------------------------------------ tuple results, has_aux


def tuple_results(d: Draw) -> Case:
    b = Builder(d)
    x = b.param(d.choice([(3,), (2, 3)]))
    y = b.param(d.choice([(), (3,)]))
    v = "v"
    lines = [f"v = {b.smooth(b.combine(x, y))}", f"loss = {b.loss(v)}"]
    aux = d.choice(["v", "(v, 2.0 * loss)", "np.mean(v)", f"v * {y}", "(v, v[0])"])
    kind = d.integer(0, 4)
    header: list[str] = []
    if kind == 0:  # f returns (loss, aux)
        lines.append(f"return loss, ({aux})")
        mode = "aux"
    elif kind == 1:  # visibly a tuple under grad: refused
        lines.append(d.choice([f"return loss, ({aux})", f"return (loss, {b.loss(x)})", f"return [loss, ({aux})]",
                               f"return {b.loss(x)}, {b.loss(y)}", "return 'value'",
                               "return loss > 0.0", "return None"]))
        mode = "refuse"
    elif kind == 2:  # a helper returns a tuple, f a scalar made of both parts
        header = _helper("h", "a, c", [f"u = {b.smooth('a')}", f"return {b.loss('u')}, u * c"])
        lines = [f"l, u = h({x}, {y})", f"return l + {b.loss('u')}"]
        mode = "scalar"
    elif kind == 3:  # an early return of a pair inside an if, and aux the loop's last value
        lines += [f"for i in range({d.integer(1, 3)}):", f"    v = {b.combine('v', x)}",
                  "    if i == 5:", f"        return loss, ({aux})", f"return {b.loss('v')}, ({aux})"]
        mode = "aux"
    else:  # a pair returned through a helper with has_aux
        header = _helper("h", "a", [f"w = {b.smooth('a')}", f"return {b.loss('w')}, w"])
        lines = [f"l, w = h({b.combine(x, y)})", "loss = l * 2.0", f"return loss, ({aux.replace('v', 'w')})"]
        mode = "aux"
    return b.case(lines, mode, "tuple results", header=header)


# ------------------------------------------------------------------ one loop variable, several loops


def reused_loop_variable(d: Draw) -> Case:
    b = Builder(d)
    n, m1, m2 = d.integer(2, 3), d.integer(2, 4), d.integer(1, 3)
    h = b.param((n,))
    w1 = b.param((m1, n))
    w2 = b.param((m2, m1))
    var = d.choice(["W", "i", "w"])
    lines = [f"Ws = [{w1}, {w2}]", f"h = {h}"]
    if var == "i":
        lines += ["for i in range(2):", "    h = np.tanh(Ws[i] @ h)", "loss = 0.0",
                  f"for i in range({d.integer(1, m1)}):", f"    loss = loss + np.sum({b.smooth(f'{w1}[i]')})"]
        if d.coin(50):
            lines += [f"for i in range({m2}):", "    loss = loss + h[i] * i"]
    else:
        lines += [f"for {var} in Ws:", f"    h = np.tanh({var} @ h)", "loss = 0.0"]
        second = d.choice(["Ws", "Ws[:-1]", "Ws[1:]", f"[{h}, h]", "[h, Ws[0]]"])
        lines += [f"for {var} in {second}:", f"    loss = loss + np.sum({b.smooth(var)})"]
        if d.coin(40):
            lines.append(f"loss = loss + np.sum({var})")  # the second loop's last value
    lines.append(f"return loss + {b.loss('h')}")
    return b.case(lines, "scalar", "reused loop variable")


# ------------------------------------------------------------------ break and continue


def _loop_body(b: Builder, d: Draw, var: str, trips: int, depth: int, carried: str, rows: str,
               returns: bool) -> list[str]:
    out: list[str] = []
    pieces = ["update", "update"]
    if d.coin(60):
        pieces.append("continue")
    if d.coin(60):
        pieces.append("break")
    if returns and d.coin(35):
        pieces.append("elif-return")
    if depth < 2 and d.coin(50):
        pieces.append("inner")
    order = [pieces[k] for k in _shuffle(d, len(pieces))]
    for piece in order:
        if piece == "update":
            row = f"{rows}[{var} % {b.rows}]" if rows else f"{var} * 0.3"
            out.append(f"{carried} = {b.combine(carried, row, bounded=True)}")
        elif piece == "continue":
            out += [f"if {var} % {d.integer(2, 3)} == {d.integer(0, 1)}:", "    continue"]
        elif piece == "break":
            out += [f"if {var} {d.choice(['>', '>=', '=='])} {d.integer(0, trips)}:", "    break"]
        elif piece == "elif-return":
            out += [f"if {var} == {d.integer(0, trips)}:", f"    {carried} = {b.smooth(carried, bounded=True)}",
                    f"elif {var} == {d.integer(0, trips)}:", f"    return {b.loss(carried)} * 2.0"]
        else:
            inner = "j" if var == "i" else "k"
            out += _loop(b, d, inner, depth + 1, carried, rows, returns)
    return out


def _loop(b: Builder, d: Draw, var: str, depth: int, carried: str, rows: str, returns: bool) -> list[str]:
    trips = d.integer(2, 5)
    body = _loop_body(b, d, var, trips, depth, carried, rows, returns)
    kind = d.integer(0, 5)
    if kind <= 2:
        return [f"for {var} in range({trips}):"] + ["    " + s for s in body]
    if kind == 3:  # the counter moves first, so `continue` never skips it
        return [f"{var} = 0", f"while {var} < {trips}:", f"    {var} += 1"] + ["    " + s for s in body]
    if kind == 4:
        return [f"{var} = 0", "while True:", f"    {var} += 1", f"    if {var} > {trips}:", "        break"] + [
            "    " + s for s in body]
    return [f"for {var}, row in enumerate({rows or 'range(' + str(trips) + ')'}):"] + ["    " + s for s in body]


def _shuffle(d: Draw, n: int) -> list[int]:
    items = list(range(n))
    for k in range(n - 1, 0, -1):
        j = d.integer(0, k)
        items[k], items[j] = items[j], items[k]
    return items


def break_continue(d: Draw) -> Case:
    b = Builder(d)
    x = b.param(d.choice([(3,), (2, 3)]))
    b.rows = d.integer(2, 4)
    rows = b.param((b.rows, 3)) if d.coin(70) else ""
    scalar = d.coin(75)
    lines = [f"s = {b.smooth(x)}"] + _loop(b, d, "i", 1, "s", rows, returns=scalar)
    lines.append(f"return {b.loss('s')}" if scalar else "return s")
    return b.case(lines, "scalar" if scalar else "array", "break and continue")


# ------------------------------------------------------------------ iterating over values


def iteration(d: Draw) -> Case:
    b = Builder(d)
    shape = d.choice([(), (3,)])
    a = b.param(shape)
    c = b.param(shape)
    m = b.param((d.integer(2, 3), 3))
    kind = d.integer(0, 5)
    after = {0: ["w"], 1: ["w"], 2: ["r"], 3: ["r", "q"], 4: ["r", "k"], 5: ["r", "w", "k"]}[kind]
    lines = [f"s = 0.0 * {a}" if shape else "s = 0.0"] if kind < 2 else [f"s = {m}[0] * 0.0"]
    if kind == 0:
        lines += [f"for w in ({a}, {c}, {a} * {c}):", f"    s = {b.combine('s', 'w')}"]
    elif kind == 1:
        lines += [f"for w in [{a}, {b.smooth(c)}]:", f"    s = s + {b.smooth('w')}", "s = s * w"]
    elif kind == 2:
        lines += [f"for r in {m}:", f"    s = {b.combine('s', 'r', bounded=True)}"]
    elif kind == 3:
        other = b.param(np.shape(b.inputs[2]))
        lines += [f"for r, q in zip({m}, {other}):", f"    s = s + {b.combine('r', 'q')}"]
    elif kind == 4:
        lines += [f"for k, r in enumerate({m}):",
                  f"    s = s + {d.choice(['k * r', 'r * (k + 1.0)', 'np.sin(r) ** (k + 1)'])}"]
    else:
        lines += [f"for k, (r, w) in enumerate(zip({m}, [{a}, {c}, {a}])):", "    s = s + r * w + k"]
    if d.coin(40):
        lines.append(f"s = s + {d.choice(after)}")
    lines.append(f"return {b.loss('s')}")
    return b.case(lines, "scalar", "iteration over values")


# ------------------------------------------------------------------ arrays made in loops, loop variables after loops


def made_in_loops(d: Draw) -> Case:
    b = Builder(d)
    x = b.param((3,))
    a = b.param(d.choice([(), (3,)]))
    elem = f"{a}" if np.ndim(b.inputs[1]) == 0 else f"{a}[j]"
    kind = d.integer(0, 2)
    lines = ["s = 0.0"]
    if kind == 0:
        lines += [f"for j in range({d.integer(1, 3)}):", "    u = np.zeros(3)", f"    u[j] = {elem}",
                  f"    s = s + np.sum(u * {d.choice(['u', x])})"]
    elif kind == 1:
        lines += [f"for j in range({d.integer(1, 3)}):", f"    u = np.zeros_like({x})", f"    u[j] += {b.smooth(elem)}",
                  f"    u = u * {x}", "    s = s + np.sum(u)"]
    else:
        lines += [f"for j in range({d.integer(1, 3)}):", "    u = np.ones((2, 3))", f"    u[0, j] = {elem}",
                  f"    u[1] = {x} * s", "    s = s + np.sum(u ** 2)"]
    if d.coin(50):
        lines.append("s = s + np.sum(u) * j")  # the last trip's array and counter
    lines.append("return s")
    return b.case(lines, "scalar", "arrays made in loop bodies")


def loop_variables_after(d: Draw) -> Case:
    b = Builder(d)
    q = b.param((d.integer(1, 3), 3))
    x = b.param((3,))
    kind = d.integer(0, 2)
    if kind == 0:
        lines = [f"for k, item in enumerate({q}):", "    pass" if d.coin(50) else f"    {x} = {b.combine(x, 'item')}",
                 f"return {b.loss('item * item')} + {b.loss(x)} * k"]
    elif kind == 1:
        lines = [f"for t in range({d.integer(1, 3)}):", f"    for item in {d.choice([x, q])}:", "        pass",
                 f"    {x} = 0.5 * {x} + np.sin(item)", f"return {b.loss(x)}"]
    else:
        lines = ["s = 0.0", f"for i in range({d.integer(1, 3)}):", f"    s = s + {x}[i]",
                 f"    for r in {q}:", "        s = s + np.sum(r) * i", f"return s * i + {b.loss('r')}"]
    return b.case(lines, "scalar", "loop variables after loops")


FAMILIES: dict[str, Callable[[Draw], Case]] = {
    "tuple results": tuple_results, "random draws": random_draws, "reused loop variable": reused_loop_variable,
    "break and continue": break_continue, "iteration over values": iteration, "containers": containers,
    "lists of per-step values": per_step_values, "arrays made in loop bodies": made_in_loops,
    "loop variables after loops": loop_variables_after, "in-place updates": in_place, "edge points": edge_points,
    "linspace and arange": ranges, "masks under a sum": masks, "symmetric eigen": symmetric_eigen,
    "course code": course_code,
}


def generate_case(draw: Draw, family: str | None = None) -> Case:
    """A random program of one family (drawn when not given)."""
    name = family or draw.choice(sorted(FAMILIES))
    case = FAMILIES[name](draw)
    case.family = name
    if case.mode != "refuse" and draw.coin(25):
        case = called_from_f(case, draw)
    return case


def called_from_f(case: Case, draw: Draw) -> Case:
    """The same program as a callee: its f becomes `core`, and a new f calls it (a helper with the
    construct, differentiated through the call: its results, its effects and its reverse sweep)."""
    params = ", ".join(f"x{k}" for k in range(len(case.inputs)))
    call = f"core({params})"
    if case.mode == "scalar":
        tail = draw.choice([f"return {call}", f"r = {call}\n    return r * 2.0 + 0.0 * np.sum(x0)"])
    elif case.mode == "aux":
        tail = f"loss, aux = {call}\n    return loss * 2.0, aux"
    else:
        tail = f"return {call}"
    source = case.source.replace("def f(", "def core(", 1) + f"\n\ndef f({params}):\n    {tail}\n"
    return Case(source, case.inputs, case.wrt, case.mode, case.reseed, case.family, {"called": True})
