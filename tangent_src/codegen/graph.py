"""Computational graphs: the statements of a function, or of a derivative, as a picture.

Stage: codegen (optional: `ts.graph`, `tangent-src graph`). Input: a block of
Python statements in the form the generated code has (one operation per
statement; the normalized form of a user's function is turned into that form by
`primal_graph`). Output: a `Graph`: one node per statement, labelled with the
statement as the generated code spells it (and, for the user's statements, the
rule it applies), and one edge per data dependency (the statement defining a
value -> each statement reading it), as DOT text; Graphviz's `dot` lays it out
as SVG (or PNG), through the `graphviz` package (`pip install 'tangent_src[graph]'`)
and imported only then.

Control flow: a loop is a cluster labelled with its header (`for t in range(T)`)
holding its body once; the header is a node defining the loop variable, and a
dotted edge carries a value the body defines to the statements that read it on
the next trip. An `if` is a diamond node for its test, beside a cluster for each
branch; where the branches join, a statement after them reads the value from
both. A call of a function of the user's is one node (its own graph is that
function's). Derivatives (codegen/graph_sweeps.py) put their statements in one
cluster per side: the forward sweep beside the reverse sweep, or the primal
statements beside the tangent statements.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field
from typing import Callable

from ..ir import Apply, Effect, Function, If, Loop, Stmt

State = dict[str, frozenset[str]]  # name -> the nodes whose value it may hold here
Side = Callable[[ast.stmt], str | None]

_LABEL_WIDTH = 72  # characters of a statement shown in its node; the whole of it is the tooltip

_STYLES = {  # edge kind -> DOT attributes
    "data": 'color="#404040"',
    "reads": 'color="#a0a0a0", constraint=false',  # a derivative statement reads a primal value
    "carried": 'color="#3070c0", style=dotted, constraint=false',  # to the next trip of a loop
    "control": 'color="#b0b0b0", arrowhead=odot',  # an if's test -> the first statement of a branch
    "link": 'color="#d06000", style=dashed, constraint=false, arrowhead=empty',  # derivative -> its primal
}
_SHAPES = {
    "input": 'shape=ellipse, fillcolor="#e8f0ff"',
    "output": 'shape=ellipse, fillcolor="#e8ffe8"',
    "statement": "shape=box",
    "loop": 'shape=hexagon, fillcolor="#f4f4f4"',
    "test": 'shape=diamond, fillcolor="#f4f4f4"',
}
_SIDES = {  # a derivative's side -> its cluster's label and colour
    "forward": ("forward sweep", "#f3f7ff"),
    "reverse": ("reverse sweep", "#fff6ee"),
    "primal": ("primal statements", "#f3f7ff"),
    "tangent": ("tangent statements (forward mode)", "#f2fbf2"),
}
LEGEND = {
    "data": "solid: a value, from the statement defining it to one reading it",
    "carried": "dotted: a value carried to the next trip of the loop (whose body is shown once)",
    "link": "dashed: a derivative statement -> the statement it differentiates",
}


class GraphvizNotFound(RuntimeError):
    """Graphviz's `dot` program, which lays the graph out, is not installed."""


@dataclass
class Node:
    id: str
    label: str  # the statement, as the generated code writes it
    kind: str = "statement"  # input, output, statement, loop, test
    cluster: tuple = ()  # the clusters it sits in, outermost first (empty: the graph itself)
    defines: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()
    side: str | None = None
    line: int | None = None  # the line of the user's file it comes from (derivatives: from the markers)
    tooltip: str = ""
    href: str = ""  # a link (the HTML page's `#d12`, `#p7`)


@dataclass
class Edge:
    tail: str
    head: str
    kind: str = "data"  # data, reads, carried, control, link


