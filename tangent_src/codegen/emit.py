"""Emission: ast function -> black-formatted source text.

Stage: codegen, last before loading. Input: the name, parameters, docstring,
body and return expression of a derivative function. Output: module source
text: the imports it needs, then the function.
"""

from __future__ import annotations

import ast
import types

from ..ir import names_in
from .annotate import markers_to_comments
from ..transforms.common import HELPERS

LINE_LENGTH = 88  # black's, for the code shown and written


def function_def(name: str, params: list[tuple[str, str | None]], kwonly: list[tuple[str, str | None]],
                 docstring: str, body: list[ast.stmt], returned: ast.expr) -> ast.FunctionDef:
    """A def with the given (name, default source) parameters, docstring, body and return."""
    defaults = [_expr(d) for _, d in params if d is not None]
    if defaults and len(defaults) != len(params) - [d is not None for _, d in params].index(True):
        defaults = []  # defaults must be trailing; anything else keeps them off
    arguments = ast.arguments(
        posonlyargs=[], args=[ast.arg(p) for p, _ in params], vararg=None,
        kwonlyargs=[ast.arg(p) for p, _ in kwonly], kw_defaults=[_expr(d) if d else None for _, d in kwonly],
        kwarg=None, defaults=defaults,
    )
    statements = [ast.Expr(ast.Constant(docstring)), *body, ast.Return(returned)]
    fields = {"name": name, "args": arguments, "body": statements, "decorator_list": [], "returns": None}
    if "type_params" in ast.FunctionDef._fields:
        fields["type_params"] = []
    return ast.fix_missing_locations(ast.FunctionDef(**fields))


def _expr(text: str | None) -> ast.expr | None:
    return ast.parse(text, mode="eval").body if text is not None else None


def helpers_used(node: ast.AST) -> list[str]:
    return sorted(names_in(node) & HELPERS)


def module_source(nodes: list[ast.FunctionDef], numpy: str, names: dict[str, object] | None = None,
                  formatted: bool = True) -> str:
    """The functions as a module: imports of numpy, the runtime helpers and the other names
    the rules used (a user's helper functions), then the defs; formatted by black for people to
    read (`formatted=False`: as ast.unparse writes it, for the code that is only loaded)."""
    lines = import_lines(nodes, numpy, names)
    helpers = sorted(set().union(*(helpers_used(n) for n in nodes)))
    if helpers:
        lines.append(f"from tangent_src.runtime import {', '.join(helpers)}")
    text = "\n".join(lines) + "\n\n\n" + definitions(nodes)
    return format_module(text) if formatted else text


def import_lines(nodes: list[ast.FunctionDef], numpy: str, names: dict[str, object] | None = None) -> list[str]:
    """Imports of numpy, math (where used) and the names custom rules' templates use."""
    lines = [f"import numpy as {numpy}" if numpy != "numpy" else "import numpy"]
    for name, obj in sorted((names or {}).items()):
        module = getattr(obj, "__module__", None)
        if isinstance(obj, types.ModuleType) and name != "math":  # `import numpy.linalg as la` in the function
            lines.append(f"import {obj.__name__}" + (f" as {name}" if name != obj.__name__ else ""))
        elif module and getattr(obj, "__name__", None) == name:
            lines.append(f"from {module} import {name}")
    if any("math" in names_in(n) for n in nodes):
        lines.insert(0, "import math")
    return lines


def definitions(nodes: list[ast.FunctionDef]) -> str:
    """The defs, unformatted, two blank lines apart."""
    return "\n\n\n".join(_unparse(n) for n in nodes) + "\n"


def format_module(text: str, comments: bool = True) -> str:
    """black, then the annotation markers as comments (or left as they are, for the HTML page)."""
    import black  # (imported here: loading a derivative needs no formatting)

    formatted = black.format_str(text, mode=black.Mode(line_length=LINE_LENGTH))
    return markers_to_comments(formatted) if comments else formatted


def _unparse(node: ast.FunctionDef) -> str:
    """ast.unparse, but `return a, b` rather than `return (a, b)`, as people write it."""
    last = node.body[-1]
    if not (isinstance(last, ast.Return) and isinstance(last.value, ast.Tuple) and len(last.value.elts) > 1):
        return ast.unparse(node)
    *head, _ = ast.unparse(node).splitlines()  # unparse writes the return on one line
    return "\n".join(head) + "\n    return " + ", ".join(ast.unparse(e) for e in last.value.elts)
