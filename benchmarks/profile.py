"""`python -m benchmarks.profile WORKLOAD [--mode grad|jvp]`: where the generated derivative spends its time.

Prints the generated code with, beside each statement, the share of the run time it
took (each statement is timed on its own, nested ones included, over many calls), so
the costly lines of the emitted code stand out.
"""

from __future__ import annotations

import argparse
import ast
import time

import tangent_src as ts

from .workloads import BY_NAME, arguments


class _Timed(ast.NodeTransformer):
    """Wraps every simple statement in `_t = _clock(); stmt; _spent[k] += _clock() - _t`."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def _wrap(self, stmt: ast.stmt) -> list[ast.stmt]:
        k = len(self.lines)
        self.lines.append(ast.unparse(stmt).splitlines()[0])
        start = ast.parse(f"_t{k} = _clock()").body
        stop = ast.parse(f"_spent[{k}] += _clock() - _t{k}").body
        return start + [stmt] + stop

    def block(self, body: list[ast.stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for stmt in body:
            if isinstance(stmt, (ast.If, ast.For, ast.While)):
                self.lines.append(ast.unparse(stmt).splitlines()[0])
                stmt.body = self.block(stmt.body)
                stmt.orelse = self.block(stmt.orelse)
                out.append(stmt)
            elif isinstance(stmt, (ast.Return, ast.Expr)) and isinstance(getattr(stmt, "value", None), ast.Constant):
                out.append(stmt)  # the docstring
            elif isinstance(stmt, ast.Return):
                out.append(stmt)
            else:
                out += self._wrap(stmt)
        return out


def profile(name: str, mode: str = "grad", calls: int = 200) -> str:
    workload = BY_NAME[name]
    args = arguments(workload)
    derivative = ts.grad(workload.function) if mode == "grad" else ts.jvp(workload.function)
    if mode == "jvp":
        import numpy as np

        rng = np.random.default_rng(1)
        tangent = tuple(rng.standard_normal(np.shape(a)) for a in args[0]) if isinstance(args[0], tuple) \
            else rng.standard_normal(np.shape(args[0]))
        args = args + (tangent,)
    tree = ast.parse(ts.source(derivative))
    function = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == derivative.__name__)
    timed = _Timed()
    function.body = timed.block(function.body)
    ast.fix_missing_locations(tree)
    spent = [0.0] * len(timed.lines)
    namespace = {**derivative.__globals__, "_clock": time.perf_counter, "_spent": spent}
    exec(compile(tree, f"<profiled {derivative.__name__}>", "exec"), namespace)  # noqa: S102
    instrumented = namespace[derivative.__name__]
    for _ in range(5):
        instrumented(*args)
    spent[:] = [0.0] * len(spent)
    start = time.perf_counter()
    for _ in range(calls):
        instrumented(*args)
    total = time.perf_counter() - start
    rows = [f"{derivative.__name__}: {total / calls * 1e6:,.1f} us per call (instrumented)"]
    for line, seconds in zip(timed.lines, spent):
        share = f"{seconds / total:6.1%}" if seconds else "      "
        rows.append(f"{share} {seconds / calls * 1e6:9.1f} us  {line}")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=sorted(BY_NAME))
    parser.add_argument("--mode", choices=("grad", "jvp"), default="grad")
    parser.add_argument("--calls", type=int, default=200)
    options = parser.parse_args()
    print(profile(options.workload, options.mode, options.calls))


if __name__ == "__main__":
    main()
