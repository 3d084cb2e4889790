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

What Python changes in place is followed where it can be (the mixin at the end, during
normalization), so that the check has less to refuse:

- a plain copy `s = a` in the same block gets the update's value where it is in place (a test
  in the generated code: `s += 1.0` rebinds a number), after a second update too (`s += 1.0;
  s *= 2.0`: a follows where both were in place);
- a write into a view (`row = out[i]; row[:] = v`, or `for item in v: item *= 2.0`, whose items
  are rows of a 2-D v, and numbers of a 1-D v) writes the view's new value back into the array
  (`out_2 = with_item(out, i, row_2)`), under the in-place tests of the view's updates. A view by
  a basic index (integers, slices) made in the same loop trip as the update, neither rebound
  since, of an array the function made or a display of values sharing nothing (not of a
  parameter: a list may hold the view's array at two places).

The check then also knows that a loop's item only changes itself: `item = seq[i]` at the start
of the next trip reads another item, which an update of this one did not change, where no two
items of seq share anything (an array's rows; a display of such values).
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import inspect
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import libcst as cst

from ..errors import UnsupportedSyntax
from ..ir import Apply, Effect, If, Loop, Stmt, names_in, walk
from ..rules.registry import Rule, lookup
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
    stale: dict[str, frozenset[int]] = field(default_factory=dict)  # name -> the updates that changed it
    # a loop's item, and the names certainly made from it by updating or copying it -> (loop, sequence)
    items: dict[str, tuple[int, str]] = field(default_factory=dict)

    def copy(self) -> "_State":
        return _State(dict(self.objects), dict(self.stale), dict(self.items))

    def join(self, other: "_State") -> "_State":
        objects, stale = dict(self.objects), dict(self.stale)
        for name, found in other.objects.items():
            objects[name] = objects.get(name, frozenset()) | found
        for name, numbers in other.stale.items():
            stale[name] = stale.get(name, frozenset()) | numbers
        return _State(objects, stale, {n: k for n, k in self.items.items() if other.items.get(n) == k})

    def forget(self, number: int) -> None:
        """Update `number` changed nothing (a test showed it was not in place)."""
        self.stale = {n: rest for n, k in self.stale.items() if (rest := k - {number})}

    def of(self, name: str) -> Objects:
        return self.objects.get(name, frozenset({name}))  # a parameter (or global): its own array


@dataclass
class _Check:
    updates: dict[int, tuple[int, Update]]  # id(apply) -> (its number, the update)
    describe: Callable[[str], str]  # a name in the user's words
    copies: Callable[[Apply], bool]  # whether a view rule's application copies (x[[0, 1]], x[mask])
    tests: dict[str, int] = field(default_factory=dict)  # updated_in_place(x) tests -> x's update
    ints: frozenset[str] = frozenset()  # names certainly holding Python integers
    last: int = -1  # the update met last, in the order Python runs the statements
    distinct: set[str] = field(default_factory=set)  # tuple and list displays of items sharing nothing
    arrays: set[str] = field(default_factory=set)  # objects certainly arrays or numbers (not lists)
    item_statements: dict[int, tuple[int, str]] = field(default_factory=dict)  # `item = seq[i]` of a loop
    item_updates: dict[int, set[int]] = field(default_factory=dict)  # a loop -> the updates of its items

    def read(self, names: set[str], state: _State, harmless: frozenset[int] | set[int] = frozenset()) -> None:
        for name in sorted(names):
            if state.stale.get(name, frozenset()) - harmless:
                number = min(state.stale[name] - harmless)
                _, update = next(u for u in self.updates.values() if u[0] == number)
                raise update.refuse(self.describe(name))

    def block(self, block: list[Stmt], state: _State) -> _State:
        for stmt in block:
            if isinstance(stmt, Apply) and stmt.rule is UPDATED_IN_PLACE:  # the test of the update just made
                self.tests[stmt.target] = self.last if self.last in state.stale.get(stmt.args["x"].id, ()) else -1
                self.apply(stmt, state)  # (it reads only the type of the value before the update)
            elif isinstance(stmt, Apply) and any(stmt.rule is r for r in (_write_back(), _pass_through(), _keep())):
                self.write_back(stmt, state)
            elif isinstance(stmt, Apply):
                source = stmt.args.get("a")
                if stmt.rule.key == "identity" and isinstance(source, ast.Name) and source.id in self.tests:
                    self.tests[stmt.target] = self.tests[source.id]  # the test, copied
                self.read(set().union(*(names_in(v) for v in stmt.args.values())) if stmt.args else set(), state,
                          self.own_item_updates(stmt, state))
                self.apply(stmt, state)
            elif isinstance(stmt, Effect):
                self.read(names_in(stmt.statement), state)
            elif isinstance(stmt, If):
                self.read(names_in(stmt.test), state)
                other = state.copy()
                if isinstance(stmt.test, ast.Name) and stmt.test.id in self.tests:  # no update in place there
                    other.forget(self.tests[stmt.test.id])
                state = self.block(stmt.body, state.copy()).join(self.block(stmt.orelse, other))
            elif isinstance(stmt, Loop):
                state = self.loop(stmt, state)
        return state

    def loop(self, loop: Loop, state: _State) -> _State:
        if loop.iterable is not None:
            self.read(names_in(loop.iterable), state)
        self.item_updates[id(loop)] = set()
        for stmt in _item_statements(loop):
            self.item_statements[id(stmt)] = (id(loop), stmt.args["a"].id)  # type: ignore[attr-defined]
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
            self.last = number
            if update.old in state.items:  # an update of a loop's item (or of a name made from it)
                self.item_updates[state.items[update.old][0]].add(number)
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
                    state.stale[name] = state.stale.get(name, frozenset()) | {number}
            if update.old in state.items:
                state.items[apply.target] = state.items[update.old]
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
            held = [_items(state.of(v.id)) for v in values]
            self.bind(apply, frozenset({own}) | items, state)
            if len(apply.targets) > 1:  # `loss, dscores = softmax_loss(...)`: each part an object of its own
                for k, target in enumerate(apply.targets):
                    state.objects[target] = frozenset({f"{own}#{k}"}) | items
            if rule.callee is None and sum(map(len, held)) == len(frozenset().union(*held)):
                self.distinct.add(apply.target)  # no two items hold the same array
        elif rule.key == "unpack" and isinstance(apply.args.get("a"), ast.Name):
            # `loss, dscores = softmax_loss(...)`: the parts of a result the function made are objects
            # of their own (an update of one is not seen by the other); a parameter's parts stay its own
            held = _items(state.of(apply.args["a"].id))  # type: ignore[union-attr]
            for k, target in enumerate(apply.targets):
                state.objects[target] = frozenset(f"{o}#{k}" if "@" in o else o for o in held)  # type: ignore
                state.stale.pop(target, None)
                state.items.pop(target, None)
        elif rule.view and rule.diff and not self.copies(apply):
            source = apply.args.get(rule.diff[0])
            held = state.of(source.id) if isinstance(source, ast.Name) else frozenset({own})
            exact = rule.key == "identity"  # a copy of the name: the very same value
            self.bind(apply, held if exact else _items(held), state)  # else a view, or a list's item
            if exact and isinstance(source, ast.Name) and source.id in state.items:
                state.items[apply.target] = state.items[source.id]
            if id(apply) in self.item_statements:
                state.items[apply.target] = self.item_statements[id(apply)]
        else:
            self.bind(apply, frozenset({own}), state)
            if _array_result(apply, lambda v: all(o in self.arrays for o in state.of(v))):
                self.arrays.add(own)

    def write_back(self, apply: Apply, state: _State) -> None:
        """`a_2 = with_item(a, index, r_2)` after an update of the view `r = a[index]`: a's new value
        (a itself is stale: it is what the update changed). Where the index is not certainly basic
        (`a[k]` with k an integer array copies) or a not certainly an array (a list may hold r's
        array at other places too), the write becomes `a_2 = a`, stale as a is. `a_2 = a` where a
        test showed the update did not change a (a keep) is not stale through that update."""
        root = apply.args["a"].id  # type: ignore[attr-defined]
        if apply.rule is _write_back() and not (_basic(apply.args["index"], self.ints) and (
                root in self.distinct or all(o in self.arrays for o in state.of(root)))):
            apply.rule, apply.args, apply.primal = _pass_through(), {"a": ast.Name(root)}, ast.Name(root)
        if apply.rule is _write_back():
            self.read(names_in(apply.args["index"]) | names_in(apply.args["value"]), state)
        stale = state.stale.get(root, frozenset()) - ({self.last} if apply.rule is _keep() else set())
        self.bind(apply, state.of(root), state)
        if stale and apply.rule is not _write_back():
            state.stale[apply.target] = stale

    def own_item_updates(self, apply: Apply, state: _State) -> frozenset[int]:
        """`item = seq[i]` starting a trip of `for item in seq` reads the i-th item only: updates of
        the items of earlier trips (in place, through names made from them) changed other items,
        where no two items share anything (the rows of an array, or a display of such items)."""
        found = self.item_statements.get(id(apply))
        if found is None:
            return frozenset()
        arrays = all(o in self.arrays for o in state.of(found[1]))
        return frozenset(self.item_updates[found[0]]) if arrays or found[1] in self.distinct else frozenset()

    def bind(self, apply: Apply, objects: Objects, state: _State) -> None:
        for target in apply.targets:
            state.objects[target] = objects
            state.stale.pop(target, None)
            state.items.pop(target, None)


def _items(objects: Objects) -> Objects:
    """What an item (or view, or part) of a value holding `objects` may hold: a view of the array
    itself, or an item the list holds (never the list itself)."""
    found = {o[1] if isinstance(o, tuple) else o for o in objects}
    return frozenset(o for o in found if not (isinstance(o, str) and o.startswith("list:")))


_LISTS = {"numpy.split", "numpy.array_split", "numpy.hsplit", "numpy.vsplit", "numpy.dsplit",
          "numpy.broadcast_arrays", "numpy.meshgrid"}  # lists of arrays, which may share memory


def _array_result(apply: Apply, known: Callable[[str], bool]) -> bool:
    """Whether a statement certainly makes an array or a number, whose rows share no memory: a numpy
    function's result, a method's of an array, or an operator no list or tuple supports (+ and *
    repeat or join them; `xs.copy()` of a list is a list)."""
    key, primal = apply.rule.key, apply.primal
    spelled = primal.func if isinstance(primal, ast.Call) else primal
    if isinstance(spelled, ast.Attribute) and isinstance(spelled.value, ast.Name) \
            and any(isinstance(v, ast.Name) and v.id == spelled.value.id for v in apply.args.values()):
        return known(spelled.value.id)  # x.copy(), x.T: what x is
    if key.startswith("numpy.") and key not in _LISTS and len(apply.targets) == 1:
        return True
    if key in ("operator.sub", "operator.truediv", "operator.pow", "operator.matmul", "operator.neg"):
        return True
    operands = [v for v in apply.args.values()]
    return key in ("operator.add", "operator.mul") and any(
        (isinstance(v, ast.Constant) and type(v.value) is float) or (isinstance(v, ast.Name) and known(v.id))
        for v in operands)


def _item_statements(loop: Loop) -> list[Apply]:
    """`item = seq[i]` (i the loop's index) at the start of `for item in seq` lowered to a range loop."""
    iterable = loop.iterable
    if loop.kind != "for" or not (isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Name)
                                  and iterable.func.id == "range" and len(iterable.args) == 1):
        return []
    lengths = {n.args[0].id for n in ast.walk(iterable.args[0]) if isinstance(n, ast.Call)  # type: ignore
               and isinstance(n.func, ast.Name) and n.func.id == "len" and isinstance(n.args[0], ast.Name)}
    found = []
    for stmt in loop.body:
        seq, index = (stmt.args.get("a"), stmt.args.get("index")) if isinstance(stmt, Apply) else (None, None)
        if not (isinstance(stmt, Apply) and stmt.rule.key == "getitem" and isinstance(seq, ast.Name)
                and seq.id in lengths and isinstance(index, ast.Name) and index.id == loop.target):
            break
        found.append(stmt)
    return found


def check_updates(body: list[Stmt], parameters: tuple[str, ...], returns: list[ast.expr], updates: list[Update],
                  describe: Callable[[str], str], copies: Callable[[Apply], bool]) -> None:
    """Refuse an in-place update whose change Python would show through a name read after it."""
    if not updates:
        return
    check = _Check({id(u.apply): (k, u) for k, u in enumerate(updates)}, describe, copies, ints=_integers(body))
    state = check.block(body, _State({p: frozenset({p}) for p in parameters}))
    check.read(set().union(*(names_in(r) for r in returns)), state)


# ---------------------------------------------------------------- basic indices, and the integers in them

@functools.cache
def _write_back() -> Rule:
    """`a_2 = with_item(a, index, r_2)`: setitem, as a rule of its own so that the check knows it."""
    return dataclasses.replace(lookup("setitem"))  # type: ignore[type-var]


@functools.cache
def _pass_through() -> Rule:
    """`a_2 = a`: a write-back the check found the index of not certainly basic."""
    return dataclasses.replace(lookup("identity"))  # type: ignore[type-var]


@functools.cache
def _keep() -> Rule:
    """`a_2 = a` where a test shows the update just made did not change a's array."""
    return dataclasses.replace(lookup("identity"))  # type: ignore[type-var]


def _index_parts(index: ast.expr) -> list[ast.expr]:
    return list(index.elts) if isinstance(index, ast.Tuple) else [index]


def _int_literal(expr: ast.expr) -> bool:
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub):
        expr = expr.operand
    return isinstance(expr, ast.Constant) and type(expr.value) is int


