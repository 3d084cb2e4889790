"""Nested defs, lambdas and partials made in the function (part of the normalizer): inlined where called.

Stage: frontend. Input: a nested `def`, a lambda or a `functools.partial(...)` call in the
function's body, and the calls of the names bound to them. Output: the body of the function
called, normalized at the call site: its parameters are the arguments' atoms, its own locals get
names of their own (never the caller's), its free names are read, as Python reads them, in the
scope it was defined in, when it is called (late binding); a change it makes in place to a name it
closes over (`xs.append(v)`, `d[k] = v`) is the caller's too. The value itself is in the generated
code only where it reads none of the function's values (`key=lambda t: t[1]`); anything else that
uses it as a value (returns it, stores it, passes it on) is refused (`check_local_functions`).
"""

from __future__ import annotations

import ast
import inspect
import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import libcst as cst

from ..errors import UnsupportedSyntax
from ..ir import Apply, Effect, Function, If, Loop, names_in, walk
from .exits import _assigned_names, _ends_in_return, _lines, loop_returns, single_exit
from .source import ParsedFunction

if TYPE_CHECKING:
    from .calls import _Op
    from .normalize import _Normalizer

_TOKENS = itertools.count(1)


def _call(func: ast.expr, args: list[ast.expr], kwargs: dict[str, ast.expr]) -> ast.Call:
    return ast.Call(func, list(args), [ast.keyword(k, v) for k, v in kwargs.items()])


@dataclass(eq=False)
class LocalFunction:
    """A nested def or a lambda: its parameters, its body, its defaults (evaluated where it is defined)."""

    name: str
    node: cst.FunctionDef | cst.Lambda
    statements: list[cst.BaseStatement]
    defaults: dict[str, ast.expr]
    frame: int  # the inlined body (0: the function itself) it was defined in
    locals: set[str] = field(default_factory=set)
    constant: bool = False  # a lambda reading none of the function's values: a real value in the code
    foreign: bool = False  # a module-level function of the user's (objects.py): it sees none of the caller's names


@dataclass(eq=False)
class LocalPartial:
    """`functools.partial(target, *args, **keywords)` made in the function."""

    target: ast.expr
    args: list[ast.expr]
    keywords: dict[str, ast.expr]
    constant: bool = False


@dataclass
class _Frame:
    token: int
    function: LocalFunction | None
    entry: dict[str, str]  # the caller's names when the body was entered


