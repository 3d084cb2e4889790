"""Normalization of compound statements: blocks, `if`, `for`, `while`, `break`, `continue`.

Stage: frontend (part of normalization). Input: libcst statements. Output:
`ir.If` and `ir.Loop` nodes whose blocks are in single-assignment form, with
one name per value where control flow joins:

- after an `if`, a variable either branch assigned has one merged version,
  assigned at the end of both branches (the branch's own last version is
  renamed to it, so no copy is needed where the branch assigned it);
- a loop carries a variable into the next trip by copying its last version
  back to the name it had on entry (`Loop.carry`);
- `break` / `continue` as the last statement of an `if` branch directly in a
  loop body: the rest of the body moves into the other branch, and a break
  becomes a condition checked once the trip is complete (`Loop.exits`). This
  keeps every loop single-exit, so the reverse sweep replays whole trips.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

import libcst as cst

from ..ir import Apply, If, Loop, Stmt, rename
from ..rules.registry import lookup

if TYPE_CHECKING:
    from .normalize import _Normalizer

_EXIT_HINT = "write `if condition: break` (or continue) as the last statement of an if directly in the loop body"


def _lines(block: cst.BaseSuite) -> list[cst.BaseStatement]:
    return list(block.body) if isinstance(block, cst.IndentedBlock) else [block]  # type: ignore[list-item]


def _exit_of(statements: list[cst.BaseStatement]) -> str | None:
    """'break' or 'continue' if the block ends with one."""
    if not statements or not isinstance(statements[-1], cst.SimpleStatementLine):
        return None
    last = statements[-1].body[-1]
    return {cst.Break: "break", cst.Continue: "continue"}.get(type(last))


def _without_exit(statements: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
    line = statements[-1]
    assert isinstance(line, cst.SimpleStatementLine)
    rest = list(line.body[:-1])
    return statements[:-1] + ([line.with_changes(body=rest)] if rest else [])


def _else_lines(node: cst.If) -> list[cst.BaseStatement]:
    if isinstance(node.orelse, cst.Else):
        return _lines(node.orelse.body)
    return [node.orelse] if isinstance(node.orelse, cst.If) else []


def _ends_in_return(statements: list[cst.BaseStatement]) -> bool:
    """Whether every way through the block ends with a return."""
    if not statements:
        return False
    last = statements[-1]
    if isinstance(last, cst.SimpleStatementLine):
        return isinstance(last.body[-1], cst.Return)
    if isinstance(last, cst.If):
        return _ends_in_return(_lines(last.body)) and _ends_in_return(_else_lines(last))
    return False


def _has_return(node: cst.CSTNode) -> bool:
    found = []

    class Find(cst.CSTVisitor):
        def visit_Return(self, node: cst.Return) -> None:
            found.append(node)

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return False

    node.visit(Find())
    return bool(found)


def _assigned_names(node: cst.CSTNode) -> set[str]:
    """The plain names a statement (or block) assigns, in assignments, augmented ones and loop targets."""
    found: set[str] = set()

    class Find(cst.CSTVisitor):
        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            found.update(_target_names(node.target))

        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            found.update(_target_names(node.target))

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            found.update(_target_names(node.target))

        def visit_For(self, node: cst.For) -> None:
            found.update(_target_names(node.target))

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return False

    node.visit(Find())
    return found


def _target_names(target: cst.BaseExpression) -> list[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [n for e in target.elements for n in _target_names(e.value)]
    return []


def loop_returns(statements: list[cst.BaseStatement], taken: set[str]) -> list[cst.BaseStatement]:
    """A `return` inside a loop becomes `value = v; returned = True; break`, and each loop
    it leaves is followed by `if returned: return value` (or `break`, in an outer loop)."""
    if not any(isinstance(s, (cst.For, cst.While)) and _has_return(s) for s in statements):
        return statements
    flag, value = _unused("returned", taken), _unused("returned_value", taken)
    start = cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Name(flag))], cst.Name("False"))])
    return [start] + _rewrite_returns(statements, 0, flag, value)


def _unused(base: str, taken: set[str]) -> str:
    name, k = base, 1
    while name in taken:
        k += 1
        name = f"{base}_{k}"
    taken.add(name)
    return name


def _rewrite_returns(statements: list[cst.BaseStatement], depth: int, flag: str,
                     value: str) -> list[cst.BaseStatement]:
    out: list[cst.BaseStatement] = []
    for k, statement in enumerate(statements):
        if isinstance(statement, (cst.For, cst.While)) and _has_return(statement):
            body = _rewrite_returns(_lines(statement.body), depth + 1, flag, value)
            out.append(statement.with_changes(body=cst.IndentedBlock(body)))
            leave: cst.BaseSmallStatement = cst.Return(cst.Name(value)) if depth == 0 else cst.Break()
            if depth == 0 and k == len(statements) - 1:  # nothing after the loop: it can only return
                out.append(cst.SimpleStatementLine([leave]))
            else:
                out.append(cst.If(cst.Name(flag), cst.IndentedBlock([cst.SimpleStatementLine([leave])])))
        elif depth and isinstance(statement, cst.If) and _has_return(statement):
            then = _rewrite_returns(_lines(statement.body), depth, flag, value)
            other = _rewrite_returns(_else_lines(statement), depth, flag, value)
            orelse = cst.Else(cst.IndentedBlock(other)) if other else None
            out.append(statement.with_changes(body=cst.IndentedBlock(then), orelse=orelse))
        elif depth and isinstance(statement, cst.SimpleStatementLine) and isinstance(statement.body[-1], cst.Return):
            result = statement.body[-1].value or cst.Name("None")  # type: ignore[attr-defined]
            keep = [*statement.body[:-1], cst.Assign([cst.AssignTarget(cst.Name(value))], result),
                    cst.Assign([cst.AssignTarget(cst.Name(flag))], cst.Name("True"))]
            out += [cst.SimpleStatementLine([small]) for small in keep]
            out.append(cst.SimpleStatementLine([cst.Break()]))
        else:
            out.append(statement)
    return out


def single_exit(statements: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
    """An early `return` in a branch: the rest of the block moves into the other branch,
    so that every way through the function ends with a return of its own."""
    for i, statement in enumerate(statements):
        if isinstance(statement, cst.If) and _has_return(statement):
            rest = statements[i + 1:]
            branches = []
            for block in (_lines(statement.body), _else_lines(statement)):
                alone = single_exit(block)
                branches.append(alone if _ends_in_return(alone) else single_exit(block + rest))
            orelse = cst.Else(body=cst.IndentedBlock(body=branches[1])) if branches[1] else None
            return statements[:i] + [statement.with_changes(body=cst.IndentedBlock(body=branches[0]), orelse=orelse)]
    return statements


class ControlFlow:
    """The compound-statement half of the normalizer (mixed into `_Normalizer`)."""

    def block(self: _Normalizer, statements: list[cst.BaseStatement]) -> list[Stmt]:
        saved, self.body = self.body, []
        at_loop_top, self.loop_top = self.loop_top, False
        for i, statement in enumerate(statements):
            self.statement = statement
            if isinstance(statement, cst.SimpleStatementLine):
                self.statement_line(statement)
            elif isinstance(statement, cst.If):
                if self.if_statement(statement, statements[i + 1:], at_loop_top):
                    break  # the rest of the block moved into a branch
            elif isinstance(statement, cst.For):
                self.for_loop(statement)
            elif isinstance(statement, cst.While):
                self.while_loop(statement)
            else:
                raise self.unsupported(statement, f"{self.describe_statement(statement)} is not supported",
                                       hint="rewrite it with assignments, if, for and while")
        block, self.body, self.loop_top = self.body, saved, at_loop_top
        return block

    # ------------------------------------------------------------ if

    def if_statement(self: _Normalizer, node: cst.If, rest: list[cst.BaseStatement], at_loop_top: bool) -> bool:
        """Normalize an if (elif chains nest); returns whether `rest` was absorbed into a branch."""
        then = _lines(node.body)
        orelse: list[cst.BaseStatement] = []
        if isinstance(node.orelse, cst.Else):
            orelse = _lines(node.orelse.body)
        elif isinstance(node.orelse, cst.If):
            orelse = [node.orelse]
        test = self.atom(node.test)
        exits = (_exit_of(then), _exit_of(orelse))
        absorbed = any(exits)
        rest_in = (False, False)  # which branch now holds the rest of the trip
        if absorbed:
            if not at_loop_top or all(exits):
                raise self.unsupported(node, "this `break`/`continue` is not supported here", hint=_EXIT_HINT)
            if exits[0]:
                then, orelse, rest_in = _without_exit(then), orelse + rest, (False, True)
            else:
                then, orelse, rest_in = then + rest, _without_exit(orelse), (True, False)
            if "break" in exits:
                self.exits.append(test if exits[0] else ast.UnaryOp(ast.Not(), test))
        self.branches(test, then, orelse, node, rest_in)
        return absorbed

    def branches(self: _Normalizer, test: ast.expr, then: list[cst.BaseStatement],
                 orelse: list[cst.BaseStatement], node: cst.CSTNode, rest_in: tuple[bool, bool]) -> None:
        before = dict(self.current)
        self.loop_top = rest_in[0]  # a branch holding the rest of a trip may break or continue too
        body = self.block(then)
        after_then, self.current = self.current, dict(before)
        self.loop_top = rest_in[1]
        other = self.block(orelse)
        self.loop_top = False
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
        for block, version in zip(blocks, versions):
            version = version or entry
            if version != entry:
                rename(block, version, joined)  # type: ignore[arg-type]
            else:
                block.append(Apply((joined,), lookup("identity"), {"a": ast.Name(version)},  # type: ignore[arg-type]
                                   ast.Name(version), None))
        return joined

    def conditional(self: _Normalizer, node: cst.IfExp) -> ast.expr:
        """`a if c else b`: an if statement whose branches assign one value (only one side runs)."""
        test = self.atom(node.test)
        key = self.fresh("chosen")
        self.generated.add(key)
        assign = [cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Name(key))], side)])
                  for side in (node.body, node.orelse)]
        self.branches(test, [assign[0]], [assign[1]], node, (False, False))
        return ast.Name(self.current[key])

    def comprehension(self: _Normalizer, node: cst.ListComp | cst.GeneratorExp) -> ast.expr:
        """`[f(i) for i in ...]` (or a generator expression): a loop appending to a new list."""
        clause = node.for_in
        if clause.inner_for_in is not None or clause.asynchronous is not None:
            raise self.unsupported(node, "a comprehension with several `for` clauses is not supported",
                                   hint="write the loops out")
        key = self.fresh("items")
        self.generated.add(key)
        append = cst.SimpleStatementLine([cst.Expr(cst.Call(cst.Attribute(cst.Name(key), cst.Name("append")),
                                                            [cst.Arg(node.elt)]))])
        body: cst.BaseStatement = append
        for condition in reversed(clause.ifs):
            body = cst.If(condition.test, cst.IndentedBlock([body]))
        loop = cst.For(clause.target, clause.iter, cst.IndentedBlock([body]))
        start = cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Name(key))], cst.List([]))])
        hidden = {n: self.current[n] for n in _target_names(clause.target) if n in self.current}
        self.body.extend(self.block([start, loop]))
        for name in _target_names(clause.target):  # the loop variable does not leak out
            self.current.pop(name, None)
        self.current.update(hidden)
        return ast.Name(self.current[key])

    # ------------------------------------------------------------ loops

    def for_loop(self: _Normalizer, node: cst.For) -> None:
        if node.orelse is not None or node.asynchronous is not None:
            raise self.unsupported(node, "`for ... else` and `async for` are not supported",
                                   hint="move the else part after the loop, using a flag")
        iterable, index_name, items = self.iteration(node)
        if index_name is not None:
            index = self.bind(index_name)
        else:
            index = self.fresh("i")
            self.generated.add(index)
        self.loop(node, "for", index, iterable, [], None, dict(self.current), items)

    def iteration(self: _Normalizer,
                  node: cst.For) -> tuple[ast.expr, str | None, list[tuple[cst.BaseExpression, ast.expr]]]:
        """What the loop iterates over, the user's name for the index (if any), and the
        (target, sequence) pairs assigned sequence[index] at the start of each trip (a target is
        a name or a tuple of names: `for W, b in layers`)."""
        target, source = node.target, node.iter
        if isinstance(source, cst.Call) and isinstance(source.func, cst.Name) and source.func.value == "range" \
                and source.func.value not in self.current:
            if not isinstance(target, cst.Name):
                raise self.unsupported(target, "a range loop needs one loop variable")
            args = [self.atom(a.value) for a in source.args]
            return ast.Call(ast.Name("range"), args, []), target.value, []
        if isinstance(source, cst.Call) and isinstance(source.func, cst.Name) \
                and source.func.value in ("enumerate", "zip") and source.func.value not in self.current:
            sequences = [self.loop_sequence(a.value, node) for a in source.args]
            parts = [e.value for e in target.elements] if isinstance(target, (cst.Tuple, cst.List)) else []
            if not parts or not all(_item_target(p) for p in parts):
                raise self.unsupported(target, "unpack enumerate/zip into names (or tuples of names)")
            if source.func.value == "enumerate" and len(parts) == 2 and len(sequences) == 1 \
                    and isinstance(parts[0], cst.Name):
                return self.length_range(sequences), parts[0].value, [(parts[1], sequences[0])]
            if source.func.value == "zip" and len(parts) == len(sequences):
                return self.length_range(sequences), None, list(zip(parts, sequences))
            raise self.unsupported(source, "this enumerate/zip form is not supported")
        if not _item_target(target):
            raise self.unsupported(target, "unpacking the items of a loop into this target is not supported",
                                   hint="loop over range(len(x)) and index")
        sequence = self.loop_sequence(source, node)
        if isinstance(sequence, (ast.Tuple, ast.List, ast.Constant)) and isinstance(target, cst.Name):
            return sequence, target.value, []  # a literal: constants, no derivative
        return self.length_range([sequence]), None, [(target, sequence)]

    def loop_sequence(self: _Normalizer, source: cst.BaseExpression, node: cst.For) -> ast.expr:
        """The atom a loop takes its items from: Python reads the sequence once, before the first
        trip, so a variable the body assigns again is copied first (`for r in x: x = x + r` takes
        the rows of the x it started with)."""
        sequence = self.atom(source)
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
        saved_top = self.loop_top
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
        self.loop_top = saved_top
        carry = [Apply((before[name],), lookup("identity"), {"a": ast.Name(version)},  # type: ignore[arg-type]
                       ast.Name(version), None)
                 for name, version in self.current.items() if name in before and before[name] != version]
        for apply in carry:
            name = next(n for n, v in before.items() if v == apply.target)
            self.current[name] = apply.target
        self.body.append(Loop(kind, target, iterable, test_body, test, body, carry, self.exits, self.span(node)))
        self.exits = saved_exits


def _item_target(node: cst.BaseExpression) -> bool:
    """A loop target tangent_src can assign each item to: a name, or a tuple of names at any depth."""
    if isinstance(node, cst.Name):
        return True
    return isinstance(node, (cst.Tuple, cst.List)) and all(
        isinstance(e, cst.Element) and _item_target(e.value) for e in node.elements)