def _integer(expr: ast.expr, ints: frozenset[str] | set[str]) -> bool:
    return _int_literal(expr) or (isinstance(expr, ast.Name) and expr.id in ints)


def _fixed_part(part: ast.expr) -> bool:
    """An index part that is basic whatever the values: an integer, a slice, `...`, `None`."""
    if isinstance(part, ast.Constant) and (part.value is None or part.value is ...):
        return True
    return _int_literal(part) or (isinstance(part, ast.Call) and isinstance(part.func, ast.Name)
                                  and part.func.id == "slice")


def _basic(index: ast.expr, ints: frozenset[str] | set[str]) -> bool:
    """numpy's basic indexing (the result is a view, or a number): integers, slices, `...`, None."""
    return all(_fixed_part(p) or (isinstance(p, ast.Name) and p.id in ints) for p in _index_parts(index))


_INTEGER_RESULTS = {"builtins.len", "builtins.int", "ndarray.ndim", "ndarray.size", "numpy.ndim", "numpy.size"}
_INTEGER_ARITHMETIC = {"operator.add", "operator.sub", "operator.mul", "operator.floordiv", "operator.mod",
                       "operator.neg", "identity"}


def _integers(body: list[Stmt]) -> frozenset[str]:
    """Names certainly holding Python integers: range loop variables, lengths, sizes, items of
    shapes, integer literals and integer arithmetic on those. Every assignment of such a name gives
    an integer (the largest such set: each local is assigned before it is read)."""
    loops = [s for s in walk(body) if isinstance(s, Loop) and s.target is not None]
    ranges = {s.target for s in loops if isinstance(s.iterable, ast.Call) and isinstance(s.iterable.func, ast.Name)
              and s.iterable.func.id == "range"}
    assigned: dict[str, list[Apply]] = {}
    for stmt in walk(body):
        if isinstance(stmt, Apply):
            for target in stmt.targets:
                assigned.setdefault(target, []).append(stmt)
    shapes = {n for n, found in assigned.items() if all(a.rule.key in ("ndarray.shape", "numpy.shape")
                                                         and len(a.targets) == 1 for a in found)}
    ints = (set(assigned) | ranges) - {s.target for s in loops if s.target not in ranges}  # type: ignore[misc]
    while True:
        kept = {n for n in ints if all(_gives_integer(a, ints, shapes) for a in assigned.get(n, []))}
        if kept == ints:
            return frozenset(ints)
        ints = kept


