"""Objects the function makes itself, and functions of the user's inlined (part of the normalizer).

Stage: frontend. Input: `model = TwoLayerNet(params, reg=0.1)`, a class of the user's called in
the function, then `model.loss(X, y)`; or a call of a function of the user's given a dict the
function made, which it writes into (`batchnorm_forward(x, gamma, beta, bn_param)`, which leaves
the running averages in bn_param). Output: the object made as Python makes it
(`model = TwoLayerNet.__new__(TwoLayerNet)`, then the body of `__init__`), each attribute it is
given a value of the function's (`model.params` is the params passed), and each method called on it
inlined at the call site with `self` that object: the derivative goes through the attributes as
through any name. A dict written by a function inlined so is the caller's dict after the call
(inlining.py's outer_names), as Python shares it.

What the object may not do is refused where it would drop a derivative: being stored in a
container, passed to a function that is not inlined, chosen by an `if`, returned.
"""

from __future__ import annotations

import ast
import functools
import itertools
import types
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import libcst as cst

from ..errors import UnsupportedSyntax
from ..ir import Apply, Function, walk
from ..rules.registry import lookup
from .exits import loop_returns, single_exit
from .inlining import LocalFunction, _locals, _parameter_names, _with_final_return

if TYPE_CHECKING:
    from .calls import _Op
    from .normalize import _Normalizer


@dataclass(eq=False)
class LocalObject:
    """An object of a class of the user's that the function makes: its attributes are values of the
    function's, kept under the keys `f"{root}.{attribute}"` of the normalizer's names."""

    cls: type
    root: str  # the version `Cls.__new__(Cls)` made
    serial: int = 0  # the order objects were made in (one made inside a loop is new at each trip)


_SERIALS = itertools.count(1)

# a name that holds one object on one way through the function and another on another (`layer = a
# if flag else b`): which one is not known when the derivative is made, so it is refused where used
AMBIGUOUS = LocalObject(type(None), "")


