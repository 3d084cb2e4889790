"""The computational graph of a derivative: its two sides, and which statement each derivative
statement differentiates.

Stage: codegen (optional: `ts.graph(ts.grad(f))`, `tangent-src graph --derivative`). Input: the
derivative functions (ast, callees first) with the annotation markers (codegen/annotate.py), and
the normalized function they differentiate. Output: a `Graph` (codegen/graph.py) of the derivative
function, its statements in two clusters:

- reverse mode (grad, value_and_grad, vjp): the forward sweep (the primal statements and what
  they record for the reverse sweep) beside the reverse sweep (the seed, the adjoint statements,
  the tape read back), split where the first adjoint is defined;
- forward mode (jvp): the primal statements beside the tangent statements (those defining a
  tangent), which the code interleaves.

Each derivative statement has a dashed edge to the primal statement it differentiates. Which line
of the user's file each statement comes from is read the way the HTML page reads it
(codegen/html.py's `derivative_lines`, over the same formatted text, so the graph's `#d12` links
are the page's line numbers); among the statements of one line, the names tell which one: an
adjoint statement writes the adjoint `bu` of an operand u of its primal statement and reads the
adjoint `bz` of its result z; a tangent statement writes the tangent `dz` of its result.
"""

from __future__ import annotations

import ast
import re

from ..ir import Function
from .emit import definitions, format_module, import_lines
from .graph import LEGEND, Builder, Graph, Node, State, _rules, stored
from .html import derivative_lines

_SUFFIXES = {"b": "_bar", "d": "_dot"}  # (transforms/common.py's Names: x_bar / x_dot where bx would clash)
REVERSE_SIDES, FORWARD_SIDES = ("forward", "reverse"), ("primal", "tangent")


def derivative_graph(nodes: list[ast.FunctionDef], numpy: str, name: str, primal: Function | None, path: str,
                     links: bool = False) -> Graph:
    """The graph of the derivative function `name` among `nodes` (with their annotation markers);
    primal: the function it differentiates, normalized (None where it cannot be had: the derivative
    statements are then told apart by their names only). links: each node links to its line of
    the HTML page (`#d12` a derivative line, `#p7` a line of the user's file)."""
    main = _shown(nodes, numpy, name, path, links)
    forward = name.startswith("jvp_")
    prefix = "d" if forward else "b"
    own = _own_names(main, primal, prefix)
    sides = FORWARD_SIDES if forward else REVERSE_SIDES
    side = _forward_side(own) if forward else _reverse_side(main, own)
    graph = Graph(name)
    graph.legend += (LEGEND["link"], "grey: a derivative statement reading a primal value")
    if any(isinstance(s, (ast.For, ast.While)) for s in ast.walk(main)):
        graph.legend += (LEGEND["carried"],)
    builder = Builder(graph, side, _rules(primal.body) if primal is not None else {})
    state: State = {}
    params = [a.arg for a in main.args.args + main.args.kwonlyargs]
    primal_params = {p.name for p in primal.params} if primal is not None else \
        {p for p in params if _primal_of(p, prefix, own) is None}
    builder.inputs([(p, p) for p in params if p in primal_params], state, sides[0])
    builder.inputs([(p, p) for p in params if p not in primal_params], state, sides[1])
    builder.block(main.body, state, ())
    _link(graph, sides, prefix, own, forward)
    left = [n.id for n in graph.nodes.values() if n.cluster == (sides[0],) and n.kind == "input"]
    right = next((n.id for n in graph.nodes.values() if n.cluster == (sides[1],)), None)
    if left and right is not None:  # the sides side by side, in this order
        graph.aligned = (*left, right)
    return graph


def _shown(nodes: list[ast.FunctionDef], numpy: str, name: str, path: str, links: bool) -> ast.FunctionDef:
    """The derivative function as the HTML page shows it: formatted, without its markers, each
    statement knowing the line of the user's file it comes from (`line`) and its rule (`tooltip`)."""
    text = format_module("\n".join(import_lines(nodes, numpy)) + "\n\n\n" + definitions(nodes), comments=False)
    lines = derivative_lines(text, path)
    tree = ast.parse("\n".join(line.text for line in lines))
    main = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name), None)
    if main is None:
        raise KeyError(f"no derivative named {name!r} among {[n.name for n in nodes]}")
    for stmt in ast.walk(main):
        if isinstance(stmt, ast.stmt) and stmt is not main:
            shown = lines[stmt.lineno - 1]
            stmt.line = shown.origin  # type: ignore[attr-defined]
            note = " ".join(shown.note.split())
            stmt.tooltip = note if note else ""  # type: ignore[attr-defined]
            if links:
                stmt.href = f"#d{stmt.lineno}"  # type: ignore[attr-defined]
    return main


