"""What the HTML page says about the code it shows: the rule behind each derivative line, the
runtime helpers the derivatives call, and the user's functions they reach in other files.

Stage: codegen (optional, for codegen/html.py). Input: statements of formatted derivative
code (text), the derivative functions (ast) and the user's functions. Output: plain strings
and lists; no HTML. The rule table is read through its lookup, as the transforms read it.
"""

from __future__ import annotations

import ast
import inspect
import os
import pkgutil
import textwrap
import types

from .. import runtime
from ..rules import registry
from .annotate import one_line

_BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "truediv", ast.FloorDiv: "floordiv",
           ast.Pow: "pow", ast.MatMult: "matmul", ast.Mod: "mod", ast.BitAnd: "and_", ast.BitOr: "or_",
           ast.BitXor: "xor"}
_UNARY = {ast.USub: "neg", ast.UAdd: "pos", ast.Not: "not_", ast.Invert: "invert"}
_COMPARE = {ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge", ast.Eq: "eq", ast.NotEq: "ne",
            ast.Is: "is_", ast.IsNot: "is_not", ast.In: "contains", ast.NotIn: "not_contains"}


def primal_note(statement: str, numpy: str, reverse: bool, source: str, line: int | None) -> str:
    """The tooltip of a primal statement in derivative code (a forward-sweep copy in reverse mode,
    the value beside its tangent in forward mode): the user's statement, and the primitive's rule."""
    doc = primitive_doc(statement, numpy)
    role = "forward sweep: the primal value, kept for the reverse sweep" if reverse else \
        "the primal value, beside its tangent"
    what = f"{role}; {doc}" if doc else role
    if source:
        return f"from: {source}   ({what})"
    return f"from line {line}   ({what})" if line is not None else what


def primitive_doc(statement: str, numpy: str) -> str:
    """The first line of the rule's docstring for the primitive a one-primitive statement applies."""
    try:
        body = ast.parse(textwrap.dedent(statement)).body
    except SyntaxError:
        return ""
    value = getattr(body[0], "value", None) if body else None
    if value is None:
        return ""
    rule = registry.lookup(_key(value, numpy) or "")
    if rule is not None:
        return one_line(rule.doc.splitlines()[0]) if rule.doc else rule.key
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
        return f"a call of {value.func.id}"
    if isinstance(value, (ast.Name, ast.Constant, ast.Tuple, ast.List)):
        return "a copy of a value, or a constant"
    return ""


def _key(value: ast.expr, numpy: str) -> str | None:
    """The rule table's key for the primitive an expression applies (`numpy.tanh`, `operator.mul`)."""
    if isinstance(value, ast.BinOp):
        return f"operator.{_BINARY.get(type(value.op), '')}"
    if isinstance(value, ast.UnaryOp):
        return f"operator.{_UNARY.get(type(value.op), '')}"
    if isinstance(value, ast.Compare) and len(value.ops) == 1:
        return f"operator.{_COMPARE.get(type(value.ops[0]), '')}"
    if isinstance(value, ast.Subscript):
        return "getitem"
    if isinstance(value, ast.Attribute):
        dotted = _dotted(value, numpy)
        return dotted if dotted is not None else registry.attribute(value.attr)
    if not isinstance(value, ast.Call):
        return None
    dotted = _dotted(value.func, numpy)
    if dotted is not None:
        return dotted
    if isinstance(value.func, ast.Attribute):  # x.sum(): a method
        found = registry.method(value.func.attr)
        return found.key if found is not None else None
    if isinstance(value.func, ast.Name):
        helper = getattr(runtime, value.func.id, None)
        if helper is not None and hasattr(helper, "__module__"):
            return f"{helper.__module__}.{value.func.id}"
        return f"builtins.{value.func.id}"
    return None


def _dotted(node: ast.expr, numpy: str) -> str | None:
    """`np.linalg.inv` -> `numpy.linalg.inv` (numpy spelled by its alias in the derivative code)."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id in (numpy, "numpy") and parts:
        return ".".join(["numpy", *reversed(parts)])
    if isinstance(node, ast.Name) and node.id == "math" and parts:
        return ".".join(["math", *reversed(parts)])
    return None


# ------------------------------------------------------------------ runtime helpers


def runtime_helpers(names: set[str]) -> list[tuple[str, object]]:
    """The runtime helpers (functions and classes of tangent_src/runtime) among `names`, sorted."""
    found = []
    for name in sorted(names):
        value = _runtime_object(name)
        if value is not None:
            found.append((name, value))
    return found


def _runtime_object(name: str) -> object | None:
    modules = [runtime] + [_submodule(info.name) for info in pkgutil.iter_modules(runtime.__path__)]
    for module in modules:
        value = getattr(module, name, None) if module is not None else None
        if (inspect.isfunction(value) or inspect.isclass(value)) and \
                getattr(value, "__module__", "").startswith(runtime.__name__):
            return value
    return None


def _submodule(name: str) -> types.ModuleType | None:
    import importlib

    try:
        return importlib.import_module(f"{runtime.__name__}.{name}")
    except ImportError:  # (a helper module whose own imports are missing: its helpers are not shown)
        return None


def first_paragraph(obj: object) -> str:
    """The first paragraph of an object's docstring, on one line."""
    doc = inspect.getdoc(obj) or ""
    return " ".join(doc.split("\n\n")[0].split())


def helper_source(obj: object) -> str:
    """The helper's source, as written in tangent_src/runtime."""
    try:
        return textwrap.dedent(inspect.getsource(obj)).rstrip("\n")
    except (OSError, TypeError):
        return ""


# ------------------------------------------------------------------ the user's functions


def callees(functions: list, derivative_names: set[str]) -> list:
    """The functions asked for, then every function of the user's they reach (in any file) that
    has a derivative on the page (`vjp_layer`, `jvp_layer_W` for `layer`)."""
    shown = list(functions)
    index = 0
    while index < len(shown):
        fn = inspect.unwrap(shown[index])
        index += 1
        namespace = getattr(fn, "__globals__", {})
        for name in _names_read(getattr(fn, "__code__", None)):
            value = namespace.get(name)
            if not inspect.isfunction(value) or value in shown or not _derived(value.__name__, derivative_names):
                continue
            if source_file(value) is not None:
                shown.append(value)
    return shown


def _names_read(code: types.CodeType | None) -> list[str]:
    if code is None:
        return []
    names = list(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):  # comprehensions and nested functions
            names += _names_read(constant)
    return list(dict.fromkeys(names))


def _derived(name: str, derivative_names: set[str]) -> bool:
    return any(n == f"{prefix}_{name}" or n.startswith(f"{prefix}_{name}_")
               for n in derivative_names for prefix in ("vjp", "jvp"))


def source_file(fn: object) -> str | None:
    """The real path of the file a function was written in, or None (no file: a builtin, a REPL)."""
    try:
        found = inspect.getsourcefile(inspect.unwrap(fn))  # type: ignore[arg-type]
    except TypeError:
        return None
    return os.path.realpath(found) if found and os.path.exists(found) else None


__all__ = ["callees", "first_paragraph", "helper_source", "primal_note", "primitive_doc", "runtime_helpers",
           "source_file"]