class Objects:
    """The objects-made-here part of the normalizer (mixed into `_Normalizer`)."""

    def local_objects(self: _Normalizer) -> dict[str, LocalObject]:
        """Every version holding an object the function made (its copies `m = model` too)."""
        return self.parsed.scratch.setdefault("objects", {})

    def object_of(self: _Normalizer, node: cst.BaseExpression) -> LocalObject | None:
        """The object the function made that `model` or `self.layer` holds, or None."""
        found = None
        if isinstance(node, cst.Name) and node.value in self.current:
            found = self.local_objects().get(self.current[node.value])
        elif isinstance(node, cst.Attribute):
            key = self.attribute_key(node)
            if key is not None and key in self.current:
                found = self.local_objects().get(self.current[key])
        if found is AMBIGUOUS:
            raise self.unsupported(node, f"`{self.code(node)}` holds an object made in the function, a different "
                                   "one on different ways through it (chosen by an `if`)",
                                   hint="call the method in each branch, on the object's own name")
        return found

    def attribute_key(self: _Normalizer, node: cst.Attribute) -> str | None:
        """`model.params` of an object made here, `self.h` or `layer.output` of an object known
        now (an argument's, a module's): the key its value is held under once the function assigns
        it (the same key in a method inlined here, where the object is called `self`)."""
        holder = self.object_of(node.value)
        if holder is not None:
            return f"{holder.root}.{node.attr.value}"
        known = self.known_object(node.value)
        return None if known is None else f"<{type(known).__name__} {id(known)}>.{node.attr.value}"

    def assigned_attributes(self: _Normalizer, obj: Any) -> bool:
        """Whether the function has assigned an attribute of this object known now (which a derivative
        made of a callee alone would read as the object holds it, not as the function left it)."""
        prefix = f"<{type(obj).__name__} {id(obj)}>."
        return any(k.startswith(prefix) for k in self.current)

    def known_object(self: _Normalizer, node: cst.BaseExpression) -> Any:
        """The object (an instance of a class, not a function or module) `node` holds, where known now."""
        from .functions import _MISSING

        root = node
        while isinstance(root, cst.Attribute):
            root = root.value
        if not isinstance(root, cst.Name):
            return None
        if root.value in self.current:
            holder = self.known_value(ast.Name(self.current[root.value]))
        else:
            try:
                holder = self.parsed.lookup(root.value)
            except KeyError:
                return None
        if not isinstance(node, cst.Name):
            try:
                holder = self.attribute_value(holder, node)
            except UnsupportedSyntax:
                return None
        return holder if holder is not _MISSING and is_instance(holder) else None

    def inlined_call(self: _Normalizer, func: cst.BaseExpression) -> bool:
        """Whether calling `func` inlines a body here: a nested def or lambda of the function, a
        method of an object it made."""
        from .inlining import LocalFunction as Local

        if isinstance(func, cst.Name) and func.value in self.current:
            if isinstance(self.function_values().get(self.current[func.value]), Local):
                return True
            known = self.known_value(ast.Name(self.current[func.value]))  # `dense(x)`, whose __call__ sets
            call = vars(type(known)).get("__call__") if is_instance(known) else None  # dense.out
            return isinstance(call, types.FunctionType) and self.inlines_method(known, call)
        if not isinstance(func, cst.Attribute):
            return False
        if self.object_of(func.value) is not None:
            return True
        known = self.known_object(func.value)  # `dense1.forward(X)`, which sets dense1.output
        method = getattr(type(known), func.attr.value, None) if known is not None else None
        return isinstance(method, types.FunctionType) and self.inlines_method(known, method)

    def inlines_method(self: _Normalizer, obj: Any, method: types.FunctionType,
                       node: cst.CSTNode | None = None) -> bool:
        """Whether a method of an object known now is inlined rather than differentiated by itself:
        it assigns attributes, or reads ones the function assigned. One that cannot be is refused
        (at `node`): a derivative made of it alone would read or leave the attributes as constants."""
        if not (changes_objects(method, obj) or self.assigned_attributes(obj)) \
                or self.attributes_of(obj, "self", method):  # one holding a differentiated attribute: by keyword
            return False
        why = _foreign_problem(self, method)
        if why is not None and node is not None:
            raise self.unsupported(node, f"`{method.__qualname__}` sets attributes of its object (or reads ones set "
                                   f"here), which its caller reads, and it cannot be inlined here: {why}",
                                   hint="return the values instead of storing them on the object")
        return why is None

    def property_read(self: _Normalizer, node: cst.Attribute, receiver: ast.expr) -> _Op | ast.expr | None:
        """`self.W` where W is a `@property` of the object's class (an object made here or known now):
        its getter called on the object, as Python calls it (a constant read of the value it had when
        the derivative was made would drop what it computes from). None where it is no property."""
        import inspect

        from .functions import _MISSING

        holder = self.local_objects().get(receiver.id) if isinstance(receiver, ast.Name) else None
        known = self.known_value(receiver) if holder is None else _MISSING
        cls = holder.cls if holder is not None else type(known) if is_instance(known) else None
        found = inspect.getattr_static(cls, node.attr.value, None) if cls is not None else None
        if not isinstance(found, property) or not isinstance(found.fget, types.FunctionType):
            return None
        if holder is not None:
            return self.inline_foreign(found.fget, [receiver], {}, node)  # type: ignore[arg-type]
        if isinstance(receiver, ast.Name):
            self.parsed.known.setdefault(receiver.id, known)
        getter = ast.Attribute(self.class_attribute(cls, node.attr.value, receiver), "fget")
        return self.known_call(found.fget, getter, node, node, [receiver], {})  # type: ignore[arg-type]

    # ------------------------------------------------------------ making one

    def make_object(self: _Normalizer, cls: type, func: cst.BaseExpression, node: cst.Call,
                    args: list[ast.expr], kwargs: dict[str, ast.expr]) -> ast.expr:
        """`TwoLayerNet(params, reg=0.1)`: `TwoLayerNet.__new__(TwoLayerNet)`, then its __init__ inlined."""
        init = getattr(cls, "__init__", object.__init__)
        why = _not_inlinable(self, cls) or (None if init is object.__init__ else _foreign_problem(self, init))
        if why is not None:
            raise self.unsupported(func, f"creating an object of class `{cls.__name__}` in the function is not "
                                   f"supported here: {why}", hint="create the object outside and pass it as an "
                                   "argument (its methods and attributes can be used, and `wrt='obj.attr'` "
                                   "differentiates with respect to an attribute)")
        spelled = ast.parse(self.code(func), mode="eval").body
        primal = ast.Call(ast.Attribute(spelled, "__new__"), [spelled], [])
        from .calls import _Op

        name = self.fresh(_snake(cls.__name__))
        self.generated.add(name)
        self.emit((name,), _Op(lookup("python.new_object"), {"cls": spelled}, primal, node), node)
        self.local_objects()[name] = LocalObject(cls, name, next(_SERIALS))
        self.described[name] = self.code(node)
        if init is not object.__init__:
            self.inline_foreign(init, [ast.Name(name), *args], kwargs, node)
        return ast.Name(name)

    def object_method(self: _Normalizer, holder: LocalObject, node: cst.Call, func: cst.Attribute,
                      args: list[ast.expr], kwargs: dict[str, ast.expr]) -> _Op | ast.expr:
        """`model.loss(X, y)` of an object made here: the method's body, `self` the object."""
        name = func.attr.value
        method = getattr(holder.cls, name, None)
        if isinstance(method, (staticmethod, classmethod)) or not isinstance(method, types.FunctionType):
            method = holder.cls.__dict__.get(name, method)
        if not isinstance(method, types.FunctionType):
            raise self.unsupported(func.attr, f"`{self.code(func)}` is no method of class `{holder.cls.__name__}` "
                                   "written in Python", hint="call a method the class defines with `def`")
        why = _foreign_problem(self, method)
        if why is not None:
            raise self.unsupported(func, f"`{self.code(func)}` of an object made in the function cannot be "
                                   f"differentiated: {why}", hint="create the object outside and pass it as an "
                                   "argument")
        receiver = self.atom(func.value)
        return self.inline_foreign(method, [receiver, *args], kwargs, node)

    # ------------------------------------------------------------ inlining a function of the user's

    def inline_foreign(self: _Normalizer, fn: types.FunctionType, args: list[ast.expr], kwargs: dict[str, ast.expr],
                       node: cst.Call) -> _Op | ast.expr:
        """The body of a module-level function (or method) of the user's at the call site: it sees no
        name of the caller's, only its arguments and its module's globals (the caller's, checked)."""
        from .source import parse_function

        parsed = parse_function(fn)
        self.parsed.inlined.append(parsed)
        if fn.__globals__ is not self.parsed.globals:  # a function of another module of yours: its names
            for name, value in _globals_read(fn).items():
                self.parsed.closure.setdefault(name, value)
        statements = _with_final_return(self.parsed, parsed.node)  # `__init__` returns None at its end
        statements = single_exit(loop_returns(statements, self.taken, self.parsed), self.parsed)
        record = LocalFunction(fn.__name__, parsed.node, statements, _defaults(self, fn, parsed.node.params), 0,
                               foreign=True)
        record.locals = _locals(statements) | _parameter_names(parsed.node.params)
        return self.inline(record, args, kwargs, node)

    def passes_local_values(self: _Normalizer, fn: types.FunctionType, args: list[ast.expr],
                            kwargs: dict[str, ast.expr]) -> bool:
        """Whether a call of this function of the user's is to be inlined: it is given an object the
        function made, or a dict the function made which it writes into (its caller reads what it
        wrote: a derivative made of the callee alone could not carry that back)."""
        atoms = [a for a in [*args, *kwargs.values()] if isinstance(a, ast.Name)]
        if any(a.id in self.local_objects() for a in atoms):
            return True
        from .functions import _MISSING

        def an_object(atom: ast.Name) -> bool:
            value = self.known_value(atom)
            return value is not _MISSING and is_instance(value)

        for atom in atoms:  # `helper(self.layers)`: objects in a known container, with attributes set here
            held = self.known_value(atom)
            items = held.values() if isinstance(held, dict) else held if isinstance(held, (list, tuple)) else ()
            if any(is_instance(item) and self.assigned_attributes(item) for item in items):
                return True
        objects = [self.known_value(a) for a in atoms if an_object(a)]
        if objects and not any(self.attributes_of(o, "o", fn) for o in objects):
            try:
                import inspect

                bound = inspect.signature(fn).bind(*args, **kwargs).arguments
            except TypeError:
                bound = {}
            given = {p: self.known_value(a) for p, a in bound.items() if isinstance(a, ast.Name) and an_object(a)}
            if changes_objects(fn, given=given) or any(self.assigned_attributes(o) for o in objects):
                return True
        written = _parameters_written(fn)
        if not written:
            return False
        try:
            import inspect

            bound = inspect.signature(fn).bind(*args, **kwargs)
        except TypeError:
            return False
        return any(isinstance(a, ast.Name) and a.id in self.dicts and self.foreign.get(a.id, False) is False
                   and name in written for name, a in bound.arguments.items())