@dataclass
class Graph:
    """A computational graph: `.dot()` its DOT text (no Graphviz needed), `.svg()` the picture
    (needs Graphviz's `dot`), `.save(path)` by the path's extension (.svg, .png, .pdf, .dot)."""

    title: str
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    clusters: dict[tuple, str] = field(default_factory=dict)  # key (its path) -> label
    legend: tuple[str, ...] = (LEGEND["data"],)
    # (a derivative's) the inputs of its left side, then the first node of its right side: an invisible
    # edge from the one to the other keeps the sides in that order, left to right
    aligned: tuple[str, ...] = ()

    def edge(self, tail: str, head: str, kind: str = "data") -> None:
        if tail != head and not any(e.tail == tail and e.head == head for e in self.edges):
            self.edges.append(Edge(tail, head, kind))

    def edges_of(self, kind: str) -> list[tuple[str, str]]:
        return [(e.tail, e.head) for e in self.edges if e.kind == kind]

    # ------------------------------------------------------------------ DOT text

    def dot(self) -> str:
        """The graph in Graphviz's DOT language."""
        lines = [f"digraph {_quote(self.title)} {{",
                 f'  graph [rankdir=TB, fontname="Helvetica", fontsize=11, labeljust=l, '
                 f'labelloc=b, label="{_legend(self.legend)}"];',
                 '  node [shape=box, style="rounded,filled", fillcolor=white, fontname="Courier", fontsize=10, '
                 'margin="0.12,0.04", height=0.3];',
                 '  edge [arrowsize=0.6];']
        lines += self._cluster_lines((), "  ")
        if len(self.aligned) > 1:  # (not rank=same: across clusters it needs newrank, which swaps the sides)
            lines.append(f"  {_quote(self.aligned[-2])} -> {_quote(self.aligned[-1])} [style=invis];")
        for e in self.edges:
            lines.append(f"  {_quote(e.tail)} -> {_quote(e.head)} [class={e.kind}, {_STYLES[e.kind]}];")
        lines.append("}")
        return "\n".join(lines) + "\n"

    @property
    def source(self) -> str:
        """The DOT text (as graphviz.Source has it)."""
        return self.dot()

    def _cluster_lines(self, key: tuple, indent: str) -> list[str]:
        lines = [indent + self._node_line(n) for n in self.nodes.values() if n.cluster == key]
        for child, label in self.clusters.items():
            if len(child) != len(key) + 1 or child[:len(key)] != key:
                continue
            side = _SIDES.get(child[0]) if len(child) == 1 else None
            fill = side[1] if side else "#fcfcfc"
            lines.append(f"{indent}subgraph {_quote('cluster_' + '_'.join(map(str, child)))} {{")
            lines.append(f'{indent}  graph [label={_quote(label)}, labeljust=l, labelloc=t, style="rounded,filled", '
                         f'fillcolor="{fill}", color="#909090", fontsize={12 if side else 10}];')
            lines += self._cluster_lines(child, indent + "  ")
            lines.append(indent + "}")
        return lines

    def _node_line(self, node: Node) -> str:
        attributes = [f"label={_quote(node.label)}", f"class={node.kind}", _SHAPES[node.kind]]
        if node.tooltip:
            attributes.append(f"tooltip={_quote(node.tooltip)}")
        if node.href:
            attributes.append(f"href={_quote(node.href)}")
        return f"{_quote(node.id)} [{', '.join(attributes)}];"

    # ------------------------------------------------------------------ pictures

    def pipe(self, format: str = "svg") -> bytes:
        """The graph laid out by Graphviz's `dot`, in `format` (svg, png, pdf, ...)."""
        graphviz = _graphviz()
        try:
            return graphviz.Source(self.dot()).pipe(format=format)
        except graphviz.ExecutableNotFound:
            raise GraphvizNotFound(
                "drawing the graph needs Graphviz's `dot` program, which is not on PATH: install Graphviz "
                "(Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz; conda: conda install "
                "-c conda-forge graphviz); .dot() gives the DOT text without it") from None

    def svg(self) -> str:
        """The graph as SVG text."""
        return self.pipe("svg").decode("utf-8")

    def _repr_svg_(self) -> str:  # (IPython/Jupyter)
        return self.svg()

    def save(self, path: str | os.PathLike) -> str:
        """Write the graph to `path`: .svg, .png, .pdf (laid out by `dot`), or .dot/.gv (the DOT text)."""
        path = os.fspath(path)
        extension = os.path.splitext(path)[1].lower().lstrip(".")
        if extension in ("dot", "gv"):
            content: bytes = self.dot().encode("utf-8")
        elif extension in ("svg", "png", "pdf"):
            content = self.pipe(extension)
        else:
            raise ValueError(f"cannot tell the format of {path!r} from its extension: use .svg, .png, .pdf or .dot")
        with open(path, "wb") as stream:
            stream.write(content)
        return path

    def __repr__(self) -> str:
        return f"<Graph {self.title!r}: {len(self.nodes)} nodes, {len(self.edges)} edges>"


