"""Random programs of nested control flow, checked against the program itself.

A second fuzzer, built differently from tests/fuzz on purpose: tests/fuzz
draws straight-line numpy operations and interprets them itself; this one
draws deeply nested control flow over a few scalars and 3-vectors (`for` over
`range`, tuple displays, `enumerate` and rows; `while` with counters;
`if`/`elif`/`else` on counters and on data; `break`, `continue` and `return`
at any depth; helper functions with loops of their own; loop variables read
after their loop and reused by later loops) and uses the generated Python
function itself as the oracle: its value, and central differences of it.

A data-dependent branch could flip between the points of a finite difference;
each condition is also written as `_seen(cond)` into an instrumented copy, and
a program whose branch trace differs at the points of the difference is
skipped, not judged.

    python -m tests.cf_fuzz.generator --programs 2000 --seed 7000
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import itertools
import os
import random
import sys
import tempfile
import traceback
import warnings

import numpy as np

import tangent_src as ts
from tangent_src.errors import InternalError, TransformError

SCALAR_UNARY = ["np.sin({})", "np.tanh({})", "np.cos({})", "({}) * ({})", "0.5 * ({})", "np.exp(0.3 * np.tanh({}))"]
VECTOR_UNARY = ["np.sin({})", "np.tanh({})", "0.5 * ({})", "({}) * ({})"]


class Gen:
    """Draws one program: `f(x, v, M)` with x a float, v a 3-vector, M a 3x3 matrix, and helpers."""

    def __init__(self, seed: int):
        self.r = random.Random(seed)
        self.count = itertools.count(1)
        self.helpers: list[str] = []

    # -- expressions -------------------------------------------------------------------------
    def scalar(self, env, depth=0):
        r = self.r
        names = env["s"]
        if depth > 2 or r.random() < 0.3:
            choice = r.random()
            if choice < 0.6 and names:
                return r.choice(names)
            if choice < 0.8 and env["v"]:
                return f"{r.choice(env['v'])}[{r.randrange(3)}]"
            if env["v"] and choice < 0.9:
                return f"np.sum({r.choice(env['v'])})"
            return repr(round(r.uniform(-1.5, 1.5), 2))
        form = r.random()
        if form < 0.4:
            op = r.choice(["+", "-", "*"])
            return f"({self.scalar(env, depth + 1)} {op} {self.scalar(env, depth + 1)})"
        if form < 0.8:
            template = r.choice(SCALAR_UNARY)
            inner = self.scalar(env, depth + 1)
            return template.format(inner, inner)
        if form < 0.9 and env["v"]:
            return f"np.sum({self.vector(env, depth + 1)})"
        if self.helpers and r.random() < 0.5:
            name = r.choice(self.helpers)
            return f"{name}({self.scalar(env, depth + 1)}, {self.vector(env, depth + 1)})"
        return f"np.tanh({self.scalar(env, depth + 1)})"

    def vector(self, env, depth=0):
        r = self.r
        if depth > 2 or r.random() < 0.35:
            if env["v"] and r.random() < 0.8:
                return r.choice(env["v"])
            return f"np.array([{self.scalar(env, 3)}, 0.5, {self.scalar(env, 3)}])"
        form = r.random()
        if form < 0.4:
            op = r.choice(["+", "-", "*"])
            return f"({self.vector(env, depth + 1)} {op} {self.scalar(env, depth + 1)})"
        if form < 0.55 and env["m"]:
            return f"({r.choice(env['m'])} @ {self.vector(env, depth + 1)})"
        template = r.choice(VECTOR_UNARY)
        inner = self.vector(env, depth + 1)
        return template.format(inner, inner)

    def condition(self, env, counters):
        r = self.r
        if counters and r.random() < 0.6:
            c = r.choice(counters)
            return r.choice([f"{c} % 2 == 0", f"{c} > 1", f"{c} == 0", f"{c} < 2", f"{c} % 3 == 1"])
        return f"{self.scalar(env, 2)} {r.choice(['>', '<'])} {round(r.uniform(-0.5, 0.5), 2)}"

    # -- statements --------------------------------------------------------------------------
    def new_name(self, kind):
        return f"{kind}{next(self.count)}"

    def block(self, env, depth, in_loop, counters, indent, budget):
        r = self.r
        lines: list[str] = []
        for _ in range(r.randint(1, 3)):
            if budget[0] <= 0:
                break
            budget[0] -= 1
            lines += self.statement(env, depth, in_loop, counters, indent)
        return lines or [indent + "pass"]

    def statement(self, env, depth, in_loop, counters, indent):
        r = self.r
        kinds = ["assign", "assign", "aug"]
        if depth < 3:
            kinds += ["if", "for_range", "for_tuple", "for_enum", "while"] + ["for_rows"] * bool(env["m"])
        if in_loop:
            kinds += ["exit", "exit"]
        kinds += ["return"] * (depth > 0)
        kind = r.choice(kinds)
        pad = indent
        if kind == "assign":
            if r.random() < 0.6:
                target = r.choice(env["s"]) if env["s"] and r.random() < 0.5 else self.new_name("s")
                line = f"{pad}{target} = {self.scalar(env)}"
                if target not in env["s"]:
                    env["s"].append(target)
                return [line]
            target = r.choice(env["v"]) if env["v"] and r.random() < 0.5 else self.new_name("u")
            line = f"{pad}{target} = {self.vector(env)}"
            if target not in env["v"]:
                env["v"].append(target)
            return [line]
        if kind == "aug":
            target = r.choice(env["s"])
            return [f"{pad}{target} {r.choice(['+=', '-=', '*='])} {self.scalar(env, 1)}"]
        if kind == "return":
            return [f"{pad}return {self.scalar(env)}"]
        if kind == "exit":
            return [f"{pad}if {self.condition(env, counters)}:", f"{pad}    {r.choice(['break', 'continue'])}"]
        if kind == "if":
            lines = [f"{pad}if {self.condition(env, counters)}:"]
            lines += self.block(self.copy(env), depth + 1, in_loop, counters, pad + "    ", [3])
            if r.random() < 0.5:
                lines.append(f"{pad}elif {self.condition(env, counters)}:")
                lines += self.block(self.copy(env), depth + 1, in_loop, counters, pad + "    ", [3])
            if r.random() < 0.6:
                lines.append(f"{pad}else:")
                lines += self.block(self.copy(env), depth + 1, in_loop, counters, pad + "    ", [3])
            return lines
        return self.loop(kind, env, depth, counters, pad)

    def loop(self, kind, env, depth, counters, pad):
        r = self.r
        body_env = self.copy(env)  # the loop variable stays visible after the loop, as Python has it
        lines: list[str] = []
        inner = list(counters)
        if kind == "for_range":
            i = r.choice(["i", "j", "k"])
            lines.append(f"{pad}for {i} in range({r.choice([0, 1, 2, 3, 3, 4, 4])}):")
            inner.append(i)
        elif kind == "for_tuple":
            w = r.choice(["w", "item"])
            items = ", ".join(self.scalar(env, 2) for _ in range(r.randint(1, 3)))
            lines.append(f"{pad}for {w} in ({items},):")
            self.bind(env, "s", w)
            self.bind(body_env, "s", w)
        elif kind == "for_enum":
            w = r.choice(["w", "item"])
            c = r.choice(["n", "m"])
            lines.append(f"{pad}for {c}, {w} in enumerate({self.vector(env, 2)}):")
            inner.append(c)
            self.bind(env, "s", w)
            self.bind(body_env, "s", w)
        elif kind == "for_rows":
            row = r.choice(["row", "u"])
            lines.append(f"{pad}for {row} in {r.choice(env['m'])}:")
            self.bind(env, "v", row)
            self.bind(body_env, "v", row)
        else:  # while with a counter
            c = self.new_name("c")
            lines += [f"{pad}{c} = 0", f"{pad}while {c} < {r.randint(1, 4)}:", f"{pad}    {c} += 1"]
            inner.append(c)
        lines += self.block(body_env, depth + 1, True, inner, pad + "    ", [4])
        return lines

    def bind(self, env, kind, name):
        if name not in env[kind]:
            env[kind].append(name)

    def copy(self, env):
        return {k: list(v) for k, v in env.items()}

    # -- functions ---------------------------------------------------------------------------
    def helper(self):
        name = f"helper{len(self.helpers) + 1}"
        env = {"s": ["a"], "v": ["b"], "m": []}
        body = self.block(env, 1, False, [], "    ", [5])
        source = "\n".join([f"def {name}(a, b):", *body, f"    return {self.scalar(env)}"])
        self.helpers.append(name)
        return source

    def program(self):
        parts = [self.helper() for _ in range(self.r.randint(0, 2))]
        env = {"s": ["x"], "v": ["v"], "m": ["M"]}
        body = self.block(env, 0, False, [], "    ", [9])
        parts.append("\n".join(["def f(x, v, M):", *body, f"    return {self.scalar(env)}"]))
        return "\n\n\n".join(parts) + "\n"


HEADER = "import numpy as np\n\n\n"
TRACE_HEADER = "import numpy as np\n\n_TRACE = []\n\n\ndef _seen(c):\n    _TRACE.append(bool(c))\n    return c\n\n\n"


def instrument(source: str) -> str:
    out = []
    for line in source.splitlines():
        stripped = line.lstrip()
        for word in ("if ", "elif ", "while "):
            if stripped.startswith(word) and line.endswith(":"):
                line = line[: len(line) - len(stripped)] + word + "_seen(" + stripped[len(word):-1] + "):"
                break
        out.append(line)
    return "\n".join(out) + "\n"


_DIR = tempfile.mkdtemp(prefix="tangent_src_cffuzz_")
_COUNT = itertools.count()


def load(source: str):
    name = f"_cf_{os.getpid()}_{next(_COUNT)}"
    path = os.path.join(_DIR, name + ".py")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _flat(args):
    return np.concatenate([np.ravel(a) for a in args])


def _unflat(z, like):
    out, k = [], 0
    for a in like:
        n = np.size(a)
        piece = z[k:k + n]
        out.append(float(piece[0]) if np.ndim(a) == 0 else piece.reshape(np.shape(a)))
        k += n
    return out


def check(source: str, seed: int) -> tuple[str, str]:
    """One program: ("passed" | "refused" | "skipped" | "wrong" | "crash" | "internal", message)."""
    rs = np.random.RandomState(seed)
    args = [float(rs.uniform(-1, 1)), rs.uniform(-1, 1, 3), rs.uniform(-1, 1, (3, 3))]
    module = load(HEADER + source)
    traced = load(TRACE_HEADER + instrument(source))
    f = module.f
    direction = rs.standard_normal(1 + 3 + 9)
    direction /= np.linalg.norm(direction)
    cot = 1.0
    h = 1e-5
    base = _flat(args)

    def at(t, fn=f):
        return fn(*_unflat(base + t * direction, args))

    traces = []
    try:
        values = []
        for t in (-2 * h, -h, 0.0, h, 2 * h):
            traced._TRACE.clear()
            values.append(at(t, traced.f))
            traces.append(list(traced._TRACE))
    except Exception as e:  # noqa: BLE001 - the program itself fails (overflow, ...)
        return "skipped", f"program raised {e!r}"
    if not all(isinstance(value, (float, np.floating)) and np.ndim(value) == 0 for value in values):
        return "skipped", "not a scalar result"
    if any(tr != traces[0] for tr in traces) or not np.all(np.isfinite(values)):
        return "skipped", "branch flip or non-finite value"
    fd = (values[0] - 8 * values[1] + 8 * values[3] - values[4]) / (12 * h)
    copies = [np.copy(a) for a in args]
    try:
        grad = ts.grad(f, wrt=(0, 1, 2))(*args)
        value, tangent = ts.jvp(f, wrt=(0, 1, 2))(*args, *_unflat(direction, args))
    except InternalError as e:
        return "internal", str(e)
    except TransformError as e:
        return "refused", str(e).splitlines()[0]
    except Exception:  # noqa: BLE001 - a crash inside the generated code
        return "crash", traceback.format_exc(limit=-3)
    if any(not np.array_equal(a, c) for a, c in zip(args, copies)):
        return "wrong", "an input was modified"
    try:  # (grad is specialized to the arguments:) the same gradient as the general code's
        general = ts.grad(f, wrt=(0, 1, 2), specialize=False)(*args)
    except Exception:  # noqa: BLE001
        return "crash", "specialize=False: " + traceback.format_exc(limit=-3)
    if np.max(np.abs(_flat(general) - _flat(grad)), initial=0.0) > 1e-11 * (1.0 + np.max(np.abs(_flat(grad)))):
        return "wrong", f"the specialized gradient {grad!r} is not the general code's {general!r}"
    if "for " in source:  # the loops checkpointed (a setting drawn): the same gradient as the full tape's
        setting = [1, 2, 3, "sqrt"][rs.randint(4)]
        try:
            again = ts.grad(f, wrt=(0, 1, 2), checkpoint=setting)(*args)
        except TransformError as e:  # refused for checkpointing (an effect in the loop: a helper's update) is right
            if "checkpointed loop" not in str(e):
                return "wrong", f"checkpoint={setting!r} refused what the full tape differentiates: {e}"
            again = grad
        except Exception:  # noqa: BLE001
            return "crash", f"checkpoint={setting!r}: " + traceback.format_exc(limit=-3)
        if np.max(np.abs(_flat(again) - _flat(grad)), initial=0.0) > 1e-11 * (1.0 + np.max(np.abs(_flat(grad)))):
            return "wrong", f"checkpoint={setting!r} gave {again!r}, the full tape {grad!r}"
    # finite differences judge only where they are one: steps of h and 2h agree, and derivatives
    # are under 1e8 (sums and differences of larger values have lost their digits); a crash or a
    # changed input is reported above whatever they say
    near, far = (values[3] - values[1]) / (2 * h), (values[4] - values[0]) / (4 * h)
    flat_grad = _flat(grad)
    if abs(near - far) > 1e-4 * max(1.0, abs(fd)) or np.max(np.abs(np.append(flat_grad, [tangent, fd]))) > 1e8:
        return "skipped", "finite differences cannot judge here"
    scale = max(1.0, abs(fd))
    problems = []
    if abs(value - values[2]) > 1e-12 * max(1.0, abs(value)):
        problems.append(f"jvp value {value} != f {values[2]}")
    if abs(tangent - fd) > 1e-6 * scale:
        problems.append(f"jvp {tangent} != finite difference {fd}")
    projected = float(np.dot(flat_grad, direction)) * cot
    if abs(projected - fd) > 1e-6 * scale:
        problems.append(f"<grad, v> {projected} != finite difference {fd}")
    return ("wrong", "; ".join(problems)) if problems else ("passed", "")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.cf_fuzz.generator")
    parser.add_argument("--programs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None)
    parser.add_argument("--show", action="store_true", help="print each program")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    counts = collections.Counter()
    out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout
    for k in range(args.programs):
        seed = args.seed + k
        source = Gen(seed).program()
        status, message = check(source, seed)
        counts[status] += 1
        if args.show or status in ("wrong", "crash", "internal"):
            out.write(f"=== seed {seed}: {status}\n{message}\n{source}\n")
            out.flush()
    print(dict(counts))
    return 0 if not (counts["wrong"] or counts["crash"] or counts["internal"]) else 1


if __name__ == "__main__":
    sys.exit(main())