def _defaults(norm: _Normalizer, fn: types.FunctionType, params: cst.Parameters) -> dict[str, ast.expr]:
    """The defaults the function was defined with: a number, a string, None as it is; any other
    value as its expression, read where the call is (the caller's globals are the function's)."""
    import inspect

    if isinstance(params.star_arg, cst.Param) or params.star_kwarg is not None:
        raise norm.unsupported(params, f"`*args` and `**kwargs` parameters of `{fn.__qualname__}` are not supported "
                               "where it is inlined", hint="name each parameter")
    found: dict[str, ast.expr] = {}
    nodes = {p.name.value: p for p in (*params.posonly_params, *params.params, *params.kwonly_params)}
    for name, parameter in inspect.signature(fn).parameters.items():
        if parameter.default is inspect.Parameter.empty:
            continue
        value = parameter.default
        if value is None or isinstance(value, (bool, int, float, complex, str)):
            found[name] = ast.Constant(value)
        else:
            found[name] = norm.atom(nodes[name].default)  # type: ignore[arg-type]
    return found


def is_instance(value: Any) -> bool:
    """An object of a class (a layer, a model, one with `__call__` too): not a function, a method,
    a class, a module, a partial or a plain value."""
    import functools

    from .functions import specializable

    return specializable(value) and not isinstance(value, (
        types.FunctionType, types.BuiltinFunctionType, types.MethodType, types.BuiltinMethodType, types.ModuleType,
        type, functools.partial, LocalObject)) and type(value).__name__ != "Specialized"


