"""Source retrieval and parsing: function object -> libcst tree with positions.

Stage: frontend, first step. Output: the parsed function, a way to turn any of
its nodes into a `SourceSpan` in the user's real file, and the names visible to
it (globals, closure, builtins), plus the values known when it is derived: the
arguments of a `Specialized` function that are functions or objects, and the
attribute paths differentiated as parameters of their own (`wrt="self.params"`).

A lambda is parsed from its own span in its file (inspect gives the whole
line): the lambda node starting on the code's first line whose body holds the
code's instruction positions; it becomes a `def` of one `return`. An `async def` is
refused here, so no later stage meets `await`, `async for` or `async with` in its body.
"""

from __future__ import annotations

import builtins
import inspect
import linecache
import textwrap
import types
from dataclasses import dataclass, field, replace
from typing import Any, Callable

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from ..errors import BadWrt, SourceSpan, UnsupportedSyntax


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
    # names whose values are known when the function is derived: parameters given a function or an
    # object (a Specialized function's), and values the normalizer resolved from them (functions.py)
    known: dict[str, Any] = field(default_factory=dict)
    # (id of an object, attribute) -> the parameter that stands for that attribute (wrt="self.params")
    attributes: dict[tuple[int, str], str] = field(default_factory=dict)
    scratch: dict[str, Any] = field(default_factory=dict)  # what normalization's parts record for later checks
    # the functions of the user's whose bodies are inlined into this one (a method of an object the
    # function makes): their nodes are found, and their errors placed, in their own source
    inlined: list["ParsedFunction"] = field(default_factory=list)

    def owner(self, node: cst.CSTNode) -> "ParsedFunction | None":
        """The parsed function whose source holds this node (this one, or one inlined into it)."""
        if node in self.positions:
            return self
        return next((other for other in self.inlined if node in other.positions), None)

    def span(self, node: cst.CSTNode) -> SourceSpan | None:
        owner = self.owner(node)
        if owner is not None and owner is not self:
            return owner.span(node)
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
        owner = self.owner(old) if new is not old else None
        if owner is not None:
            owner.positions.setdefault(new, owner.positions[old])
        return new

    def lookup(self, name: str) -> Any:
        """The object a free name of the function refers to (closure, global, builtin)."""
        for scope in (self.closure, self.globals, vars(builtins)):
            if name in scope:
                return scope[name]
        raise KeyError(name)


def identity(value: Any) -> Any:
    """What a derivative specialized on `value` is keyed by: the object itself, and for a bound method
    (made anew at each attribute read) its function and its object."""
    if isinstance(value, types.MethodType):
        return ("method", id(value.__func__), id(value.__self__))
    return id(value)


class Specialized:
    """A function of the user's with values known when it is differentiated.

    known: parameter -> the function or object its argument is (resolved from the actual argument:
    `rk4_step(f, y)` called with f=pendulum, or self of a bound method); the derivative is made for
    those very values, and two Specialized functions are the same only for the same objects.
    attributes: dotted path (`self.params`) -> the keyword-only parameter that stands for it in the
    derivative, so that the attribute is differentiated like an argument. Calling a Specialized
    function calls the function (the attribute keywords are dropped: the function reads them itself).
    """

    def __init__(self, function: types.FunctionType, known: dict[str, Any] | None = None,
                 attributes: dict[str, str] | None = None):
        self.function = function
        self.known = tuple(sorted((known or {}).items()))
        self.attributes = tuple(sorted((attributes or {}).items()))
        for name in ("__name__", "__qualname__", "__module__", "__globals__", "__defaults__", "__kwdefaults__",
                     "__code__", "__closure__", "__doc__"):
            setattr(self, name, getattr(function, name))
        if self.__name__ == "<lambda>":  # a name the generated code can use (`vjp_lambda_`, `bx_lambda_`)
            self.__name__ = "lambda_"
        first = next(iter(inspect.signature(function).parameters), None)
        if self.__name__ == "__call__" and first in dict(self.known):  # an object's __call__: named after its class
            self.__name__ = type(dict(self.known)[first]).__name__
        signature = inspect.signature(function)
        extra = [inspect.Parameter(p, inspect.Parameter.KEYWORD_ONLY) for _, p in self.attributes]
        self.__signature__ = signature.replace(parameters=[*signature.parameters.values(), *extra])

    def _key(self) -> tuple:
        return (self.function, tuple((n, identity(v)) for n, v in self.known), self.attributes)

    def __hash__(self) -> int:
        return hash(self._key())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Specialized) and self._key() == other._key()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        for _, parameter in self.attributes:
            kwargs.pop(parameter, None)
        return self.function(*args, **kwargs)

    def __repr__(self) -> str:
        known = ", ".join(f"{n}={getattr(v, '__qualname__', type(v).__name__)}" for n, v in self.known)
        return f"<{self.__qualname__} with {known or 'attributes'} known>"


