"""Optimization of emitted code: copy propagation, dead-code removal, writing in place.

Stage: codegen. Input: ast statements (assignments, if, for, while, and the
statements kept for their effect: tape appends and pops, print, assert) and the
expressions the function returns. Output: the same computation without
statements whose results are never read, and without `a = b` copies of
generated names (a tangent or adjoint that is just another one), and with
writes `y[i] = v` and adjoints of items added in place into objects the code
owns (`add_at`; see codegen/inplace.py).
"""

from __future__ import annotations

import ast
import copy
from collections import Counter

from ..ir import names_in
from . import inplace


def _targets(stmt: ast.stmt) -> set[str]:
    """The names a statement binds (`y[i] = v`, a write into y's value, binds none)."""
    if isinstance(stmt, ast.Assign):
        return set().union(*(_bound_names(t) for t in stmt.targets))
    if isinstance(stmt, ast.For):
        return _bound_names(stmt.target)
    return set()


def _bound_names(target: ast.expr) -> set[str]:
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, (ast.Tuple, ast.List)):
        return set().union(*(_bound_names(e) for e in target.elts))
    return set()


def _all_targets(body: list[ast.stmt]) -> Counter:
    counts: Counter = Counter()
    for stmt in _in_order(body):
        counts.update(_targets(stmt))
    return counts


def propagate_copies(body: list[ast.stmt], returns: list[ast.expr], renamable: set[str],
                     parameters: set[str] = frozenset()) -> list[ast.stmt]:  # type: ignore[assignment]
    """Replace `a = b` by using b for a, where a is a generated name assigned only there,
    and b keeps its value from there to the last read of a (no assignment to b between,
    and no read of a from an inner loop, whose next trip could come after one)."""
    counts = _all_targets(body)
    order = list(_located(body, ()))
    end = len(order)
    mapping: dict[str, str] = {}
    dropped: set[int] = set()
    for i, (node, loops) in enumerate(order):
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Name)
                and isinstance(node.targets[0], ast.Name)):
            continue
        a, b = node.targets[0].id, node.value.id
        if a not in renamable or a in parameters or counts[a] != 1 or a in mapping or b in mapping:
            continue
        uses = [(j, lp) for j, (stmt, lp) in enumerate(order) if a in _own_reads(stmt)]
        if any(r for r in returns if a in names_in(r)):
            uses.append((end, ()))
        if not uses or uses[0][0] <= i or any(lp != loops for _, lp in uses):
            continue
        last = uses[-1][0]
        writes = [j for j, (stmt, _) in enumerate(order) if b in _targets(stmt) and i < j < last]
        if writes or any(b in _targets(stmt) and j == last and not isinstance(stmt, ast.Assign)
                         for j, (stmt, _) in enumerate(order)):
            continue
        mapping[a] = b
        dropped.add(id(node))
    if not mapping:
        return body
    rename = _Rename(mapping)
    body = _drop(body, dropped)
    returns[:] = [rename.visit(r) for r in returns]
    # a chain `b = a; c = b` leaves `c = a` for another round
    return propagate_copies([rename.visit(s) for s in body], returns, renamable, parameters)


