"""Source retrieval and parsing: function object -> libcst tree with positions.

Stage: frontend, first step. Output: the parsed function, a way to turn any of
its nodes into a `SourceSpan` in the user's real file, and the names visible to
it (globals, closure, builtins).
"""

from __future__ import annotations

import builtins
import inspect
import linecache
import textwrap
from dataclasses import dataclass
from typing import Any, Callable

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from ..errors import SourceSpan, UnsupportedSyntax


@dataclass
class ParsedFunction:
    """A user function's tree, where it came from, and what its names refer to."""

    node: cst.FunctionDef
    module: cst.Module
    positions: dict  # node -> CodeRange, from libcst's PositionProvider
    path: str
    first_line: int  # line in `path` of the snippet's first line
    indent: int  # columns removed by dedent
    globals: dict[str, Any]
    closure: dict[str, Any]

    def span(self, node: cst.CSTNode) -> SourceSpan | None:
        where: CodeRange | None = self.positions.get(node)
        if where is None:
            return None
        line = where.start.line + self.first_line - 1
        text = linecache.getline(self.path, line) or self.module.code.splitlines()[where.start.line - 1]
        return SourceSpan(
            self.path,
            line,
            where.start.column + self.indent,
            where.end.line + self.first_line - 1,
            where.end.column + self.indent,
            text,
        )

    def moved(self, new: cst.CSTNode, old: cst.CSTNode) -> cst.CSTNode:
        """A node a rewrite built from `old` sits where old does (so its errors name that place)."""
        if new is not old and old in self.positions:
            self.positions.setdefault(new, self.positions[old])
        return new

    def lookup(self, name: str) -> Any:
        """The object a free name of the function refers to (closure, global, builtin)."""
        for scope in (self.closure, self.globals, vars(builtins)):
            if name in scope:
                return scope[name]
        raise KeyError(name)


def parse_function(fn: Callable) -> ParsedFunction:
    """Parse a Python function's own source."""
    fn = inspect.unwrap(fn)
    try:
        lines, first_line = inspect.getsourcelines(fn)
    except (OSError, TypeError) as err:
        where = getattr(getattr(fn, "__code__", None), "co_filename", "")
        hint = "define the function in a file (or a notebook cell) so that inspect.getsource can find it"
        if where in ("<stdin>", "<string>") or where.startswith("<"):
            hint = (f"{getattr(fn, '__qualname__', fn)} was typed at the interactive prompt or made by exec "
                    f"(its code says {where}), which keeps no source: put it in a .py file and import it, "
                    "or use IPython or Jupyter, which keep each cell's source")
        raise UnsupportedSyntax(
            f"cannot read the source of {getattr(fn, '__qualname__', fn)!r}: {err}", hint=hint) from None
    raw = "".join(lines)
    source = textwrap.dedent(raw)
    indent = len(lines[0]) - len(lines[0].lstrip()) if source != raw else 0
    wrapper = MetadataWrapper(cst.parse_module(source))
    positions = dict(wrapper.resolve(PositionProvider))  # rewrites add the nodes they build
    node = wrapper.module.body[0]
    if not isinstance(node, cst.FunctionDef):
        raise UnsupportedSyntax(f"{fn.__qualname__} is not defined by a `def` statement",
                                hint="lambdas cannot be differentiated; write a def")
    closure = {}
    if fn.__closure__:
        closure = {n: c.cell_contents for n, c in zip(fn.__code__.co_freevars, fn.__closure__)}
    return ParsedFunction(
        node=node,
        module=wrapper.module,
        positions=positions,
        path=fn.__code__.co_filename,
        first_line=first_line,
        indent=indent,
        globals=fn.__globals__,
        closure=closure,
    )
