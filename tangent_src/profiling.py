"""`ts.profile(derivative, *args)`: where a derivative's generated code spends its time, line by line.

The generated code is plain Python, so the standard line-profiling mechanism applies to it as to
any code: a trace function (`sys.settrace`) told of each line event of the frames of generated
code (their file names start with `<tangent_src `, as codegen/load.py names them), which adds the
`time.perf_counter` time since the frame's previous line event to that previous line. Frames of
other code (numpy's Python functions, the runtime helpers, the user's own functions the forward
sweep calls) are not traced line by line: their time goes to the generated line that called them.
`sys.settrace` works on every Python this project supports; on 3.12+ `sys.monitoring` would
trace with less overhead, but settrace is what 3.11 has and what the tests here can check.

The numbers are those of one traced run: the overhead of tracing (one Python call of the trace
function per line event, about 0.35 us measured on the benchmarks' 2-CPU machine: Rosenbrock's
scalar loop, 1888 line events, 0.1 ms untraced and 0.8 ms traced; the RNN's 4 ms, within the
noise) is included in the lines' times, not subtracted, so lines of cheap scalar work look
costlier, relative to lines of numpy work on large arrays, than they are untraced.
"""

from __future__ import annotations

import ast
import html
import linecache
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

GENERATED = "<tangent_src "  # how the file names of generated code start (codegen/load.py, higher.py)
_FACTORY = "__tangent_src_factory__"  # the def codegen/load.py wraps generated code in


@dataclass
class Line:
    """One line of a derivative's generated code: number (its def line is 1), hits (line events: a
    loop body's lines count its trips, a loop header one more), time (seconds over all hits, the
    time of what it calls included), share (percent of the function's time), memory (memory=True:
    the bytes it allocated and left allocated, net, over its hits; else None)."""

    number: int
    hits: int
    time: float
    share: float
    source: str
    memory: int | None = None

    @property
    def per_hit(self) -> float:
        return self.time / self.hits if self.hits else 0.0


@dataclass
class FunctionProfile:
    """The table of one generated function: its lines in source order, every one, run or not;
    total is its time over its calls (call to return, so the shares of its lines sum to about 100)."""

    name: str
    calls: int
    total: float
    lines: list[Line]
    memory: bool = False

    def __str__(self) -> str:
        return "\n".join(_text_rows(self))

    def _repr_html_(self) -> str:
        return _html_table(self)


@dataclass
class Profile(FunctionProfile):
    """What ts.profile returns: the top-level derivative's table, the tables of the derivatives of
    the user's functions it called (`callees`, in the order first called), and its `result`."""

    result: Any = None
    callees: list[FunctionProfile] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n\n".join(["\n".join(_text_rows(self))] + ["\n".join(_text_rows(c)) for c in self.callees])

    def _repr_html_(self) -> str:
        return "".join([_html_table(self)] + [_html_table(c) for c in self.callees])


def profile(derivative: Callable, *args: Any, memory: bool = False, **kwargs: Any) -> Profile:
    """Run `derivative(*args, **kwargs)` once, traced, and return its line profile (a Profile: it
    prints as a text table, shows as an HTML table in Jupyter, `.lines` holds the rows, `.result`
    what the derivative returned, the same as an untraced call returns).

    derivative: made by ts.grad, value_and_grad, vjp or jvp (ts.hvp too): anything else is refused
    with a TypeError, since only generated code is traced (ts.hessian and the Jacobians, Python
    loops over derivatives, too: profile the derivative they call). A derivative made
    for each call's arguments (specialize=True, the default) is made for these before the run, so
    making it is not in the profile; one made at its first call for the functions it is passed is
    made inside the run, its time outside the tables. The first call of a derivative may pay
    one-time costs (a helper's first import): call it once before profiling to leave them out.

    Callees: where the derivative calls the derivatives of the user's functions it calls (vjp_g,
    jvp_g), the calling line's time includes theirs (as line profilers count a call), and each of
    them gets a table of its own in `.callees`, over all its calls.

    memory=True also records, per line, the bytes allocated and still allocated after it, net
    (tracemalloc, started for the run where it is not tracing already; numpy reports its buffers
    to it, a GPU array's device memory is not traced); it slows the run. `memory` is profile's own
    keyword, never passed on to the derivative.

    Tracing: one call of a Python function per line event, whose time (about a microsecond) is
    counted in the line's time; the time of the frames of the user's own functions (the primal
    calls of a forward sweep) is counted in the generated line calling them. The trace function
    replaces any other (a debugger's, coverage's) for the run, and is restored after; only the
    calling thread is traced.
    """
    if not _is_derivative(derivative):
        raise TypeError(f"ts.profile profiles the generated code of a derivative: pass a derivative such as "
                        f"ts.grad(f) or ts.jvp(f), not {getattr(derivative, '__qualname__', derivative)!r}")
    made_for = getattr(derivative, "for_arguments", None)
    if made_for is not None:  # specialized: the code made for these arguments, made before the run
        derivative = made_for(args, kwargs)
    tracer = _Tracer(memory)
    result = tracer.run(derivative, args, kwargs)
    formatted = _formatted_source(derivative)
    tables = [_table(code, tracer.stats[code], memory, formatted)
              for code in tracer.order if _is_function(code)]
    if not tables:
        raise ValueError(f"{getattr(derivative, '__name__', derivative)!r} ran no generated Python code to profile "
                         "(code compiled by target='numba' runs no Python lines)")
    top = tables[0]
    return Profile(top.name, top.calls, top.total, top.lines, memory, result, tables[1:])


