"""What the tape of a reverse loop records, and where the sweep reads it (part of reverse mode).

Stage: transforms. Helpers of transforms/reverse.py: which statements run after a loop of the
reverse sweep (and so read the names its pops assign last), which recorded names the reverse
sweep reads only for their structure, and the order of an adjoint's contributions that lets the
optimizer write into it in place (codegen/inplace.py).
"""

from __future__ import annotations

import ast


def after(block: list[ast.stmt], target: ast.stmt) -> list[ast.stmt] | None:
    """Statements that may run after `target` (nested in `block`): those after it in its own
    block, then after each statement it is nested in, and the whole body of each loop around it
    (its next trip, which starts by reading the carried names; the caller leaves out `target`)."""
    for k, stmt in enumerate(block):
        if stmt is target:
            return block[k + 1:]
        for name in ("body", "orelse"):
            inner = getattr(stmt, name, None)
            found = after(inner, target) if isinstance(inner, list) else None
            if found is not None:
                return (list(inner) if isinstance(stmt, (ast.For, ast.While)) else found) + block[k + 1:]
    return None


def writes_into(expr: ast.expr, bz: ast.expr) -> bool:
    """Whether a contribution is `with_item(bz, ...)`, the adjoint of a write (`y[i] = v`): it goes
    after the other contributions, which read bz, so that it may write into bz in place."""
    return isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "with_item" \
        and bool(expr.args) and ast.dump(expr.args[0]) == ast.dump(bz)


def read_for_structure(names: tuple[str, ...], code: list[ast.stmt]) -> bool:
    """Whether the code reads the names only as `like=` of unindex: for the shape, type and device
    of an array, the length of a list, the keys of a dict."""
    uses = [n for s in code for n in ast.walk(s) if isinstance(n, ast.Name) and n.id in names
            and not isinstance(getattr(n, "ctx", None), ast.Store)]
    likes = {id(k.value) for s in code for c in ast.walk(s) if isinstance(c, ast.Call)
             and isinstance(c.func, ast.Name) and c.func.id in ("unindex", "add_at") for k in c.keywords
             if k.arg == "like" and isinstance(k.value, ast.Name)}
    return bool(uses) and all(id(n) in likes for n in uses)


def recorded(name: str, structural: bool) -> ast.Name:
    """A name as the tape records it; `structural`: the reverse sweep reads it only for its structure,
    which writing an item into it in place keeps, so that the optimizer may still write in place
    into its value after this record (codegen/inplace.py)."""
    node = ast.Name(name)
    node.structural = structural  # type: ignore[attr-defined]
    return node