def specialized(function: Callable, known: dict[str, Any], attributes: dict[str, str] | None = None) -> Callable:
    """The function itself where nothing is known, else a Specialized function (one level: a
    Specialized function given more values is the same function with all of them)."""
    if isinstance(function, Specialized):
        known = {**dict(function.known), **known}
        attributes = {**dict(function.attributes), **(attributes or {})}
        function = function.function
    if not known and not attributes and getattr(function, "__name__", "") != "<lambda>":
        return function
    return Specialized(function, known, attributes)  # type: ignore[arg-type]


def attribute_parameter(function: Callable, path: str) -> str:
    """The name of the parameter that stands for `path` (`self.params` -> `self_params`), unused in
    the function (its code objects' names, nested ones included)."""
    function = getattr(function, "function", function)
    used: set[str] = set()
    codes = [getattr(inspect.unwrap(function), "__code__", None)]
    while codes:
        code = codes.pop()
        if code is None:
            continue
        used.update(code.co_varnames, code.co_names, code.co_freevars, code.co_cellvars)
        codes.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    base = path.replace(".", "_")
    name, k = base, 1
    while name in used:
        k += 1
        name = f"{base}_{k}"
    return name


def parse_function(fn: Callable) -> ParsedFunction:
    """Parse a Python function's own source (a `def`, or a lambda from its own span)."""
    known: dict[str, Any] = {}
    attributes: dict[str, str] = {}
    name = getattr(fn, "__name__", "")
    if isinstance(fn, Specialized):
        known, attributes = dict(fn.known), dict(fn.attributes)
        fn = fn.function
    fn = inspect.unwrap(fn)
    if getattr(fn, "__name__", "") == "<lambda>" and hasattr(fn, "__code__"):
        parsed = _parse_lambda(fn)
    else:
        parsed = _parse_def(fn)
    if parsed.node.name.value == "__call__" and name not in ("__call__", ""):  # named after the object's class
        parsed.node = parsed.moved(parsed.node.with_changes(name=parsed.moved(cst.Name(name), parsed.node.name)),
                                   parsed.node)  # type: ignore[assignment]
    parsed.known = known
    if any(_is_plain(v) for v in known.values()):
        _fold_none_tests(parsed)
    if attributes:
        _attribute_parameters(parsed, attributes)
    return parsed


def none_tests(parsed: ParsedFunction) -> list[str]:
    """The parameters an `if` tests with `is None` / `is not None` (and the function never rebinds),
    in source order: the ways through the function that their values choose."""
    found: list[str] = []
    params = _parameter_names(parsed.node)
    assigned = _bound_names(parsed.node)

    class Find(cst.CSTVisitor):
        def visit_If(self, node: cst.If) -> None:
            name = _none_test(node.test)
            if name is not None and name[0] in params and name[0] not in assigned and name[0] not in found:
                found.append(name[0])

    parsed.node.visit(Find())
    return found


def _is_plain(value: Any) -> bool:
    return type(value).__name__ == "Opaque"  # frontend.functions.Opaque: a known argument of a plain kind


def _none_test(test: cst.BaseExpression) -> tuple[str, bool] | None:
    """`p is None` -> (p, True), `p is not None` -> (p, False), else None."""
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and isinstance(test.left, cst.Name):
        target = test.comparisons[0]
        if isinstance(target.comparator, cst.Name) and target.comparator.value == "None" \
                and isinstance(target.operator, (cst.Is, cst.IsNot)):
            return test.left.value, isinstance(target.operator, cst.Is)
    return None