def _graphviz():  # noqa: ANN202
    try:
        import graphviz
    except ImportError:
        raise ImportError("drawing the graph needs the graphviz Python package: pip install 'tangent_src[graph]' "
                          "(and Graphviz's `dot` program); .dot() gives the DOT text without either") from None
    return graphviz


def _legend(lines: tuple[str, ...]) -> str:
    """The legend's lines, each left-justified (DOT's \\l ends a line flush left)."""
    return "".join(_quote(line)[1:-1] + "\\l" for line in lines)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def shorten(text: str, width: int = _LABEL_WIDTH) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


# ---------------------------------------------------------------------- building


class Builder:
    """Statements -> nodes and dependency edges, added to a Graph.

    side: which cluster of a derivative a statement belongs to (None: no such clusters).
    rules: (name, its value as ast.unparse writes it) -> the rule of the statement (shown under it)."""

    def __init__(self, graph: Graph, side: Side | None = None, rules: dict[tuple[str, str], str] | None = None):
        self.graph = graph
        self.side = side or (lambda stmt: None)
        self.rules = rules or {}
        self.made: dict[int, str] = {}  # id(statement) -> its node
        self.carrying = False  # the second walk of a loop's body: new edges are carried to the next trip
        self._labels: dict[object, str] = {side: label for side, (label, _) in _SIDES.items()}  # cluster key -> label
        self._keys: list[object] = []  # the objects `made` is keyed by, kept alive (their ids stay theirs)

    def node(self, key: object, base: str, label: str, kind: str, where: tuple, side: str | None,
             defines: tuple[str, ...] = (), reads: tuple[str, ...] = ()) -> str:
        if id(key) in self.made:
            return self.made[id(key)]
        name, k = base, 1
        while name in self.graph.nodes:
            k += 1
            name = f"{base}#{k}"
        cluster = ((side,) if side else ()) + where
        for depth in range(1, len(cluster) + 1):
            self.graph.clusters.setdefault(cluster[:depth], self._labels.get(cluster[depth - 1], ""))
        self.graph.nodes[name] = Node(name, label, kind, cluster, defines, reads, side, getattr(key, "line", None),
                                      getattr(key, "tooltip", ""), getattr(key, "href", ""))
        self.made[id(key)] = name
        self._keys.append(key)
        return name

    def inputs(self, names: list[tuple[str, str]], state: State, side: str | None = None) -> None:
        """Parameters: (name, label) each, a node defining the name."""
        for name, label in names:
            state[name] = frozenset([self.node(_Key(name), name, label, "input", (), side, (name,))])

    def block(self, stmts: list[ast.stmt], state: State, where: tuple) -> State:
        for stmt in stmts:
            if _skipped(stmt):
                continue
            if isinstance(stmt, ast.If):
                state = self._if(stmt, state, where)
            elif isinstance(stmt, (ast.For, ast.While)):
                state = self._loop(stmt, state, where)
            else:
                self._simple(stmt, state, where)
        return state

    def _simple(self, stmt: ast.stmt, state: State, where: tuple) -> str:
        defines, reads = stored(stmt, state), read(stmt)
        text = shorten(ast.unparse(stmt))
        rule = self.rules.get((defines[0], ast.unparse(stmt.value))) \
            if defines and isinstance(stmt, ast.Assign) and self.side(stmt) in (None, "forward", "primal") else None
        label = text + (f"\n{rule}" if rule else "")
        kind = "output" if isinstance(stmt, ast.Return) else "statement"
        base = defines[0] if defines else "return" if kind == "output" else f"{type(stmt).__name__.lower()}"
        if not getattr(stmt, "tooltip", ""):
            stmt.tooltip = " ".join(ast.unparse(stmt).split())  # type: ignore[attr-defined]
        me = self.node(stmt, base, label, kind, where, self.side(stmt), defines, reads)
        self._reads(me, reads, state)
        for name in defines:
            state[name] = frozenset([me])
        return me

    def _reads(self, me: str, names: tuple[str, ...], state: State) -> None:
        side = self.graph.nodes[me].side
        for name in names:
            for tail in sorted(state.get(name, ())):
                kind = "carried" if self.carrying else \
                    "reads" if side in ("reverse", "tangent") and self.graph.nodes[tail].side in ("forward", "primal") \
                    else "data"
                self.graph.edge(tail, me, kind)

    def _if(self, stmt: ast.If, state: State, where: tuple) -> State:
        reads = tuple(sorted(_names(stmt.test)))
        test = self.node(stmt, "if", f"if {shorten(ast.unparse(stmt.test))}", "test", where, self.side(stmt),
                         reads=reads)
        self._reads(test, reads, state)
        outs = []
        for branch, block in (("then", stmt.body), ("else", stmt.orelse)):
            key = (branch, id(stmt))
            self._labels[key] = f"if {shorten(ast.unparse(stmt.test), 40)}" if branch == "then" else "else"
            before = len(self.graph.nodes)
            outs.append(self.block(block, dict(state), where + (key,)))
            first = list(self.graph.nodes)[before:before + 1]
            if first:
                self.graph.edge(test, first[0], "control")
        return _merge(*outs)

    def _loop(self, stmt: ast.For | ast.While, state: State, where: tuple) -> State:
        if isinstance(stmt, ast.For):
            header = f"for {ast.unparse(stmt.target)} in {shorten(ast.unparse(stmt.iter), 48)}"
            defines, reads = stored(stmt, state), tuple(sorted(_names(stmt.iter)))
        else:
            header = f"while {shorten(ast.unparse(stmt.test), 48)}"
            defines, reads = (), tuple(sorted(_names(stmt.test)))
        exits = getattr(stmt, "exits", [])
        if exits:
            header += "  (until " + " or ".join(ast.unparse(e) for e in exits) + ")"
        key = ("loop", id(stmt))
        self._labels[key] = f"{header}  (body shown once)"
        inside = where + (key,)
        entry = state
        for trip in (0, 1):  # twice: the second walk finds the values carried from one trip to the next
            carrying, self.carrying = self.carrying, self.carrying or trip == 1
            state = dict(_merge(entry, state) if trip else entry)
            state = self.block(getattr(stmt, "test_body", []), state, inside)
            me = self.node(stmt, defines[0] if defines else "while", header, "loop", inside, self.side(stmt),
                           defines, reads)
            self._reads(me, reads, state)
            for name in defines:
                state[name] = frozenset([me])
            state = self.block(stmt.body, state, inside)
            self.carrying = carrying
        return _merge(entry, state)


