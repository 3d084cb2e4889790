"""Optimization of emitted code: copy propagation, dead-code removal, adding in place.

Stage: codegen. Input: ast statements (assignments, if, for, while, and the
statements kept for their effect: tape appends and pops, print, assert) and the
expressions the function returns. Output: the same computation without
statements whose results are never read, and without `a = b` copies of
generated names (a tangent or adjoint that is just another one), and with
adjoints of array elements added in place into a buffer the code owns (`add_at`).
"""

from __future__ import annotations

import ast
import copy
from collections import Counter

from ..ir import names_in


def _targets(stmt: ast.stmt) -> set[str]:
    if isinstance(stmt, ast.Assign):
        return {n.id for t in stmt.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    if isinstance(stmt, ast.For):
        return {n.id for n in ast.walk(stmt.target) if isinstance(n, ast.Name)}
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
    return [rename.visit(s) for s in body]


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
    return names_in(stmt.value) if isinstance(stmt, ast.Assign) else names_in(stmt)


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
            return ast.Name(self.mapping[node.id], getattr(node, "ctx", ast.Load()))
        return node


def _pure(stmt: ast.stmt) -> bool:
    """An assignment whose right side has no effect (no tape pop, no call of a method)."""
    if not isinstance(stmt, ast.Assign) or getattr(stmt, "keep", False):
        return False
    return not any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in ("pop", "append")
                   for n in ast.walk(stmt.value))


def remove_dead(body: list[ast.stmt], returns: list[ast.expr]) -> list[ast.stmt]:
    """Drop assignments none of whose targets is read later, through branches and loops."""
    live = set().union(*(names_in(r) for r in returns)) if returns else set()
    kept, _ = _dead(body, live)
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
            live |= names_in(stmt.value) if isinstance(stmt, ast.Assign) else names_in(stmt)
        kept.append(stmt)
    kept.reverse()
    return kept, live


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


# ---------------------------------------------------------------- adding into an owned adjoint in place


def accumulate_in_place(body: list[ast.stmt],
                        parameters: set[str] = frozenset()) -> list[ast.stmt]:  # type: ignore[assignment]
    """`bx = bx + unindex(g, like=x, index=i)` becomes `bx = add_at(bx, g, like=x, index=i)`,
    which adds g into bx[i] in place, where bx is a buffer this code made and nobody else sees.

    unindex makes a whole array of zeros for every element read, so a loop reading x[i]
    on each trip would cost O(n) per trip in reverse. add_at writes into bx itself; that
    is safe when bx is *owned*: every value bx is ever given is new (`np.zeros_like(..)`,
    `unindex(..)`, a number, or bx with more added), bx is no parameter, and no statement
    reads bx, other than to add into it, before the last top-level statement that assigns
    it (so no other name can hold bx's buffer while it still changes; the returned
    values are read after everything). A name that fails any of these is left as it was,
    except where, in the accumulation's own block, a fresh value of bx comes before it with
    nothing but other accumulations into bx between (`_fresh_in_block`).
    """
    order = {id(stmt): k for k, stmt in enumerate(body)}
    top: dict[int, int] = {}  # id(statement, nested ones included) -> index of its top-level statement
    for stmt in body:
        for inner in _in_order([stmt]):
            top[id(inner)] = order[id(stmt)]
    statements = list(_in_order(body))
    owned = {t for s in statements for t in _targets(s)} - set(parameters)
    last_write: dict[str, int] = {}
    for stmt in statements:
        for name in _targets(stmt):
            last_write[name] = max(last_write.get(name, -1), top[id(stmt)])
            if not _fresh_assignment(stmt, name):
                owned.discard(name)
    for stmt in statements:
        accumulating = _accumulation(stmt)
        for name in _own_reads(stmt) & owned:
            if (name != accumulating or name in _reads_besides_target(stmt)) and top[id(stmt)] <= last_write[name]:
                owned.discard(name)
    fresh_before = _fresh_in_block(body, set(parameters))
    for stmt in statements:
        name = _accumulation(stmt)
        if name in owned or id(stmt) in fresh_before:
            call = stmt.value.right  # type: ignore[attr-defined]
            stmt.value = ast.Call(ast.Name("add_at"), [ast.Name(name), *call.args], call.keywords)  # type: ignore
    return body


def _fresh_in_block(body: list[ast.stmt], parameters: set[str]) -> set[int]:
    """Accumulations into b preceded, in their own block, by a fresh value of b with only
    other accumulations into b between (a trip of a reverse loop that starts bz anew):
    however often the block runs, the buffer they add into was made there, and nobody
    has read it since."""
    found: set[int] = set()
    for stmt in body:
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list):
                found |= _fresh_in_block(inner, parameters)
    for k, stmt in enumerate(body):
        name = _accumulation(stmt)
        if name is None or name in parameters or name in _reads_besides_target(stmt):
            continue
        for before in reversed(body[:k]):
            if _accumulation(before) == name and name not in _reads_besides_target(before):
                continue
            if name in _mentions(before):
                if _fresh_assignment(before, name):
                    found.add(id(stmt))
                break
    return found


def _mentions(stmt: ast.stmt) -> set[str]:
    """Every name a statement reads or assigns, nested statements included."""
    return {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)}


def _accumulation(stmt: ast.stmt) -> str | None:
    """b, if stmt is `b = b + unindex(g, like=x, index=i)`."""
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
        return None
    name, value = stmt.targets[0].id, stmt.value
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add) and isinstance(value.left, ast.Name) \
            and value.left.id == name and _calls(value.right, "unindex") and len(value.right.args) == 1 \
            and {k.arg for k in value.right.keywords} == {"like", "index"}:  # type: ignore[attr-defined]
        return name
    return None


def _calls(expr: ast.expr, name: str) -> bool:
    return isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == name


def _reads_besides_target(stmt: ast.stmt) -> set[str]:
    """What an accumulation `b = b + unindex(g, ...)` reads in g, like and index."""
    return names_in(stmt.value.right)  # type: ignore[attr-defined]


def _fresh_assignment(stmt: ast.stmt, name: str) -> bool:
    """Whether stmt gives `name` a value no other name holds: new zeros, unindex, a number,
    or an accumulation into name itself."""
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
        return False
    value = stmt.value
    if isinstance(value, ast.Constant) and isinstance(value.value, (int, float)):
        return True
    if _accumulation(stmt) == name or _calls(value, "unindex"):
        return True
    if _calls(value, "zeros_like_tree"):  # new zeros with the structure of a value that may be a container
        return True
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) \
        and value.func.attr == "zeros_like" and isinstance(value.func.value, ast.Name)
