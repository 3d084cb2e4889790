"""Functions as values (part of the normalizer): calls of local names, of partials, of methods of objects.

Stage: frontend. Input: libcst calls whose callee is a value of the function (a parameter, a local
name, an attribute of an object) or a module-level value that is no primitive (a bound method, a
partial, an object with `__call__`). Output: `_Op`s applying a rule of the table or the rule of a
user function (made for the functions and objects its arguments are), or an inlined body.

- A nested `def`, a lambda or a partial made in the function is inlined where it is called
  (inlining.py).
- A parameter given a function or an object (`rk4_step(f, y)` with f=pendulum, `self` of a bound
  method) has a value known when the derivative is made (`ParsedFunction.known`, a `Specialized`
  function); a call of it, or of a method of it, is a call of that very function, whose derivative
  is made for it. A parameter whose value is needed but unknown raises `NeedsValue`: the Python API
  then derives at the first call, from the actual argument (api.py).
- `functools.partial(f, a)` (made in the function, given as an argument, or at module level) is a
  call of f with a first.
"""

from __future__ import annotations

import ast
import functools
import inspect
import types
from typing import TYPE_CHECKING, Any

import libcst as cst
import numpy as np

from ..errors import UnsupportedSyntax
from ..ir import Apply, Function, walk
from ..rules.registry import key_of, lookup
from .objects import Objects, _foreign_problem, check_local_objects
from .inlining import Inlining, LocalFunction, LocalPartial, _call, _copies, check_local_functions
from .source import ParsedFunction, Specialized, attribute_parameter, specialized
from .static import Unknown, is_library as _is_library

if TYPE_CHECKING:
    from .calls import _Op
    from .normalize import _Normalizer

_MISSING = object()


LOOPS_OVER = "function loops over it"  # NeedsValue.doing of a loop over an argument (frontend/control.py)


class NeedsValue(UnsupportedSyntax):
    """A parameter is called (or looked into) and its argument is not known yet."""

    def __init__(self, parameter: str, doing: str, span: Any = None):
        self.parameter, self.doing = parameter, doing
        super().__init__(f"`{parameter}` is an argument, and this {doing}: its value is known only when the "
                         "derivative is called", span,
                         hint="differentiate with the Python API (tangent_src.grad), which makes the derivative "
                         "at its first call, for the function or object passed; or call a module-level "
                         "function by its name")


class Opaque:
    """A known argument that is a plain value (an array, a number, a dict): nothing to resolve."""

    _made: dict[type, "Opaque"] = {}

    def __init__(self, kind: type):
        self.kind = kind

    @classmethod
    def of(cls, kind: type) -> "Opaque":
        return cls._made.setdefault(kind, cls(kind))


def specializable(value: Any) -> bool:
    """Whether a derivative is made for this very value: a function or an object, not a plain value."""
    plain = (bool, int, float, complex, str, bytes, dict, list, tuple, set, frozenset, type, range, slice,
             np.ndarray, np.generic, types.ModuleType, Opaque)
    if value is None or isinstance(value, plain) or isinstance(value, Unknown):
        return False
    return not any(hasattr(value, a) for a in ("__array__", "__array_function__", "__cuda_array_interface__"))