@dataclass
class _Key:
    """A node that is no statement (a parameter)."""

    name: str


def _merge(*states: State) -> State:
    out: State = {}
    for state in states:
        for name, nodes in state.items():
            out[name] = out.get(name, frozenset()) | nodes
    return out


def _skipped(stmt: ast.stmt) -> bool:
    """A docstring, an annotation marker, `pass`, or the argument check of the generated code."""
    if isinstance(stmt, ast.Pass):
        return True
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
        return True
    value = getattr(stmt, "value", None)
    return isinstance(stmt, ast.Expr) and isinstance(value, ast.Call) and isinstance(value.func, ast.Name) \
        and value.func.id == "check_real"


def _names(node: ast.AST | None) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} if node is not None else set()


def _bases(target: ast.expr) -> list[tuple[str, bool]]:
    """The names an assignment target binds: (name, whole), whole False for `v[i] = ...`, `v.a = ...`."""
    if isinstance(target, ast.Name):
        return [(target.id, True)]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [b for e in target.elts for b in _bases(e)]
    if isinstance(target, ast.Starred):
        return _bases(target.value)
    if isinstance(target, (ast.Subscript, ast.Attribute)):
        return [(name, False) for name, _ in _bases(target.value)]
    return []


def stored(stmt: ast.stmt, state: State) -> tuple[str, ...]:
    """The names a statement defines (a write into `v[i]`, or `v.append(...)`, defines v anew)."""
    targets: list[ast.expr] = []
    if isinstance(stmt, ast.Assign):
        targets = list(stmt.targets)
    elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign, ast.For)):
        targets = [stmt.target]
    elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) \
            and isinstance(stmt.value.func, ast.Attribute) and isinstance(stmt.value.func.value, ast.Name) \
            and stmt.value.func.value.id in state:
        targets = [stmt.value.func.value]  # a method changing its object: `tape.append(...)`
    return tuple(dict.fromkeys(name for t in targets for name, _ in _bases(t)))