def _formatted_source(derivative: Callable) -> str | None:
    """The derivative's module as ts.source shows it (formatted by black): its def and those of the
    derivatives of the callees it calls (each loaded apart, so found by name); None where it has none."""
    made = getattr(derivative, "__tangent_src__", None)
    if made is None:
        return None
    try:
        return made.source
    except Exception:  # noqa: BLE001  (formatting is for people: without it, the code that runs is shown)
        return None


def _is_derivative(obj: Any) -> bool:
    """Whether obj is a derivative made here: a specialized or lazily made one, an object carrying
    its generated code (__tangent_src__), generated code itself, or any of them wrapped."""
    from .api import _Lazy
    from .specialization import Specialized

    for _ in range(16):
        if isinstance(obj, (Specialized, _Lazy)) or getattr(obj, "__tangent_src__", None) is not None:
            return True
        code = getattr(obj, "__code__", None)
        if code is not None and code.co_filename.startswith(GENERATED):
            return True
        obj = getattr(obj, "__wrapped__", None)
        if obj is None:
            return False
    return False


class _Stats:
    """What the frames of one code object added up: per line number, hits, seconds, net bytes."""

    __slots__ = ("calls", "total", "hits", "times", "bytes")

    def __init__(self, code: Any) -> None:
        self.calls, self.total = 0, 0.0
        numbers = {line for _, _, line in code.co_lines() if line is not None}
        # (every line filled in now: no dict grows during the run, which memory=True would count)
        self.hits: dict[int, int] = dict.fromkeys(numbers, 0)
        self.times: dict[int, float] = dict.fromkeys(numbers, 0.0)
        self.bytes: dict[int, int] = dict.fromkeys(numbers, 0)


class _Tracer:
    """The trace function: for each frame of generated code, a local tracer of its own (_frame) that
    keeps that frame's current line and when it started, so that a line calling another generated
    function is charged the whole call (its callee's lines are charged in the callee's frame)."""

    def __init__(self, memory: bool) -> None:
        self.memory = memory
        self.stats: dict[Any, _Stats] = {}
        self.order: list[Any] = []  # the code objects, in the order first entered (the derivative first)

    def run(self, derivative: Callable, args: tuple, kwargs: dict) -> Any:
        started = False
        if self.memory:
            import tracemalloc

            started = not tracemalloc.is_tracing()
            if started:
                tracemalloc.start()
        previous = sys.gettrace()
        sys.settrace(self.call)
        try:
            return derivative(*args, **kwargs)
        finally:
            sys.settrace(previous)
            if started:
                tracemalloc.stop()

    def call(self, frame: Any, event: str, arg: Any) -> Callable | None:
        code = frame.f_code
        if event != "call" or not code.co_filename.startswith(GENERATED) or code.co_name == _FACTORY:
            return None  # (the loader's factory runs where a derivative is made during the run)
        stats = self.stats.get(code)
        if stats is None:
            stats = self.stats[code] = _Stats(code)
            self.order.append(code)
        stats.calls += 1
        return self._frame(stats)

    def _frame(self, stats: _Stats) -> Callable:
        clock = time.perf_counter
        measure = _allocated() if self.memory else None
        hits, times, held = stats.hits, stats.times, stats.bytes
        state = [0, clock(), measure() if measure else 0]  # the current line, when it started, bytes then
        entered = state[1]

        def local(frame: Any, event: str, arg: Any) -> Callable:
            now = clock()
            line = state[0]
            if line:
                times[line] = times.get(line, 0.0) + (now - state[1])
            if measure is not None:
                allocated = measure()
                if line:
                    held[line] = held.get(line, 0) + allocated - state[2]
                state[2] = allocated
            if event == "line":
                line = state[0] = frame.f_lineno
                hits[line] = hits.get(line, 0) + 1
            elif event == "return":
                stats.total += now - entered
                state[0] = 0
            state[1] = now
            return local

        return local


def _allocated() -> Callable[[], int]:
    import tracemalloc

    return lambda: tracemalloc.get_traced_memory()[0]


def _is_function(code: Any) -> bool:
    """A def of the generated code (not a comprehension or a lambda in one: their time is their line's)."""
    return not code.co_name.startswith("<")