def _gives_integer(apply: Apply, ints: set[str], shapes: set[str]) -> bool:
    key = apply.rule.key
    operands = list(apply.args.values())
    if len(operands) == 1 and isinstance(operands[0], ast.Tuple):
        operands = list(operands[0].elts)  # a non-differentiable rule binds its arguments as one tuple
    if len(apply.targets) != 1:
        return False
    if key == "constant":
        return _int_literal(apply.primal)
    if key == "getitem":
        source, index = apply.args.get("a"), apply.args.get("index")
        return isinstance(source, ast.Name) and source.id in shapes and index is not None \
            and all(_integer(p, ints) for p in _index_parts(index))
    return key in _INTEGER_RESULTS or (key in _INTEGER_ARITHMETIC and all(_integer(o, ints) for o in operands))


# ---------------------------------------------------------------- names that certainly share the array

_IN_PLACE = {"operator.add": "__iadd__", "operator.sub": "__isub__", "operator.mul": "__imul__",
             "operator.truediv": "__itruediv__", "operator.pow": "__ipow__", "operator.matmul": "__imatmul__",
             "operator.floordiv": "__ifloordiv__", "operator.mod": "__imod__", "operator.and_": "__iand__",
             "operator.or_": "__ior__", "operator.xor": "__ixor__"}
