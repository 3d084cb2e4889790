"""Writing in place where nobody can see it: `y[i] = v` and an adjoint added at an item.

Stage: codegen (optimization, after dead-code removal). Input: the body of a
derivative and the expressions it returns. Output: the same computation where

- `y_2 = with_item(y, i, v)` (the value of the user's `y[i] = v`, a copy of y)
  becomes `y[i] = v` then `y_2 = y`, and
- `b = b + unindex(g, like=x, index=i)` (zeros of the whole of x with g at i)
  becomes `b = add_at(b, g, like=x, index=i)`, which adds g into b's item,

wherever the object that the statement would change is *owned* there: the
code made it (new zeros, a display, a copy: never an argument, a global or a
value of unknown origin), it has not escaped (to a call kept for its effect),
the old version's name is not read afterwards (liveness, loops included), and no
other name read afterwards holds it, a view of it or a container holding it (the
tape a loop records its values on is such a name). A `y[i] = v` in a loop then
costs the item, not a copy of y per trip; an adjoint container costs the item.
Where only items read of y stand in the way (`t = y[i - 1]`, which may be a view
of y, kept for the reverse sweep), those reads copy the item (`y[i - 1].copy()`, of
an array of real numbers only: the item keeps its type). (optimize.fold_writes then
folds `y_2 = y` away where y holds the same object for every read of y_2, so that
a loop writes `y[i] = v` as the user did.)

Two kinds of reads do not count. The optimizer knows from the transforms which
reads `c[k]` take an item of a list or dict (`container_item`): the item is one of
its values, not a view of its storage, so replacing c's item leaves it as it was.
And `like=` of unindex and add_at, and names the tape records for that use only
(`structural`), read only what writing an item keeps: an array's shape, type and
device, a list's length, a dict's keys (a key a write adds gets a zero adjoint).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from ..ir import names_in, pretty_index

Tokens = frozenset

# calls whose result is a new object that holds none of the arguments' objects
_NEW = frozenset({
    "zeros_like_tree", "scalar_seed", "len", "range", "dot_adjoint_lhs", "dot_adjoint_rhs",
    "matmul_adjoint_lhs", "matmul_adjoint_rhs", "reduced_size", "extremum_weights", "divide_or_zero", "isinstance",
})
# calls whose result is a new object that may hold the arguments' objects (a list of them)
_HOLDING = frozenset({"unindex", "with_item", "pack_like", "List", "Tuple", "Dict", "list", "tuple", "dict", "zip"})
# numpy functions that return a new array (never a view of an argument nor the argument itself)
_NUMPY_NEW = frozenset("""
zeros ones empty full zeros_like ones_like empty_like full_like eye identity arange linspace copy array
dot matmul outer inner tensordot kron vdot sum mean max min amax amin prod std var cumsum cumprod nansum
exp exp2 expm1 log log1p log2 log10 sqrt cbrt square power abs absolute fabs sign negative positive
tanh sinh cosh arctanh arcsinh arccosh sin cos tan arcsin arccos arctan arctan2 hypot sinc
maximum minimum fmax fmin where clip add subtract multiply divide true_divide floor_divide mod remainder
logaddexp logaddexp2 reciprocal floor ceil rint round trunc heaviside
concatenate stack vstack hstack column_stack tile repeat pad take roll sort argsort argmax argmin
shape size ndim isnan isfinite isinf allclose isclose equal not_equal less greater less_equal greater_equal
logical_and logical_or logical_not diff cross trace count_nonzero
""".split())


@dataclass
class _State:
    """For each name, the objects it may be (or be a view of) and the objects it may hold."""

    own: dict[str, Tokens] = field(default_factory=dict)
    inner: dict[str, Tokens] = field(default_factory=dict)
    escaped: Tokens = frozenset()

    def copy(self) -> "_State":
        return _State(dict(self.own), dict(self.inner), self.escaped)

    def join(self, other: "_State") -> "_State":
        own, inner = dict(self.own), dict(self.inner)
        for name, found in other.own.items():
            own[name] = own.get(name, frozenset()) | found
        for name, found in other.inner.items():
            inner[name] = inner.get(name, frozenset()) | found
        return _State(own, inner, self.escaped | other.escaped)

    def reach(self, name: str) -> Tokens:
        return self.own_of(name) | self.inner.get(name, frozenset({("arg", name)}))

    def own_of(self, name: str) -> Tokens:
        return self.own.get(name, frozenset({("arg", name)}))  # an argument or global: not ours

    def renew(self, made: tuple) -> None:
        """A statement makes a new object: the ones it made before are older objects."""
        old = ("old", made[1])
        for table in (self.own, self.inner):
            for name, found in table.items():
                if made in found:
                    table[name] = (found - {made}) | {old}
        if made in self.escaped:
            self.escaped = (self.escaped - {made}) | {old}


def write_in_place(body: list[ast.stmt], returns: list[ast.expr]) -> list[ast.stmt]:
    """The body with the writes and accumulations that may change their object in place so changed."""
    try:
        live = _Liveness(set().union(*(names_in(r) for r in returns)) if returns else set())
        live.block(body, live.at_end)
        first = _Flow(live.after)  # every candidate may or may not change its object in place
        first.block(body, _State())
        writes = {k: v for k, v in first.decided.items() if k in first.writes}
        copies = first.copies(writes)
        # the writes as decided (a copy is a new object), the items copied: fewer aliases
        second = _Flow(live.after, writes, copies)
        second.block(body, _State())
    finally:
        _SEEN.clear()
    decided = {**second.decided, **writes}
    return _rewrite(body, decided, copies | second.copies(decided))


# ---------------------------------------------------------------- reads


_SEEN: dict[int, tuple[ast.AST, set[int], set[str]]] = {}  # id(node) -> (node, _structural, _reads)


def _memo(node: ast.AST) -> tuple[set[int], set[str]]:
    """_structural and _reads of a node, computed once per node (the loops' fixed points ask again)."""
    found = _SEEN.get(id(node))
    if found is None or found[0] is not node:
        skip = _structural(node)
        reads = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and id(n) not in skip
                 and not isinstance(getattr(n, "ctx", None), ast.Store)}
        found = _SEEN[id(node)] = (node, skip, reads)
    return found[1], found[2]