def _snake(name: str) -> str:
    out = "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
    return out or "obj"


def _globals_read(fn: types.FunctionType) -> dict[str, Any]:
    """The module-level names the function's code reads (in nested code too), with their values."""
    names: set[str] = set()
    codes = [fn.__code__]
    while codes:
        code = codes.pop()
        names.update(code.co_names)
        codes.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    return {n: fn.__globals__[n] for n in sorted(names) if n in fn.__globals__}


def _not_inlinable(norm: _Normalizer, cls: type) -> str | None:
    if type(cls) is not type:
        return f"its metaclass is {type(cls).__name__}"
    if cls.__new__ is not object.__new__:
        return "it defines `__new__`"
    if "__slots__" in vars(cls) or any("__slots__" in vars(base) for base in cls.__mro__[1:-1]):
        return "it has `__slots__`"
    return None


def _foreign_problem(norm: _Normalizer, fn: Any) -> str | None:
    """Why this function of the user's cannot be inlined into the function, or None."""
    if not isinstance(fn, types.FunctionType):
        return f"`{getattr(fn, '__qualname__', fn)}` is not written in Python"
    if fn.__globals__ is not norm.parsed.globals:
        for name, theirs in _globals_read(fn).items():  # inlined, its names are read in the caller's scope
            try:
                ours = norm.parsed.lookup(name)
            except KeyError:
                continue
            if ours is not theirs:
                return f"`{name}` in `{fn.__qualname__}` (module {fn.__module__}) is not the `{name}` of this module"
    if fn.__closure__:
        return f"`{fn.__qualname__}` is defined inside a function"
    if fn.__code__.co_flags & (0x20 | 0x80 | 0x200):  # generator, coroutine, async generator
        return f"`{fn.__qualname__}` is a generator or a coroutine"
    return None


