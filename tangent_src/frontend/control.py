"""Normalization of compound statements: blocks, `if`, `for`, `while`, `break`, `continue`.

Stage: frontend (part of normalization). Input: libcst statements. Output:
`ir.If` and `ir.Loop` nodes whose blocks are in single-assignment form, with
one name per value where control flow joins:

- after an `if`, a variable either branch assigned has one merged version,
  assigned at the end of both branches (the branch's own last version is
  renamed to it, so no copy is needed where the branch assigned it);
- a loop carries a variable into the next trip by copying its last version
  back to the name it had on entry (`Loop.carry`);
- `break` / `continue` anywhere in a loop body's branches (at any depth, not
  inside a nested loop, which has its own): the rest of the block moves into
  the branch that goes on (`if c: continue` + rest is `if c: pass else: rest`);
  where both branches of an `if` may go on, the rest runs under a flag that
  every way through the `if` sets (`going = False` before each exit, `going =
  True` at the end of each branch, then `if going: rest`). A break becomes a
  condition checked once the trip is complete (`Loop.exits`): the conjunction
  of the branch tests on the way to it, in order (`not t2 and t4`), so that a
  test is read only where the trip computed it. This keeps every loop
  single-exit, so the reverse sweep replays whole trips.
"""

from __future__ import annotations

import ast
import re
import functools
from typing import TYPE_CHECKING, Callable

import libcst as cst

from ..ir import Apply, Effect, If, Loop, Stmt, rename
from ..rules.registry import lookup
from .calls import _Op
from .data import _nodes
from .functions import _MISSING, LOOPS_OVER, NeedsValue
from .objects import AMBIGUOUS
from .exits import (
    _lines,
    _exit_at,
    _may_exit,
    _has_return,
    _goes_on,
    _flagged,
    _else_lines,
    _assigned_names,
    _mentioned_outside,
    _target_names,
    _unused,
)

if TYPE_CHECKING:
    from .normalize import _Normalizer