class Functions(Objects, Inlining):
    """The functions-as-values part of the normalizer (mixed into `_Normalizer`)."""

    # ------------------------------------------------------------ hooks

    def local_call(self: _Normalizer, node: cst.Call, func: cst.Name, args: list[ast.expr],
                   kwargs: dict[str, ast.expr]) -> _Op | ast.expr:
        """`f(x)` where f is a value of the function (a parameter, or a name bound in it)."""
        version = self.current[func.value]
        value = self.known_value(ast.Name(version))
        if value is _MISSING:
            if version in self.parameters:
                raise NeedsValue(func.value, "calls it", self.span(func))
            raise self.unsupported(func, f"`{func.value}` is not a function known before the call runs (one taken "
                                   "from a list or a dict, or chosen by an `if`, is not supported)",
                                   hint="call the function by its own name: a def or lambda of the function, a "
                                   "module-level function, or a function passed as an argument")
        return self.call_value(value, ast.Name(version), node, func, args, kwargs)

    def object_method_call(self: _Normalizer, node: cst.Call, func: cst.Attribute, args: list[ast.expr],
                           kwargs: dict[str, ast.expr]) -> _Op | None:
        """`obj.method(x)` (or `self.layer(x)`) where obj's value is known: None where it is not an object."""
        root = func.value
        while isinstance(root, cst.Attribute):
            root = root.value
        if not isinstance(root, cst.Name) or root.value not in self.current:
            return None
        version = self.current[root.value]
        holder = self.known_value(ast.Name(version))
        if holder is _MISSING and version in self.parameters and not self.is_dict(root) \
                and not hasattr(np.ndarray, func.attr.value):  # `x.item()`: an array's method, refused now
            raise NeedsValue(root.value, f"calls `{self.code(func)}(...)`", self.span(func))
        holder = self.attribute_value(holder, func.value)
        if holder is _MISSING or not specializable(holder):
            return None
        method = getattr(holder, func.attr.value, _MISSING)
        if method is _MISSING:
            raise self.unsupported(func.attr, f"`{self.code(func)}` does not exist (the object is a "
                                   f"{type(holder).__name__})")
        receiver = self.atom(func.value)
        if isinstance(receiver, ast.Name) and receiver.id in self.generated:
            self.parsed.known[receiver.id] = holder
        if isinstance(method, types.MethodType) and method.__self__ is holder:
            if self.inlines_method(holder, method.__func__, node):  # it sets self.h, or reads one set here
                return self.inline_foreign(method.__func__, [receiver, *args], kwargs, node)
            target = self.class_attribute(type(holder), func.attr.value, receiver)
            return self.known_call(method.__func__, target, node, func, [receiver, *args], kwargs)
        if not callable(method):
            raise self.unsupported(func, f"`{self.code(func)}` is a {type(method).__name__}, not a function")
        expr = ast.Attribute(receiver, func.attr.value)
        if specializable(method) and not isinstance(method, types.FunctionType):  # self.layer1(x): an object
            expr = self.atom_of(self.lower(func), func)
            if isinstance(expr, ast.Name):
                self.parsed.known[expr.id] = method
        return self.known_call(method, expr, node, func, args, kwargs)

    def value_call(self: _Normalizer, node: cst.Call, func: cst.BaseExpression, obj: Any, args: list[ast.expr],
                   kwargs: dict[str, ast.expr]) -> _Op | ast.expr | None:
        """A call of a module-level value that is no rule's primitive: a function of the user's, a bound
        method, a partial, a callable object; `functools.partial(...)` makes a partial. None: not one."""
        if obj is functools.partial:
            return self.make_partial(node, args, kwargs)
        if isinstance(obj, type) and not _is_library(obj):
            return self.make_object(obj, func, node, args, kwargs)  # objects.py
        if isinstance(obj, types.FunctionType) and _is_library(obj):
            return None
        if not callable(obj) or isinstance(obj, type) or not specializable(obj):
            return None
        expr = ast.parse(self.code(func), mode="eval").body
        if isinstance(obj, types.MethodType) and isinstance(func, cst.Attribute) \
                and getattr(type(obj.__self__), func.attr.value, None) is obj.__func__:
            receiver = ast.parse(self.code(func.value), mode="eval").body
            if self.inlines_method(obj.__self__, obj.__func__, node):
                known = self.constant_atom(receiver, obj.__self__, func.value)  # `dense1.forward(X)`
                return self.inline_foreign(obj.__func__, [known, *args], kwargs, node)
            target = self.class_attribute(type(obj.__self__), func.attr.value, receiver)
            return self.known_call(obj.__func__, target, node, func, [receiver, *args], kwargs)
        return self.known_call(obj, expr, node, func, args, kwargs)

    # ------------------------------------------------------------ values known while normalizing

    def known_value(self: _Normalizer, atom: ast.expr) -> Any:
        """The value an atom holds where it is known now (a function, an object, a local function
        value, or an Opaque plain value), else _MISSING."""
        if isinstance(atom, ast.Constant):
            return atom.value
        if isinstance(atom, ast.Attribute):
            base = self.known_value(atom.value)
            return _MISSING if base is _MISSING else getattr(base, atom.attr, _MISSING)
        if not isinstance(atom, ast.Name):
            return _MISSING
        name = atom.id
        if name in self.current.values() or name in self.generated:
            root = self.copies.get(name, (name, 0))[0]
            for candidate in (name, root):
                if candidate in self.function_values():
                    return self.function_values()[candidate]
                if candidate in self.parsed.known:
                    return self.parsed.known[candidate]
            made = next((s for s in reversed(self.body) if isinstance(s, Apply) and name in s.targets), None)
            return _attribute_of(made, self.known_value) if made is not None else _MISSING
        try:
            return self.parsed.lookup(name)
        except KeyError:
            return _MISSING

    def attribute_value(self: _Normalizer, holder: Any, node: cst.BaseExpression) -> Any:
        """The value of `self.layer1` from the known value of `self`; _MISSING where the function
        assigned the attribute (it is that value then) or where the root is not known."""
        if isinstance(node, cst.Name) or holder is _MISSING:
            return holder
        assert isinstance(node, cst.Attribute)
        path = self.attribute_path(node)
        key = self.attribute_key(node) if isinstance(node.value, cst.Name) else None
        if (path is not None and path in self.current) or (key is not None and key in self.current):
            return _MISSING
        base = self.attribute_value(holder, node.value)
        if base is _MISSING or not specializable(base):
            return _MISSING
        found = getattr(base, node.attr.value, _MISSING)
        if found is _MISSING:
            raise self.unsupported(node, f"`{self.code(node)}` does not exist (the object is a {type(base).__name__})")
        return found

    def call_value(self: _Normalizer, value: Any, expr: ast.expr, node: cst.Call, func: cst.CSTNode,
                   args: list[ast.expr], kwargs: dict[str, ast.expr]) -> _Op | ast.expr:
        if isinstance(value, LocalFunction):
            return self.inline(value, args, kwargs, node)
        if isinstance(value, LocalPartial):
            target = self.known_value(value.target)
            if target is _MISSING:
                raise self.unsupported(node, "the function this partial calls is not known before the call runs",
                                       hint="pass functools.partial a function by its name")
            return self.call_value(target, value.target, node, func, [*value.args, *args],
                                   {**value.keywords, **kwargs})
        return self.known_call(value, expr, node, func, args, kwargs)

    def known_call(self: _Normalizer, obj: Any, expr: ast.expr, node: cst.Call, func: cst.CSTNode,
                   args: list[ast.expr], kwargs: dict[str, ast.expr]) -> _Op | ast.expr:
        """A call of a value known now, spelled `expr` in the generated code."""
        if isinstance(obj, Opaque) or not callable(obj):
            kind = obj.kind.__name__ if isinstance(obj, Opaque) else type(obj).__name__
            raise self.unsupported(func, f"`{self.code(func)}` is a {kind} value here, not a function")
        if not isinstance(obj, (types.FunctionType, Specialized, functools.partial)) \
                and getattr(obj, "__wrapped__", None) is not None:
            obj = inspect.unwrap(obj)  # @ts.differentiate, functools.wraps
        key = key_of(obj) if not isinstance(obj, Specialized) else None
        rule = lookup(key) if key else None
        if rule is not None:
            return self.bound_op(rule, args, kwargs, _call(expr, args, kwargs), node)
        if isinstance(obj, types.FunctionType) and not _is_library(obj) and self.passes_local_values(obj, args, kwargs):
            why = _foreign_problem(self, obj)  # objects.py: inlined, so that the derivative follows them
            if why is None:
                return self.inline_foreign(obj, args, kwargs, node)
            if any(isinstance(a, ast.Name) and a.id in self.local_objects() for a in [*args, *kwargs.values()]):
                raise self.unsupported(node, f"an object made in the function is passed to `{obj.__name__}`, "
                                       f"which cannot be inlined: {why}", hint="create the object outside and "
                                       "pass it as an argument")
        if isinstance(obj, (Specialized, types.FunctionType)) and any(isinstance(a, ast.Starred) for a in args):
            try:  # saxpy(*abc): the items the `*` argument gives, as names
                args = self.spread(args, kwargs, inspect.signature(obj), node)
            except (TypeError, ValueError):
                pass
        if isinstance(obj, Specialized) or (isinstance(obj, types.FunctionType) and not _is_library(obj)):
            target, extra = self.specialize(obj, args, kwargs, node)
            if extra:  # the attributes the callee differentiates go to it by keyword
                kwargs = {**kwargs, **extra}
                expr = self.name_object(target)
            return self.bound_op(self.user_function(target, node), args, kwargs, _call(expr, args, kwargs), node)
        if isinstance(obj, functools.partial):
            leading = [self.constant_atom(ast.Subscript(ast.Attribute(expr, "args"), ast.Constant(i)), v, node)
                       for i, v in enumerate(obj.args)]
            given = {k: self.constant_atom(ast.Subscript(ast.Attribute(expr, "keywords"), ast.Constant(k)), v, node)
                     for k, v in obj.keywords.items()}
            return self.known_call(obj.func, ast.Attribute(expr, "func"), node, func, [*leading, *args],
                                   {**given, **kwargs})
        if isinstance(obj, types.MethodType):
            receiver = self.constant_atom(ast.Attribute(expr, "__self__"), obj.__self__, node)
            if isinstance(obj.__func__, types.FunctionType) and self.inlines_method(obj.__self__, obj.__func__, node):
                return self.inline_foreign(obj.__func__, [receiver, *args], kwargs, node)  # it sets self.h
            return self.known_call(obj.__func__, ast.Attribute(expr, "__func__"), node, func, [receiver, *args], kwargs)
        call = inspect.getattr_static(type(obj), "__call__", None)
        if isinstance(call, types.FunctionType) and not isinstance(obj, type):  # an object with __call__
            receiver = expr if isinstance(expr, ast.Name) else self.constant_atom(expr, obj, node)
            if self.inlines_method(obj, call, node):  # `layer(x)`, whose __call__ sets self.out
                if isinstance(receiver, ast.Name):
                    self.parsed.known.setdefault(receiver.id, obj)
                return self.inline_foreign(call, [receiver, *args], kwargs, node)
            target = self.class_attribute(type(obj), "__call__", receiver)
            return self.known_call(call, target, node, func, [receiver, *args], kwargs)
        raise self.missing(node, func, obj)  # type: ignore[arg-type]

    def specialize(self: _Normalizer, fn: Any, args: list[ast.expr], kwargs: dict[str, ast.expr],
                   node: cst.CSTNode) -> tuple[Any, dict[str, ast.expr]]:
        """The callee made for the functions and objects its arguments are (and, for an object with an
        attribute differentiated here, that attribute as a keyword argument)."""
        try:
            bound = inspect.signature(fn).bind_partial(*args, **kwargs)
        except TypeError:
            return fn, {}  # bound_op says what does not match
        known, attributes, extra = {}, {}, {}
        for name, atom in bound.arguments.items():
            value = self.known_value(atom) if isinstance(atom, ast.expr) else _MISSING
            if isinstance(value, (LocalFunction, LocalPartial)):
                raise self.unsupported(node, f"passing a nested function, lambda or partial made in "
                                       f"the function to `{fn.__name__}` is not supported",
                                       hint="define the function at module level and pass the values it uses "
                                       "as arguments")
            if value is _MISSING or not specializable(value):
                continue
            known[name] = value
            for path, parameter in self.attributes_of(value, name, getattr(fn, "function", fn)).items():
                attributes[path] = parameter[1]
                extra[parameter[1]] = ast.Name(self.current[parameter[0]])
        return specialized(fn, known, attributes), extra

    def attributes_of(self: _Normalizer, value: Any, name: str, callee: Any) -> dict[str, tuple[str, str]]:
        """The differentiated attributes of `value` or of the objects it holds (passed as the callee's
        `name`): callee path -> (the caller's parameter for it, the callee's)."""
        found = {}
        reached = _reach(value)
        for (holder, attribute), parameter in self.parsed.attributes.items():
            if holder in reached:
                path = f"{name}{reached[holder]}.{attribute}"
                found[path] = (parameter, attribute_parameter(callee, path))
        return found

    def constant_atom(self: _Normalizer, expr: ast.expr, value: Any, node: cst.CSTNode) -> ast.Name:
        """A name holding a constant read from a known value (`f.args[0]`, `f.__self__`)."""
        name = self.temporary()
        self.emit((name,), expr, node)
        self.parsed.known[name] = value
        return ast.Name(name)

    def class_attribute(self: _Normalizer, cls: type, name: str, receiver: ast.expr) -> ast.expr:
        """`Model.loss` where the function's globals call the class so, else `type(self).loss`."""
        try:
            named = self.parsed.lookup(cls.__name__) is cls and cls.__name__ not in self.current
        except KeyError:
            named = False
        owner = ast.Name(cls.__name__) if named else ast.Call(ast.Name("type"), [receiver], [])
        return ast.Attribute(owner, name)

    def name_object(self: _Normalizer, obj: Any) -> ast.Name:
        """A name the generated code calls `obj` by (a specialized callee that takes the attributes
        it differentiates by keyword)."""
        name = self.fresh(getattr(obj, "__name__", "function"))
        self.parsed.closure[name] = obj
        return ast.Name(name)

