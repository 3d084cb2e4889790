"""`ts.graph`: the computational graph of a function, or of a derivative made by tangent_src.

Stage: API (on top of the pipeline, like higher.py). `graph(f)` normalizes f as the pipeline
does and draws its statements (codegen/graph.py); `graph(ts.grad(f))` (or value_and_grad, vjp,
jvp) draws the derivative's generated code, its forward and reverse sweeps side by side
(codegen/graph_sweeps.py). Nothing here is imported by `import tangent_src` beyond this module's
own few lines: the pipeline, black and graphviz are imported when a graph is asked for.

    g = ts.graph(ts.grad(f))
    g.svg()            # SVG text (needs Graphviz's `dot`: pip install 'tangent_src[graph]', apt-get install graphviz)
    g.dot()            # DOT text (needs neither)
    g.save("f.svg")    # .svg, .png, .pdf or .dot, by extension
"""

from __future__ import annotations

import ast
import inspect
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from .codegen.graph import Graph
    from .ir import Function
    from .pipeline import Derivative


def graph(fn: Callable) -> "Graph":
    """The computational graph of `fn`: a function of yours, or a derivative made by grad,
    value_and_grad, vjp or jvp (its general code, what `ts.source` shows without arguments).

    A function's nodes are its parameters and its statements in the normalized form, one
    operation per statement (`t1 = y ** 2`, `t2 = x + t1`, `out = np.sin(t2)`), in the names the
    generated code uses; its edges are the data dependencies. A derivative's statements are in
    two clusters, the forward sweep beside the reverse sweep (forward mode: the primal statements
    beside the tangent statements), each derivative statement with a dashed edge to the statement
    it differentiates. A loop is a cluster holding its body once (dotted edges carry values to the
    next trip); an `if`, a test node and a cluster per branch; a call of a function of yours, one
    node. Returns a Graph: `.svg()`, `.dot()`, `.save(path)`, and shown as SVG in Jupyter.
    """
    made = _made(fn)
    if made is None:
        from .api import _unbind

        return of_function(_unbind(fn).function)
    annotated = _annotated(made)
    return of_nodes(made.primal, list(annotated.nodes), annotated.numpy, name=annotated.name)


def of_function(fn: Callable) -> "Graph":
    """The graph of a function of the user's (a def or a lambda), normalized as the pipeline does;
    raises the TransformError that refuses it."""
    from .codegen.graph import primal_graph

    return primal_graph(_normalized(fn, strict=True))  # type: ignore[arg-type]


def of_nodes(primal: "Function | Callable | None", nodes: list[ast.FunctionDef], numpy: str,
             path: str | None = None, name: str | None = None, links: bool = False) -> "Graph":
    """The graph of one derivative among `nodes` (the derivative functions, callees first, made with
    annotate=True, as `tangent-src derive --html` makes them): the one named `name`, else the last
    whose name is grad_/value_and_grad_/vjp_/jvp_ and the primal function's name. primal: the user's
    function (or it normalized); path: the file its lines are numbered in (default: where it was
    read from). links=True: nodes link to the HTML page's lines (`#d12`)."""
    from .codegen.graph_sweeps import derivative_graph

    ir = primal if primal is None or hasattr(primal, "body") and hasattr(primal, "returns_tuple") \
        else _normalized(primal, strict=False)  # type: ignore[arg-type]
    if path is None:
        path = ir.span.path if ir is not None else (_source_file(primal) or "")  # type: ignore[arg-type]
    if name is None:
        base = ir.name if ir is not None else getattr(primal, "__name__", "")
        wanted = [f"{mode}_{base}" for mode in ("grad", "value_and_grad", "vjp", "jvp")]
        found = [n.name for n in nodes if n.name in wanted]
        name = found[-1] if found else nodes[-1].name
    return derivative_graph(nodes, numpy, name, ir, path, links)  # type: ignore[arg-type]


def _made(fn: Any) -> "Derivative | None":
    """The generated code of a derivative made by tangent_src (None: fn is no derivative)."""
    from .api import _Lazy
    from .specialization import Specialized

    while not isinstance(fn, (Specialized, _Lazy)) and "__tangent_src__" not in dir(fn) \
            and hasattr(fn, "__wrapped__"):
        fn = fn.__wrapped__  # a derivative wrapped by functools.wraps
    if isinstance(fn, Specialized):
        general = fn.general
        fn = fn._last if isinstance(general, _Lazy) and general._last is None and fn._last is not None else general
    if isinstance(fn, _Lazy) and fn._last is None:
        raise TypeError(f"the derivative of {fn.__name__} is made at its first call, for the functions and objects "
                        "it is given: call it once, then ask for its graph")
    return getattr(fn, "__tangent_src__", None)


def _annotated(made: "Derivative") -> "Derivative":
    """The same derivative made with annotate=True (whose markers say which line each statement
    comes from); where it cannot be made again, the derivative as it is."""
    from .codegen.annotate import MARK

    def marker(node: ast.AST) -> bool:
        return isinstance(node, ast.Constant) and str(node.value).startswith(MARK)

    if any(marker(n) for n in ast.walk(made.nodes[-1])):
        return made
    from . import pipeline

    has_aux = "returns (value, aux)" in (ast.get_docstring(made.nodes[-1]) or "")
    try:
        return pipeline.derive(made.primal, made.mode, made.wrt[0] if made.single else made.wrt, annotate=True,
                               has_aux=has_aux)
    except Exception:  # noqa: BLE001  (the graph then tells the statements apart by their names only)
        return made


def _normalized(fn: Callable, strict: bool) -> "Function | None":
    """fn in the normalized form (strict: raise what refuses it; else None)."""
    from . import pipeline
    from .frontend.source import parse_function

    try:
        return pipeline.normalized(parse_function(fn))
    except Exception:
        if strict:
            raise
        return None


def _source_file(fn: Callable) -> str | None:
    try:
        return inspect.getsourcefile(inspect.unwrap(fn))
    except TypeError:
        return None


__all__ = ["graph", "of_function", "of_nodes"]