class ControlFlow:
    """The compound-statement half of the normalizer (mixed into `_Normalizer`)."""

    path: tuple[tuple[ast.expr, bool], ...] = ()  # the branch tests (and sides) from the trip's start
    top: tuple[cst.BaseStatement, ...] = ()  # the function's statements, once returns are lowered

    def placeholders(self: _Normalizer, node: cst.For | cst.While | cst.If, skip: set[str] = frozenset()) -> None:
        """`v = None` before a loop or an if that binds v first, where v is mentioned elsewhere:
        as in Python, v then holds its last value after the loop (and its old one on a path
        that does not bind it), so it is carried (or joined) like a variable bound before, and
        the derivative code never reads it unbound. No program Python runs reads the None."""
        outside = _mentioned_outside(list(self.top), node)
        for name in sorted(_assigned_names(node) - set(self.current) - skip):
            if name in outside:
                self.emit((self.bind(name),), ast.Constant(None), node)

    def block(self: _Normalizer, statements: list[cst.BaseStatement]) -> list[Stmt]:
        """Normalize a block; in a loop, one that ends where the trip ends (`self.loop_top`) may
        hold a `break` or `continue` (nested in its branches too): what follows one never runs."""
        saved, self.body = self.body, []
        holds_rest, self.loop_top = self.loop_top, False
        self.statements(statements, holds_rest)
        block, self.body, self.loop_top = self.body, saved, holds_rest
        return block

    def statements(self: _Normalizer, statements: list[cst.BaseStatement], holds_rest: bool = False) -> None:
        """Normalize statements into the current body (`holds_rest`: see block)."""
        for i, statement in enumerate(statements):
            self.statement = statement
            if isinstance(statement, cst.SimpleStatementLine):
                k = _exit_at(statement)
                if k is None:
                    self.statement_line(statement)
                    continue
                if k:
                    self.statement_line(self.parsed.moved(statement.with_changes(body=statement.body[:k]),
                                                          statement))
                self.leave_trip(statement.body[k], holds_rest)
                break  # the rest of the block is never run
            elif isinstance(statement, cst.If):
                if holds_rest and _may_exit(statement):
                    self.with_attributes_bound(functools.partial(self.exiting_if, statement, statements[i + 1:]))
                    break  # the rest of the block moved into the branches
                self.with_attributes_bound(functools.partial(self.if_statement, statement))
            elif isinstance(statement, cst.For):
                self.with_attributes_bound(functools.partial(self.for_loop, statement))
            elif isinstance(statement, cst.While):
                self.with_attributes_bound(functools.partial(self.while_loop, statement))
            elif isinstance(statement, cst.FunctionDef):
                self.function_statement(statement)
            else:
                raise self.unsupported(statement, f"{self.describe_statement(statement)} is not supported",
                                       hint=_hint(statement))

    def with_attributes_bound(self: _Normalizer, run: Callable[[], None]) -> None:
        """Normalize a loop or an if (`run`) in which the function first sets an attribute of an object
        (`a.h = np.tanh(x + a.h)`, or a method inlined there that sets self.h): the attribute's value
        on entry is read before it (`a_h = a.h`), so that the next trip, and the way through the other
        branch, read the value it holds then, as Python does. Found by normalizing once, then again
        with those reads first (what the first try made is dropped)."""
        holders = self.parsed.scratch.setdefault("attribute holders", {})
        entry = (len(self.body), dict(self.current), len(self.inplace), len(self.writes_into_parameters),
                 len(self.updates_parameters), dict(holders))
        kept = (len(self.exits), list(self.results) if self.results is not None else None, self.results_tuple)
        objects = self.local_objects()
        made_before = max((o.serial for o in objects.values()), default=0)
        run()
        added = [k for k in holders if k not in entry[5] and k not in entry[1] and holders[k] is not None
                 and (k.split(".")[0] not in objects or objects[k.split(".")[0]].serial <= made_before)]
        if not added:
            return
        body_size, current, inplace, writes, updates, _ = entry
        del self.body[body_size:], self.inplace[inplace:], self.writes_into_parameters[writes:]
        del self.updates_parameters[updates:]
        self.current = current
        del self.exits[kept[0]:]
        if kept[1] is not None:
            self.results[:] = kept[1]  # type: ignore[index]
        self.results_tuple = kept[2]
        for key in added:  # the value on entry: a constant read of the attribute the object holds
            holder, attribute = holders[key], key.rsplit(".", 1)[1]
            version = self.fresh(key)
            self.emit((version,), _Op(lookup("getattr"), {"obj": holder, "name": ast.Constant(attribute)},
                                      ast.Attribute(holder, attribute), self.statement), self.statement)
            self.current[key] = version
        run()

    # ------------------------------------------------------------ if

    def if_statement(self: _Normalizer, node: cst.If) -> None:
        """Normalize an if without exits (elif chains nest)."""
        test = self.test(node.test)
        self.placeholders(node)
        self.branches(test, _lines(node.body), _else_lines(node), node, (False, False))

    def exiting_if(self: _Normalizer, node: cst.If, rest: list[cst.BaseStatement]) -> None:
        """An if in a loop that may break or continue: the rest of the trip moves into the branch
        that goes on, or, if both may, runs after it under a flag every way through it sets."""
        then, orelse = _lines(node.body), _else_lines(node)
        test = self.test(node.test)
        self.placeholders(node)
        goes_on = (_goes_on(then), _goes_on(orelse))
        guard = None
        if rest and all(goes_on):
            guard = _unused("going", self.taken)
            then, orelse = _flagged(then, guard, self.parsed), _flagged(orelse, guard, self.parsed)
        elif goes_on[0]:
            then = then + rest
        elif goes_on[1]:
            orelse = orelse + rest
        self.branches(test, then, orelse, node, (True, True))
        if guard is not None:  # `if going: rest`
            self.statement = rest[0]
            self.branches(ast.Name(self.current[guard]), rest, [], rest[0], (True, True))

    def test(self: _Normalizer, node: cst.BaseExpression) -> ast.expr:
        """The test of an if as an atom that keeps its value: a variable's version is copied, since
        a loop may later carry a new value into it, and the exit conditions at the trip's end and
        the reverse sweep read the test again (copy propagation drops the copy where it can)."""
        test = self.atom(node)
        if isinstance(test, ast.Name) and test.id in self.current.values():
            copy = self.temporary()
            self.emit((copy,), test, node)
            return ast.Name(copy)
        return test

    def leave_trip(self: _Normalizer, exit: cst.BaseSmallStatement, in_loop: bool) -> None:
        """A `break` or `continue` ends the trip; a break also ends the loop once the trip is done,
        under the conjunction of the branch tests on the way to it."""
        if not in_loop:
            raise self.unsupported(exit, "this `break`/`continue` is not supported here",
                                   hint="write break and continue in the loop's own body or in its if statements")
        if isinstance(exit, cst.Continue):
            return
        tests = [test if side else ast.UnaryOp(ast.Not(), test) for test, side in self.path]
        self.exits.append(ast.Constant(True) if not tests else tests[0] if len(tests) == 1
                          else ast.BoolOp(ast.And(), tests))

    def branches(self: _Normalizer, test: ast.expr, then: list[cst.BaseStatement],
                 orelse: list[cst.BaseStatement], node: cst.CSTNode, rest_in: tuple[bool, bool]) -> None:
        before, path = dict(self.current), self.path
        self.loop_top = rest_in[0]  # a branch holding the rest of a trip may break or continue too
        self.path = path + ((test, True),)
        body = self.block(then)
        after_then, self.current = self.current, dict(before)
        self.loop_top = rest_in[1]
        self.path = path + ((test, False),)
        other = self.block(orelse)
        self.loop_top, self.path = False, path
        after_else = self.current
        merged = dict(before)
        for name in sorted(set(after_then) | set(after_else)):
            versions = (after_then.get(name), after_else.get(name))
            if versions[0] == versions[1]:
                merged[name] = versions[0]  # type: ignore[assignment]
            elif name in before or None not in versions:
                merged[name] = self.join(name, (body, other), versions, before.get(name))
            else:  # bound on one path only, as in Python: unbound on the other
                merged[name] = versions[0] or versions[1]  # type: ignore[assignment]
        self.current = merged
        self.body.append(If(test, body, other, self.span(node)))

    def join(self: _Normalizer, name: str, blocks: tuple[list[Stmt], list[Stmt]],
             versions: tuple[str | None, str | None], entry: str | None) -> str:
        """One version for a variable after an if: each branch's own version is renamed to it."""
        joined = self.fresh(name)
        self.joined_kinds(joined, [version or entry for version in versions])
        for block, version in zip(blocks, versions):
            version = version or entry
            if version != entry:
                rename(block, version, joined)  # type: ignore[arg-type]
            else:
                block.append(Apply((joined,), lookup("identity"), {"a": ast.Name(version)},  # type: ignore[arg-type]
                                   ast.Name(version), None))
        return joined

    def joined_kinds(self: _Normalizer, joined: str, sources: list[str | None]) -> None:
        """What the value after an if may be: a dict if either side's is; an object of the caller's
        (a write into it is seen outside) if either side's may be (`if config is None: config = {}`)."""
        found = [s for s in sources if s is not None]
        if any(s in self.dicts for s in found):
            self.dicts.add(joined)
        origins = [self.foreign.get(s, s if s in self.parameters else False) for s in found
                   if s in self.foreign or s in self.parameters]
        if origins:
            self.foreign[joined] = next((o for o in origins if o), None)
        roots = {self.dict_roots.get(s, s) for s in found}  # the same dict written on one side only
        if len(roots) == 1 and any(s in self.dict_roots for s in found):
            self.dict_roots[joined] = roots.pop()
        objects = self.local_objects()
        held = [objects.get(s) for s in found]
        if any(h is not None for h in held):  # an object made here, the same one on both sides or not
            objects[joined] = held[0] if all(h is held[0] for h in held) else AMBIGUOUS  # type: ignore[assignment]

    def conditional(self: _Normalizer, node: cst.IfExp) -> ast.expr:
        """`a if c else b`: an if statement whose branches assign one value (only one side runs)."""
        test = self.test(node.test)
        key = self.fresh("chosen")
        self.generated.add(key)
        assign = [cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Name(key))], side)])
                  for side in (node.body, node.orelse)]
        self.branches(test, [assign[0]], [assign[1]], node, (False, False))
        return ast.Name(self.current[key])

    def comprehension(self: _Normalizer, node: cst.ListComp | cst.GeneratorExp) -> ast.expr:
        """`[f(i) for i in ...]` (or a generator expression): a loop appending to a new list; several
        `for` clauses are nested loops, the first outermost."""
        clauses = []
        clause: cst.CompFor | None = node.for_in
        while clause is not None:
            if clause.asynchronous is not None:
                raise self.unsupported(node, "an `async for` comprehension is not supported",
                                       hint="write the loop out")
            clauses.append(clause)
            clause = clause.inner_for_in
        key = self.fresh("items")
        self.generated.add(key)
        append = cst.SimpleStatementLine([cst.Expr(cst.Call(cst.Attribute(cst.Name(key), cst.Name("append")),
                                                            [cst.Arg(node.elt)]))])
        body: cst.BaseStatement = append
        built: list[cst.CSTNode] = [append]
        for clause in reversed(clauses):
            for condition in reversed(clause.ifs):
                body = cst.If(condition.test, cst.IndentedBlock([body]))
                built.append(body)
            body = cst.For(clause.target, clause.iter, cst.IndentedBlock([body]))
            built.append(body)
        start = cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Name(key))], cst.List([]))])
        for made in (*built, start):  # errors about them name the comprehension
            self.parsed.moved(made, node)
        names = [n for c in clauses for n in _target_names(c.target)]
        hidden = {n: self.current[n] for n in names if n in self.current}
        self.body.extend(self.block([start, body]))
        for name in names:  # the loop variables do not leak out
            self.current.pop(name, None)
        self.current.update(hidden)
        return ast.Name(self.current[key])

    # ------------------------------------------------------------ loops

    def for_loop(self: _Normalizer, node: cst.For) -> None:
        if node.orelse is not None or node.asynchronous is not None:
            raise self.unsupported(node, "`for ... else` and `async for` are not supported",
                                   hint="move the else part after the loop, using a flag")
        if self.unrolled(node) or self.unrolled_over_objects(node):
            return
        started = _enumerate_started(node, self.fresh)
        if started is not None:  # `for i, x in enumerate(xs, 1)`: counted from 0, then `i = k + 1`
            for built in _nodes(started):
                self.parsed.moved(built, node)
            self.for_loop(started)
            return
        iterable, index_name, items = self.iteration(node)
        self.placeholders(node, {index_name} if index_name is not None else set())
        # a loop variable that names a value from before the loop keeps that value where the loop
        # makes no trip (`for i in range(0)` inside a loop over i): it is carried like any other
        before = dict(self.current)
        if index_name is not None:
            index = self.bind(index_name)
        else:
            index = self.fresh("i")
            self.generated.add(index)
        self.loop(node, "for", index, iterable, [], None, before, items)

    def unrolled(self: _Normalizer, node: cst.For) -> bool:
        """`for dparam in [dWxh, dWhh]: np.clip(dparam, -5, 5, out=dparam)`: a loop over a display
        whose body changes its item in place changes the arrays the display names; written as one
        trip per item (`dparam = dWxh`, the body; `dparam = dWhh`, the body), the update is one of a
        name that shares its array with another, which the function follows (aliases.py)."""
        target, source = node.target, node.iter
        if not isinstance(source, (cst.List, cst.Tuple)) or not isinstance(target, cst.Name) \
                or not 0 < len(source.elements) <= 16 or any(not isinstance(e, cst.Element) for e in source.elements):
            return False
        if not _updates_in_place(node.body, target.value) or _jumps(node.body):
            return False
        assigned = _assigned_names(node.body)
        read = {n.value for e in source.elements for n in _names_of(e.value)}
        if read & assigned:  # the items are read once, before the first trip: keep the loop
            return False
        for element in source.elements:
            bind = cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Name(target.value))], element.value)])
            self.parsed.moved(bind, element)
            self.parsed.moved(bind.body[0], element)
            self.parsed.moved(bind.body[0].targets[0].target, target)  # type: ignore[attr-defined]
            saved = self.statement
            self.statements([bind, *_lines(node.body)])  # in this very block: its names' copies are followed
            self.statement = saved
        return True

    def unrolled_over_objects(self: _Normalizer, node: cst.For) -> bool:
        """`for layer in self.layers: x = layer.forward(x)` (or `for i, layer in enumerate(...)`), the
        list known when the derivative is made and holding objects or functions: one trip per item,
        each with its item known, so that `layer.forward` is that layer's method."""
        target, source = node.target, node.iter
        counter = None
        if isinstance(source, cst.Call) and isinstance(source.func, cst.Name) and source.func.value == "enumerate" \
                and "enumerate" not in self.current and len(source.args) == 1 and source.args[0].keyword is None \
                and isinstance(target, cst.Tuple) and len(target.elements) == 2 \
                and all(isinstance(e.value, cst.Name) for e in target.elements):
            counter, target = target.elements[0].value, target.elements[1].value
            source = source.args[0].value
        if not isinstance(target, cst.Name) or _jumps(node.body):
            return False
        items = self.known_items(source)
        if items is None:
            return False
        sequence = self.atom_of(self.lower(source), source)
        for k, item in enumerate(items):
            if counter is not None:
                self.emit((self.bind(counter.value),), ast.Constant(k), counter)  # type: ignore[attr-defined]
            version = self.bind(target.value)
            self.emit((version,), ast.Subscript(sequence, ast.Constant(k)), target)
            self.parsed.known[version] = item
            saved = self.statement
            self.statements(_lines(node.body))
            self.statement = saved
        return True

    def known_items(self: _Normalizer, source: cst.BaseExpression) -> list | None:
        """The items of `self.layers` (a list or tuple known now) where they are objects or functions."""
        from .functions import specializable

        if isinstance(source, cst.Call) and isinstance(source.func, cst.Name) and source.func.value == "reversed" \
                and "reversed" not in self.current and len(source.args) == 1 and source.args[0].keyword is None:
            inner = self.known_items(source.args[0].value)  # reversed(self.layers): lowered as self.layers[::-1]
            return None if inner is None else inner[::-1]
        root = source
        while isinstance(root, cst.Attribute):
            root = root.value
        if not isinstance(root, cst.Name) or root.value not in self.current:
            return None
        holder = self.known_value(ast.Name(self.current[root.value]))
        value = self.attribute_value(holder, source)
        if not isinstance(value, (list, tuple)) or not 0 < len(value) <= 64:
            return None
        return list(value) if all(specializable(v) for v in value) else None

    def iteration(self: _Normalizer,
                  node: cst.For) -> tuple[ast.expr, str | None, list[tuple[cst.BaseExpression, ast.expr]]]:
        """What the loop iterates over, the user's name for the index (if any), and the
        (target, sequence) pairs assigned sequence[index] at the start of each trip (a target is
        a name or a tuple of names: `for W, b in layers`)."""
        found = self.dict_iteration(node)
        if found is not None:
            return found
        found = self.reversed_iteration(node)
        if found is not None:
            return found
        target, source = node.target, node.iter
        if isinstance(source, cst.Call) and isinstance(source.func, cst.Name) and source.func.value == "range" \
                and source.func.value not in self.current:
            if not isinstance(target, cst.Name):
                raise self.unsupported(target, "a range loop needs one loop variable")
            args = [self.atom(a.value) for a in source.args]
            return ast.Call(ast.Name("range"), args, []), target.value, []
        if isinstance(source, cst.Call) and isinstance(source.func, cst.Name) \
                and source.func.value in ("enumerate", "zip") and source.func.value not in self.current:
            inner = source.args[0].value if len(source.args) == 1 else None
            if source.func.value == "enumerate" and isinstance(inner, cst.Call) and isinstance(inner.func, cst.Name) \
                    and inner.func.value == "zip" and "zip" not in self.current and isinstance(target, cst.Tuple) \
                    and len(target.elements) == 2 and isinstance(target.elements[0].value, cst.Name) \
                    and isinstance(target.elements[1].value, (cst.Tuple, cst.List)):
                # for k, (a, b) in enumerate(zip(xs, ys)): k counts, a = xs[k], b = ys[k]
                sequences = [self.loop_sequence(a.value, node) for a in inner.args]
                parts = [e.value for e in target.elements[1].value.elements]
                if len(parts) == len(sequences) and all(_item_target(p) for p in parts):
                    return self.length_range(sequences), target.elements[0].value.value, list(zip(parts, sequences))
            sequences = [self.loop_sequence(a.value, node) for a in source.args]
            parts = [e.value for e in target.elements] if isinstance(target, (cst.Tuple, cst.List)) else []
            if not parts or not all(_item_target(p) for p in parts):
                raise self.unsupported(target, "unpack enumerate/zip into names (or tuples of names)")
            if source.func.value == "enumerate" and len(parts) == 2 and len(sequences) == 1 \
                    and isinstance(parts[0], cst.Name):
                return self.length_range(sequences), parts[0].value, [(parts[1], sequences[0])]
            if source.func.value == "zip" and len(parts) == len(sequences):
                return self.length_range(sequences), None, list(zip(parts, sequences))
            if source.func.value == "enumerate" and len(source.args) > 1:
                raise self.unsupported(source, "enumerate with a start is not supported",
                                       hint="write enumerate(x) and use k + 1 in the body")
            raise self.unsupported(source, f"{source.func.value} of {len(sequences)} sequences unpacked into "
                                   f"{len(parts)} names is not supported",
                                   hint="unpack each item into one name per sequence: for a, b in zip(xs, ys)")
        if not _item_target(target):
            raise self.unsupported(target, "unpacking the items of a loop into this target is not supported",
                                   hint="loop over range(len(x)) and index")
        sequence = self.loop_sequence(source, node)
        if isinstance(sequence, (ast.Tuple, ast.List, ast.Constant)) and isinstance(target, cst.Name):
            return sequence, target.value, []  # a literal: constants, no derivative
        return self.length_range([sequence]), None, [(target, sequence)]

    def reversed_iteration(self: _Normalizer, node: cst.For) -> tuple[ast.expr, str | None, list] | None:
        """`for t in reversed(range(T))`: a range loop the other way; `for c in reversed(coeffs)`:
        the items from the last to the first, read by index."""
        source = node.iter
        if not (isinstance(source, cst.Call) and isinstance(source.func, cst.Name) and source.func.value == "reversed"
                and "reversed" not in self.current and len(source.args) == 1 and not source.args[0].keyword):
            return None
        inner = source.args[0].value
        if isinstance(inner, cst.Call) and isinstance(inner.func, cst.Name) and inner.func.value == "range" \
                and "range" not in self.current:
            if not isinstance(node.target, cst.Name):
                raise self.unsupported(node.target, "a range loop needs one loop variable")
            bounds = [self.atom(a.value) for a in inner.args]
            return ast.Call(ast.Name("reversed"), [ast.Call(ast.Name("range"), bounds, [])], []), \
                node.target.value, []
        if not _item_target(node.target):
            raise self.unsupported(node.target, "unpacking the items of a loop into this target is not supported",
                                   hint="loop over reversed(range(len(x))) and index")
        sequence = self.loop_sequence(inner, node)
        last = ast.BinOp(ast.Call(ast.Name("len"), [sequence], []), ast.Sub(), ast.Constant(1))
        return ast.Call(ast.Name("range"), [last, ast.Constant(-1), ast.Constant(-1)], []), None, \
            [(node.target, sequence)]

    def loop_sequence(self: _Normalizer, source: cst.BaseExpression, node: cst.For, keyed: bool = False) -> ast.expr:
        """The atom a loop takes its items from: Python reads the sequence once, before the first
        trip, so a variable the body assigns again is copied first (`for r in x: x = x + r` takes
        the rows of the x it started with)."""
        sequence = self.atom(source)
        if not keyed and isinstance(source, cst.Name) and isinstance(sequence, ast.Name) \
                and sequence.id in self.parameters and self.known_value(sequence) is _MISSING:
            # an argument of a type unknown until the derivative runs: a dict would give its keys
            if self.parsed.scratch.get("values_on_demand"):
                raise NeedsValue(source.value, LOOPS_OVER, self.span(source))
            check = ast.Call(ast.Name("check_sequence"), [sequence, ast.Constant(source.value)], [])
            self.body.append(Effect(ast.Expr(check), self.span(source)))
        if isinstance(sequence, (ast.Tuple, ast.List)) and self.holds_locals(sequence):
            display = self.temporary()  # `for w in (a, b)`: the items carry derivatives
            self.emit((display,), sequence, source)
            return ast.Name(display)
        if isinstance(source, cst.Name) and isinstance(sequence, ast.Name) \
                and source.value in _assigned_names(node.body):
            copy = self.temporary()
            self.emit((copy,), sequence, node)
            return ast.Name(copy)
        return sequence

    def length_range(self: _Normalizer, sequences: list[ast.expr]) -> ast.expr:
        lengths = [ast.Call(ast.Name("len"), [s], []) for s in sequences]
        stop = lengths[0] if len(lengths) == 1 else ast.Call(ast.Name("min"), lengths, [])
        return ast.Call(ast.Name("range"), [stop], [])

    def while_loop(self: _Normalizer, node: cst.While) -> None:
        if node.orelse is not None:
            raise self.unsupported(node, "`while ... else` is not supported",
                                   hint="move the else part after the loop, using a flag")
        self.placeholders(node)
        before = dict(self.current)
        saved, self.body = self.body, []
        test = self.atom(node.test)
        test_body, self.body = self.body, saved
        if isinstance(test, ast.Constant) and test.value is True:
            test = None
        self.loop(node, "while", None, None, test_body, test, before, [])

    def loop(self: _Normalizer, node: cst.For | cst.While, kind: str, target: str | None,
             iterable: ast.expr | None, test_body: list[Stmt], test: ast.expr | None,
             before: dict[str, str], items: list[tuple[cst.BaseExpression, ast.expr]]) -> None:
        saved_exits, self.exits = self.exits, []
        saved_top, saved_path, self.path = self.loop_top, self.path, ()
        saved_body, self.body = self.body, []
        for item, sequence in items:  # `for row in X`: row = X[i]; `for W, b in layers`: W, b = layers[i]
            index = ast.Name(target)  # type: ignore[arg-type]
            primal = ast.Subscript(sequence, index)
            self.assign_to(item, self.subscript_op(sequence, index, primal, node), node)
        prefix, self.body = self.body, saved_body
        self.loop_top = True
        self.loop_depth += 1
        body = prefix + self.block(_lines(node.body))
        self.loop_depth -= 1
        self.loop_top, self.path = saved_top, saved_path
        carry = [Apply((before[name],), lookup("identity"), {"a": ast.Name(version)},  # type: ignore[arg-type]
                       ast.Name(version), None)
                 for name, version in self.current.items() if name in before and before[name] != version]
        for apply in carry:
            name = next(n for n, v in before.items() if v == apply.target)
            self.current[name] = apply.target
        self.body.append(Loop(kind, target, iterable, test_body, test, body, carry, self.exits, self.span(node),
                              checkpoint=self.checkpoint_directive(node)))
        self.exits = saved_exits

    def checkpoint_directive(self: _Normalizer, node: cst.For | cst.While) -> int | str | bool | None:
        """The setting of `# tangent_src: checkpoint(snapshots=8)` on the line before a loop (also
        `checkpoint(snapshots="sqrt")`, and `checkpoint(snapshots=None)` for a loop never checkpointed);
        None where there is no such comment."""
        comments = [line.comment.value for line in node.leading_lines if line.comment is not None]
        if not comments or not re.match(r"#\s*tangent_src\s*:", comments[-1]):
            return None
        text = comments[-1].split(":", 1)[1].strip()
        hint = ('write `# tangent_src: checkpoint(snapshots=8)` (a number of snapshots, or "sqrt"; '
                'snapshots=None: never checkpoint this loop) on the line before a `for` loop')
        try:
            call = ast.parse(text, mode="eval").body
        except SyntaxError:
            call = None
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "checkpoint"
                and len(call.args) + len(call.keywords) == 1
                and all(k.arg == "snapshots" for k in call.keywords)):
            raise self.unsupported(node, f"the directive `{comments[-1]}` is not one tangent_src knows", hint=hint)
        value = (call.args or [k.value for k in call.keywords])[0]
        setting = value.value if isinstance(value, ast.Constant) else None
        if setting is None and not isinstance(value, ast.Constant) or isinstance(setting, bool) \
                or not (setting is None or setting == "sqrt" or isinstance(setting, int) and setting >= 1):
            raise self.unsupported(node, f"`{comments[-1]}`: snapshots must be a number >= 1, \"sqrt\" or None",
                                   hint=hint)
        if isinstance(node, cst.While) and setting is not None:
            raise self.unsupported(
                node, f"`{comments[-1]}` marks a `while` loop, whose number of trips is not known when it starts",
                hint="write the loop as `for step in range(n)` (with the number of steps known when it starts) "
                     "to checkpoint it; a `while` loop keeps every trip's record")
        return False if setting is None else setting