class Inlining:
    """The nested-functions part of the normalizer (mixed into `_Normalizer` through `Functions`)."""

    # ------------------------------------------------------------ state (kept on the parsed function)

    def function_values(self: _Normalizer) -> dict[str, LocalFunction | LocalPartial]:
        return self.parsed.scratch.setdefault("functions", {})

    def frames(self: _Normalizer) -> list[_Frame]:
        return self.parsed.scratch.setdefault("frames", [_Frame(0, None, {})])

    # ------------------------------------------------------------ definitions

    def function_statement(self: _Normalizer, node: cst.FunctionDef) -> None:
        """A nested `def`: a value of the function, whose calls are its body inlined."""
        if node.decorators or node.asynchronous is not None:
            raise self.unsupported(node, "a decorated or `async` nested function is not supported",
                                   hint="define the function at module level")
        statements = single_exit(loop_returns(_with_final_return(self.parsed, node), self.taken, self.parsed),
                                 self.parsed)
        record = LocalFunction(node.name.value, node, statements, self.defaults(node.params), self.frames()[-1].token)
        record.locals = _locals(statements) | _parameter_names(node.params)
        version = self.bind(node.name.value)
        self.emit((version,), ast.Constant(None), node)  # the function itself never runs as a value
        self.function_values()[version] = record

    def lambda_expr(self: _Normalizer, node: cst.Lambda) -> ast.expr:
        """A lambda: a value of the function, whose calls are its body inlined."""
        line = self.parsed.moved(cst.SimpleStatementLine([self.parsed.moved(cst.Return(node.body), node.body)]),
                                 node.body)
        record = LocalFunction("lambda", node, [line], self.defaults(node.params), self.frames()[-1].token,
                               _parameter_names(node.params))
        free = _names(node.body) - record.locals
        record.constant = not (free & set(self.current)) and not record.defaults
        name = self.temporary()
        value = ast.parse(self.code(node), mode="eval").body if record.constant else ast.Constant(None)
        self.emit((name,), value, node)
        self.function_values()[name] = record
        return ast.Name(name)

    def make_partial(self: _Normalizer, node: cst.Call, args: list[ast.expr],
                     kwargs: dict[str, ast.expr]) -> ast.expr:
        """`functools.partial(f, a, k=b)` made in the function: a value whose calls call f with a, k=b."""
        if not args or any(isinstance(a, ast.Starred) for a in args):
            raise self.unsupported(node, "functools.partial needs the function first, then its arguments")
        record = LocalPartial(args[0], list(args[1:]), dict(kwargs))
        record.constant = not any(self.holds_locals(a) for a in [*args, *kwargs.values()])
        value = _call(ast.parse(self.code(node.func), mode="eval").body, args, kwargs) if record.constant \
            else ast.Constant(None)
        name = self.temporary()
        self.emit((name,), value, node)
        self.function_values()[name] = record
        return ast.Name(name)

    def defaults(self: _Normalizer, params: cst.Parameters) -> dict[str, ast.expr]:
        if isinstance(params.star_arg, cst.Param) or params.star_kwarg is not None:
            raise self.unsupported(params, "*args and **kwargs parameters of a nested function are not supported",
                                   hint="name each parameter")
        return {p.name.value: self.atom(p.default) for p in (*params.posonly_params, *params.params,
                                                             *params.kwonly_params) if p.default is not None}

    # ------------------------------------------------------------ inlining

    def inline(self: _Normalizer, record: LocalFunction, args: list[ast.expr], kwargs: dict[str, ast.expr],
               node: cst.Call) -> _Op | ast.expr:
        """The body of a nested def or lambda at the call site: its result's atom (a tuple's display)."""
        frames = self.frames()
        if any(f.function is not None and f.function.node is record.node for f in frames):
            raise self.unsupported(node, f"`{record.name}` calls itself (recursion); it cannot be differentiated",
                                   hint="write the recursion as a loop")
        tokens = [f.token for f in frames]
        if record.frame not in tokens:
            raise self.unsupported(node, f"`{record.name}` was defined inside another function's body that has "
                                   "returned; calling it here is not supported",
                                   hint="define the function where it is called, or at module level")
        _refuse_yield(self, record)
        if not _ends_in_return(record.statements):
            raise self.unsupported(record.node, f"`{record.name}` does not return a value on every path",
                                   hint="end the function with a `return`")
        depth = tokens.index(record.frame)
        binding = self.bind_arguments(record, args, kwargs, node)
        innermost = depth == len(frames) - 1 or record.foreign
        base = dict(self.current if innermost else frames[depth + 1].entry)
        if record.foreign:  # only the attributes of the objects made here, under keys no user name can be
            objects = self.local_objects()
            base = {k: v for k, v in base.items() if "." in k and (k.split(".")[0] in objects or k.startswith("<"))}
        passed = {p: a.id for p, a in binding.items()  # parameters given a value of the caller's as it is
                  if isinstance(a, ast.Name) and (a.id in self.current.values() or a.id in self.generated)}
        saved = _Scope.save(self)
        frames.append(_Frame(next(_TOKENS), record, dict(self.current)))
        try:
            inner = self.inlined_body(record, binding, base, node)
            keys, as_tuple = list(self.results or []), self.results_tuple
        finally:
            frames.pop()
            saved.restore(self)
        results = [ast.Name(inner[k]) for k in keys]
        self.generated.update(r.id for r in results)  # values of the function, which it reads as such
        self.current = self.outer_names(saved.current, base, inner, record, set(keys), innermost, node, passed)
        if as_tuple:
            return self.display_op(ast.Tuple(results), node)
        return results[0]

    def inlined_body(self: _Normalizer, record: LocalFunction, binding: dict[str, ast.expr],
                     base: dict[str, str], node: cst.Call) -> dict[str, str]:
        """Normalize the body in its own scope; returns the names at its end."""
        versions = {}
        for param, atom in binding.items():  # bound in the caller's scope, where the atoms mean what they say
            if isinstance(atom, ast.Name) and (atom.id in self.current.values() or atom.id in self.generated):
                versions[param] = atom.id
            else:
                versions[param] = self.fresh(param)
                self.emit((versions[param],), atom, node)
            from .objects import is_instance

            known = self.known_value(atom) if isinstance(atom, ast.Name) else None
            holds = isinstance(known, (list, tuple)) and any(is_instance(k) for k in known)  # helper(self.layers)
            if known is not None and (is_instance(known) or holds):  # `takes_layer(n, x)`, `dense1.forward(X)`:
                self.parsed.known[versions[param]] = known  # the body knows its object (found in the caller's body)
        self.current = {**base, **versions}
        for name in sorted(record.locals - set(binding)):
            if name not in self.current:  # bound first in the body: a name of its own, never the caller's
                self.current[name] = self.fresh(name)
                self.emit((self.current[name],), ast.Constant(None), node)
        self.results, self.results_tuple = [], False
        self.loop_depth, self.loop_top, self.exits, self.path = 0, False, [], ()
        self.top = tuple(record.statements)
        self.body.extend(self.block(list(record.statements)))
        return self.current

    def outer_names(self: _Normalizer, caller: dict[str, str], base: dict[str, str], inner: dict[str, str],
                    record: LocalFunction, results: set[str], innermost: bool, node: cst.Call,
                    passed: dict[str, str]) -> dict[str, str]:
        """The caller's names after the call: its own, except those the body changed in place
        (`xs.append(v)`, `d[k] = v` on a name it closes over), which Python changes too."""
        names = dict(caller)
        for param, old in passed.items():  # a dict passed in and written into (`p[k] = v`): Python
            new = inner.get(param)  # writes into the caller's dict, which every name of it sees
            if new != old and self.dict_roots.get(new or "") == self.dict_roots.get(old, old):
                for name, version in caller.items():
                    if version == old:
                        names[name] = new
        for name, version in inner.items():
            if name in record.locals or name in results or base.get(name) == version:
                continue
            if not innermost:
                raise self.unsupported(node, f"`{record.name}` changes `{name}` of an enclosing function from "
                                       "inside another nested function", hint="return the new value instead")
            names[name] = version
        return names

    def bind_arguments(self: _Normalizer, record: LocalFunction, args: list[ast.expr], kwargs: dict[str, ast.expr],
                       node: cst.Call) -> dict[str, ast.expr]:
        params = record.node.params
        marker = object()
        kinds = [(p, inspect.Parameter.POSITIONAL_ONLY) for p in params.posonly_params] + \
            [(p, inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in params.params] + \
            [(p, inspect.Parameter.KEYWORD_ONLY) for p in params.kwonly_params]
        signature = inspect.Signature([inspect.Parameter(p.name.value, kind, default=marker if p.default else
                                                         inspect.Parameter.empty) for p, kind in kinds])
        args = self.spread(args, kwargs, signature, node)
        if any(isinstance(a, ast.Starred) for a in args):
            raise self.unsupported(node, f"`*` arguments in a call of `{record.name}` are not supported",
                                   hint="pass each argument by itself")
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as err:
            raise self.unsupported(node, f"the arguments do not match `{record.name}`: {err}") from None
        return {name: bound.arguments.get(name, record.defaults.get(name)) for name in signature.parameters}


    def spread(self: _Normalizer, args: list[ast.expr], kwargs: dict[str, ast.expr], signature: inspect.Signature,
               node: cst.CSTNode) -> list[ast.expr]:
        """`saxpy(*abc)`: a `*` argument as the items it gives, where the signature says how many it
        must give (the positional parameters left, none with a default): unpacked into that many
        names, which raises as Python does where the sequence has another length."""
        starred = [a for a in args if isinstance(a, ast.Starred)]
        if not starred:
            return args
        spread: list[ast.expr] = []
        for a in args:
            if isinstance(a, ast.Starred) and isinstance(a.value, (ast.Tuple, ast.List)):
                spread.extend(a.value.elts)  # f(*(a, b))
            else:
                spread.append(a)
        left = [a for a in spread if isinstance(a, ast.Starred)]
        if not left:
            return spread
        positional = [p for p in signature.parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name not in kwargs]
        if len(left) > 1 or any(p.kind is p.VAR_POSITIONAL for p in signature.parameters.values()):
            return spread  # how many items each gives is not known: refused where bound
        at = spread.index(left[0])
        count = len(positional) - (len(spread) - 1)
        if count <= 0 or any(p.default is not inspect.Parameter.empty for p in positional[at:at + count]):
            return spread  # the items fill parameters with defaults: how many is not known
        from ..rules.registry import lookup
        from .calls import _Op

        names = [self.temporary() for _ in range(count)]
        sequence = left[0].value
        self.emit(tuple(names), _Op(lookup("unpack"), {"a": sequence}, sequence, node), node)
        return [*spread[:at], *(ast.Name(n) for n in names), *spread[at + 1:]]


@dataclass
class _Scope:
    """What an inlined body changes in the normalizer, restored after it."""

    current: dict[str, str]
    results: list[str] | None
    results_tuple: bool
    loop_depth: int
    loop_top: bool
    exits: list[ast.expr]
    path: tuple
    top: tuple
    statement: cst.CSTNode | None

    @classmethod
    def save(cls, norm: _Normalizer) -> "_Scope":
        return cls(dict(norm.current), norm.results, norm.results_tuple, norm.loop_depth, norm.loop_top,
                   norm.exits, norm.path, norm.top, norm.statement)

    def restore(self, norm: _Normalizer) -> None:
        norm.current, norm.results, norm.results_tuple = self.current, self.results, self.results_tuple
        norm.loop_depth, norm.loop_top, norm.exits, norm.path = self.loop_depth, self.loop_top, self.exits, self.path
        norm.top, norm.statement = self.top, self.statement


def _with_final_return(parsed: ParsedFunction, node: cst.FunctionDef) -> list[cst.BaseStatement]:
    """The body's statements, ending in `return None` where the body can end without a return (as
    Python's function then returns None)."""
    statements = list(_lines(node.body))
    if _ends_in_return(statements):
        return statements
    end = cst.SimpleStatementLine([cst.Return(cst.Name("None"))])
    parsed.moved(end, node)
    parsed.moved(end.body[0], node)
    return [*statements, end]


def _parameter_names(params: cst.Parameters) -> set[str]:
    return {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)}