# ---------------------------------------------------------------- checks after normalization


def check_values(fn: Function, parsed: ParsedFunction) -> None:
    """Refuse what the generated code could not do as the function does: a nested def, a lambda or a
    partial reading the function's values, used as a value (inlining.py); an attribute
    differentiated as a parameter, read some other way than by its path."""
    copies = _copies(fn)
    check_local_functions(fn, parsed, copies)
    check_local_objects(fn, parsed)
    _check_attribute_reads(fn, parsed)


def _attribute_of(made: Any, value_of: Any) -> Any:
    """The value `t = getattr(obj, "name")` gives where obj's value is a known object (or `t = xs[0]`,
    xs a known list, tuple or dict and the item an object or a function), else _MISSING."""
    if isinstance(made, Apply) and made.rule.key == "getitem" and isinstance(made.args.get("index"), ast.Constant):
        container = value_of(made.args["a"])
        if isinstance(container, (list, tuple, dict)):
            try:
                item = container[made.args["index"].value]
            except (IndexError, KeyError, TypeError):
                return _MISSING
            return item if specializable(item) else _MISSING
        return _MISSING
    if not (isinstance(made, Apply) and made.rule.key == "getattr" and isinstance(made.args.get("name"), ast.Constant)):
        return _MISSING
    base = value_of(made.args["obj"])
    if base is _MISSING or not specializable(base):
        return _MISSING
    return getattr(base, made.args["name"].value, _MISSING)