def _item_target(node: cst.BaseExpression) -> bool:
    """A loop target tangent_src can assign each item to: a name, or a tuple of names at any depth."""
    if isinstance(node, cst.Name):
        return True
    return isinstance(node, (cst.Tuple, cst.List)) and all(
        isinstance(e, cst.Element) and _item_target(e.value) for e in node.elements)


def _hint(statement: cst.CSTNode) -> str:
    from .normalize import _HINTS  # the hints of the statements that stay unsupported

    return _HINTS.get(type(statement), "rewrite it with assignments, if, for and while")


def _updates_in_place(body: cst.CSTNode, name: str) -> bool:
    """Whether the body changes the value `name` holds in place (`p *= 2`, `p[i] = v`,
    `np.clip(p, -5, 5, out=p)`, `p.append(v)`)."""
    found = []

    def named(node: cst.BaseExpression) -> bool:
        return isinstance(node, cst.Name) and node.value == name

    class Find(cst.CSTVisitor):
        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            if named(node.target) or (isinstance(node.target, cst.Subscript) and named(node.target.value)):
                found.append(node)

        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            if isinstance(node.target, cst.Subscript) and named(node.target.value):
                found.append(node)

        def visit_Call(self, node: cst.Call) -> None:
            if any(a.keyword is not None and a.keyword.value == "out" and named(a.value) for a in node.args):
                found.append(node)
            func = node.func
            if isinstance(func, cst.Attribute) and named(func.value) and func.attr.value in (
                    "append", "extend", "insert", "update", "setdefault", "pop", "fill", "sort"):
                found.append(node)

    body.visit(Find())
    return bool(found)