def _parameter_names(fn: cst.FunctionDef) -> set[str]:
    p = fn.params
    return {q.name.value for q in (*p.posonly_params, *p.params, *p.kwonly_params)}


def _bound_names(fn: cst.FunctionDef) -> set[str]:
    """Names assigned anywhere in the function (nested functions included, to be safe)."""
    found: set[str] = set()

    class Find(cst.CSTVisitor):
        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            found.update(n.value for n in _target_names(node.target))

        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            found.update(n.value for n in _target_names(node.target))

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            found.update(n.value for n in _target_names(node.target))

        def visit_For(self, node: cst.For) -> None:
            found.update(n.value for n in _target_names(node.target))

    fn.body.visit(Find())
    return found


def _target_names(target: cst.BaseExpression) -> list[cst.Name]:
    if isinstance(target, cst.Name):
        return [target]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [n for e in target.elements for n in _target_names(e.value)]
    return []


def _fold_none_tests(parsed: ParsedFunction) -> None:
    """`if y is None: ...` where y's argument is known to be a plain value (an array, None): only the
    branch its value takes is kept (the derivative is made for that kind of argument)."""
    fold = {name: parsed.known[name].kind is type(None) for name in none_tests(parsed)
            if _is_plain(parsed.known.get(name))}
    if fold:
        parsed.node = parsed.node.visit(_NoneFolder(parsed, fold))  # type: ignore[assignment]


class _NoneFolder(cst.CSTTransformer):
    def __init__(self, parsed: ParsedFunction, fold: dict[str, bool]):
        super().__init__()
        self.parsed, self.fold = parsed, fold

    def leave_If(self, original: cst.If, updated: cst.If):  # type: ignore[no-untyped-def]
        found = _none_test(original.test)
        if found is None or found[0] not in self.fold:
            return updated
        taken = self.fold[found[0]] == found[1]
        if taken:
            block = updated.body
        elif isinstance(updated.orelse, cst.If):
            return updated.orelse
        elif isinstance(updated.orelse, cst.Else):
            block = updated.orelse.body
        else:
            return cst.RemoveFromParent()
        lines = list(block.body) if isinstance(block, cst.IndentedBlock) else [block]
        return cst.FlattenSentinel(lines) if lines else cst.RemoveFromParent()

    def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode):  # type: ignore[override]
        result = super().on_leave(original, updated)
        if isinstance(result, cst.CSTNode):
            self.parsed.moved(result, original)
        return result


def _no_source(fn: Callable, err: Exception) -> UnsupportedSyntax:
    where = getattr(getattr(fn, "__code__", None), "co_filename", "")
    hint = "define the function in a file (or a notebook cell) so that inspect.getsource can find it"
    if where in ("<stdin>", "<string>") or where.startswith("<"):
        hint = (f"{getattr(fn, '__qualname__', fn)} was typed at the interactive prompt or made by exec "
                f"(its code says {where}), which keeps no source: put it in a .py file and import it, "
                "or use IPython or Jupyter, which keep each cell's source")
    return UnsupportedSyntax(f"cannot read the source of {getattr(fn, '__qualname__', fn)!r}: {err}", hint=hint)


def _parse_def(fn: Callable) -> ParsedFunction:
    try:
        lines, first_line = inspect.getsourcelines(fn)
    except (OSError, TypeError) as err:
        raise _no_source(fn, err) from None
    raw = "".join(lines)
    source = textwrap.dedent(raw)
    indent = len(lines[0]) - len(lines[0].lstrip()) if source != raw else 0
    wrapper = MetadataWrapper(cst.parse_module(source))
    positions = dict(wrapper.resolve(PositionProvider))  # rewrites add the nodes they build
    node = wrapper.module.body[0]
    if not isinstance(node, cst.FunctionDef):
        raise UnsupportedSyntax(f"{fn.__qualname__} is not defined by a `def` statement or a lambda",
                                hint="define the function with `def` (or as a lambda) in a file")
    parsed = ParsedFunction(node=node, module=wrapper.module, positions=positions, path=fn.__code__.co_filename,
                            first_line=first_line, indent=indent, globals=fn.__globals__, closure=_closure(fn))
    if node.asynchronous is not None:
        raise _async_def(parsed)
    return parsed