def _names(node: cst.CSTNode) -> set[str]:
    found: set[str] = set()

    class Find(cst.CSTVisitor):
        def visit_Name(self, name: cst.Name) -> None:
            found.add(name.value)

    node.visit(Find())
    return found


def _locals(statements: list[cst.BaseStatement]) -> set[str]:
    """The names a body binds (assignments, loop targets, nested defs): its own, not the caller's."""
    found: set[str] = set()

    class Defs(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            found.add(node.name.value)
            return False

    for statement in statements:
        found |= _assigned_names(statement)
        statement.visit(Defs())
    return found


def _refuse_yield(norm: _Normalizer, record: LocalFunction) -> None:
    class Find(cst.CSTVisitor):
        def visit_Yield(self, node: cst.Yield) -> None:
            raise norm.unsupported(node, "`yield`: a generator cannot be differentiated",
                                   hint="collect the values in a list and return it")

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return False

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

    for statement in record.statements:
        statement.visit(Find())


# ---------------------------------------------------------------- the check after normalization


def _reads(stmt: Any) -> set[str]:
    """The names a normalized statement reads (not those of the statements nested in it)."""
    if isinstance(stmt, Apply):
        return set().union(*(names_in(v) for v in stmt.args.values()), names_in(stmt.primal))
    if isinstance(stmt, Effect):
        return names_in(stmt.statement)
    if isinstance(stmt, If):
        return names_in(stmt.test)
    if isinstance(stmt, Loop):
        parts = [e for e in (stmt.iterable, stmt.test, *stmt.exits) if e is not None]
        return set().union(*(names_in(p) for p in parts)) if parts else set()
    return set()


def _copies(fn: Function) -> dict[str, str]:
    """`s = a` copies in the normalized function: s -> a."""
    return {s.target: s.args["a"].id for s in walk(fn.body)  # type: ignore[union-attr]
            if isinstance(s, Apply) and s.rule.key == "identity" and isinstance(s.args.get("a"), ast.Name)}


def _family(roots: set[str], copies: dict[str, str]) -> set[str]:
    """The roots and every name copied from one (at any depth)."""
    found = set(roots)
    size = -1
    while size != len(found):
        size = len(found)
        found |= {s for s, a in copies.items() if a in found}
    return found


def check_local_functions(fn: Function, parsed: ParsedFunction, copies: dict[str, str]) -> None:
    """Refuse a nested def, a lambda or a partial reading the function's values, used as a value: it is
    only ever inlined where it is called, and the generated code does not hold it."""
    values = parsed.scratch.get("functions", {})
    local = _family({v for v, r in values.items() if not r.constant}, copies)
    for stmt in walk(fn.body):
        copy = isinstance(stmt, Apply) and stmt.rule.key == "identity" and stmt.target in local
        used = _reads(stmt) & local
        if used and not copy and isinstance(stmt, Apply) and stmt.rule.callee is not None:
            raise UnsupportedSyntax(f"passing a nested function, lambda or partial made in the function to "
                                    f"`{getattr(stmt.rule.callee, '__name__', 'a function')}` is not supported",
                                    stmt.span, hint="define the function at module level and pass the values it "
                                    "uses as arguments")
        if used and not copy:
            raise UnsupportedSyntax(
                "a nested function, lambda or partial made in the function is used here as a value; "
                "only calling it is supported", getattr(stmt, "span", None),
                hint="call it where it is defined; to pass a function to another one, define it at module level "
                "and pass the values it uses as arguments")
    returned = {r.id for r in fn.returns if isinstance(r, ast.Name)} & local
    if returned:
        raise UnsupportedSyntax("the function returns a nested function, lambda or partial; it cannot be "
                                "differentiated", fn.span, hint="return the values it computes instead")