def changes_objects(fn: Any, obj: Any = None, seen: set | None = None, given: dict[str, Any] | None = None) -> bool:
    """Whether this function of the user's assigns an attribute (`self.output = ...`, `layer.h += v`),
    or, given the object `obj` its first parameter is, calls a method of it that does (`self.fwd(x)`,
    `self.layer1(x)`): a derivative made of it alone would leave the caller reading the attribute as
    it was; it is inlined instead."""

    seen = set() if seen is None else seen
    if not isinstance(fn, types.FunctionType) or fn in seen:
        return False
    seen.add(fn)
    node = _source_node(fn)
    if node is None:
        return False
    params = node.params
    ordered = [p.name.value for p in (*params.posonly_params, *params.params)]
    objects = dict(given or {})  # parameter -> the object it is given
    if obj is not None and ordered:
        objects[ordered[0]] = obj
    found: list[bool] = []

    class Find(cst.CSTVisitor):
        def visit_AssignTarget(self, target: cst.AssignTarget) -> None:
            if _attribute_target(target.target):
                found.append(True)

        def visit_AugAssign(self, aug: cst.AugAssign) -> None:
            if _attribute_target(aug.target):
                found.append(True)

        def visit_Call(self, call: cst.Call) -> None:
            func = call.func
            if not isinstance(func, cst.Attribute) or not isinstance(func.value, cst.Name) \
                    or func.value.value not in objects:
                return
            holder = objects[func.value.value]
            method = getattr(type(holder), func.attr.value, None)
            if isinstance(method, types.FunctionType):  # self.fwd(x)
                found.append(changes_objects(method, holder, seen))
                return
            part = getattr(holder, func.attr.value, None)  # self.layer1(x): a callable object
            call_method = vars(type(part)).get("__call__") if part is not None else None
            if part is not None and isinstance(call_method, types.FunctionType):
                found.append(changes_objects(call_method, part, seen))

    node.body.visit(Find())
    return any(found)


@functools.lru_cache(maxsize=1024)
def _source_node(fn: types.FunctionType) -> cst.FunctionDef | None:
    """The def of a function of the user's, parsed once (read by the syntactic checks above)."""
    from .source import parse_function

    try:
        return parse_function(fn).node
    except UnsupportedSyntax:
        return None


def _attribute_target(target: cst.BaseExpression) -> bool:
    if isinstance(target, cst.Subscript):
        target = target.value
    if isinstance(target, (cst.Tuple, cst.List)):
        return any(_attribute_target(e.value) for e in target.elements)
    return isinstance(target, cst.Attribute)


def _parameters_written(fn: types.FunctionType) -> set[str]:
    """The parameters whose items the function's source assigns (`p[k] = v`, `p.update(...)`)."""
    node = _source_node(fn)
    if node is None:
        return set()
    params = _parameter_names(node.params)
    found: set[str] = set()

    class Find(cst.CSTVisitor):
        def visit_AssignTarget(self, target: cst.AssignTarget) -> None:
            _record(target.target)

        def visit_AugAssign(self, aug: cst.AugAssign) -> None:
            _record(aug.target)

        def visit_Call(self, call: cst.Call) -> None:
            func = call.func
            if isinstance(func, cst.Attribute) and func.attr.value in ("update", "setdefault", "pop", "clear") \
                    and isinstance(func.value, cst.Name) and func.value.value in params:
                found.add(func.value.value)

    def _record(target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name) and target.value.value in params:
            found.add(target.value.value)

    node.body.visit(Find())
    return found


# ---------------------------------------------------------------- checks after normalization

_USES = {"identity", "getattr", "python.new_object", "operator.is_", "operator.is_not", "builtins.isinstance",
         "builtins.type", "builtins.id", "builtins.print", "python.format"}


def check_local_objects(fn: Function, parsed: Any) -> None:
    """An object the function made is read by its attributes and its methods only (where the
    derivative follows it): refuse any other use of it, which would carry no derivative."""
    objects = parsed.scratch.get("objects", {})
    if not objects:
        return
    for stmt in walk(fn.body):
        if not isinstance(stmt, Apply):
            continue
        used = [a for a in stmt.args.values() if isinstance(a, ast.Name) and a.id in objects]
        if not used:
            continue
        copies = stmt.rule.key == "identity" and all(objects.get(t, AMBIGUOUS) is not AMBIGUOUS
                                                     for t in stmt.targets)
        ambiguous = any(objects[a.id] is AMBIGUOUS for a in used)
        if stmt.rule.key not in _USES or (stmt.rule.key == "identity" and not copies) or ambiguous:
            described = next((objects[a.id].cls.__name__ for a in used if objects[a.id] is not AMBIGUOUS), "")
            described = next((objects[t].cls.__name__ for t in stmt.targets
                              if objects.get(t, AMBIGUOUS) is not AMBIGUOUS), described) or "a class of yours"
            raise UnsupportedSyntax(
                f"an object of class `{described}` made in the function is used here as a value (stored in a "
                "container, passed to a function that is not inlined, chosen by an `if` or a loop, or returned), "
                "which the derivative cannot follow", stmt.span,
                hint="use the object by its name only (its attributes and methods), or create it outside and "
                "pass it as an argument")
