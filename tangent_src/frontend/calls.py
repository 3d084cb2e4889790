"""Normalization of calls, attribute reads and subscripts (part of the normalizer).

Stage: frontend. Input: libcst call, attribute and subscript expressions.
Output: `_Op`s applying a rule of the table (or, for a function of the user's,
a rule that stands for differentiating it as a whole) to atoms.
"""

from __future__ import annotations

import ast
import inspect
import types
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import libcst as cst
import numpy as np

from .. import rules
from ..errors import MissingRule, UnsupportedSyntax
from ..ir import pretty_index
from ..rules.registry import Rule, key_of, lookup
from .static import Unknown, is_library as _is_library

if TYPE_CHECKING:
    from .normalize import _Normalizer


@dataclass
class _Op:
    """The outermost operation of an expression, its operands already atoms."""

    rule: Rule
    args: dict[str, ast.expr]
    primal: ast.expr
    node: cst.CSTNode


class Calls:
    """The call, attribute and subscript half of the normalizer (mixed into `_Normalizer`)."""

    # ------------------------------------------------------------ subscripts

    def subscript(self: _Normalizer, node: cst.Subscript) -> _Op:
        joined = self.index_trick(node)
        if joined is not None:
            return self.lower(joined)  # type: ignore[return-value]
        value = self.atom(node.value)
        index = self.index_of(node)
        return self.subscript_op(value, index, ast.Subscript(value, pretty_index(index)), node)

    def index_part(self: _Normalizer, part: cst.BaseSlice) -> ast.expr:
        if isinstance(part, cst.Slice):
            bounds = [self.atom(b) if b is not None else ast.Constant(None)
                      for b in (part.lower, part.upper, part.step)]
            if isinstance(bounds[-1], ast.Constant) and bounds[-1].value is None:
                bounds.pop()  # slice(lower, upper): no step
            return ast.Call(ast.Name("slice"), bounds, [])
        assert isinstance(part, cst.Index)
        if part.star is not None:
            raise self.unsupported(part, "a starred index is not supported")
        if isinstance(part.value, cst.Ellipsis):
            return ast.Constant(...)
        return self.atom(part.value)

    def index_trick(self: _Normalizer, node: cst.Subscript) -> cst.Call | None:
        """`np.r_[a, b]` as `np.concatenate([np.atleast_1d(a), np.atleast_1d(b)])` and `np.c_[a, b]` as
        `np.column_stack([a, b])`, where no item is a slice (`np.r_[0:5]` stays an index of constants)."""
        func = node.value
        if not (isinstance(func, cst.Attribute) and func.attr.value in ("r_", "c_")) or not self.is_global(func):
            return None
        try:
            trick = self.resolve(func)
        except UnsupportedSyntax:
            return None
        if trick is not np.r_ and trick is not np.c_:
            return None
        if any(not isinstance(e.slice, cst.Index) for e in node.slice):
            return None
        items = [e.slice.value for e in node.slice]  # type: ignore[union-attr]
        if trick is np.r_:
            items = [cst.Call(cst.Attribute(func.value, cst.Name("atleast_1d")), [cst.Arg(i)]) for i in items]
            call = cst.Call(cst.Attribute(func.value, cst.Name("concatenate")), [cst.Arg(cst.List([
                cst.Element(i) for i in items]))])
        else:
            call = cst.Call(cst.Attribute(func.value, cst.Name("column_stack")), [cst.Arg(cst.List([
                cst.Element(i) for i in items]))])
        from .data import _nodes

        for built in _nodes(call):
            self.parsed.moved(built, node)
        return call

    def is_global(self: _Normalizer, node: cst.BaseExpression) -> bool:
        while isinstance(node, cst.Attribute):
            node = node.value
        return isinstance(node, cst.Name) and node.value not in self.current

    def subscript_op(self: _Normalizer, value: ast.expr, index: ast.expr, primal: ast.expr, node: cst.CSTNode) -> _Op:
        return _Op(lookup("getitem"), {"a": value, "index": index}, primal, node)

    def attribute(self: _Normalizer, node: cst.Attribute) -> _Op | ast.expr:
        root = node
        while isinstance(root, cst.Attribute):
            root = root.value
        if isinstance(root, cst.Name) and root.value not in self.current:
            key = self.attribute_key(node)  # `dense1.output`, which the function assigned
            if key is not None and key in self.current:
                return ast.Name(self.current[key])
            known = self.known_object(node.value)
            if known is not None and isinstance(inspect.getattr_static(type(known), node.attr.value, None), property):
                receiver = self.constant_atom(ast.parse(self.code(node.value), mode="eval").body, known, node.value)
                return self.object_attribute(node, receiver)  # `MODEL.W`, a property of a module's object
            return self.global_attribute(node)
        value = self.atom(node.value)
        name = node.attr.value
        key = rules.attribute(name)
        if key is None or self.object_of(node.value) is not None:
            return self.object_attribute(node, value)
        return self.bound_op(lookup(key), [value], {}, ast.Attribute(value, name), node)  # type: ignore[arg-type]

    def global_attribute(self: _Normalizer, node: cst.Attribute) -> ast.expr:
        obj = self.resolve(node)
        if callable(obj) and not isinstance(obj, type):
            raise self.unsupported(node, f"`{self.code(node)}` is a function; only its calls can be differentiated")
        return ast.parse(self.code(node), mode="eval").body

    def resolve(self: _Normalizer, node: cst.BaseExpression) -> Any:
        """The object a global name or attribute chain refers to."""
        if isinstance(node, cst.Name):
            try:
                return self.parsed.lookup(node.value)
            except KeyError:
                raise self.unsupported(node, f"the name `{node.value}` is not defined",
                                       hint=f"define or import `{node.value}` in the function's module, or pass "
                                       "it as an argument") from None
        if isinstance(node, cst.Attribute):
            base = self.resolve(node.value)
            if isinstance(base, Unknown):
                raise self.unknown(node, base)
            try:
                return getattr(base, node.attr.value)
            except AttributeError:
                hint = "check the spelling; `python -m tangent_src rules` lists the functions with rules" \
                    if getattr(base, "__name__", "").startswith("numpy") else \
                    f"check the spelling ({self.code(node.value)} has no attribute {node.attr.value})"
                raise self.unsupported(node, f"`{self.code(node)}` does not exist", hint=hint) from None
        raise self.unsupported(node, f"calling `{self.code(node)}` is not supported",
                               hint="call a function by its name (a def of yours or a numpy function), on the "
                               "whole array")

    def call(self: _Normalizer, node: cst.Call) -> _Op:
        args, kwargs = self.call_arguments(node)
        func = node.func
        if isinstance(func, cst.Attribute) and self.is_local_root(func.value):
            return self.method_call(node, func, args, kwargs)
        if isinstance(func, cst.Name) and func.value in self.current:
            return self.local_call(node, func, args, kwargs)
        if isinstance(func, cst.Lambda):  # `(lambda a, b: a * b)(x, y)`, as map's comprehension calls it
            made = self.lambda_expr(func)
            return self.call_value(self.function_values()[made.id], made, node, func, args, kwargs)  # type: ignore
        obj = self.resolve(func)
        if obj is getattr and 2 <= len(node.args) <= 3 and not any(a.keyword or a.star for a in node.args):
            read = self.getattr_call(node)
            if read is not None:
                return read  # type: ignore[return-value]
        if obj is map and len(node.args) >= 2 and all(a.keyword is None and not a.star for a in node.args) \
                and (len(node.args) == 2 or "zip" not in self.current):
            return self.lower(self.map_comprehension(node))
        if obj is dict:
            return self.dict_call(node, args, kwargs)  # type: ignore[return-value]
        if obj is reversed and len(args) == 1 and not kwargs:  # reversed(xs) in an expression: xs[::-1]
            if isinstance(args[0], (ast.List, ast.Tuple)) and self.holds_locals(args[0]):
                args = [self.atom_of(self.display_op(self.nested_displays(args[0], node), node), node)]
            index = ast.Call(ast.Name("slice"), [ast.Constant(None), ast.Constant(None), ast.Constant(-1)], [])
            return self.subscript_op(args[0], index, ast.Subscript(args[0], pretty_index(index)), node)
        key = key_of(obj)
        rule = lookup(key) if key else None
        if rule is None and getattr(obj, "__wrapped__", None) is not None:
            obj = inspect.unwrap(obj)  # a function of the user's under a decorator (@differentiate)
            rule = lookup(key_of(obj) or "")
        if rule is None:
            op = self.value_call(node, func, obj, args, kwargs)
            if op is not None:
                return op
        if rule is None and isinstance(obj, types.FunctionType) and (not _is_library(obj) or _runtime_helper(obj)):
            rule = self.user_function(obj, node)  # (a runtime helper without a rule: differentiated from its code)
        if rule is None:
            raise self.missing(node, func, obj)
        primal = ast.Call(ast.parse(self.code(func), mode="eval").body, list(args),
                          [ast.keyword(k, v) for k, v in kwargs.items()])
        return self.bound_op(rule, args, kwargs, primal, node)

    def getattr_call(self: _Normalizer, node: cst.Call) -> _Op | ast.expr | None:
        """`getattr(self, "h")` is `self.h` (the value the function set, a property's getter); with a
        default, the attribute where the function set it, else the object's (a constant). None: the
        builtin's rule (a constant read), where no attribute of that name was set here."""
        holder, name = node.args[0].value, node.args[1].value
        text = name.evaluated_value if isinstance(name, cst.SimpleString) else None
        set_here = self.parsed.scratch.get("attributes set", set())
        if not isinstance(text, str) or not text.isidentifier():
            if set_here:
                raise self.unsupported(node, "`getattr` with a name computed when the code runs, after the function "
                                       "set attributes of objects, is not supported",
                                       hint="read the attribute by its name: `obj.h`")
            return None
        root = holder
        while isinstance(root, cst.Attribute):
            root = root.value
        if not (isinstance(root, cst.Name) and root.value in self.current) and self.known_object(holder) is None:
            return None  # `getattr(np, "tanh")`: a module's, or a class's attribute
        attribute = self.parsed.moved(cst.Attribute(holder, cst.Name(text)), node)
        self.parsed.moved(attribute.attr, node)
        key = self.attribute_key(attribute) or self.attribute_path(attribute)
        if key is not None and key in self.current:
            return ast.Name(self.current[key])
        if len(node.args) == 2 or text in set_here:
            return self.lower(attribute)
        if text in _STRUCTURE and text not in set_here:  # getattr(x, "shape", ()): x's structure, no derivative
            args, kwargs = self.call_arguments(node)
            primal = ast.Call(ast.Name("getattr"), list(args), [])
            return self.bound_op(lookup("python.getattr_structure"), args, kwargs, primal, node)  # type: ignore
        return None

    def map_comprehension(self: _Normalizer, node: cst.Call) -> cst.ListComp:
        """`map(f, xs)` (or `map(f, xs, ys)`) as `[f(v) for v in xs]` (zip for several): the items
        map gives, each a call that is differentiated (a list, which `list(...)` and `sum` take as
        they take map's iterator)."""
        function, *sequences = [a.value for a in node.args]
        names = [cst.Name(self.fresh("item")) for _ in sequences]
        target: cst.BaseAssignTargetExpression = names[0] if len(names) == 1 else \
            cst.Tuple([cst.Element(n) for n in names])
        source = sequences[0] if len(sequences) == 1 else cst.Call(cst.Name("zip"), [cst.Arg(s) for s in sequences])
        comprehension = cst.ListComp(cst.Call(function, [cst.Arg(n) for n in names]),
                                     cst.CompFor(target=target, iter=source))
        for built in (comprehension, comprehension.elt, comprehension.for_in, target, source, *names):
            self.parsed.moved(built, node)
        return comprehension

    def is_local_root(self: _Normalizer, node: cst.BaseExpression) -> bool:
        while isinstance(node, cst.Attribute):
            node = node.value
        return not isinstance(node, cst.Name) or node.value in self.current

    def method_call(self: _Normalizer, node: cst.Call, func: cst.Attribute, args: list[ast.expr],
                    kwargs: dict[str, ast.expr]) -> _Op:
        name = func.attr.value
        holder = self.object_of(func.value)
        if holder is not None:  # `model.loss(X, y)` of an object the function made (objects.py)
            return self.object_method(holder, node, func, args, kwargs)  # type: ignore[return-value]
        op = self.container_method(node, func, args, kwargs)
        if op is not None:
            return op
        found = rules.method(name)
        if found is None:
            op = self.object_method_call(node, func, args, kwargs)
            if op is not None:
                return op
            if self.is_dict(func.value):
                raise self.unsupported(func.attr, f"a dict's method `.{name}()` is not supported",
                                       hint="supported: d[k], d[k] = v, d.get, d.setdefault, d.update, d.copy, "
                                       "d.keys(), d.values() and d.items() in loops")
            if name == "format":
                raise self.unsupported(func.attr, "`.format()` of a string is not supported",
                                       hint="use an f-string or `%`")
            made = next((o.cls for o in self.local_objects().values() if hasattr(o.cls, name)), None)
            if made is not None:  # `layers[0].forward(x)`: an object made here, reached through a container
                raise self.unsupported(func, f"`{self.code(func)}` calls a method of an object that is not known "
                                       f"here (an object of class `{made.__name__}` made in the function is used "
                                       "only by the name it was assigned to)",
                                       hint="call the method on the name the object was assigned to "
                                       "(`layer = Affine(W, b)`, `layer.forward(x)`), or create the objects "
                                       "outside and pass them as arguments")
            raise self.unsupported(func.attr, f"the array method `.{name}()` has no derivative rule",
                                   hint="call the numpy function instead, or add a rule for it")
        receiver = self.atom(func.value)
        primal = ast.Call(ast.Attribute(receiver, name), list(args), [ast.keyword(k, v) for k, v in kwargs.items()])
        if found.pack_varargs and len(args) == 1 and isinstance(args[0], ast.Starred):
            kwargs = {**kwargs, found.pack_varargs: args[0].value}  # x.reshape(*shape)
            args = []
        if found.pack_varargs and len(args) > 1:
            kwargs = {**kwargs, found.pack_varargs: ast.Tuple(list(args))}
            args = []
        return self.bound_op(lookup(found.key), [receiver, *args], kwargs, primal, node)  # type: ignore[arg-type]

    def call_arguments(self: _Normalizer, node: cst.Call) -> tuple[list[ast.expr], dict[str, ast.expr]]:
        args: list[ast.expr] = []
        kwargs: dict[str, ast.expr] = {}
        for arg in node.args:
            if arg.star == "*" and arg.keyword is None:  # np.random.rand(*x.shape): see bound_op
                args.append(ast.Starred(self.atom(arg.value), ast.Load()))
                continue
            if arg.star == "**" and arg.keyword is None:  # f(**kw), kw a dict the function made
                mapping = self.atom(arg.value)
                keys = self.dict_keys.get(mapping.id) if isinstance(mapping, ast.Name) else None
                if keys is not None:
                    for key in keys:
                        index = ast.Constant(key)
                        kwargs[key] = self.atom_of(self.subscript_op(mapping, index, ast.Subscript(mapping, index),
                                                                     arg), arg)
                    continue
            if arg.star:
                raise self.unsupported(arg, f"`{arg.star}` arguments are not supported",
                                       hint="pass each argument by itself" if arg.star == "*" else
                                       "pass each argument by itself (or a dict made in the function, with "
                                       "string keys)")
            value = self.atom(arg.value)
            if arg.keyword is not None:
                kwargs[arg.keyword.value] = value
            else:
                args.append(value)
        return args, kwargs

    def bound_op(self: _Normalizer, rule: Rule, args: list[ast.expr], kwargs: dict[str, ast.expr],
                 primal: ast.expr, node: cst.CSTNode) -> _Op:
        if any(isinstance(a, ast.Starred) for a in args) and (rule.diff or rule.callee is not None):
            raise self.unsupported(node, "`*` arguments are supported only in calls of non-differentiable "
                                   "functions (such as `np.random.rand(*x.shape)`)",
                                   hint="pass each argument by itself")
        try:
            bound = rule.signature.bind(*args, **kwargs)
        except TypeError as err:
            name = rule.callee.__name__ if rule.callee is not None else rule.key
            if "out" in kwargs:
                raise self.unsupported(node, "`out=` writes the result into an array in place, which is "
                                       "not supported here", hint="assign the result instead: "
                                       "g = np.clip(g, -5, 5)") from None
            raise self.unsupported(node, f"the arguments do not match {name}{rule.signature}: {err}",
                                   hint=f"call it as {name}{rule.signature}") from None
        arguments = dict(bound.arguments)
        if rule.key == "builtins.sum" and isinstance(arguments.get("start"), (ast.List, ast.Tuple)):
            kind = "lists" if isinstance(arguments["start"], ast.List) else "tuples"
            raise self.unsupported(node, f"`sum(..., {'[]' if kind == 'lists' else '()'})` joins {kind}, "
                                   "which is not supported", hint="join them with a comprehension: "
                                   "`[v for part in parts for v in part]`")
        for name, value in list(arguments.items()):
            if isinstance(value, tuple):  # *args
                value = arguments[name] = ast.Tuple(list(value))
            elif isinstance(value, dict):
                arguments[name] = ast.Tuple(list(value.values()))
            if name in rule.diff and isinstance(value, (ast.List, ast.Tuple)) and self.holds_locals(value):
                arguments[name] = self.atom_of(self.display_op(self.nested_displays(value, node), node), node)
        return _Op(rule, arguments, primal, node)

    def user_function(self: _Normalizer, fn: types.FunctionType, node: cst.CSTNode) -> Rule:
        """A call of one of the user's functions: differentiated as a whole, by its own derivative."""
        if fn not in self.callees:
            try:
                signature = inspect.signature(fn)
            except (TypeError, ValueError):
                raise self.unsupported(node, f"cannot read the signature of {fn.__qualname__}") from None
            named = tuple(p.name for p in signature.parameters.values()
                          if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
            self.callees[fn] = Rule(key=_qualified_name(fn), signature=signature, diff=named,
                                    doc="a call of a function of yours", callee=fn)
        return self.callees[fn]

    def unknown(self: _Normalizer, node: cst.CSTNode, obj: Unknown) -> Exception:
        return UnsupportedSyntax(
            f"`{self.code(node)}` needs the value of `{obj.name}`, which is {obj.why}: "
            "the command line reads the file without running it",
            self.span(node),
            hint=obj.hint or "call the function directly rather than through a name bound at run time, or "
            "differentiate with the Python API (tangent_src.grad), which sees the running module")

    def missing(self: _Normalizer, node: cst.Call, func: cst.BaseExpression, obj: Any) -> Exception:
        name = self.code(func)
        if isinstance(obj, Unknown):
            return self.unknown(func, obj)
        qualified = _qualified_name(obj)
        if qualified.startswith("tangent_src.runtime.checkpoint"):
            return MissingRule(
                "this derivative checkpoints a loop (`Checkpoints`), which cannot be differentiated again",
                self.span(func), hint="differentiate the full-tape derivative instead: ts.grad(f, checkpoint=False) "
                "(ts.hvp and ts.hessian do so); checkpointing applies to first derivatives")
        if qualified.startswith("tangent_src.runtime"):
            return MissingRule(
                f"`{name}` ({qualified}), a helper of tangent_src's generated code, has no derivative rule "
                "yet, so this derivative cannot be differentiated again", self.span(func),
                hint="the first derivative works as it is; for second derivatives of this function, register a "
                "rule for the helper with tangent_src.rules.rule (README: Second derivatives)")
        return MissingRule(
            f"`{name}` ({qualified}) has no derivative rule",
            self.span(func),
            hint="use a function from the rule table (`python -m tangent_src rules` lists it), or register "
            "a rule for it with tangent_src.rules.rule / tangent_src.rules.elementwise_rule",
        )



_STRUCTURE = ("shape", "ndim", "size", "dtype")  # what an array's attribute says of its structure only


def _runtime_helper(obj: Any) -> bool:
    """A helper of generated code (tangent_src.runtime) that has no rule of its own: differentiated,
    when a derivative is differentiated again, from its source like a function of the user's."""
    return (getattr(obj, "__module__", "") or "").startswith("tangent_src.runtime.") \
        and getattr(obj, "__name__", "") not in _NOT_AGAIN


# helpers whose own derivative is not made from their code: eig's work in complex numbers, which the
# derivatives here (of real functions) do not follow; a derivative calling them is refused again
_NOT_AGAIN = frozenset({"eig_tangent", "eig_adjoint"})


def _qualified_name(obj: Any) -> str:
    module = getattr(obj, "__module__", None) or ("numpy" if type(obj).__name__ == "ufunc" else "")
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", repr(obj))
    return f"{module}.{name}" if module else name
