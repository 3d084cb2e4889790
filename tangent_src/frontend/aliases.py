"""In-place updates and the names that share their array: when the generated code may differ.

Stage: frontend (the last check of normalization). Input: the normalized body and the in-place
updates the user wrote (`y += v`, `y[i] = v`, `y[i] += v`, `xs.append(v)`). The generated code
never changes an array in place: `y += v` becomes `y_2 = y + v`. Python changes y's array (when
y holds one; a number is rebound instead), and so every other name holding that array or a view
of it, made before the update and not rebound since, sees the new value. The generated code
agrees with Python unless such a name is read after the update: that, and only that, is refused.

The check follows the program in the order Python runs it (both branches of an `if`, a loop's
trips until nothing changes), tracking for each name the arrays it may hold ("objects": the
statement that made the array, or the parameter), so that a view or copy made after the update,
or a name rebound since, never counts.
"""

from __future__ import annotations

import ast
import inspect
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import libcst as cst

from ..errors import UnsupportedSyntax
from ..ir import Apply, Effect, If, Loop, Stmt, names_in
from ..rules.registry import Rule
from .calls import _Op

if TYPE_CHECKING:
    from .normalize import _Normalizer

Objects = frozenset


def _is_number(expr: ast.expr | None) -> bool:
    """A literal Python number (`0.0`, `-1`): never an array."""
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, (ast.USub, ast.UAdd)):
        expr = expr.operand
    return isinstance(expr, ast.Constant) and isinstance(expr.value, (int, float)) and not isinstance(expr.value, bool)


@dataclass
class Update:
    """An in-place update: the statement, the name of the value it updates, and how to refuse it."""

    apply: Apply
    refuse: Callable[[str], UnsupportedSyntax]  # given the user's words for the stale name

    @property
    def old(self) -> str | None:
        value = self.apply.args.get("a", self.apply.args.get("x"))
        return value.id if isinstance(value, ast.Name) else None


@dataclass
class _State:
    objects: dict[str, Objects] = field(default_factory=dict)  # name -> the arrays it may hold
    stale: dict[str, int] = field(default_factory=dict)  # name -> the update that changed its array

    def copy(self) -> "_State":
        return _State(dict(self.objects), dict(self.stale))

    def join(self, other: "_State") -> "_State":
        objects = dict(self.objects)
        for name, found in other.objects.items():
            objects[name] = objects.get(name, frozenset()) | found
        return _State(objects, {**other.stale, **self.stale})

    def of(self, name: str) -> Objects:
        return self.objects.get(name, frozenset({name}))  # a parameter (or global): its own array


@dataclass
class _Check:
    updates: dict[int, tuple[int, Update]]  # id(apply) -> (its number, the update)
    describe: Callable[[str], str]  # a name in the user's words
    copies: Callable[[Apply], bool]  # whether a view rule's application copies (x[[0, 1]], x[mask])
    tests: dict[str, int] = field(default_factory=dict)  # updated_in_place(x) tests -> x's update

    def read(self, names: set[str], state: _State) -> None:
        for name in sorted(names):
            if name in state.stale:
                _, update = next(u for u in self.updates.values() if u[0] == state.stale[name])
                raise update.refuse(self.describe(name))

    def block(self, block: list[Stmt], state: _State) -> _State:
        for stmt in block:
            if isinstance(stmt, Apply) and stmt.rule is UPDATED_IN_PLACE:
                self.tests[stmt.target] = state.stale.get(stmt.args["x"].id, -1)  # type: ignore[attr-defined]
                self.apply(stmt, state)  # (it reads only the type of the value before the update)
            elif isinstance(stmt, Apply):
                source = stmt.args.get("a")
                if stmt.rule.key == "identity" and isinstance(source, ast.Name) and source.id in self.tests:
                    self.tests[stmt.target] = self.tests[source.id]  # the test, copied
                self.read(set().union(*(names_in(v) for v in stmt.args.values())) if stmt.args else set(), state)
                self.apply(stmt, state)
            elif isinstance(stmt, Effect):  # a write into a caller's dict changes it (not a read)
                self.read(names_in(stmt.statement) - {stmt.writes_into}, state)
            elif isinstance(stmt, If):
                self.read(names_in(stmt.test), state)
                other = state.copy()
                if isinstance(stmt.test, ast.Name) and stmt.test.id in self.tests:  # no update in place there
                    other.stale = {n: k for n, k in other.stale.items() if k != self.tests[stmt.test.id]}
                state = self.block(stmt.body, state.copy()).join(self.block(stmt.orelse, other))
            elif isinstance(stmt, Loop):
                state = self.loop(stmt, state)
        return state

    def loop(self, loop: Loop, state: _State) -> _State:
        if loop.iterable is not None:
            self.read(names_in(loop.iterable), state)
        head = state
        while True:
            trip = self.block(loop.test_body, head.copy())
            if loop.test is not None:
                self.read(names_in(loop.test), trip)
            trip = self.block(loop.body + list(loop.carry), trip)
            for exit_test in loop.exits:
                self.read(names_in(exit_test), trip)
            joined = head.join(trip)
            if joined == head:
                return self.block(loop.test_body, head.copy())  # the last test ran before the exit
            head = joined

    def apply(self, apply: Apply, state: _State) -> None:
        """What the targets may hold after the statement, and which names an update makes stale.

        An object is a string: the array (or list, `list:` in front) a statement made, or a
        parameter's; `(item, o)` marks o as held by a list or tuple, not as the value itself."""
        found = self.updates.get(id(apply))
        rule = apply.rule
        values = [v for v in apply.args.values() if isinstance(v, ast.Name)]
        if found is not None and found[1].old is not None:
            number, update = found
            held = state.of(update.old)
            changed = frozenset(o for o in held if isinstance(o, str))  # the value itself, not its items
            if rule.key == "list.append":  # the list grows: names holding that list see it
                items = frozenset(("item", o) for v in values if v.id != update.old for o in _items(state.of(v.id)))
                self.bind(apply, held | items, state)
                hit = changed
            else:  # the array changes: so do its views and the lists holding it
                self.bind(apply, held, state)
                hit = changed | frozenset(("item", o) for o in changed)
            for name, objects in state.objects.items():
                if name not in apply.targets and objects & hit:
                    state.stale.setdefault(name, number)
            return
        if rule.key == "constant" and _is_number(apply.primal):
            self.bind(apply, frozenset(), state)  # `t = 0.0`: a number holds no array (`t += dt` rebinds)
            return
        own = f"{apply.target}@{id(apply)}"
        if rule.key.startswith("list.display") or (rule.key == "constant" and isinstance(apply.primal, ast.List)):
            own = "list:" + own
        if rule.callee is not None or rule.key.startswith(("list.display", "tuple.display")):
            # a list holds its items' arrays; a helper's result may hold (or be) its arguments'
            items = frozenset(("item", o) for v in values for o in _items(state.of(v.id)))
            self.bind(apply, frozenset({own}) | items, state)
        elif rule.view and rule.diff and not self.copies(apply):
            source = apply.args.get(rule.diff[0])
            held = state.of(source.id) if isinstance(source, ast.Name) else frozenset({own})
            exact = rule.key == "identity"  # a copy of the name: the very same value
            self.bind(apply, held if exact else _items(held), state)  # else a view, or a list's item
        else:
            self.bind(apply, frozenset({own}), state)

    @staticmethod
    def bind(apply: Apply, objects: Objects, state: _State) -> None:
        for target in apply.targets:
            state.objects[target] = objects
            state.stale.pop(target, None)