def read(stmt: ast.stmt) -> tuple[str, ...]:
    """The names a simple statement reads (a partial write reads the object it writes into)."""
    names = set()
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name) and not isinstance(getattr(node, "ctx", None), ast.Store):
            names.add(node.id)
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] \
        if isinstance(stmt, (ast.AugAssign, ast.AnnAssign)) else []
    for target in targets:
        names.update(name for name, whole in _bases(target) if not whole or isinstance(stmt, ast.AugAssign))
    return tuple(sorted(names))


# ---------------------------------------------------------------------- a user's function


def primal_graph(fn: Function, href: Callable[[int], str] | None = None) -> Graph:
    """The graph of a normalized function: its parameters, its statements, its result."""
    graph = Graph(fn.name)
    if any(isinstance(s, Loop) for s in fn.body) or _nested_loop(fn.body):
        graph.legend += (LEGEND["carried"],)
    builder = Builder(graph, rules=_rules(fn.body))
    state: State = {}
    builder.inputs([(p.name, p.name if p.default is None else f"{p.name}={p.default}") for p in fn.params], state)
    body = statements(fn.body, href)
    returned = fn.returns[0] if len(fn.returns) == 1 and not fn.returns_tuple else ast.Tuple(list(fn.returns))
    body.append(ast.Return(returned))
    builder.block(body, state, ())
    return graph


def _nested_loop(block: list[Stmt]) -> bool:
    return any(isinstance(s, Loop) or isinstance(s, If) and (_nested_loop(s.body) or _nested_loop(s.orelse))
               for s in block)


def _rules(block: list[Stmt]) -> dict[tuple[str, str], str]:
    """(name, value) -> the key of the rule of the statement `name = value` in a normalized block
    (copies and constants, whose rules say nothing, left out)."""
    from ..ir import walk

    return {(s.targets[0], ast.unparse(s.primal)): s.rule.key for s in walk(block)
            if isinstance(s, Apply) and s.rule.key not in ("identity", "constant")}


def statements(block: list[Stmt], href: Callable[[int], str] | None = None) -> list[ast.stmt]:
    """A normalized block as the Python statements the generated code writes for it."""
    out: list[ast.stmt] = []
    for stmt in block:
        if isinstance(stmt, Apply):
            target: ast.expr = ast.Name(stmt.target, ast.Store()) if len(stmt.targets) == 1 else \
                ast.Tuple([ast.Name(t, ast.Store()) for t in stmt.targets], ast.Store())
            made: ast.stmt = ast.Assign([target], stmt.primal, lineno=0)
            made.tooltip = f"{stmt.rule.key}; from: {' '.join(stmt.source.split())}" if stmt.source else ""  # type: ignore
        elif isinstance(stmt, Effect):
            made = stmt.statement
        elif isinstance(stmt, If):
            made = ast.If(stmt.test, statements(stmt.body, href), statements(stmt.orelse, href))
        elif stmt.kind == "for":
            made = ast.For(ast.Name(stmt.target or "_", ast.Store()), stmt.iterable,
                           statements(stmt.body + list(stmt.carry), href), [], lineno=0)
        else:
            made = ast.While(stmt.test if stmt.test is not None else ast.Constant(True),
                             statements(stmt.body + list(stmt.carry), href), [])
            made.test_body = statements(stmt.test_body, href)  # type: ignore[attr-defined]
        if isinstance(stmt, Loop):
            made.exits = list(stmt.exits)  # type: ignore[attr-defined]
        if stmt.span is not None:
            made.line = stmt.span.line  # type: ignore[attr-defined]
            if href is not None:
                made.href = href(stmt.span.line)  # type: ignore[attr-defined]
        out.append(made)
    return out


__all__ = ["Builder", "Edge", "Graph", "GraphvizNotFound", "LEGEND", "Node", "primal_graph", "read", "shorten",
           "statements", "stored"]