# `updated_in_place(x, "__iadd__")`: whether `x += v` changes x's value in place (an array, a list)
# or binds a new one (a number): known only when the code runs, so it is a test the code makes
UPDATED_IN_PLACE = Rule(key="updated_in_place", signature=inspect.Signature(
    [inspect.Parameter("x", inspect.Parameter.POSITIONAL_ONLY),
     inspect.Parameter("method", inspect.Parameter.POSITIONAL_ONLY)]),
    doc="whether an augmented assignment updates its target in place")


@dataclass(frozen=True)
class _View:
    """`r = a[index]` by a basic index: r shares a's memory, so a write into r writes into a."""

    root: str  # a, the user's name
    version: str  # a's version the view was taken of (the array object a holds since)
    index: ast.expr
    trip: int  # the loop trip it was made in (the identity of the normalizer's list of exits)
    users: frozenset[str]  # r, a and the names in the index: a loop binding one of them ends the view
    chain: tuple[str, ...] = ()  # the in-place tests of earlier updates of r: r is the view if all hold
    block: int = 0  # the block those tests were made in


@dataclass(frozen=True)
class _Member:
    """A version that holds the array a copy group started with (the group's first name), where
    every test in `tests` holds (the in-place tests of the updates since: `s += 1.0` rebinds s to
    a new value where s holds a number, and s is no member then)."""

    group: str
    tests: tuple[str, ...]
    block: int  # the block it was made in (the tests are at hand there)
    user: str


