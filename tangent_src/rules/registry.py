"""The rule table: one entry per primitive, holding its tangent and adjoint templates.

Stage: none (data). The transforms look rules up here by qualified name
(`numpy.sin`, `operator.mul`); this module never imports a transform.

A rule is written as plain Python that reads like the math. Two forms exist:

    @elementwise("numpy.tanh")
    def tanh(x, z):
        "d tanh(x) = (1 - tanh(x)**2) dx"
        return 1 - z**2                     # the partial derivative dz/dx

gives both directions at once (dz = (1 - z**2) * dx; bx = (1 - z**2) * bz), and

    @rule("numpy.sum")
    def sum(x, axis=None, keepdims=False):
        "z = sum(x, axis)"
        def tangent(dx):
            return np.sum(dx, axis=axis, keepdims=keepdims)
        def adjoint(bz):
            return unreduce(bz, like=x, axis=axis, keepdims=keepdims)

whose outer signature is the primitive's, with nested tangent and adjoint
templates. Inside a template, a parameter name stands for the argument, `z` for
the result, `d<p>` for the tangent of parameter p and `bz` for the adjoint of
the result; the nested functions take those they use as parameters
(`def adjoint(bz, z)`), so each rule is valid, lintable Python.
The adjoint returns one contribution per differentiable parameter
(a tuple, in the order of `diff`). Templates are parsed once, from the rule's
own source, and instantiated by renaming; their text is what appears in the
generated code.

A keyword argument in a template whose value mentions an optional parameter
that the user's call did not pass is dropped, so `np.sum(dx, axis=axis)` becomes
`np.sum(dx)` for `np.sum(x)`: the callee's own default takes over.
"""

from __future__ import annotations

import ast
import linecache
import functools
import builtins
import sys
import inspect
import textwrap
import types
from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np

Sampler = Callable[[np.random.Generator, tuple], np.ndarray]