def drop_restores(body: list[ast.stmt]) -> list[ast.stmt]:
    """`a = b` ... `b = a` (or through more copies: `c = a` ... `b = c`), with none of them rebound
    between: the last is a no-op (a loop's carried adjoint handed through a trip unchanged);
    dropped, in every block."""
    for stmt in body:
        for field in ("body", "orelse"):
            block = getattr(stmt, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                setattr(stmt, field, drop_restores(block))
    out = list(body)
    for k, stmt in enumerate(out):
        copy = _copy_of(stmt)
        if copy is None:
            continue
        equal = set(copy)  # names that hold the same value from here on (through further copies)
        for j in range(k + 1, len(out)):
            later = _copy_of(out[j])
            if later is not None and later[1] in equal:
                if later[0] in equal:
                    out[j] = ast.Pass()  # a = b = c ... a = c: nothing changes
                else:
                    equal.add(later[0])
                continue
            equal -= _bound_anywhere(out[j])
            if len(equal) < 2:
                break
    return [s for s in out if not isinstance(s, ast.Pass)] or [ast.Pass()]


def _copy_of(stmt: ast.stmt) -> tuple[str, str] | None:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
            and isinstance(stmt.value, ast.Name):
        return stmt.targets[0].id, stmt.value.id
    return None


def fold_first_contributions(body: list[ast.stmt], renamable: set[str]) -> list[ast.stmt]:
    """`bx = g1` ... `bx = bx + g2` as `bx = g1 + g2` (an adjoint's first contribution, a copy, added
    to where the second is), where nothing between reads bx or rebinds g1; in every block."""
    for stmt in body:
        for field in ("body", "orelse"):
            block = getattr(stmt, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                setattr(stmt, field, fold_first_contributions(block, renamable))
    out = list(body)
    k = 0
    while k < len(out):
        stmt = out[k]
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
                and isinstance(stmt.value, ast.Name) and stmt.targets[0].id in renamable:
            a, b = stmt.targets[0].id, stmt.value.id
            for j in range(k + 1, len(out)):
                later = out[j]
                if _adds_to(later, a):
                    later.value.left = ast.Name(b)  # type: ignore[attr-defined]
                    del out[k]
                    k -= 1
                    break
                inner = [n for n in ast.walk(later)]
                if any(isinstance(n, ast.Name) and n.id == a for n in inner) or b in _bound_anywhere(later):
                    break
        k += 1
    return out


def _adds_to(stmt: ast.stmt, name: str) -> bool:
    """`name = name + e`, e not reading name."""
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
            and stmt.targets[0].id == name and isinstance(stmt.value, ast.BinOp)):
        return False
    value = stmt.value
    into_item = isinstance(value.right, ast.Call) and isinstance(value.right.func, ast.Name) \
        and value.right.func.id == "unindex"  # (`b = b + unindex(...)`: added in place, inplace.py)
    return isinstance(value.op, ast.Add) and isinstance(value.left, ast.Name) and value.left.id == name \
        and name not in names_in(value.right) and not into_item


def _bound_anywhere(stmt: ast.stmt) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(stmt):
        if isinstance(node, ast.stmt):
            found |= _targets(node)
    return found


def _located(body: list[ast.stmt], loops: tuple):  # noqa: ANN202
    """(statement, the loops around it) in the order they are written, nested ones included."""
    for stmt in body:
        yield stmt, loops
        inner = loops + (id(stmt),) if isinstance(stmt, (ast.For, ast.While)) else loops
        for field in ("body", "orelse"):
            block = getattr(stmt, field, None)
            if isinstance(block, list):
                yield from _located(block, inner)


def _own_reads(stmt: ast.stmt) -> set[str]:
    """Names a statement reads itself (for a compound statement: its header only)."""
    if isinstance(stmt, ast.If):
        return names_in(stmt.test)
    if isinstance(stmt, ast.For):
        return names_in(stmt.iter)
    if isinstance(stmt, ast.While):
        return names_in(stmt.test)
    if isinstance(stmt, ast.Assign):  # and, in `y[i] = v`, y and i
        return names_in(stmt.value).union(*(names_in(t) for t in stmt.targets if not isinstance(t, ast.Name)))
    return names_in(stmt)


def _in_order(body: list[ast.stmt]):  # noqa: ANN202
    """Statements in the order they are written, nested ones included."""
    for stmt in body:
        yield stmt
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list):
                yield from _in_order(inner)


def _drop(body: list[ast.stmt], dropped: set[int]) -> list[ast.stmt]:
    out = []
    for stmt in body:
        if id(stmt) in dropped:
            continue
        for field in ("body", "orelse"):
            if hasattr(stmt, field) and isinstance(getattr(stmt, field), list):
                inner = _drop(getattr(stmt, field), dropped)
                setattr(stmt, field, inner or ([ast.Pass()] if field == "body" else []))
        out.append(stmt)
    return out


class _Rename(ast.NodeTransformer):
    def __init__(self, mapping: dict[str, str]):
        self.mapping = mapping

    def visit_Name(self, node: ast.Name) -> ast.Name:
        if node.id in self.mapping:
            renamed = ast.Name(self.mapping[node.id], getattr(node, "ctx", ast.Load()))
            renamed.structural = getattr(node, "structural", False)  # type: ignore[attr-defined]
            return renamed
        return node


def _pure(stmt: ast.stmt) -> bool:
    """An assignment whose right side has no effect (no tape pop, no call of a method)."""
    if not isinstance(stmt, ast.Assign) or getattr(stmt, "keep", False):
        return False
    return not any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in ("pop", "append")
                   for n in ast.walk(stmt.value))


def remove_dead(body: list[ast.stmt], returns: list[ast.expr]) -> list[ast.stmt]:
    """Drop assignments none of whose targets is read later, through branches and loops; then
    write in place where no one sees the change (codegen/inplace.py), which needs the same
    knowledge of what the returned values read, and fold the copies a write leaves."""
    live = set().union(*(names_in(r) for r in returns)) if returns else set()
    kept, _ = _dead(body, live)
    kept = inplace.write_in_place(kept, returns)
    fold_writes(kept, kept, returns)
    return kept


def _dead(body: list[ast.stmt], live: set[str]) -> tuple[list[ast.stmt], set[str]]:
    live = set(live)
    kept: list[ast.stmt] = []
    for stmt in reversed(body):
        if isinstance(stmt, ast.If):
            then, live_then = _dead(stmt.body, live)
            other, live_else = _dead(stmt.orelse, live)
            if _empty(then) and _empty(other):
                continue
            stmt.body, stmt.orelse = then or [ast.Pass()], other
            live = live_then | live_else | names_in(stmt.test)
        elif isinstance(stmt, (ast.For, ast.While)):
            stmt, live = _dead_loop(stmt, live)
            if stmt is None:
                continue
        elif isinstance(stmt, ast.Assign) and _pure(stmt) and not (_targets(stmt) & live):
            continue
        else:
            live -= _targets(stmt)
            live |= names_in(stmt.value) | _target_reads(stmt) if isinstance(stmt, ast.Assign) else names_in(stmt)
        kept.append(stmt)
    kept.reverse()
    return kept, live