@dataclass
class SharedUpdates:
    """Mixin of the normalizer: after an in-place update, the other names that certainly hold the
    same array (a plain copy `s = a` made in this block, neither rebound since) get its new value
    where Python changes it in place: always for `s[i] = v` and `s.append(v)`; for `s += v` where
    s turns out to hold an array or a list (a test in the generated code), not for a number. An
    update of a view writes its new value back into the array viewed (module docstring)."""

    views: dict[str, _View] = field(default_factory=dict, kw_only=True)  # r's version -> what it views
    members: dict[str, tuple[_Member, ...]] = field(default_factory=dict, kw_only=True)  # version -> its groups

    def user_of(self: _Normalizer, version: str) -> str | None:
        return next((u for u, v in self.current.items() if v == version and u not in self.generated), None)

    def copied(self: _Normalizer, apply: Apply) -> None:
        """Remember `s = a` (a plain name copy) and the block it was made in, and `r = a[i]`."""
        if apply.rule.key == "identity" and isinstance(apply.args.get("a"), ast.Name):
            source = apply.args["a"].id
            root = self.copies.get(source, (source, 0))[0]
            self.copies[apply.target] = (root, id(self.body))
        users = set(filter(None, map(self.user_of, apply.targets)))
        if users:  # a name bound in another trip than a view's may be carried back into its versions
            self.views = {k: v for k, v in self.views.items() if v.trip == id(self.exits) or not users & v.users}
            self.members = {k: ms for k, ms in self.members.items() if ms[0].block == id(self.body)
                            or ms[0].user not in users}
        source, index = apply.args.get("a"), apply.args.get("index")
        if apply.rule.key == "getitem" and isinstance(source, ast.Name) and index is not None \
                and source.id not in getattr(self, "dicts", ()) \
                and all(_fixed_part(p) or (isinstance(p, ast.Name) and p.id not in self.masks)
                        for p in _index_parts(index)):
            self.remember_view(apply.target, source.id, index)

    def remember_view(self: _Normalizer, version: str, source: str, index: ast.expr) -> None:
        user, root = self.user_of(version), self.user_of(source)
        if user is None or root is None or user == root:
            return
        names = {u for n in names_in(index) if (u := self.user_of(n)) is not None}
        self.views[version] = _View(root, source, index, id(self.exits), frozenset({user, root} | names))

    def viewed(self: _Normalizer, old: str) -> _View | None:
        """The view `old` (a value just updated) is of, if it still is one: made in this loop trip,
        the array's variable not rebound since, the tests of earlier updates at hand."""
        view = self.views.get(old)
        if view is None or view.trip != id(self.exits) or self.current.get(view.root) != view.version \
                or (view.chain and view.block != id(self.body)):
            return None
        return view

    def share_update(self: _Normalizer, user: str, old: str, node: cst.CSTNode, in_place: ast.expr | None) -> None:
        """`user`'s value `old` was just updated (in place if `in_place` is None or holds at run time)."""
        memberships = tuple(m for m in self.members.get(old, ()) if m.block == id(self.body))
        test = self.share_copies(user, old, node, in_place)
        view = self.viewed(old)
        if (memberships or view is not None) and in_place is not None and test is None:
            test = self.in_place_test(old, in_place, node)
        tests = (test,) if test is not None else ()
        kept = self.members.get(self.current[user], ())  # the group share_copies began
        if kept or memberships:
            self.members[self.current[user]] = kept + tuple(
                dataclasses.replace(m, tests=(*m.tests, *tests)) for m in memberships)
        for member in memberships:
            self.share_members(user, member, node, tests)
        if view is not None:
            self.write_through(user, view, node, (*view.chain, *tests))

    def share_members(self: _Normalizer, user: str, member: _Member, node: cst.CSTNode,
                      tests: tuple[str, ...]) -> None:
        """After an update of a member of a copy group (`s += 1.0; s *= 2.0`, s a copy of a): the
        names that certainly hold the group's array follow where s held it and the update was in
        place (the tests of both updates)."""
        new = self.current[user]
        for other, version in sorted(self.current.items()):
            found = next((m for m in self.members.get(version, ()) if m.group == member.group and not m.tests
                          and m.block == id(self.body)), None)
            if other == user or found is None:
                continue
            target = self.bind(other)
            self.described[target] = other
            copy = self.built(target, lookup("identity"), {"a": ast.Name(new)}, ast.Name(new), node)  # type: ignore
            self.body.extend(self.guarded(copy, (*member.tests, *tests), ast.Name(version), node))
            self.members[target] = (*self.members.get(target, ()), dataclasses.replace(found, user=other))

    def share_copies(self: _Normalizer, user: str, old: str, node: cst.CSTNode,
                     in_place: ast.expr | None) -> str | None:
        """The copies of `old` follow its update; the in-place test made for that, if any."""
        root = self.copies.get(old, (old, id(self.body)))
        if root[1] != id(self.body):
            return None
        group = {v for v, (r, block) in self.copies.items() if r == root[0] and block == id(self.body)} | {root[0]}
        others = sorted(u for u, v in self.current.items() if v in group and u != user and v != old
                        and u not in self.generated)
        if not others:
            return None
        if in_place is None:
            for other in others:
                self.emit((self.bind(other),), ast.Name(self.current[user]), node)
            return None
        test = self.in_place_test(old, in_place, node)
        self.current[test] = test  # so that the choice below can name it
        try:
            for other in others:
                choice = cst.IfExp(test=cst.Name(test), body=cst.Name(user), orelse=cst.Name(other))
                self.assign_to(cst.Name(other), self.lower(choice), node)
                self.members[self.current[other]] = (_Member(root[0], (), id(self.body), other),)
        finally:
            del self.current[test]
        self.members[self.current[user]] = (_Member(root[0], (test,), id(self.body), user),)
        return test

    def in_place_test(self: _Normalizer, old: str, method: ast.expr, node: cst.CSTNode) -> str:
        test = self.temporary()
        self.emit((test,), _Op(UPDATED_IN_PLACE, {"x": ast.Name(old), "method": method},
                               ast.Call(ast.Name("updated_in_place"), [ast.Name(old), method], []), node), node)
        return test

    def write_through(self: _Normalizer, user: str, view: _View, node: cst.CSTNode, tests: tuple[str, ...]) -> None:
        """The view's new value, written back into the array it views: `a_2 = with_item(a, i, r_2)`,
        under the in-place tests of this update and of the view's earlier ones (r is still the
        view where each holds); where one does not, `a_2 = a`. Then a's copies follow, and the
        array a views, if a is a view too."""
        value = ast.Name(self.current[user])
        old_root = self.current[view.root]
        root = self.bind(view.root)
        self.described[root] = view.root
        self.roots[root] = self.roots.get(view.version, view.version)
        primal = ast.Call(ast.Name("with_item"), [ast.Name(view.version), view.index, value], [])
        write = self.built(root, _write_back(), {"a": ast.Name(view.version), "index": view.index, "value": value},
                           primal, node)
        self.body.extend(self.guarded(write, tests, ast.Name(view.version), node))
        self.views[value.id] = dataclasses.replace(view, version=root, chain=tests, block=id(self.body))
        if not tests:
            self.share_copies(view.root, old_root, node, None)
        outer = self.viewed(old_root)
        if outer is not None:
            self.write_through(view.root, outer, node, (*outer.chain, *tests))

    def built(self: _Normalizer, target: str, rule: Rule, args: dict[str, ast.expr], primal: ast.expr,
              node: cst.CSTNode) -> Apply:
        source = self.code(self.statement) if self.statement is not None else ""
        return Apply((target,), rule, args, primal, self.span(node), source)

    def guarded(self: _Normalizer, apply: Apply, tests: tuple[str, ...], kept: ast.Name,
                node: cst.CSTNode) -> list[Stmt]:
        """`apply` where every test holds, else `target = kept`: nested ifs, the last test outermost
        (it is this update's: where it fails, the update changed nothing)."""
        block: list[Stmt] = [apply]
        for test in tests:
            keep = self.built(apply.target, _keep(), {"a": kept}, kept, node)
            block = [If(ast.Name(test), block, [keep], self.span(node))]
        return block