def _jumps(body: cst.CSTNode) -> bool:
    """A `break`/`continue` of the loop itself, or a `return`: no trip-per-item unrolling then."""
    return _may_exit(body) or _has_return(body)


def _names_of(node: cst.CSTNode) -> list[cst.Name]:
    found: list[cst.Name] = []

    class Find(cst.CSTVisitor):
        def visit_Name(self, name: cst.Name) -> None:
            found.append(name)

    node.visit(Find())
    return found


def _enumerate_started(node: cst.For, fresh: Callable[[str], str]) -> cst.For | None:
    """`for i, x in enumerate(xs, start)` as `for k, x in enumerate(xs):` with `i = k + start` first in
    the body; None for any other loop."""
    source, target = node.iter, node.target
    if not (isinstance(source, cst.Call) and isinstance(source.func, cst.Name) and source.func.value == "enumerate"
            and len(source.args) == 2 and isinstance(target, cst.Tuple) and len(target.elements) == 2
            and isinstance(target.elements[0].value, cst.Name)):
        return None
    start = source.args[1]
    if start.keyword is not None and start.keyword.value != "start" or start.star:
        return None
    counter = cst.Name(fresh("k"))
    count = cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(target.elements[0].value)],
                                                cst.BinaryOperation(counter, cst.Add(), start.value))])
    body = node.body.with_changes(body=[count, *node.body.body]) if isinstance(node.body, cst.IndentedBlock) \
        else cst.IndentedBlock([count, *(cst.SimpleStatementLine([s]) for s in node.body.body)])  # type: ignore
    return node.with_changes(target=target.with_changes(elements=[cst.Element(counter), target.elements[1]]),
                             iter=source.with_changes(args=[source.args[0].with_changes(comma=cst.MaybeSentinel.DEFAULT)]),
                             body=body)