def _structural(node: ast.AST) -> set[int]:
    """The Name nodes under node read only for their structure (see the module docstring), and
    those of `np.shape(x)` (the shape of an array, or of a view of one, stays)."""
    found = {id(n) for n in ast.walk(node) if isinstance(n, ast.Name) and getattr(n, "structural", False)}
    for call in ast.walk(node):
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in ("unindex", "add_at"):
            found |= {id(k.value) for k in call.keywords if k.arg == "like" and isinstance(k.value, ast.Name)}
        elif isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "shape" \
                and isinstance(call.func.value, ast.Name) and call.func.value.id in ("np", "numpy"):
            found |= {id(a) for a in call.args if isinstance(a, ast.Name)}
    return found


def _reads(node: ast.AST) -> set[str]:
    return _memo(node)[1]


def _bound(stmt: ast.stmt) -> set[str]:
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(stmt, ast.For) else []
    found: set[str] = set()
    for target in targets:
        if isinstance(target, ast.Name):
            found.add(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            found |= {e.id for e in target.elts if isinstance(e, ast.Name)}
    return found


class _Liveness:
    """Names read after each simple statement, before they are bound again (loops included)."""

    def __init__(self, at_end: set[str]):
        self.at_end = at_end
        self.after: dict[int, set[str]] = {}
        self.loops: list[tuple[set[str], set[str]]] = []  # (live after the loop, live where a trip starts)

    def block(self, body: list[ast.stmt], live: set[str]) -> set[str]:
        live = set(live)
        for stmt in reversed(body):
            live = self.statement(stmt, live)
        return live

    def statement(self, stmt: ast.stmt, live: set[str]) -> set[str]:
        if isinstance(stmt, ast.If):
            return self.block(stmt.body, live) | self.block(stmt.orelse, live) | _reads(stmt.test)
        if isinstance(stmt, (ast.For, ast.While)):
            header = _reads(stmt.iter if isinstance(stmt, ast.For) else stmt.test)
            entry: set[str] = set()
            while True:  # what a trip needs: what follows the loop, or the next trip
                self.loops.append((live, live | entry | header))
                needed = self.block(stmt.body, live | entry | header) - _bound(stmt)
                self.loops.pop()
                if needed <= entry:
                    return live | entry | header
                entry |= needed
        if isinstance(stmt, (ast.Break, ast.Continue)) and self.loops:
            return set(self.loops[-1][0 if isinstance(stmt, ast.Break) else 1])
        self.after[id(stmt)] = set(live)
        return (live - _bound(stmt)) | _reads(stmt)


# ---------------------------------------------------------------- ownership


def _candidate(stmt: ast.stmt) -> tuple[str, str] | None:
    """(the name whose object the statement may change in place, the name it binds), for
    `n = with_item(y, ...)` and `b = b + unindex(g, like=x, index=i)`."""
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
        return None
    target, value = stmt.targets[0].id, stmt.value
    if _call_of(value, "with_item") and len(value.args) == 3 and isinstance(value.args[0], ast.Name) \
            and not value.keywords:  # type: ignore[attr-defined]
        return value.args[0].id, target  # type: ignore[attr-defined]
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add) and isinstance(value.left, ast.Name) \
            and value.left.id == target and _call_of(value.right, "unindex") and len(value.right.args) == 1 \
            and {k.arg for k in value.right.keywords} == {"like", "index"}:  # type: ignore[attr-defined]
        return target, target
    return None