def _items(objects: Objects) -> Objects:
    """What an item (or view, or part) of a value holding `objects` may hold: a view of the array
    itself, or an item the list holds (never the list itself)."""
    found = {o[1] if isinstance(o, tuple) else o for o in objects}
    return frozenset(o for o in found if not (isinstance(o, str) and o.startswith("list:")))


def check_updates(body: list[Stmt], parameters: tuple[str, ...], returns: list[ast.expr], updates: list[Update],
                  describe: Callable[[str], str], copies: Callable[[Apply], bool]) -> None:
    """Refuse an in-place update whose change Python would show through a name read after it."""
    if not updates:
        return
    check = _Check({id(u.apply): (k, u) for k, u in enumerate(updates)}, describe, copies)
    state = check.block(body, _State({p: frozenset({p}) for p in parameters}))
    check.read(set().union(*(names_in(r) for r in returns)), state)


# ---------------------------------------------------------------- names that certainly share the array

_IN_PLACE = {"operator.add": "__iadd__", "operator.sub": "__isub__", "operator.mul": "__imul__",
             "operator.truediv": "__itruediv__", "operator.pow": "__ipow__", "operator.matmul": "__imatmul__",
             "operator.floordiv": "__ifloordiv__", "operator.mod": "__imod__"}
# `updated_in_place(x, "__iadd__")`: whether `x += v` changes x's value in place (an array, a list)
# or binds a new one (a number): known only when the code runs, so it is a test the code makes
UPDATED_IN_PLACE = Rule(key="updated_in_place", signature=inspect.Signature(
    [inspect.Parameter("x", inspect.Parameter.POSITIONAL_ONLY),
     inspect.Parameter("method", inspect.Parameter.POSITIONAL_ONLY)]),
    doc="whether an augmented assignment updates its target in place")


class SharedUpdates:
    """Mixin of the normalizer: after an in-place update, the other names that certainly hold the
    same array (a plain copy `s = a` made in this block, neither rebound since) get its new value
    where Python changes it in place: always for `s[i] = v` and `s.append(v)`; for `s += v` where
    s turns out to hold an array or a list (a test in the generated code), not for a number."""

    def copied(self: _Normalizer, apply: Apply) -> None:
        """Remember `s = a` (a plain name copy) and the block it was made in."""
        if apply.rule.key == "identity" and isinstance(apply.args.get("a"), ast.Name):
            source = apply.args["a"].id
            root = self.copies.get(source, (source, 0))[0]
            self.copies[apply.target] = (root, id(self.body))

    def share_update(self: _Normalizer, user: str, old: str, node: cst.CSTNode, in_place: ast.expr | None) -> None:
        """`user`'s value `old` was just updated (in place if `in_place` is None or holds at run time)."""
        root = self.copies.get(old, (old, id(self.body)))
        if root[1] != id(self.body):
            return
        group = {v for v, (r, block) in self.copies.items() if r == root[0] and block == id(self.body)} | {root[0]}
        others = sorted(u for u, v in self.current.items() if v in group and u != user and v != old
                        and u not in self.generated)
        if not others:
            return
        if in_place is None:
            for other in others:
                self.emit((self.bind(other),), ast.Name(self.current[user]), node)
            return
        test = self.temporary()
        self.emit((test,), _Op(UPDATED_IN_PLACE, {"x": ast.Name(old), "method": in_place},
                               ast.Call(ast.Name("updated_in_place"), [ast.Name(old), in_place], []), node), node)
        self.current[test] = test  # so that the choice below can name it
        try:
            for other in others:
                choice = cst.IfExp(test=cst.Name(test), body=cst.Name(user), orelse=cst.Name(other))
                self.assign_to(cst.Name(other), self.lower(choice), node)
        finally:
            del self.current[test]
