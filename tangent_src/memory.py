"""Memory of derivatives: `checkpoint` for functions, and `memory`, a report of what a derivative holds.

Stage: API (run time). Reverse mode keeps what its reverse sweep reads: outside loops the values
themselves, inside loops one record per trip on the loop's tape (transforms/reverse.py), so the
tapes of long loops are what a gradient's memory grows with. `memory(ts.grad(f), *args)` runs
the derivative twice: once under tracemalloc for its peak allocation, once watching its tapes
and snapshots (a trace function that looks at them after each line: slow, for reports only).

`@checkpoint` on a function of the user's says that a call of it keeps only its arguments in the
caller's forward sweep and runs it again in the reverse sweep. That is how tangent_src
differentiates every call of a function of the user's (the callee's vjp runs its forward sweep
again: transforms/reverse.py, `reverse_call`), except one with effects (random draws, output,
writes into its arguments), whose values cannot be computed again and which is run once, its
reverse sweep keeping what it computed (split mode). The decorator makes the first a promise:
a function so marked that has effects is refused, naming the call.
"""

from __future__ import annotations

import sys
import tracemalloc
from dataclasses import dataclass, field
from typing import Any, Callable

MARK = "__tangent_src_checkpoint__"


def checkpoint(fn: Callable) -> Callable:
    """Mark a function so that derivatives of its callers keep only its arguments and call it
    again in their reverse sweep; it runs unchanged when called. Refused, where a caller is
    differentiated, if it has effects (which cannot happen twice). See the module docstring."""
    setattr(fn, MARK, True)
    return fn


def is_checkpointed(fn: Any) -> bool:
    return bool(getattr(fn, MARK, False))


@dataclass
class Held:
    """What one tape (or one checkpointed loop's snapshots) held at most during the run."""

    function: str  # the generated function it belongs to
    name: str  # the tape's name in the generated code (`tape`, `tape_2`), or `checkpoints`
    loop: str  # the generated loop it records, as written there
    entries: int = 0  # the most records (or snapshots) held at a time
    bytes: int = 0  # the most bytes they held at a time (arrays' buffers, numbers)


@dataclass
class MemoryReport:
    """The peak memory a derivative allocated (tracemalloc) and what its tapes held at most."""

    peak: int
    held: list[Held] = field(default_factory=list)
    result: Any = None

    def __str__(self) -> str:
        lines = [f"peak traced allocation: {_size(self.peak)}"]
        if not self.held:
            return "\n".join(lines + ["no loop recorded anything"])
        lines.append(f"{'function':<24} {'held by':<14} {'at most':>8} {'bytes':>10}  loop")
        for h in self.held:
            what = "snapshots" if h.name.startswith("checkpoints") else "records"
            lines.append(f"{h.function:<24} {h.name:<14} {h.entries:>8} {_size(h.bytes):>10}  "
                         f"{h.loop}  ({what})")
        return "\n".join(lines)

    def _repr_html_(self) -> str:  # Jupyter
        import html

        return f"<pre>{html.escape(str(self))}</pre>"


def _size(count: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024  # type: ignore[assignment]
    return str(count)


def nbytes(value: Any) -> int:
    """The bytes a record holds: array buffers (numpy, cupy, anything with nbytes), numbers, and
    containers of them; shapes and other small Python values count 8 bytes an item."""
    size = getattr(value, "nbytes", None)
    if isinstance(size, int):
        return size
    itemsize = getattr(getattr(value, "dtype", None), "itemsize", None)
    if isinstance(itemsize, int) and isinstance(getattr(value, "size", None), int):
        return value.size * itemsize  # an array type without nbytes
    if isinstance(value, (tuple, list)):
        return sum(nbytes(v) for v in value)
    if isinstance(value, dict):
        return sum(nbytes(v) for v in value.values())
    return 8


def memory(derivative: Callable, *args: Any, **kwargs: Any) -> MemoryReport:
    """Run `derivative(*args, **kwargs)` and report its peak traced allocation (tracemalloc:
    numpy reports its buffers to it; a GPU array's device memory is not traced) and, per loop of
    the generated code, the most records its tape held and their bytes (and for a checkpointed
    loop, the most snapshots). The report prints as a table (and shows in Jupyter)."""
    made_for = getattr(derivative, "for_arguments", None)
    if made_for is not None:  # specialized: the code made for these arguments (made before measuring)
        derivative = made_for(args, kwargs)
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = derivative(*args, **kwargs)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        if started:
            tracemalloc.stop()
    watcher = _Watcher()
    previous = sys.gettrace()
    sys.settrace(watcher.call)
    try:
        derivative(*args, **kwargs)
    finally:
        sys.settrace(previous)
    return MemoryReport(peak, watcher.report(), result)


class _Watcher:
    """A trace function that, after each line of generated code, measures the tapes in its locals."""

    def __init__(self) -> None:
        self.held: dict[tuple[str, str], Held] = {}
        self.sizes: dict[int, tuple[list[int], list[int]]] = {}  # id(tape) -> (each record's bytes, [their sum])

    def call(self, frame: Any, event: str, arg: Any) -> Callable | None:
        if event == "call" and frame.f_code.co_filename.startswith("<tangent_src "):
            return self.line
        return None

    def line(self, frame: Any, event: str, arg: Any) -> Callable:
        for name, value in frame.f_locals.items():
            if name.startswith("tape") and isinstance(value, list):
                self.measure(frame, name, value, len(value), self.tape_bytes(value))
            elif name.startswith("checkpoints") and hasattr(value, "snapshots"):
                snapshots = value.snapshots
                self.measure(frame, name, value, len(snapshots), sum(nbytes(s) for s in snapshots.values()))
        return self.line

    def tape_bytes(self, tape: list) -> int:
        sizes, total = self.sizes.setdefault(id(tape), ([], [0]))
        while len(sizes) > len(tape):
            total[0] -= sizes.pop()
        while len(sizes) < len(tape):
            sizes.append(nbytes(tape[len(sizes)]))
            total[0] += sizes[-1]
        return total[0]

    def measure(self, frame: Any, name: str, value: Any, entries: int, size: int) -> None:
        key = (frame.f_code.co_name, name)
        if key not in self.held:
            self.held[key] = Held(frame.f_code.co_name, name, _loop_of(frame, name))
        held = self.held[key]
        held.entries = max(held.entries, entries)
        held.bytes = max(held.bytes, size)

    def report(self) -> list[Held]:
        return [h for h in self.held.values() if h.entries or h.name.startswith("tape")]


def _loop_of(frame: Any, name: str) -> str:
    """The first loop header after the line that binds the tape (or the checkpoints) in the code."""
    import linecache

    lines = linecache.getlines(frame.f_code.co_filename)
    start = frame.f_code.co_firstlineno - 1
    found = False
    for line in lines[start:]:
        text = line.strip()
        if text.startswith(f"{name} = "):
            found = True
        elif found and text.startswith(("for ", "while ")) and ".forward()" not in text:
            return text.rstrip(":")
    return "?"