def _call_of(expr: ast.expr, name: str) -> bool:
    return isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == name


class _Flow:
    """Which objects each name may hold, statement by statement; the in-place decisions."""

    def __init__(self, live_after: dict[int, set[str]], writes: dict[int, bool] | None = None,
                 copied: set[int] = frozenset()):  # type: ignore[assignment]
        self.live_after = live_after
        self.decided: dict[int, bool] = {}
        self.frozen = writes or {}  # the decisions for the writes `n = with_item(y, ...)`, once taken
        self.writes: set[int] = set()
        self.copied = copied  # the item reads copied (`y[i].copy()`)
        self.items: dict[tuple, Tokens] = {}  # ("item", id(read)) -> what the item may be
        self.needs: dict[int, set[int]] = {}  # id(statement) -> the item reads to copy so that it may
        self.breaks: list[list[_State]] = []
        self.skip: set[int] = set()

    def copies(self, decided: dict[int, bool]) -> set[int]:
        """The item reads to copy for the statements decided in place."""
        return set().union(*(self.needs.get(k, set()) for k, v in decided.items() if v))
        self.breaks: list[list[_State]] = []
        self.skip: set[int] = set()

    def block(self, body: list[ast.stmt], state: _State) -> _State:
        for stmt in body:
            state = self.statement(stmt, state)
        return state

    def statement(self, stmt: ast.stmt, state: _State) -> _State:
        if isinstance(stmt, ast.If):
            return self.block(stmt.body, state.copy()).join(self.block(stmt.orelse, state.copy()))
        if isinstance(stmt, (ast.For, ast.While)):
            return self.loop(stmt, state)
        if isinstance(stmt, (ast.Break, ast.Continue)):
            if self.breaks:
                self.breaks[-1].append(state.copy())
            return state
        self.skip = _memo(stmt)[0]
        if isinstance(stmt, ast.Assign):
            self.assign(stmt, state)
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            self.effect(stmt.value, state)
        return state

    def loop(self, stmt: ast.For | ast.While, state: _State) -> _State:
        head = state
        while True:
            self.breaks.append([])
            trip = head.copy()
            if isinstance(stmt, ast.For):
                self.skip = set()
                self.bind(stmt, stmt.target, self.value(stmt.iter, trip, ("new", id(stmt))), trip)
            end = self.block(stmt.body, trip)
            exits = self.breaks.pop()
            joined = head.join(end)
            if _same(joined, head):
                for found in exits:
                    head = head.join(found)
                return head
            head = joined

    def assign(self, stmt: ast.Assign, state: _State) -> None:
        made = ("new", id(stmt))
        state.renew(made)
        candidate = _candidate(stmt)
        if candidate is not None:
            old, _ = candidate
            value = stmt.value
            write = isinstance(value, ast.Call)
            if write:
                self.writes.add(id(stmt))
            if id(stmt) not in self.frozen:
                self.decide(stmt, candidate, state)
            stored = value.args[2] if write else value.right.args[0]  # type: ignore
            own, inner = self.value(stored, state, made)
            changed = state.own_of(old) if self.frozen.get(id(stmt), True) else frozenset()  # in place, or new
            result = (changed | {made}, state.inner.get(old, frozenset({("arg", old)})) | own | inner)
        else:
            result = self.value(stmt.value, state, made)
        for target in stmt.targets:
            self.bind(stmt, target, result, state)

    def bind(self, stmt: ast.stmt, target: ast.expr, value: tuple[Tokens, Tokens], state: _State) -> None:
        if isinstance(target, ast.Name):
            state.own[target.id], state.inner[target.id] = value
        elif isinstance(target, (ast.Subscript, ast.Attribute)):  # `d[k] = v`, `obj.a = v`: d now holds v
            for node in ast.walk(target.value):
                if isinstance(node, ast.Name):
                    state.own[node.id] = state.own_of(node.id)
                    state.inner[node.id] = state.inner.get(node.id, frozenset({("arg", node.id)})) | value[0] | value[1]
        elif isinstance(target, (ast.Tuple, ast.List)):  # a part of the value: any object it holds
            every = value[0] | value[1] | {("new", id(stmt))}
            for element in target.elts:
                self.bind(stmt, element, (every, every), state)

    def decide(self, stmt: ast.Assign, candidate: tuple[str, str], state: _State) -> None:
        """In place if the object is the code's own, and nothing read afterwards holds it (but
        items read of it, which can be copied instead)."""
        old, new = candidate
        objects = state.own_of(old)
        live = self.live_after.get(id(stmt), set())
        owned = bool(objects) and all(t[0] in ("new", "old") for t in objects) \
            and not objects & self.expand(state.escaped) and (old == new or old not in live)
        needed: set[int] = set()
        for name in live - {old, new} if owned else ():
            reach = state.reach(name)
            if objects & reach:
                owned = False
                break
            needed |= {t[1] for t in reach if t[0] == "item" and objects & self.expand({t})}
        self.decided[id(stmt)] = owned and self.decided.get(id(stmt), True)
        self.needs.setdefault(id(stmt), set()).update(needed if owned else ())

    def expand(self, tokens: Tokens) -> Tokens:
        """The tokens, and what the items among them may be (an item of an item too)."""
        found, todo = set(tokens), [t for t in tokens if t[0] == "item"]
        while todo:
            for t in self.items.get(todo.pop(), frozenset()) - found:
                found.add(t)
                if t[0] == "item":
                    todo.append(t)
        return frozenset(found)

    def effect(self, call: ast.Call, state: _State) -> None:
        """`tape.append(v)`: the tape holds v; another call kept for its effect may keep its arguments."""
        held: Tokens = frozenset()
        for arg in list(call.args) + [k.value for k in call.keywords]:
            own, inner = self.value(arg, state, ("new", id(call)))
            held |= own | inner
        func = call.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            name = func.value.id
            state.own[name] = state.own_of(name)
            state.inner[name] = state.inner.get(name, frozenset()) | held
        else:
            state.escaped = state.escaped | held

    def value(self, expr: ast.expr, state: _State, made: tuple) -> tuple[Tokens, Tokens]:
        """(the objects expr may be or be a view of, the objects it may hold)."""
        if isinstance(expr, ast.Name):
            if id(expr) in self.skip:
                return frozenset(), frozenset()
            return state.own_of(expr.id), state.inner.get(expr.id, frozenset({("arg", expr.id)}))
        if isinstance(expr, ast.Constant):  # immutable: nothing is ever written into it
            return frozenset({("new", id(expr))}), frozenset()
        if isinstance(expr, (ast.List, ast.Tuple, ast.Set, ast.Dict)):
            parts = [e for e in (expr.keys + expr.values if isinstance(expr, ast.Dict) else expr.elts) if e is not None]
            return frozenset({made}), self.held(parts, state, made)
        if isinstance(expr, (ast.BinOp, ast.UnaryOp)):  # a new value, holding what a list operand holds
            parts = [expr.left, expr.right] if isinstance(expr, ast.BinOp) else [expr.operand]
            inner = frozenset().union(*(self.value(p, state, made)[1] for p in parts))
            return frozenset({made}), inner
        if isinstance(expr, ast.Compare):
            return frozenset({made}), frozenset()
        if isinstance(expr, ast.Subscript) and getattr(expr, "container_item", False):
            _, inner = self.value(expr.value, state, made)
            return (frozenset({made}) if isinstance(expr.slice, ast.Slice) else inner), inner
        if isinstance(expr, ast.Call):
            return self.call(expr, state, made)
        if isinstance(expr, ast.Subscript):  # a view of the object, or one of the objects it holds
            own, inner = self.value(expr.value, state, made)
            if id(expr) in self.copied:
                return frozenset({made}), frozenset()
            if getattr(expr, "copyable", None):  # (an item of a real value: its read may copy it)
                token = ("item", id(expr))
                self.items[token] = self.items.get(token, frozenset()) | own | inner
                return frozenset({token, made}) | inner, inner
            return own | inner | {made}, inner
        every = self.held([expr], state, made, whole=True)  # an attribute, an operand chosen
        return every | {made}, every

    def call(self, call: ast.Call, state: _State, made: tuple) -> tuple[Tokens, Tokens]:
        func = call.func
        arguments = list(call.args) + [k.value for k in call.keywords]
        name = func.id if isinstance(func, ast.Name) else None
        numpy = isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.attr in _NUMPY_NEW \
            and func.value.id in ("np", "numpy") and func.value.id not in state.own \
            and not any(k.arg in ("out", "copy") for k in call.keywords)  # (np.array(x, copy=False) may be x)
        if name in _NEW or numpy:
            return frozenset({made}), frozenset()
        if name in _HOLDING:
            return frozenset({made}), self.held(arguments, state, made)
        if isinstance(func, ast.Attribute):
            arguments.append(func.value)  # a method may give back its object or a part of it
        every = self.held(arguments, state, made)
        return every | {made}, every

    def held(self, parts: list[ast.expr], state: _State, made: tuple, whole: bool = False) -> Tokens:
        """Every object the parts may be or hold (whole: every name read in them)."""
        found: Tokens = frozenset()
        if whole:
            for part in parts:
                for node in ast.walk(part):
                    if isinstance(node, ast.Name) and id(node) not in self.skip:
                        found |= state.reach(node.id)
            return found
        for part in parts:
            own, inner = self.value(part, state, made)
            found |= own | inner
        return found