def _async_def(parsed: ParsedFunction) -> UnsupportedSyntax:
    """`async def f`: a coroutine function, whose `await`, `async for` and `async with` have no derivative."""
    node = parsed.node
    span = parsed.span(node.asynchronous) if node.asynchronous is not None else None
    name = parsed.span(node.name)
    if span is not None and name is not None:  # from `async` to the function's name
        span = replace(span, end_line=name.end_line, end_column=name.end_column)
    return UnsupportedSyntax(
        f"`async def {node.name.value}` defines a coroutine function, which cannot be differentiated "
        "(`await`, `async for` and `async with` have no derivative)", span,
        hint="differentiate a plain `def` that does the numeric work, and call it (or its derivative) "
             "from the async code")


def _closure(fn: Callable) -> dict[str, Any]:
    if not getattr(fn, "__closure__", None):
        return {}
    values = {}
    for name, cell in zip(fn.__code__.co_freevars, fn.__closure__):
        try:
            values[name] = cell.cell_contents
        except ValueError:  # a cell not filled yet (a name the enclosing function binds later)
            pass
    return values


# ------------------------------------------------------------------ lambdas

_FILES: dict[tuple[str, int], tuple[cst.Module, dict]] = {}  # (path, hash of its text) -> parsed module


def _parse_lambda(fn: types.FunctionType) -> ParsedFunction:
    """A lambda as a `def` of one return: the lambda node is found in its file by its position."""
    code = fn.__code__
    text = "".join(linecache.getlines(code.co_filename, fn.__globals__))
    if not text:
        raise _no_source(fn, OSError("no source lines for its file"))
    key = (code.co_filename, hash(text))
    if key not in _FILES:
        try:
            wrapper = MetadataWrapper(cst.parse_module(text))
        except cst.ParserSyntaxError as err:
            raise _no_source(fn, err) from None
        _FILES.clear()  # one file at a time: its lambdas are usually derived together
        _FILES[key] = (wrapper.module, dict(wrapper.resolve(PositionProvider)))
    module, positions = _FILES[key]
    positions = dict(positions)
    found = _Lambdas(positions, code.co_firstlineno)
    module.visit(found)
    node = _pick_lambda(fn, found.lambdas, positions, module.code.splitlines(True))
    name = found.names.get(node, "lambda_")
    body = cst.IndentedBlock([cst.SimpleStatementLine([cst.Return(node.body)])])
    fdef = cst.FunctionDef(cst.Name(name), node.params, body)
    parsed = ParsedFunction(node=fdef, module=module, positions=positions, path=code.co_filename, first_line=1,
                            indent=0, globals=fn.__globals__, closure=_closure(fn))
    for built in (fdef, fdef.name, body, *body.body, body.body[0].body[0]):  # type: ignore[attr-defined]
        parsed.moved(built, node)
    return parsed


class _Lambdas(cst.CSTVisitor):
    """The lambdas starting on a line, and the name each is assigned to (`loss = lambda x: ...`)."""

    def __init__(self, positions: dict, line: int):
        super().__init__()
        self.positions, self.line = positions, line
        self.lambdas: list[cst.Lambda] = []
        self.names: dict[cst.Lambda, str] = {}

    def visit_Assign(self, node: cst.Assign) -> None:
        if isinstance(node.value, cst.Lambda) and len(node.targets) == 1 \
                and isinstance(node.targets[0].target, cst.Name):
            self.names[node.value] = node.targets[0].target.value

    def visit_Lambda(self, node: cst.Lambda) -> None:
        where = self.positions.get(node)
        if where is not None and where.start.line == self.line:
            self.lambdas.append(node)