def _table(code: Any, stats: _Stats, memory: bool, formatted: str | None) -> FunctionProfile:
    """code's table: the rows of its def as ts.source shows it (formatted), each line that runs
    charged to the row of its statement."""
    rows, row_of = _rows(code, formatted)
    hits, times, held = [0] * len(rows), [0.0] * len(rows), [0] * len(rows)
    for number, count in stats.hits.items():
        row = row_of.get(number, 0)
        hits[row] = max(hits[row], count)  # (the lines of one statement over several: its hits)
        times[row] += stats.times.get(number, 0.0)
        held[row] += stats.bytes.get(number, 0)
    lines = [Line(k + 1, hits[k], times[k], 100.0 * times[k] / stats.total if stats.total else 0.0, text,
                  held[k] if memory else None) for k, text in enumerate(rows)]
    return FunctionProfile(code.co_name, stats.calls, stats.total, lines, memory)


def _rows(code: Any, formatted: str | None) -> tuple[list[str], dict[int, int]]:
    """The lines of code's def to show, and for each line number of the code that runs, its row.

    The code that runs is the unformatted text the loader compiled; ts.source shows it formatted
    by black, which keeps the statements (the same tree) and may spread one over several lines or
    change its spelling: the rows are that text's where it has the def, each running statement
    charged to the row of its first line; otherwise the compiled text's own lines."""
    loaded = linecache.getlines(code.co_filename)
    node = _def_of(ast.parse("".join(loaded)), code.co_name, code.co_firstlineno)
    if node is None:  # (not found: the lines the code has instructions on)
        numbers = [line for _, _, line in code.co_lines() if line is not None]
        last = max(numbers, default=code.co_firstlineno)
        return [loaded[k - 1].strip() for k in range(code.co_firstlineno, last + 1)], \
            {k: k - code.co_firstlineno for k in range(code.co_firstlineno, last + 1)}
    shown = _def_of(ast.parse(formatted), code.co_name) if formatted else None
    pairs = list(zip(_statements(node), _statements(shown))) if shown is not None else []
    if shown is None or len(_statements(node)) != len(_statements(shown)):
        shown, text, pairs = node, loaded, [(n, n) for n in _statements(node)]
    else:
        text = formatted.splitlines(True)
    row_of: dict[int, int] = {}
    for running, row in pairs:  # (outer statements first: an inner one's lines are its own)
        for number in range(running.lineno, (running.end_lineno or running.lineno) + 1):
            row_of[number] = row.lineno - shown.lineno
    return [_dedent(text[k - 1], shown.col_offset) for k in range(shown.lineno, (shown.end_lineno or 0) + 1)], row_of


def _def_of(tree: ast.Module, name: str, line: int | None = None) -> ast.FunctionDef | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == name and line in (None, node.lineno):
            return node
    return None


def _statements(node: ast.AST) -> list[ast.stmt]:
    return [n for n in ast.walk(node) if isinstance(n, ast.stmt)]


def _dedent(text: str, indent: int) -> str:
    text = text.rstrip("\n")
    return text[indent:] if not indent or text[:indent].isspace() else text.lstrip()


_HEADER = ("line", "hits", "time", "per hit", "%")


def _seconds(value: float) -> str:
    """A time with a unit that keeps three or four digits: 812 ns, 12.3 us, 4.56 ms, 1.23 s."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if value >= scale:
            number = value / scale
            return f"{number:.3g} {unit}" if number < 100 else f"{number:.0f} {unit}"
    return f"{value * 1e9:.0f} ns"


def _bytes(value: int) -> str:
    size = abs(value)
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{value / scale:+.3g} {unit}"
    return f"{value:+d} B" if value else "0 B"


def _cells(table: FunctionProfile, line: Line) -> list[str]:
    if not line.hits:
        cells = [str(line.number), "0", "", "", ""]
    else:
        cells = [str(line.number), str(line.hits), _seconds(line.time), _seconds(line.per_hit), f"{line.share:.1f}"]
    if table.memory:
        cells.append(_bytes(line.memory or 0) if line.hits else "")
    return cells


def _text_rows(table: FunctionProfile) -> list[str]:
    header = list(_HEADER) + (["memory"] if table.memory else [])
    cells = [_cells(table, line) for line in table.lines]
    widths = [max(len(h), *(len(c[k]) for c in cells)) for k, h in enumerate(header)]
    calls = "1 call" if table.calls == 1 else f"{table.calls} calls"
    rows = [f"{table.name}: {calls}, {_seconds(table.total)} (traced)",
            "  ".join(h.rjust(w) for h, w in zip(header, widths)) + "  source"]
    for line, row in zip(table.lines, cells):
        rows.append(("  ".join(c.rjust(w) for c, w in zip(row, widths)) + "  " + line.source).rstrip())
    return rows


def _html_table(table: FunctionProfile) -> str:
    header = list(_HEADER) + (["memory"] if table.memory else []) + ["source"]
    calls = "1 call" if table.calls == 1 else f"{table.calls} calls"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = []
    for line in table.lines:
        cells = "".join(f'<td style="text-align:right">{html.escape(c)}</td>' for c in _cells(table, line))
        source = f'<td style="text-align:left"><pre style="margin:0">{html.escape(line.source)}</pre></td>'
        body.append(f"<tr>{cells}{source}</tr>")
    return (f"<p><code>{html.escape(table.name)}</code>: {calls}, {_seconds(table.total)} (traced)</p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


__all__ = ["FunctionProfile", "Line", "Profile", "profile"]