def _target_reads(stmt: ast.Assign) -> set[str]:
    """The names an assignment's targets read: `d["k"] = v` and `obj.a = v` read d and obj."""
    return set().union(*(names_in(t) for t in stmt.targets if not isinstance(t, (ast.Name, ast.Tuple))))


def _dead_loop(stmt: ast.For | ast.While, live_after: set[str]) -> tuple[ast.stmt | None, set[str]]:
    header = names_in(stmt.iter) if isinstance(stmt, ast.For) else names_in(stmt.test)
    live_in: set[str] = set()
    while True:  # what a trip needs: what follows the loop, or the next trip
        trial, needed = _dead(copy.deepcopy(stmt.body), live_after | live_in | header)
        if isinstance(stmt, ast.For):
            needed -= _targets(stmt)
        if needed <= live_in:
            break
        live_in |= needed
    body, _ = _dead(stmt.body, live_after | live_in | header)
    stmt.body = body or [ast.Pass()]
    return stmt, live_after | live_in | header


def _empty(block: list[ast.stmt]) -> bool:
    return all(isinstance(s, ast.Pass) for s in block)


# ---------------------------------------------------------------- after a write in place


def fold_writes(block: list[ast.stmt], body: list[ast.stmt], returns: list[ast.expr]) -> None:
    """After `y[i] = v`, `y_2 = y`: y_2 read as y, where y holds the same object for all its reads
    (the loop then carries nothing: its `y = y_2` goes), so that the code reads as the user's."""
    for stmt in block:
        for name in ("body", "orelse"):
            inner = getattr(stmt, name, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                fold_writes(inner, body, returns)
    k = 0
    while k < len(block):
        if k and _rebinds_written(block[k - 1], block[k]) \
                and _fold(block, k, body, returns if block is body else None):
            continue
        k += 1


def _rebinds_written(write: ast.stmt, stmt: ast.stmt) -> bool:
    """Whether stmt is `y_2 = y` right after a write `y[i] = v`."""
    return isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
        and isinstance(stmt.value, ast.Name) and isinstance(write, ast.Assign) and len(write.targets) == 1 \
        and isinstance(write.targets[0], ast.Subscript) and isinstance(write.targets[0].value, ast.Name) \
        and write.targets[0].value.id == stmt.value.id


def _fold(block: list[ast.stmt], k: int, body: list[ast.stmt], returns: list[ast.expr] | None) -> bool:
    """Read `y_2` (bound at block[k] only, to y's object) as y up to where y is bound again: there,
    `y = y_2` goes; y_2 must be read nowhere else (returns: the function's, if block is its body)."""
    new, old = block[k].targets[0].id, block[k].value.id  # type: ignore[attr-defined]
    rest = block[k + 1:]
    again = next((j for j, s in enumerate(rest) if any(old in _targets(n) for n in ast.walk(s)
                                                       if isinstance(n, ast.stmt))), None)
    carry = again is not None and isinstance(rest[again], ast.Assign) and len(rest[again].targets) == 1 \
        and isinstance(rest[again].targets[0], ast.Name) and isinstance(rest[again].value, ast.Name) \
        and rest[again].value.id == new  # type: ignore[attr-defined]
    region = rest if again is None else rest[:again + 1] if carry else rest[:again]
    tail = [] if again is not None or returns is None else returns  # the returns read y's object too
    if sum(new in _targets(n) for s in body for n in ast.walk(s) if isinstance(n, ast.stmt)) != 1:
        return False
    inside = {id(n) for s in region + tail for n in ast.walk(s)}
    reads = [n for s in body + (returns or []) for n in ast.walk(s) if isinstance(n, ast.Name)
             and n.id == new and not isinstance(getattr(n, "ctx", None), ast.Store)]
    if any(id(n) not in inside for n in reads):
        return False
    for node in (n for s in region + tail for n in ast.walk(s)):
        if isinstance(node, ast.Name) and node.id == new:
            node.id = old
    if carry:
        del block[k + 1 + again]  # `y = y`  # type: ignore[operator]
    del block[k]
    return True


# ---------------------------------------------------------------- adding into an owned adjoint in place


def accumulate_in_place(body: list[ast.stmt],
                        parameters: set[str] = frozenset()) -> list[ast.stmt]:  # type: ignore[assignment]
    """`bx = bx + unindex(g, like=x, index=i)` as `bx = add_at(bx, g, like=x, index=i)`, which adds g
    into bx's item in place, where bx is an object this code made and nobody else sees.

    `remove_dead` has done it already, together with the writes `y[i] = v` (codegen/inplace.py:
    both need what the returned values read, and the same knowledge of which objects are owned).
    Nothing is left to do here; the parameters are never owned there (no statement makes them)."""
    return body