def _own_names(main: ast.FunctionDef, primal: Function | None, prefix: str) -> set[str]:
    """The names of the primal function (its values and their versions)."""
    if primal is not None:
        return set(primal.names) | {p.name for p in primal.params}
    stored_names = {n.id for n in ast.walk(main) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    stored_names |= {a.arg for a in main.args.args + main.args.kwonlyargs}
    return {n for n in stored_names if _primal_of(n, prefix, stored_names - {n}) is None}


def _primal_of(name: str, prefix: str, own: set[str]) -> str | None:
    """The value `name` is the adjoint (prefix b) or the tangent (prefix d) of: bx, x_bar, bx_2 -> x."""
    if name in own:
        return None
    for stem in (name, re.sub(r"_\d+$", "", name)):
        if stem.startswith(prefix) and stem[len(prefix):] in own:
            return stem[len(prefix):]
        suffix = _SUFFIXES[prefix]
        if stem.endswith(suffix) and stem[:-len(suffix)] in own:
            return stem[:-len(suffix)]
    return None


def _reverse_side(main: ast.FunctionDef, own: set[str]):  # noqa: ANN202
    """forward for the statements before the first that defines an adjoint (or seeds the result's),
    reverse for it and those after; the return statement in neither."""
    reverse: set[int] = set()
    started = False
    for stmt in main.body:
        started = started or _starts_reverse(stmt, own)
        if started:
            reverse.update(id(s) for s in ast.walk(stmt) if isinstance(s, ast.stmt))

    def side(stmt: ast.stmt) -> str | None:
        return None if isinstance(stmt, ast.Return) else "reverse" if id(stmt) in reverse else "forward"

    return side


def _starts_reverse(stmt: ast.stmt, own: set[str]) -> bool:
    for inner in ast.walk(stmt):
        if not isinstance(inner, ast.stmt):
            continue
        if any(_primal_of(n, "b", own) for n in stored(inner, {})):
            return True
        value = getattr(inner, "value", None)
        if isinstance(inner, ast.Expr) and isinstance(value, ast.Call) and isinstance(value.func, ast.Name) \
                and value.func.id == "scalar_seed":
            return True
    return False


def _forward_side(own: set[str]):  # noqa: ANN202
    """tangent for a statement defining a tangent, primal for the others (loop and if headers too)."""

    def side(stmt: ast.stmt) -> str | None:
        if isinstance(stmt, ast.Return):
            return None
        if isinstance(stmt, (ast.If, ast.For, ast.While)):
            return "primal"
        return "tangent" if any(_primal_of(n, "d", own) for n in stored(stmt, {})) else "primal"

    return side


def _link(graph: Graph, sides: tuple[str, str], prefix: str, own: set[str], forward: bool) -> None:
    """A dashed edge from each derivative node to the primal node it differentiates."""
    primal = [n for n in graph.nodes.values() if n.side == sides[0] and n.kind in ("input", "statement")]
    for node in [n for n in graph.nodes.values() if n.side == sides[1] and n.kind in ("input", "statement")]:
        target = _differentiated(node, primal, prefix, own, forward)
        if target is not None:
            graph.edge(node.id, target.id, "link")


def _differentiated(node: Node, primal: list[Node], prefix: str, own: set[str], forward: bool) -> Node | None:
    """Among the primal statements of the same line, the one whose names the derivative statement's
    match (see the module's docstring); a statement of no line (a seed, a zero adjoint, a parameter):
    the one defining the value whose derivative it defines."""
    written = {_primal_of(n, prefix, own) for n in node.defines} - {None}
    read = {_primal_of(n, prefix, own) for n in node.reads} - {None}
    candidates = [p for p in primal if node.line is not None and p.line == node.line and p.kind == "statement"]

    def score(p: Node) -> int:
        if not candidates:  # (no line)
            return 2 * bool(written & set(p.defines)) + bool(read & set(p.defines))
        if forward:
            return 2 * bool(written & set(p.defines)) + bool(read & set(p.reads))
        return 2 * bool(written & set(p.reads)) + bool(read & set(p.defines))

    pool = candidates or primal
    best = max((score(p) for p in pool), default=0)
    if best == 0:
        return candidates[0] if len(candidates) == 1 else None
    return [p for p in pool if score(p) == best][-1]


__all__ = ["derivative_graph"]
