"""Static loading: a file's functions from its text, without running the file.

Stage: frontend, before parsing, for the command line (`tangent-src derive`).
Input: the path of a Python file. Output: a namespace that stands in for the
module's globals, in which

- each top-level `def` is a real function object whose code comes from that
  `def` alone (decorators dropped, defaults evaluated only when they are
  literals or names of literal constants): its body never runs, and the
  front end reads its source from the file as it does for any function;
- each top-level import is done, as the file would do it, so that `np.sin`
  is numpy's own `sin` and finds its rule (the imported modules run, the
  file's own statements do not);
- each top-level `NAME = literal` is that literal;
- every other top-level name (computed constants, classes, names bound inside
  `if`/`try` blocks) is an `Unknown`, which a derivative may refer to by name
  (the written module imports it from the user's module) but never looks into.

A function the file imports (`from helpers import layer`, or `helpers.layer`
through `import helpers`) is differentiated from its own module's source, and
its derivative refers to the names *that* module binds (`_act`, `SCALE`). So
the names read by the functions the file's functions can reach are recorded
too, with the import that gives each in the written module (`from helpers
import _act`); a name that means one thing in the file and another where a
helper reads it is refused when a function reaching that helper is asked for.
"""

from __future__ import annotations

import ast
import copy
import dis
import importlib
import inspect
import operator
import sys
import textwrap
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SourceSpan, UnsupportedSyntax

_LIBRARIES = {"numpy", "scipy", "math", "builtins", "functools", "tangent_src"}  # differentiated by rules, never read


class Unknown:
    """A top-level value that only running the file would give."""

    def __init__(self, name: str, why: str, hint: str | None = None):
        self.name = name
        self.why = why
        self.hint = hint

    def __repr__(self) -> str:
        return f"<{self.name}: {self.why}>"


@dataclass
class StaticModule:
    """A file read as text: its functions, imports and literal constants."""

    path: str
    module_name: str  # how the written module imports the user's file
    namespace: dict[str, Any]
    # bound name -> the import statement binding it; also each name an imported helper reads from its
    # own module, which the file does not bind (`_act` -> `from helpers import _act`)
    imports: dict[str, str] = field(default_factory=dict)
    functions: dict[str, types.FunctionType] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)  # the file's text
    bound_at: dict[str, int] = field(default_factory=dict)  # top-level name -> the line binding it
    reached: dict[str, list[types.FunctionType]] = field(default_factory=dict)  # function -> helpers it reaches
    # name -> (where it means one thing, the module where it means another, the helper reading it there)
    clashes: dict[str, tuple[str, str, types.FunctionType]] = field(default_factory=dict)
    borrowed: dict[str, tuple[Any, str]] = field(default_factory=dict)  # name a helper reads -> (value, module)

    def function(self, name: str) -> types.FunctionType:
        if name in self.functions:
            self._check_clashes(name)
            return self.functions[name]
        known = ", ".join(sorted(self.functions)) or "none"
        raise UnsupportedSyntax(f"{self.path} has no top-level function named {name!r} (its functions: {known})",
                                hint="name a function defined with `def` at the top level of the file")

    def _check_clashes(self, name: str) -> None:
        """Refuse a function that reaches a helper reading a name the file binds to something else:
        the written module, one namespace, would hand the helper's derivative the file's value."""
        for clash, (first, module, reader) in self.clashes.items():
            if reader in self.reached.get(name, []):
                line = self.bound_at.get(clash, self.functions[name].__code__.co_firstlineno)
                text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
                column = max(0, text.find(clash))
                span = SourceSpan(self.path, line, column, line, column + len(clash), text)
                raise UnsupportedSyntax(
                    f"`{clash}` is one thing in {first} and another in {module}, whose "
                    f"`{reader.__qualname__}` (called from `{name}`) reads it: the written module can hold only one",
                    span, hint=f"rename `{clash}` in one of the two files, or differentiate with the Python API "
                    "(tangent_src.grad), which keeps each module's names apart")


