"""Normalization of the Python data model around numpy code (part of the normalizer).

Stage: frontend. Input: libcst dict displays, `and`/`or`, f-strings, identity
and membership tests, attribute reads and writes of objects, dict methods,
`raise`. Output: `_Op`s applying rules of the table (rules/containers.py) to
atoms, `If`s for what Python evaluates lazily (`a and b` evaluates b only when
a is true), and `Effect`s for what is kept for its effect.

What carries no derivative (a string, a key, an object's attribute, `x is
None`) is a non-differentiable primitive; an object read by attribute must not
carry one (the rule's strict parameter), so nothing is ever dropped silently.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

import libcst as cst

from ..ir import Effect
from ..rules.registry import dict_rule, lookup
from .calls import _Op

if TYPE_CHECKING:
    from .normalize import _Normalizer

_DICT_ONLY = {"get", "items", "keys", "values", "setdefault", "update"}  # methods no array has
# attributes of arrays that change the array when assigned (`y.shape = (2, 1)`)
_ARRAY_ATTRIBUTES = {"shape", "dtype", "T", "mT", "real", "imag", "strides", "flags", "data", "ndim", "size", "base"}


class DataModel:
    """The data-model part of the normalizer (mixed into `_Normalizer`)."""

    # ------------------------------------------------------------ dicts

    def dict_display(self: _Normalizer, node: cst.Dict) -> _Op | ast.expr:
        """`{}` and `{k: v, ...}`: a constant, or a primitive when a value is one of the function's."""
        keys: list[ast.expr] = []
        values: list[ast.expr] = []
        for element in node.elements:
            if isinstance(element, cst.StarredDictElement):
                raise self.unsupported(element, "`**` in a dict display is not supported",
                                       hint="copy the dict (d = dict(other)) and set the other keys one by one")
            keys.append(self.atom(element.key))
            values.append(self.value_atom(element.value, node))
        display = ast.Dict(keys, values)
        if not any(self.holds_locals(v) for v in values):
            if self.holds_locals(ast.Tuple(keys)):
                return _Op(lookup("python.format"), {"args": ast.Tuple(keys)}, display, node)
            return display
        rule = dict_rule(len(keys))
        return _Op(rule, dict(zip(rule.params, keys + values)), display, node)

    def value_atom(self: _Normalizer, value: cst.BaseExpression, node: cst.CSTNode) -> ast.expr:
        """An item of a display as an atom; an inner display of values is a value of its own."""
        atom = self.atom(value)
        if isinstance(atom, (ast.List, ast.Tuple)) and self.holds_locals(atom):
            atom = self.atom_of(self.display_op(self.nested_displays(atom, node), node), node)
        return atom

    def dict_call(self: _Normalizer, node: cst.Call, args: list[ast.expr],
                  kwargs: dict[str, ast.expr]) -> _Op | ast.expr:
        """`dict(a=x, b=y)` is a display; `dict(d)` a copy of d."""
        if len(args) == 1 and not kwargs and not isinstance(args[0], ast.Starred):
            return _Op(lookup("dict.copy"), {"a": args[0]}, ast.Call(ast.Name("dict"), args, []), node)
        if args:
            raise self.unsupported(node, "this form of dict(...) is not supported",
                                   hint="write a dict display {key: value, ...}")
        keys: list[ast.expr] = [ast.Constant(k) for k in kwargs]
        display = ast.Dict(keys, list(kwargs.values()))  # type: ignore[arg-type]
        if not self.holds_locals(display):
            return display
        rule = dict_rule(len(keys))
        return _Op(rule, dict(zip(rule.params, keys + list(kwargs.values()))), display, node)

    def container_method(self: _Normalizer, node: cst.Call, func: cst.Attribute, args: list[ast.expr],
                         kwargs: dict[str, ast.expr]) -> _Op | None:
        """`d.get(k, default)`, `d.keys()`, `d.copy()` of a dict; None for any other method."""
        name = func.attr.value
        receiver_known = self.is_dict(func.value)
        if name not in _DICT_ONLY and not (name == "copy" and receiver_known):
            return None
        receiver = self.atom(func.value)
        primal = ast.Call(ast.Attribute(receiver, name), list(args), [ast.keyword(k, v) for k, v in kwargs.items()])
        if name == "get":  # whether the key is there, as it is now (the dict may change later)
            op = self.bound_op(lookup("dict.get"), [receiver, *args], kwargs, primal, node)
            test = ast.Compare(op.args["key"], [ast.In()], [receiver])
            op.args["has"] = self.atom_of(self.operator_op("operator.contains", test, {"x": receiver,
                                                                                   "y": op.args["key"]}, node), node)
            return op
        if name == "copy":
            return _Op(lookup("dict.copy"), {"a": receiver}, primal, node)
        if name == "keys":
            return _Op(lookup("dict.keys"), {"a": receiver}, ast.Call(ast.Name("list"), [receiver], []), node)
        if name == "setdefault" and isinstance(func.value, cst.Name) and 1 <= len(node.args) <= 2:
            return self.setdefault(node, func.value)
        raise self.unsupported(func.attr, f"`.{name}()` of a dict is supported only in a `for` loop "
                               "or a comprehension" if name in ("items", "values") else
                               f"`.{name}(...)` of a dict is not supported",
                               hint="loop over the dict: `for k, v in d.items():`" if name in ("items", "values")
                               else "assign the items one by one: d[k] = v")

    def setdefault(self: _Normalizer, node: cst.Call, mapping: cst.Name) -> _Op:
        """`d.setdefault(k, v)`: `if k not in d: d[k] = v`, then d[k] (k and v evaluated once)."""
        parts: list[cst.BaseExpression] = []
        for arg in node.args:
            parts.append(self.held(arg.value, "key" if not parts else "default"))
        default = parts[1] if len(parts) == 2 else cst.Name("None")
        test = cst.Comparison(parts[0], [cst.ComparisonTarget(cst.NotIn(), mapping)])
        write = cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Subscript(
            mapping, [cst.SubscriptElement(cst.Index(parts[0]))]))], default)])
        statement = cst.If(test, cst.IndentedBlock([write]))
        for built in (test, write, statement, *parts):
            self.parsed.moved(built, node)
        self.if_statement(statement)
        read = self.parsed.moved(cst.Subscript(mapping, [cst.SubscriptElement(cst.Index(parts[0]))]), node)
        op = self.subscript(read)  # type: ignore[arg-type]
        for part in parts:
            if isinstance(part, cst.Name):
                self.current.pop(part.value, None)
        return op

    def held(self: _Normalizer, node: cst.BaseExpression, base: str) -> cst.BaseExpression:
        """A value evaluated once, as a literal or a name of its own the rewritten code can read."""
        atom = self.atom(node)
        if isinstance(atom, ast.Constant) and isinstance(atom.value, (str, int, float, type(None))):
            return cst.parse_expression(repr(atom.value))
        name = self.fresh(base)
        self.generated.add(name)
        self.current[name] = name
        self.emit((name,), self.value_copy(atom, node), node)
        return cst.Name(name)

    def update_statement(self: _Normalizer, node: cst.Call, mapping: cst.Name) -> None:
        """`d.update(other)` and `d.update(k=v)`: the items set one by one."""
        lines: list[cst.BaseStatement] = []
        for arg in node.args:
            if arg.keyword is not None:
                key: cst.BaseExpression = cst.SimpleString(repr(arg.keyword.value))
                lines.append(cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Subscript(
                    mapping, [cst.SubscriptElement(cst.Index(key))]))], arg.value)]))
            elif isinstance(arg.value, cst.Name) and not arg.star:
                k = cst.Name(self.fresh("key"))
                items = cst.Call(cst.Attribute(arg.value, cst.Name("items")))
                value = cst.Name(self.fresh("value"))
                write = cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Subscript(
                    mapping, [cst.SubscriptElement(cst.Index(k))]))], value)])
                lines.append(cst.For(cst.Tuple([cst.Element(k), cst.Element(value)]), items,
                                     cst.IndentedBlock([write])))
            else:
                raise self.unsupported(arg, "this argument of `.update(...)` is not supported",
                                       hint="pass a dict held in a name, or keyword arguments")
        for line in lines:
            self.parsed.moved(line, node)
            for inner in _nodes(line):
                self.parsed.moved(inner, node)
        self.body.extend(self.block(lines))

    def is_dict(self: _Normalizer, node: cst.BaseExpression) -> bool:
        """Whether this value is a dict: the function itself made it one (a display, dict(...), a
        copy), or it is an argument known to be one when the derivative is made."""
        if isinstance(node, cst.Name) and self.current.get(node.value) in self.dicts:
            return True
        from .functions import Opaque
        path: list[str] = []
        while isinstance(node, cst.Attribute):
            path.append(node.attr.value)
            node = node.value
        if not isinstance(node, cst.Name) or node.value not in self.current:
            return False
        atom: ast.expr = ast.Name(self.current[node.value])
        for attr in reversed(path):
            atom = ast.Attribute(atom, attr)
        value = self.known_value(atom)
        return isinstance(value, dict) or (isinstance(value, Opaque) and issubclass(value.kind, dict))

    def dict_iteration(self: _Normalizer, node: cst.For) -> tuple[ast.expr, str | None, list] | None:
        """`for k in d`, `for k in d.keys()`, `for v in d.values()`, `for k, v in d.items()`: a loop
        over the keys (constants), the values read by key. None where the loop is no such loop."""
        target, source = node.target, node.iter
        method, ordered = None, False
        if isinstance(source, cst.Call) and isinstance(source.func, cst.Name) and source.func.value == "sorted" \
                and "sorted" not in self.current and len(source.args) == 1 and not source.args[0].keyword \
                and not source.args[0].star:  # `for k, v in sorted(params.items())`: the keys in order
            inner = source.args[0].value
            if (isinstance(inner, cst.Call) and isinstance(inner.func, cst.Attribute) and not inner.args
                    and inner.func.attr.value in ("keys", "values", "items") and self.is_local_root(inner.func.value)
                    and inner.func.attr.value != "values") or (not isinstance(inner, cst.Call) and (
                    self.is_dict(inner) or _keyed_loop(node.with_changes(iter=inner)))):
                ordered, source = True, inner
        if isinstance(source, cst.Call) and isinstance(source.func, cst.Attribute) and not source.args \
                and source.func.attr.value in ("keys", "values", "items") and self.is_local_root(source.func.value):
            method, source = source.func.attr.value, source.func.value
        elif not ordered and not self.is_dict(source) and not _keyed_loop(node):
            return None
        mapping = self.loop_sequence(source, node, keyed=True)
        keys = self.atom_of(_Op(lookup("dict.keys"), {"a": mapping}, ast.Call(ast.Name("list"), [mapping], []),
                                node), node)
        if ordered:  # items sort by key first: the same order as the keys sorted
            keys = self.atom_of(_Op(lookup("dict.sorted_keys"), {"a": keys}, ast.Call(ast.Name("sorted"), [keys], []),
                                    node), node)
        if method in (None, "keys"):
            if not isinstance(target, cst.Name):
                raise self.unsupported(target, "the keys of a dict are one value each: loop with one name")
            return keys, target.value, []
        if method == "values":
            key = self.fresh("key")
            self.generated.add(key)
            return keys, key, [(target, mapping)]
        parts = [e.value for e in target.elements] if isinstance(target, (cst.Tuple, cst.List)) else []
        if len(parts) != 2 or not isinstance(parts[0], cst.Name):
            raise self.unsupported(target, "unpack the items of a dict into two names: `for k, v in d.items():`")
        return keys, parts[0].value, [(parts[1], mapping)]

    # ------------------------------------------------------------ and / or, f-strings

    def boolean_operation(self: _Normalizer, node: cst.BooleanOperation) -> ast.expr:
        """`a and b` is b if a is true, else a (b not evaluated); `a or b` is a if a is true, else
        b: an if statement, as Python evaluates it."""
        left = self.atom(node.left)
        held = self.fresh("either")
        self.generated.add(held)
        self.current[held] = held
        self.emit((held,), self.value_copy(left, node.left), node.left)
        kept = cst.Name(held)
        keep = [cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Name(held))], kept)])]
        other = [cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Name(held))], node.right)])]
        for built in (*keep, *other, kept):
            self.parsed.moved(built, node)
        then, orelse = (other, keep) if isinstance(node.operator, cst.And) else (keep, other)
        self.branches(self.test_of(ast.Name(self.current[held]), node), then, orelse, node, (False, False))
        result = self.current.pop(held)  # a value of its own (the name is not the user's)
        self.generated.add(result)
        return ast.Name(result)

    def test_of(self: _Normalizer, atom: ast.expr, node: cst.CSTNode) -> ast.expr:
        copy = self.temporary()
        self.emit((copy,), atom, node)
        return ast.Name(copy)

    def formatted_string(self: _Normalizer, node: cst.FormattedString) -> _Op | ast.expr:
        """f"{loss:.3f}": a string made of values, which carries no derivative."""
        parts: list[ast.expr] = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                parts.append(ast.Constant(part.value.replace("{{", "{").replace("}}", "}")))
                continue
            spec = None
            if part.format_spec is not None:
                if any(not isinstance(p, cst.FormattedStringText) for p in part.format_spec):
                    raise self.unsupported(part, "a format specification with `{...}` in it is not supported",
                                           hint="format the number first: f\"{x:.3f}\"")
                spec = ast.JoinedStr([ast.Constant("".join(p.value for p in part.format_spec))])  # type: ignore
            conversion = ord(part.conversion) if part.conversion else -1
            parts.append(ast.FormattedValue(self.atom(part.expression), conversion, spec))
        text = ast.JoinedStr(parts)
        if not self.holds_locals(text):
            return text
        values = [p.value for p in parts if isinstance(p, ast.FormattedValue)]
        return _Op(lookup("python.format"), {"args": ast.Tuple(values)}, text, node)

    # ------------------------------------------------------------ objects

    def object_attribute(self: _Normalizer, node: cst.Attribute, value: ast.expr) -> _Op | ast.expr:
        """`self.reg`, `config.lr`: an attribute that is no array's, read as a constant; one the
        function assigned (`self.h = h`) is that value."""
        path = self.attribute_key(node) or self.attribute_path(node)
        if path is None or path not in self.current:  # `self.layers[0].out`: the object found from its atom
            from .objects import is_instance

            known = self.known_value(value)
            if is_instance(known):
                path = f"<{type(known).__name__} {id(known)}>.{node.attr.value}"
        if path is not None and path in self.current:
            return ast.Name(self.current[path])
        read = self.property_read(node, value)  # `self.W`, a @property: its getter, called on the object
        if read is not None:
            return read
        if node.attr.value in self.parsed.scratch.get("attributes set", ()):
            raise self.unsupported(node, f"`{self.code(node)}` reads `.{node.attr.value}` of an object that cannot be "
                                   f"told here, after `.{node.attr.value}` of an object was set in the function",
                                   hint="read the attribute through the name the object was set by (`layer.out` "
                                   "after `layer.forward(x)`), or return the value instead of storing it")
        return _Op(lookup("getattr"), {"obj": value, "name": ast.Constant(node.attr.value)},
                   ast.Attribute(value, node.attr.value), node)

    def attribute_holder(self: _Normalizer, node: cst.BaseExpression, atom: ast.expr) -> ast.expr | None:
        """An expression for the object `node` (whose atom here is `atom`) that means that object
        anywhere in the function: a module's name, a name given the object known now, the version
        an object made here was made as; None where there is none (the loop then refuses nothing
        new: the attribute is read where it is)."""
        from .objects import is_instance

        holder = self.object_of(node)
        if holder is not None:
            return ast.Name(holder.root)
        known = self.known_object(node)
        if isinstance(node, cst.Name) and node.value not in self.current and is_instance(known):
            return ast.Name(node.value)  # a module's object, by its name
        if is_instance(known):
            name = self.fresh(type(known).__name__.lower())
            self.parsed.closure[name] = known
            return ast.Name(name)
        if isinstance(node, cst.Name) and node.value in self.current and self.current[node.value] in self.parameters:
            return ast.Name(self.current[node.value])  # `self.h = ...` on a parameter (the CLI's self)
        return None

    def attribute_path(self: _Normalizer, node: cst.BaseExpression) -> str | None:
        """`self.cache.h` as a dotted path of names, or None."""
        if isinstance(node, cst.Name):
            return node.value
        if isinstance(node, cst.Attribute):
            base = self.attribute_path(node.value)
            return None if base is None else f"{base}.{node.attr.value}"
        return None

    def assign_attribute(self: _Normalizer, target: cst.Attribute, op: _Op | ast.expr, value: cst.CSTNode) -> None:
        """`obj.attr = v`: kept (the object changes as in your function) and, for the rest of the
        function, `obj.attr` is v."""
        path = self.attribute_path(target)
        key = self.attribute_key(target)  # an attribute of an object made here (objects.py)
        frame = self.frames()[-1].function
        if key is None and frame is not None and frame.foreign:  # inlined: the caller reads it by its own name
            raise self.unsupported(target, f"`{self.code(target)}` is assigned in `{frame.name}`, inlined into the "
                                   "function, where which object it is cannot be told", hint="pass the object "
                                   "by its name, or return the value instead of storing it")
        if target.attr.value in _ARRAY_ATTRIBUTES and key is None:
            raise self.unsupported(target, f"assignment to `.{target.attr.value}` changes an array in place, "
                                   "which is not supported",
                                   hint="make a new array: y = y.reshape(...)" if target.attr.value == "shape"
                                   else "make a new array from the old one")
        if path is None or not isinstance(target.value, (cst.Name, cst.Attribute)):
            raise self.unsupported(target, "assignment to this attribute is not supported",
                                   hint="assign to an attribute of a name: obj.attr = value")
        item = self.atom_of(self.value_copy(op, value), value)
        obj = self.atom(target.value)
        statement = ast.Assign([ast.Attribute(obj, target.attr.value, ast.Store())], item, lineno=0)
        statement.keep = True  # type: ignore[attr-defined]  # an effect: never dropped as dead
        self.body.append(Effect(statement, self.span(target)))
        name = self.fresh(path.replace(".", "_"))
        holders = self.parsed.scratch.setdefault("attribute holders", {})
        if (key or path) not in self.current and (key or path) not in holders:  # what holds it, for a read
            holders[key or path] = self.attribute_holder(target.value, obj)  # before a loop (control.py)
        self.current[key or path] = name
        if key is not None:  # reads of `.attr` from here on must find which object they read
            self.parsed.scratch.setdefault("attributes set", set()).add(target.attr.value)
        self.emit((name,), self.value_copy(item, value), value)

    # ------------------------------------------------------------ statements

    def raise_statement(self: _Normalizer, node: cst.Raise) -> None:
        """`raise ValueError(f"...")`: kept as it is, its arguments evaluated first."""
        if node.cause is not None:
            raise self.unsupported(node, "`raise ... from ...` is not supported", hint="raise the exception alone")
        exc = node.exc
        if exc is None:
            self.body.append(Effect(ast.Raise(None, None), self.span(node)))
            return
        if isinstance(exc, cst.Call) and not self.is_local_root(exc.func):
            args, kwargs = self.call_arguments(exc)
            func = ast.parse(self.code(exc.func), mode="eval").body
            raised: ast.expr = ast.Call(func, args, [ast.keyword(k, v) for k, v in kwargs.items()])
        else:
            raised = self.atom(exc)
        self.body.append(Effect(ast.Raise(raised, None), self.span(node)))


    def import_statement(self: _Normalizer, node: cst.Import | cst.ImportFrom) -> None:
        """`import math`, `from numpy.linalg import norm` inside the function: the module (or name) is
        imported when the derivative is made, as the function's first call would import it, and
        the name is the function's own from here on, read as a global is."""
        import importlib

        if isinstance(node, cst.ImportFrom) and (node.relative or isinstance(node.names, cst.ImportStar)):
            raise self.unsupported(node, "a relative import or `import *` in the function is not supported",
                                   hint="import the names by their module's full name at the top of the module")
        bound: dict[str, object] = {}
        try:
            if isinstance(node, cst.Import):
                for alias in node.names:
                    dotted = self.code(alias.name)
                    module = importlib.import_module(dotted)
                    if alias.asname is not None:
                        bound[self.code(alias.asname.name)] = module
                    else:
                        bound[dotted.split(".")[0]] = importlib.import_module(dotted.split(".")[0])
            else:
                module = importlib.import_module(self.code(node.module))  # type: ignore[arg-type]
                for alias in node.names:  # type: ignore[union-attr]
                    name = self.code(alias.name)
                    value = getattr(module, name) if hasattr(module, name) else \
                        importlib.import_module(f"{module.__name__}.{name}")
                    bound[self.code(alias.asname.name) if alias.asname is not None else name] = value
        except ImportError as err:
            raise self.unsupported(node, f"this import fails when the derivative is made: {err}") from None
        for name, value in bound.items():
            if name in self.current or self.parsed.closure.get(name, value) is not value:
                raise self.unsupported(node, f"this import rebinds `{name}`, a name the function already uses",
                                       hint="import at the top of the module")
            self.parsed.closure[name] = value
            self.parsed.scratch.setdefault("imported", {})[name] = value  # the CLI's module imports it too


def _nodes(tree: cst.CSTNode) -> list[cst.CSTNode]:
    found: list[cst.CSTNode] = []

    class Collect(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            found.append(node)
            return True

    tree.visit(Collect())
    return found


def _keyed_loop(node: cst.For) -> bool:
    """`for k in d: ... d[k] ...`: the loop's items index the very value it loops over, so they are
    its keys (a dict's keys, which carry no derivative), whatever the argument d turns out to be: a
    list of integers read this way gives the same items as keys as well."""
    if not isinstance(node.target, cst.Name) or not isinstance(node.iter, cst.Name):
        return False
    key, source = node.target.value, node.iter.value
    for inner in _nodes(node.body):
        if isinstance(inner, cst.Subscript) and isinstance(inner.value, cst.Name) and inner.value.value == source \
                and len(inner.slice) == 1 and isinstance(inner.slice[0].slice, cst.Index) \
                and isinstance(inner.slice[0].slice.value, cst.Name) and inner.slice[0].slice.value.value == key:
            return True
    return False