def _reach(value: Any, depth: int = 3) -> dict[int, str]:
    """The objects `value` holds in its attributes (itself included), by id -> the path to each."""
    found: dict[int, str] = {id(value): ""}
    frontier = [(value, "")]
    for _ in range(depth):
        nxt = []
        for obj, path in frontier:
            for attribute, item in getattr(obj, "__dict__", {}).items():
                if specializable(item) and id(item) not in found:
                    found[id(item)] = f"{path}.{attribute}"
                    nxt.append((item, found[id(item)]))
        frontier = nxt
    return found


class _Values:
    """What the names of a normalized function certainly hold when it is derived: known parameters and
    constants, copies of them, attributes of known objects, module-level names."""

    def __init__(self, fn: Function, parsed: ParsedFunction):
        self.parsed = parsed
        producers: dict[str, list[Apply]] = {}
        for stmt in walk(fn.body):
            if isinstance(stmt, Apply):
                for target in stmt.targets:
                    producers.setdefault(target, []).append(stmt)
        self.bound = {p.name for p in fn.params} | set(producers)
        self.single = {n: a[0] for n, a in producers.items() if len(a) == 1 and len(a[0].targets) == 1}

    def of(self, atom: ast.expr, seen: frozenset[str] = frozenset()) -> Any:
        if not isinstance(atom, ast.Name) or atom.id in seen:  # (a loop's copies `v = v` form a cycle)
            return _MISSING
        name = atom.id
        if name in self.parsed.known:
            return self.parsed.known[name]
        if name not in self.bound:
            try:
                return self.parsed.lookup(name)
            except KeyError:
                return _MISSING
        made = self.single.get(name)
        if made is not None and made.rule.key == "identity":
            return self.of(made.args["a"], seen | {name})
        return _attribute_of(made, lambda inner: self.of(inner, seen | {name}))