def load_file(path: str, module_name: str | None = None) -> StaticModule:
    """Read `path` and build its stand-in namespace; nothing in the file is executed."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as err:
        span = SourceSpan(path, err.lineno or 1, max(0, (err.offset or 1) - 1), err.lineno or 1,
                          max(1, err.offset or 1), err.text or "")
        raise UnsupportedSyntax(f"{path} is not valid Python: {err.msg}", span,
                                hint="fix the syntax error; the file must parse") from None
    name = module_name or Path(path).stem
    if not all(part.isidentifier() for part in name.split(".")):
        raise UnsupportedSyntax(f"{name!r} cannot be imported by that name",
                                hint="rename the file, or pass --module with the name that imports it")
    namespace: dict[str, Any] = {"__name__": name, "__file__": path, "__builtins__": __builtins__}
    static = StaticModule(path, name, namespace, lines=text.splitlines())
    folder = str(Path(path).resolve().parent)
    sys.path.insert(0, folder)  # as `python FILE.py` would: the file's own folder first, for its imports
    try:
        _read(tree, static)
    finally:
        sys.path.remove(folder)
    for function_name, fn in static.functions.items():
        static.reached[function_name] = _borrow(fn, static)
    return static


def _read(tree: ast.Module, static: StaticModule) -> None:
    namespace = static.namespace
    for stmt in tree.body:
        for bound in _bound_names(stmt):
            static.bound_at.setdefault(bound, stmt.lineno)
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            _import(stmt, static)
        elif isinstance(stmt, ast.FunctionDef):
            static.functions[stmt.name] = namespace[stmt.name] = _function(stmt, static)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            value = _constant(stmt.value, namespace)
            for target in targets:
                for bound in _bound_names(target):
                    single = isinstance(target, ast.Name) and value is not _NOT_LITERAL
                    namespace[bound] = value if single else Unknown(bound, f"computed at line {stmt.lineno}")
        else:
            for bound in _bound_names(stmt):
                namespace.setdefault(bound, Unknown(bound, f"bound at line {stmt.lineno}"))


def _import(stmt: ast.Import | ast.ImportFrom, static: StaticModule) -> None:
    """Do one import as the file would, one name at a time; a name that fails stays Unknown."""
    for alias in stmt.names:
        if alias.name == "*":
            continue
        bound = alias.asname or alias.name.split(".")[0]
        if isinstance(stmt, ast.ImportFrom):
            text = f"from {'.' * stmt.level}{stmt.module or ''} import {alias.name}"
        else:
            text = f"import {alias.name}"
        if alias.asname:
            text += f" as {alias.asname}"
        try:
            if isinstance(stmt, ast.ImportFrom) and stmt.level:
                raise ImportError("relative imports need the package the file belongs to")
            if isinstance(stmt, ast.Import):
                top = importlib.import_module(alias.name)
                value: Any = top if alias.asname else importlib.import_module(bound)
            else:
                module = importlib.import_module(stmt.module or "")
                value = getattr(module, alias.name) if hasattr(module, alias.name) else \
                    importlib.import_module(f"{stmt.module}.{alias.name}")
        except Exception as err:  # noqa: BLE001  (any failure leaves the name unknown)
            value = Unknown(bound, f"`{text}` failed at line {stmt.lineno}: {type(err).__name__}: {err}",
                            hint="make the module importable where tangent-src runs (install it, or set PYTHONPATH)")
        static.namespace[bound] = value
        static.imports[bound] = text


_NOT_LITERAL = object()


def _literal(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _NOT_LITERAL


def _constant(node: ast.expr, namespace: dict[str, Any]) -> Any:
    """A literal, a name or attribute chain of known values (`act = np.tanh`), or arithmetic on
    numbers (`SCALE = 2 * pi`): what can be known without calling anything."""
    value = _literal(node)
    if value is not _NOT_LITERAL:
        return value
    if isinstance(node, ast.Name):
        found = namespace.get(node.id, _NOT_LITERAL)
        return _NOT_LITERAL if isinstance(found, Unknown) else found
    if isinstance(node, ast.Attribute):
        base = _constant(node.value, namespace)
        if isinstance(base, types.ModuleType):
            return getattr(base, node.attr, _NOT_LITERAL)
        return _NOT_LITERAL
    operands: list[Any] = []
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
        operands = [_constant(node.left, namespace), _constant(node.right, namespace)]
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operands = [_constant(node.operand, namespace)]
    if operands and all(type(v) in (int, float) for v in operands):
        try:
            return _ARITHMETIC[type(node.op)](*operands)
        except (ArithmeticError, ValueError):
            return _NOT_LITERAL
    return _NOT_LITERAL


_ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
               ast.USub: operator.neg, ast.UAdd: operator.pos}


def _function(node: ast.FunctionDef, static: StaticModule) -> types.FunctionType:
    """The function object a `def` makes, without its decorators and with static defaults.

    Only the `def` statement is compiled and run, which makes the function
    without running its body; defaults that are not literals become Unknown
    (a derivative keeps the default's source text, not its value).
    """
    node = copy.copy(node)
    supplied: dict[str, Any] = {}

    def static_default(expr: ast.expr | None) -> ast.expr | None:
        if expr is None:
            return None
        value = _literal(expr)
        if value is _NOT_LITERAL and isinstance(expr, ast.Name) and expr.id in static.namespace:
            value = static.namespace[expr.id]
        if value is _NOT_LITERAL:
            value = Unknown(ast.unparse(expr), "a default computed when the def runs")
        key = f"__tangent_src_default_{len(supplied)}__"
        supplied[key] = value
        return ast.copy_location(ast.Name(key, ast.Load()), expr)

    args = node.args
    node.args = ast.arguments(
        posonlyargs=args.posonlyargs, args=args.args, vararg=args.vararg, kwonlyargs=args.kwonlyargs,
        kw_defaults=[static_default(d) for d in args.kw_defaults], kwarg=args.kwarg,
        defaults=[static_default(d) for d in args.defaults],
    )
    node.decorator_list = []
    module = ast.Module(body=[node], type_ignores=[])
    code = compile(module, static.path, "exec")
    namespace = static.namespace
    namespace.update(supplied)
    try:
        exec(code, namespace)  # noqa: S102  (runs the def statement only: makes the function object)
        return namespace.pop(node.name)
    finally:
        for key in supplied:
            namespace.pop(key, None)


# ------------------------------------------------------------------ names the imported helpers read


def _borrow(root: types.FunctionType, static: StaticModule) -> list[types.FunctionType]:
    """Walk the functions `root` can reach by the global names it reads (and `module.attr` chains);
    record the names each helper of another module reads there. Returns the helpers reached."""
    seen: set[int] = {id(root)}
    pending, helpers = [root], []
    while pending:
        fn = pending.pop()
        scope = fn.__globals__
        own = scope is static.namespace
        if not own:
            helpers.append(fn)
        for name, value in _references(fn):
            if name is not None and not own:
                _record(name, scope, fn, static)
            if isinstance(value, types.FunctionType) and id(value) not in seen and not is_library(value):
                seen.add(id(value))
                pending.append(value)
    return helpers


def _record(name: str, scope: dict[str, Any], reader: types.FunctionType, static: StaticModule) -> None:
    """A name a helper reads in its own module: imported from there, unless the file means another thing by it."""
    if name not in scope or (name.startswith("__") and name.endswith("__")):
        return  # a builtin, or the module's own `__name__`
    value, module = scope[name], str(scope.get("__name__", "?"))
    if name in static.namespace or name in static.borrowed:
        there, first = (static.namespace[name], Path(static.path).name) if name in static.namespace \
            else static.borrowed[name]
        if not _same(there, value):
            static.clashes.setdefault(name, (first, module, reader))
        return
    static.borrowed[name] = (value, module)
    if isinstance(value, types.ModuleType):
        static.imports[name] = f"import {value.__name__}" + (f" as {name}" if name != value.__name__ else "")
    else:
        static.imports[name] = f"from {module} import {name}"


def _same(a: Any, b: Any) -> bool:
    """The same object, or equal numbers or strings (`EPS = 1e-5` in both files)."""
    return a is b or (type(a) is type(b) and type(a) in (int, float, complex, str, bool) and a == b)


def _references(fn: types.FunctionType) -> list[tuple[str | None, Any]]:
    """(name, value) for each global name fn's code (nested functions too) and defaults read, and
    (None, value) at the end of each `module.attr` chain it reads (the name there is the module's)."""
    found: list[tuple[str | None, Any]] = []
    scope = fn.__globals__
    for code in _codes(fn.__code__):
        value: Any = None
        for instruction in dis.get_instructions(code):
            if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME"):
                value = scope.get(instruction.argval)  # None for a builtin
                found.append((instruction.argval, value))
            elif instruction.opname in ("LOAD_ATTR", "LOAD_METHOD") and isinstance(value, types.ModuleType):
                value = getattr(value, instruction.argval, None)
                found.append((None, value))
            else:
                value = None
    found += [(name, scope.get(name)) for name in _default_names(fn)]
    return found


def _codes(code: types.CodeType) -> list[types.CodeType]:
    return [code] + [c for const in code.co_consts if isinstance(const, types.CodeType) for c in _codes(const)]


def _default_names(fn: types.FunctionType) -> list[str]:
    """The names a helper's defaults are written with (its derivative keeps their source text)."""
    if not fn.__defaults__ and not fn.__kwdefaults__:
        return []
    try:
        node = ast.parse(textwrap.dedent(inspect.getsource(fn))).body[0]
    except (OSError, TypeError, SyntaxError, IndexError):
        return []
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return []
    defaults = node.args.defaults + [d for d in node.args.kw_defaults if d is not None]
    return [n.id for d in defaults for n in ast.walk(d) if isinstance(n, ast.Name)]


def is_library(obj: object) -> bool:
    """A function or class of a library the rule table covers (tangent_src's own runtime helpers
    included): differentiated by its rules, never read and inlined as a function of the user's."""
    return (getattr(obj, "__module__", None) or "").split(".")[0] in _LIBRARIES


def _bound_names(node: ast.AST) -> list[str]:
    """Names a top-level statement binds: assignment targets, and the names defs, classes and
    imports bind, in nested blocks too (`if`, `try`, `with`, `for`), but not inside defs or classes."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [a.asname or a.name.split(".")[0] for a in node.names if a.name != "*"]
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
        return [node.id]
    if isinstance(node, ast.Lambda):
        return []
    return [name for child in ast.iter_child_nodes(node) for name in _bound_names(child)]


__all__ = ["StaticModule", "Unknown", "load_file"]