def _pick_lambda(fn: types.FunctionType, lambdas: list[cst.Lambda], positions: dict,
                 lines: list[str]) -> cst.Lambda:
    """The lambda whose body holds the positions of fn's instructions (Python 3.11 gives columns)."""
    code = fn.__code__
    count = code.co_argcount + code.co_kwonlyargcount
    names = list(code.co_varnames[:count])
    candidates = [n for n in lambdas if [p.name.value for p in (*n.params.posonly_params, *n.params.params,
                                                                  *n.params.kwonly_params)] == names]
    if len(candidates) > 1 and hasattr(code, "co_positions"):
        starts = [(line, column) for line, _, column, _ in code.co_positions()
                  if line is not None and column is not None]

        def inside(node: cst.Lambda) -> int:
            body = positions[node.body]
            return sum((body.start.line, body.start.column) <= p < (body.end.line, body.end.column) for p in starts)

        best = max(inside(n) for n in candidates)
        candidates = [n for n in candidates if inside(n) == best]
    if len(candidates) == 1:
        return candidates[0]
    line = code.co_firstlineno
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    column = max(0, text.find("lambda"))
    span = SourceSpan(code.co_filename, line, column, line, column + len("lambda"), text)
    what = "several lambdas on this line could be it" if candidates else "no lambda on this line matches it"
    raise UnsupportedSyntax(f"cannot tell which lambda {fn.__qualname__} is: {what}", span,
                            hint="put the lambda on a line of its own, or define the function with `def`")


# ------------------------------------------------------------------ attributes as parameters


def _attribute_parameters(parsed: ParsedFunction, attributes: dict[str, str]) -> None:
    """`self.params` read in the function becomes the keyword-only parameter `self_params`, which the
    derivative is called with (the attribute's value) and differentiates like any argument."""
    fn = parsed.node
    positional = [p.name.value for p in (*fn.params.posonly_params, *fn.params.params, *fn.params.kwonly_params)]
    for path in attributes:
        root = path.split(".")[0]
        if root not in positional:
            raise BadWrt(f"wrt={path!r}: {fn.name.value} has no parameter named {root!r}", parsed.span(fn.name),
                         hint="name an attribute of a parameter: wrt='self.params'")
    rewrite = _AttributeReads(parsed, attributes)
    node = fn.visit(rewrite)
    assert isinstance(node, cst.FunctionDef)
    extra = [parsed.moved(cst.Param(cst.Name(name)), fn.name) for name in attributes.values()]
    params = node.params
    star = params.star_arg if isinstance(params.star_arg, cst.Param) else cst.ParamStar()
    params = params.with_changes(star_arg=star, kwonly_params=[*params.kwonly_params, *extra])
    parsed.node = parsed.moved(node.with_changes(params=params), fn)  # type: ignore[assignment]
    for path, name in attributes.items():
        holder = _holder(parsed, path)
        if holder is not None:
            parsed.attributes[(id(holder), path.rsplit(".", 1)[1])] = name


def _holder(parsed: ParsedFunction, path: str) -> Any:
    """The object whose attribute the path names (`self.layer.W`: self.layer), where its root is known."""
    parts = path.split(".")
    if parts[0] not in parsed.known:
        return None
    value = parsed.known[parts[0]]
    for part in parts[1:-1]:
        value = getattr(value, part)
    return value


class _AttributeReads(cst.CSTTransformer):
    """Reads of the attribute paths become names; an assignment to one is refused."""

    def __init__(self, parsed: ParsedFunction, attributes: dict[str, str]):
        super().__init__()
        self.parsed, self.attributes = parsed, attributes

    def _path(self, node: cst.BaseExpression) -> str | None:
        if isinstance(node, cst.Name):
            return node.value
        if isinstance(node, cst.Attribute):
            base = self._path(node.value)
            return None if base is None else f"{base}.{node.attr.value}"
        return None

    def _refuse_target(self, target: cst.BaseExpression) -> None:
        targets = [e.value for e in target.elements] if isinstance(target, (cst.Tuple, cst.List)) else [target]
        for each in targets:
            path = self._path(each)
            if path in self.attributes:
                raise UnsupportedSyntax(f"this assigns `{path}`, which is differentiated (wrt={path!r})",
                                        self.parsed.span(each),
                                        hint=f"assign into it (`{path}[key] = ...`) or differentiate with "
                                        "respect to an argument instead")

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._refuse_target(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._refuse_target(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._refuse_target(node.target)

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        path = self._path(original)
        if path in self.attributes:
            return self.parsed.moved(cst.Name(self.attributes[path]), original)  # type: ignore[return-value]
        return updated

    def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode):  # type: ignore[override]
        result = super().on_leave(original, updated)
        if isinstance(result, cst.CSTNode):
            self.parsed.moved(result, original)
        return result