def real(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Standard normal values."""
    return rng.standard_normal(shape)


def positive(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Values in [0.5, 2.5), away from zero."""
    return rng.uniform(0.5, 2.5, shape)


def unit_interval(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Values in (-0.9, 0.9), inside the domain of arcsin and arccos."""
    return rng.uniform(-0.9, 0.9, shape)


def nonzero(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Values of magnitude in [0.5, 2] with random sign, away from kinks at zero."""
    return rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


@dataclass(frozen=True)
class Template:
    """A parsed rule body: local statements, then the returned expression(s)."""

    body: tuple[ast.stmt, ...]
    result: ast.expr
    text: str


@dataclass
class Rule:
    """One primitive: its signature and how its derivatives are formed."""

    key: str
    signature: inspect.Signature
    diff: tuple[str, ...] = ()
    tangent: Template | None = None
    adjoint: Template | None = None
    elementwise: bool = False
    view: bool = False
    doc: str = ""
    domain: dict[str, Sampler] = field(default_factory=dict)
    callee: Callable | None = None  # a function of the user's, differentiated as a whole
    globals: dict[str, object] = field(default_factory=dict)  # other names the templates use (a user's helpers)
    origin: str = "tangent_src.rules"  # the module the rule was written in
    strict: tuple[str, ...] = ()  # parameters of a non-differentiable primitive that must not vary
    effect: bool = False  # calling it changes state (a random draw): never dropped as dead code
    # parameters the result is locally constant in, which may hold differentiated values (arange's
    # stop only sets the length; `like=` only gives the array type): no derivative, and no refusal
    constant_in: tuple[str, ...] = ()
    # the parameter whose elements the result adds up, when only it is given (np.sum(a)): then
    # an adjoint of 1 for the result is ones for it, which `grad` need not write out
    total_of: str | None = None

    @property
    def differentiable(self) -> bool:
        return bool(self.diff)

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(self.signature.parameters)


@dataclass(frozen=True)
class Method:
    """An array method or attribute spelled on a value, e.g. `x.sum(axis=0)` or `x.T`."""

    name: str
    key: str
    pack_varargs: str | None = None  # x.reshape(3, 4): positional args packed into this parameter


_RULES: dict[str, Rule] = {}
_METHODS: dict[str, Method] = {}
_ATTRIBUTES: dict[str, str] = {}
_ALIASES: dict[str, str] = {}
_OBJECTS: dict[int, str] | None = None
_PINNED: dict[str, object] = {}  # key -> the object, for rules registered on a function object


def register(entry: Rule, aliases: Iterable[str] = ()) -> Rule:
    """Add a rule to the table (replacing any rule of the same key)."""
    global _OBJECTS
    _RULES[entry.key] = entry
    for alias in aliases:
        _ALIASES[alias] = entry.key
    _OBJECTS = None
    return entry


def lookup(key: str) -> Rule | None:
    """The rule for a qualified name, or None."""
    return _RULES.get(_ALIASES.get(key, key))


def all_rules() -> list[Rule]:
    """Every rule, sorted by key."""
    return [_RULES[k] for k in sorted(_RULES)]


def method(name: str) -> Method | None:
    """The rule-backed method `x.name(...)`, or None."""
    return _METHODS.get(name)


def attribute(name: str) -> str | None:
    """The key of the rule for the attribute read `x.name`, or None."""
    return _ATTRIBUTES.get(name)


def key_of(obj: object) -> str | None:
    """The qualified name of a rule whose primitive is this very object (any alias).

    Only modules already imported are looked in (a function the user calls comes from
    one), so that looking up never imports scipy; the table is rebuilt when more
    modules have been imported since.
    """
    global _OBJECTS, _MODULES_SEEN
    owner = getattr(obj, "__self__", None)
    if isinstance(owner, np.ufunc) and isinstance(obj, types.BuiltinMethodType):  # np.add.outer: made anew
        key = f"numpy.{owner.__name__}.{obj.__name__}"  # at each read, so found by its ufunc and name
        return key if key in _RULES else None
    if _OBJECTS is None or (id(obj) not in _OBJECTS and len(sys.modules) != _MODULES_SEEN):
        _MODULES_SEEN = len(sys.modules)
        _OBJECTS = {}
        for key in list(_ALIASES) + list(_RULES):
            found = _PINNED[key] if key in _PINNED else _resolve(key)
            if found is not None:
                _OBJECTS.setdefault(id(found), _ALIASES.get(key, key))
    return _OBJECTS.get(id(obj))


_MODULES_SEEN = 0


def _resolve(dotted: str) -> object | None:
    module_name, _, attr = dotted.rpartition(".")
    while module_name:
        obj: object | None = sys.modules.get(module_name)
        if obj is None:
            module_name, _, head = module_name.rpartition(".")
            attr = f"{head}.{attr}"
            continue
        for part in attr.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                return None
        return obj
    return None


# ---------------------------------------------------------------- rule builders


def _key(target: str | Callable) -> str:
    """A rule's key: the qualified name given, or that of the function object given."""
    if isinstance(target, str):
        return target
    key = f"{getattr(target, '__module__', None) or 'builtins'}.{getattr(target, '__qualname__', repr(target))}"
    _PINNED[key] = target
    return key


_KNOWN = {"np", "numpy", "math", "z", "bz"} | set(dir(builtins))


def _template_globals(fn: Callable, templates: list[Template], params: Iterable[str]) -> dict[str, object]:
    """The names a rule's templates use besides its parameters, numpy, math and the runtime
    helpers: the rule's own module supplies them to generated code (a user's helper functions)."""
    from .. import runtime

    if fn.__module__.startswith("tangent_src."):
        return {}  # the built-in table uses numpy, math and the runtime helpers only
    known = _KNOWN | set(params) | {f"d{p}" for p in params} | set(vars(runtime))
    found: dict[str, object] = {}
    for template in templates:
        stored = {n.id for s in template.body for n in ast.walk(s) if isinstance(n, ast.Name)
                  and isinstance(n.ctx, ast.Store)}
        for node in [*template.body, template.result]:
            for name in (n.id for n in ast.walk(node) if isinstance(n, ast.Name)):
                if name not in known and name not in stored and name in fn.__globals__:
                    found[name] = fn.__globals__[name]
    return found


def _function_ast(fn: Callable) -> ast.FunctionDef:
    """The def of a rule, from its file parsed once (inspect.getsource tokenizes the file again for
    each function: most of the rule table's import time)."""
    code = fn.__code__
    node = _defs_in(code.co_filename).get(code.co_firstlineno)
    if node is not None and node.name == fn.__name__:
        return node  # (templates are read, never changed: instantiating one copies it)
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    node = tree.body[0]
    assert isinstance(node, ast.FunctionDef)
    return node


@functools.lru_cache(maxsize=64)
def _defs_in(filename: str) -> dict[int, ast.FunctionDef]:
    """The defs of a file by the line of their first decorator (a code object's first line) and of
    their `def`; empty where the file's source cannot be read or parsed."""
    try:
        tree = ast.parse("".join(linecache.getlines(filename)))
    except SyntaxError:
        return {}
    found: dict[int, ast.FunctionDef] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            found.setdefault(node.lineno, node)
            for decorator in node.decorator_list:
                found.setdefault(decorator.lineno, node)
    return found


def _body_without_docstring(node: ast.FunctionDef) -> list[ast.stmt]:
    body = list(node.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return body


def _template(statements: list[ast.stmt]) -> Template:
    *body, last = statements
    if not isinstance(last, ast.Return) or last.value is None:
        raise ValueError("a rule template must end with `return <expression>`")
    text = "\n".join(ast.unparse(s) for s in statements)
    return Template(tuple(body), last.value, text)


def _primal_signature(fn: Callable, drop_output: bool) -> inspect.Signature:
    sig = inspect.signature(fn)
    params = list(sig.parameters.values())
    if drop_output:
        params = [p for p in params if p.name != "z"]
    return sig.replace(parameters=params)


def rule(
    key: str | Callable,
    *,
    diff: tuple[str, ...] | None = None,
    domain: dict[str, Sampler] | None = None,
    aliases: Iterable[str] = (),
    view: bool = False,
    total_of: str | None = None,
    effect: bool = False,
    constant_in: tuple[str, ...] = (),
) -> Callable[[Callable], Callable]:
    """Register a primitive whose body holds nested `tangent` and `adjoint` templates.

    `key` is the primitive's qualified name ("numpy.sum") or the function object
    itself (a function of yours, or of a library). `total_of` names the parameter
    whose elements the result adds up when no other argument is given (see Rule); `effect`
    marks a primitive whose call changes state (a random draw), never dropped as dead code;
    `constant_in` names parameters the result is locally constant in (see Rule).
    """
    name = _key(key)

    def decorate(fn: Callable) -> Callable:
        node = _function_ast(fn)
        nested = {n.name: n for n in _body_without_docstring(node) if isinstance(n, ast.FunctionDef)}
        signature = _primal_signature(fn, drop_output=False)
        chosen = diff if diff is not None else tuple(
            p.name for p in signature.parameters.values() if p.default is inspect.Parameter.empty
        )
        tangent = _template(_body_without_docstring(nested["tangent"]))
        adjoint = _template(_body_without_docstring(nested["adjoint"]))
        entry = Rule(
            key=name,
            signature=signature,
            diff=chosen,
            tangent=tangent,
            adjoint=adjoint,
            view=view,
            total_of=total_of,
            effect=effect,
            constant_in=constant_in,
            doc=inspect.getdoc(fn) or "",
            domain=domain or {},
            globals=_template_globals(fn, [tangent, adjoint], signature.parameters),
            origin=fn.__module__,
        )
        register(entry, aliases)
        return fn

    return decorate


def elementwise(
    key: str | Callable,
    *,
    domain: dict[str, Sampler] | Sampler | None = None,
    aliases: Iterable[str] = (),
    adjoints: dict[str, str] | None = None,
) -> Callable[[Callable], Callable]:
    """Register an elementwise (broadcasting) primitive by its partial derivatives.

    The function takes the primitive's parameters and `z`, the result, and
    returns dz/dp for each parameter p (a tuple for several; None for a
    parameter the result does not depend on differentiably). `key` is the
    primitive's qualified name or the function object itself.

    `adjoints` may give, per parameter p, the adjoint expression to use instead of
    `unbroadcast(dz/dp * bz, like=p)`, when the same sum is cheaper in another order
    (for z = x / y: `-unbroadcast(z * bz, like=y) / y` sums before it divides).
    """
    name = _key(key)

    def decorate(fn: Callable) -> Callable:
        node = _function_ast(fn)
        signature = _primal_signature(fn, drop_output=True)
        partials = _template(_body_without_docstring(node))
        names = tuple(signature.parameters)
        exprs = list(partials.result.elts) if isinstance(partials.result, ast.Tuple) else [partials.result]
        if len(exprs) != len(names):
            raise ValueError(f"{key}: one partial derivative per parameter is needed")
        diff = tuple(n for n, e in zip(names, exprs) if not _is_none(e))
        kept = tuple(e for e in exprs if not _is_none(e))
        samplers = domain if isinstance(domain, dict) else {n: domain or real for n in names}
        entry = Rule(
            key=name,
            signature=signature,
            diff=diff,
            tangent=_partials_tangent(partials, diff, kept),
            adjoint=_partials_adjoint(partials, diff, kept, len(names) > 1, adjoints or {}),
            elementwise=True,
            doc=inspect.getdoc(fn) or "",
            domain=samplers,
            globals=_template_globals(fn, [partials], names),
            origin=fn.__module__,
        )
        register(entry, aliases)
        return fn

    return decorate


def _is_none(e: ast.expr) -> bool:
    return isinstance(e, ast.Constant) and e.value is None


def _partials_tangent(partials: Template, diff: tuple[str, ...], exprs: tuple[ast.expr, ...]) -> Template:
    terms = [ast.BinOp(e, ast.Mult(), ast.Name(f"d{p}")) for p, e in zip(diff, exprs)]
    total: ast.expr = terms[0]
    for t in terms[1:]:
        total = ast.BinOp(total, ast.Add(), t)
    return Template(partials.body, total, partials.text)


def _partials_adjoint(
    partials: Template, diff: tuple[str, ...], exprs: tuple[ast.expr, ...], broadcasting: bool,
    given: dict[str, str],
) -> Template:
    contributions: list[ast.expr] = []
    for p, e in zip(diff, exprs):
        if p in given:
            contributions.append(ast.parse(given[p], mode="eval").body)
            continue
        term: ast.expr = ast.BinOp(e, ast.Mult(), ast.Name("bz"))
        if broadcasting:
            term = ast.Call(ast.Name("unbroadcast"), [term], [ast.keyword("like", ast.Name(p))])
        contributions.append(term)
    return Template(partials.body, ast.Tuple(contributions), partials.text)


def nondiff(*keys: str | Callable, signature: Callable | None = None, view: bool = False,
            strict: tuple[str, ...] = (), effect: bool = False) -> None:
    """Mark primitives (qualified names or function objects) as non-differentiable:
    their results never carry a derivative. A `strict` parameter must not receive a
    value that varies (np.full(n, c) does depend on c: we do not silently drop it)."""
    sig = inspect.signature(signature) if signature else inspect.Signature(
        [inspect.Parameter("args", inspect.Parameter.VAR_POSITIONAL),
         inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD)]
    )
    for key in keys:
        register(Rule(key=_key(key), signature=sig, view=view, doc="non-differentiable", strict=strict,
                      effect=effect, origin=sys._getframe(1).f_globals.get("__name__", "")))


def array_method(name: str, key: str, pack_varargs: str | None = None) -> None:
    """Declare that `x.name(...)` means the primitive `key` with x as first argument."""
    _METHODS[name] = Method(name, key, pack_varargs)


def array_attribute(name: str, key: str) -> None:
    """Declare that the attribute read `x.name` is the primitive `key` applied to x."""
    _ATTRIBUTES[name] = key


def sequence_rule(size: int, kind: str) -> Rule:
    """`[x0, x1, ...]` (or a tuple) as a primitive: the tangent and adjoint go item by item."""
    key = f"{kind}.display{size}"
    found = _SEQUENCES.get(key)
    if found is None:
        names = [f"x{i}" for i in range(size)]
        params = [inspect.Parameter(n, inspect.Parameter.POSITIONAL_ONLY) for n in names]
        node = ast.List if kind == "list" else ast.Tuple
        tangent = node([ast.Name(f"d{n}") for n in names])
        adjoint = ast.Tuple([ast.Subscript(ast.Name("bz"), ast.Constant(i)) for i in range(size)])
        found = Rule(key=key, signature=inspect.Signature(params), diff=tuple(names),
                     tangent=Template((), tangent, ast.unparse(tangent)),
                     adjoint=Template((), adjoint, ast.unparse(adjoint)), doc=f"a {kind} of values")
        _SEQUENCES[key] = found
    return found


_SEQUENCES: dict[str, Rule] = {}


def dict_rule(size: int) -> Rule:
    """`{k0: v0, k1: v1, ...}` as a primitive: the keys are constants, the tangent and the
    adjoint go value by value (the adjoint of v_i is bz[k_i])."""
    key = f"dict.display{size}"
    found = _SEQUENCES.get(key)
    if found is None:
        keys, values = [f"k{i}" for i in range(size)], [f"v{i}" for i in range(size)]
        params = [inspect.Parameter(n, inspect.Parameter.POSITIONAL_ONLY) for n in keys + values]
        tangent = ast.Dict([ast.Name(k) for k in keys], [ast.Name(f"d{v}") for v in values])
        adjoint = ast.Tuple([ast.Subscript(ast.Name("bz"), ast.Name(k)) for k in keys])
        found = Rule(key=key, signature=inspect.Signature(params), diff=tuple(values),
                     tangent=Template((), tangent, ast.unparse(tangent)),
                     adjoint=Template((), adjoint, ast.unparse(adjoint)), doc="a dict of values")
        _SEQUENCES[key] = found
    return found