def _check_attribute_reads(fn: Function, parsed: ParsedFunction) -> None:
    """An attribute differentiated as a parameter (`self.params`) read by another way than its path, or
    held by an object passed to a function that is not given it, would be a constant there: refused."""
    if not parsed.attributes:
        return
    values = _Values(fn, parsed)
    parameters = set(parsed.attributes.values())
    for stmt in walk(fn.body):
        if isinstance(stmt, Apply) and stmt.rule.key == "getattr" and isinstance(stmt.args.get("name"), ast.Constant):
            holder = values.of(stmt.args["obj"])
            if (id(holder), stmt.args["name"].value) in parsed.attributes:
                raise UnsupportedSyntax(
                    f"the attribute `.{stmt.args['name'].value}` is differentiated, and this reads it through "
                    "another name", stmt.span,
                    hint="read it by the path given in wrt (e.g. `self.params`), which stands for it")
        if isinstance(stmt, Apply) and stmt.rule.callee is not None:
            given = {a.id for a in stmt.args.values() if isinstance(a, ast.Name)}
            for atom in stmt.args.values():
                value = values.of(atom) if isinstance(atom, ast.Name) else _MISSING
                if value is _MISSING or not specializable(value):
                    continue
                reached = _reach(value)
                missing = [p for (h, _), p in parsed.attributes.items() if h in reached and p not in given]
                if missing and not given & parameters:
                    name = getattr(stmt.rule.callee, "__name__", "the function")
                    raise UnsupportedSyntax(
                        f"this passes an object whose differentiated attribute it holds to `{name}`, which would "
                        "read that attribute as a constant", stmt.span,
                        hint="make the function a method of the object and call it as `self.f(x)`, "
                        "or pass the attribute itself as an argument")


def specialize_callees(fn: Function, parsed: ParsedFunction) -> None:
    """Calls of the user's functions whose arguments are functions or objects known now call the
    function made for those values (a `Specialized` one), as `Functions.known_call` does: this pass
    covers the calls the normalizer resolved without it."""
    values = _Values(fn, parsed)
    for stmt in walk(fn.body):
        if not isinstance(stmt, Apply) or not isinstance(stmt.rule.callee, types.FunctionType):
            continue
        known = {}
        for name, atom in stmt.args.items():
            value = values.of(atom)
            if value is not _MISSING and specializable(value):
                known[name] = value
        if known:
            stmt.rule = _replace_callee(stmt.rule, specialized(stmt.rule.callee, known))


def _replace_callee(rule: Any, target: Any) -> Any:
    import dataclasses

    return dataclasses.replace(rule, callee=target, signature=inspect.signature(target))