def _same(a: _State, b: _State) -> bool:
    return a.own == b.own and a.inner == b.inner and a.escaped == b.escaped


# ---------------------------------------------------------------- rewriting


class _CopyItems(ast.NodeTransformer):
    """`y[i]` as `y[i].copy()` (an array's, or a numpy scalar's: the same type), where y is written
    in place while the item is still read."""

    def __init__(self, copies: set[int]):
        self.copies = copies

    def visit_Subscript(self, node: ast.Subscript) -> ast.expr:
        self.generic_visit(node)
        if id(node) not in self.copies:
            return node
        return ast.Call(ast.Attribute(node, "copy"), [], [])


def _rewrite(body: list[ast.stmt], decided: dict[int, bool], copies: set[int]) -> list[ast.stmt]:
    if copies:
        body = [_CopyItems(copies).visit(stmt) for stmt in body]
    out: list[ast.stmt] = []
    for stmt in body:
        for name in ("body", "orelse"):
            block = getattr(stmt, name, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                setattr(stmt, name, _rewrite(block, decided, set()))
        if not decided.get(id(stmt)):
            out.append(stmt)
            continue
        value = stmt.value  # type: ignore[attr-defined]
        if isinstance(value, ast.BinOp):  # b = b + unindex(g, like=x, index=i)
            call = value.right
            stmt.value = ast.Call(ast.Name("add_at"), [value.left, *call.args], call.keywords)  # type: ignore
            out.append(stmt)
            continue
        old, index, item = value.args
        write = ast.Assign([ast.Subscript(ast.Name(old.id), pretty_index(index), ast.Store())], item, lineno=0)
        rebind = ast.Assign(stmt.targets, ast.Name(old.id), lineno=0)  # type: ignore[attr-defined]
        for attribute in ("comment", "origin"):
            if hasattr(stmt, attribute):
                setattr(write, attribute, getattr(stmt, attribute))
        if hasattr(stmt, "origin"):
            rebind.origin = stmt.origin  # type: ignore[attr-defined]
        out += [write] if stmt.targets[0].id == old.id else [write, rebind]  # type: ignore[attr-defined]
    return out
