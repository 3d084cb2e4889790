"""Single-exit lowering of a function's source: early returns, break and continue.

Stage: frontend (before normalization). Input and output: libcst statements.
`loop_returns` turns a `return` inside a loop into `returned_value = v;
returned = True; break`, and records what those two names stand for in the
user's words ("the value `return x` returns (line 8)") under
`ParsedFunction.scratch[EXIT_VALUES]`, for messages to say instead of them;
`single_exit` moves what follows an early return into the other branch, and
the helpers below tell `control.py` where a loop body may break or continue
(`_may_exit`, `_goes_on`) and mark the exits of a branch whose rest runs under
a flag (`_flagged`). Every node a rewrite builds keeps
the source place of the node it replaces (`ParsedFunction.moved`), so that an
error about it still names file:line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from ..errors import UnsupportedSyntax
from .source import ParsedFunction


def _lines(block: cst.BaseSuite) -> list[cst.BaseStatement]:
    return list(block.body) if isinstance(block, cst.IndentedBlock) else [block]  # type: ignore[list-item]


_EXITS = (cst.Break, cst.Continue)


def _exit_at(line: cst.SimpleStatementLine) -> int | None:
    """The position of the first `break`/`continue` among a line's statements (what follows is dead)."""
    return next((k for k, small in enumerate(line.body) if isinstance(small, _EXITS)), None)


def _may_exit(node: cst.CSTNode) -> bool:
    """Whether a statement holds a `break`/`continue` of the loop it is in (not of a nested loop)."""
    found = []

    class Find(cst.CSTVisitor):
        def visit_Break(self, node: cst.Break) -> None:
            found.append(node)

        def visit_Continue(self, node: cst.Continue) -> None:
            found.append(node)

        def visit_For(self, node: cst.For) -> bool:
            return False

        def visit_While(self, node: cst.While) -> bool:
            return False

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return False

    node.visit(Find())
    return bool(found)


def _goes_on(statements: list[cst.BaseStatement]) -> bool:
    """Whether some way through the block reaches its end (no break, continue or return first)."""
    for statement in statements:
        if isinstance(statement, cst.SimpleStatementLine) and any(
                isinstance(small, (*_EXITS, cst.Return)) for small in statement.body):
            return False
        if isinstance(statement, cst.If) and not _goes_on(_lines(statement.body)) \
                and not _goes_on(_else_lines(statement)):
            return False
    return True


def _flagged(statements: list[cst.BaseStatement], flag: str, parsed: ParsedFunction) -> list[cst.BaseStatement]:
    """The block with `flag = False` before each of its exits and `flag = True` at its end."""

    def setting(value: str) -> cst.SimpleStatementLine:
        return cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Name(flag))], cst.Name(value))])

    class Mark(_Rewriter):
        def leave_SimpleStatementLine(self, original: cst.SimpleStatementLine,
                                      updated: cst.SimpleStatementLine) -> cst.BaseStatement:
            k = _exit_at(updated)
            if k is None:
                return updated
            line = updated.with_changes(body=[*updated.body[:k], setting("False").body[0], updated.body[k]])
            return parsed.moved(line, original)

    marked = [statement.visit(Mark(parsed)) for statement in statements]
    return [*marked, setting("True")]  # type: ignore[list-item]


class _Rewriter(cst.CSTTransformer):
    """A rewrite of a loop body that leaves nested loops (and functions) alone and keeps the
    source location of every node it rebuilds."""

    def __init__(self, parsed: ParsedFunction):
        super().__init__()
        self.parsed = parsed

    def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode):  # noqa: ANN201
        result = super().on_leave(original, updated)
        if isinstance(result, cst.CSTNode):
            self.parsed.moved(result, original)
        return result

    def visit_For(self, node: cst.For) -> bool:
        return False

    def visit_While(self, node: cst.While) -> bool:
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False


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


def _mentioned_outside(statements: list[cst.BaseStatement], node: cst.CSTNode) -> set[str]:
    """The names the statements mention outside `node` (found by identity)."""
    found: set[str] = set()

    class Find(cst.CSTVisitor):
        def on_visit(self, visited: cst.CSTNode) -> bool:
            if visited is node:
                return False
            if isinstance(visited, cst.Name):
                found.add(visited.value)
            return True

    for statement in statements:
        statement.visit(Find())
    return found


def _target_names(target: cst.BaseExpression) -> list[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [n for e in target.elements for n in _target_names(e.value)]
    return []


def loop_returns(statements: list[cst.BaseStatement], taken: set[str],
                 parsed: ParsedFunction) -> list[cst.BaseStatement]:
    """A `return` inside a loop becomes `value = v; returned = True; break`, and each loop
    it leaves is followed by `if returned: return value` (or `break`, in an outer loop)."""
    if not _returns_in_loop(statements):
        return statements
    flag, value = _unused("returned", taken), _unused("returned_value", taken)
    start = cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Name(flag))], cst.Name("False"))])
    rewrite = _Returns(flag, value, parsed, taken)
    lowered = [start] + rewrite.block(statements, 0, True)
    known = parsed.scratch.setdefault(EXIT_VALUES, {})
    for name, words in rewrite.words().items():  # (a nested function's rewrite may reuse a name)
        known[name] = words if known.get(name, words) == words else f"{known[name]}, or {words}"
    return lowered


# scratch key: a name `loop_returns` made -> what it stands for, in the user's words (a phrase that
# quotes the user's code itself: a message shows it as it is, not in backticks)
EXIT_VALUES = "exit values"


def _returns_in_loop(statements: list[cst.BaseStatement]) -> bool:
    for statement in statements:
        if isinstance(statement, (cst.For, cst.While)) and _has_return(statement):
            return True
        if isinstance(statement, cst.If) and (_returns_in_loop(_lines(statement.body))
                                              or _returns_in_loop(_else_lines(statement))):
            return True
    return False


def _unused(base: str, taken: set[str]) -> str:
    name, k = base, 1
    while name in taken:
        k += 1
        name = f"{base}_{k}"
    taken.add(name)
    return name


@dataclass
class _Returns:
    """The rewrite of `loop_returns`; every node it builds keeps the place of the one it replaces."""

    flag: str
    value: str
    parsed: ParsedFunction
    taken: set[str]
    values: list[str] | None = None  # one name per returned value (`return a, b`: two)
    as_tuple: bool = False
    sites: list[tuple[str, int | None, list[str]]] = field(default_factory=list)  # the returns rewritten

    def words(self) -> dict[str, str]:
        """What the names made stand for, in the user's words: "the value `return x` returns (line 9)"."""
        found = {self.flag: "whether a `return` in a loop has run"}
        values = self.values or [self.value]
        for k, name in enumerate(values):
            if len(self.sites) == 1:
                text, line, parts = self.sites[0]
                where = f" (line {line})" if line is not None else ""
                found[name] = f"the value `{text}` returns{where}" if len(values) == 1 else \
                    f"`{parts[k]}`, returned by `{text}`{where}"
            elif self.sites:
                listed = "; ".join(f"`{text}`" + (f", line {line}" if line is not None else "")
                                   for text, line, _ in self.sites)
                which = "the value" if len(values) == 1 else f"value {k + 1} of what"
                found[name] = f"{which} a `return` in a loop returns ({listed})"
        return found

    def result(self) -> cst.BaseExpression:
        names = [cst.Name(n) for n in self.values or [self.value]]
        return cst.Tuple([cst.Element(n) for n in names]) if self.as_tuple else names[0]

    def block(self, statements: list[cst.BaseStatement], depth: int, tail: bool) -> list[cst.BaseStatement]:
        """`depth`: the loops around the block; `tail`: nothing runs after the block but a return."""
        out: list[cst.BaseStatement] = []
        for k, statement in enumerate(statements):
            last = tail and k == len(statements) - 1
            if isinstance(statement, (cst.For, cst.While)) and _has_return(statement):
                body = self.block(_lines(statement.body), depth + 1, False)
                out.append(self.parsed.moved(statement.with_changes(body=cst.IndentedBlock(body)), statement))
                leave: cst.BaseSmallStatement = cst.Return(self.result()) if depth == 0 else cst.Break()
                self.parsed.moved(leave, statement)
                if depth == 0 and last:  # nothing after the loop: it can only return
                    out.append(self.parsed.moved(cst.SimpleStatementLine([leave]), statement))
                else:
                    out.append(self.parsed.moved(cst.If(cst.Name(self.flag), cst.IndentedBlock(
                        [cst.SimpleStatementLine([leave])])), statement))
            elif isinstance(statement, cst.If) and _has_return(statement):
                out.append(self.branches(statement, depth, last))
            elif depth and isinstance(statement, cst.SimpleStatementLine) and \
                    any(isinstance(small, cst.Return) for small in statement.body):
                out += self.leave_loop(statement)
            else:
                out.append(statement)
        return out

    def branches(self, statement: cst.If, depth: int, tail: bool) -> cst.If:
        then = self.block(_lines(statement.body), depth, tail)
        if isinstance(statement.orelse, cst.If):  # an elif: rewritten as the if it is
            orelse: cst.If | cst.Else | None = self.branches(statement.orelse, depth, tail)
        elif isinstance(statement.orelse, cst.Else):
            other = self.block(_lines(statement.orelse.body), depth, tail)
            orelse = self.parsed.moved(cst.Else(cst.IndentedBlock(other)), statement.orelse)  # type: ignore
        else:
            orelse = None
        return self.parsed.moved(statement.with_changes(body=cst.IndentedBlock(then), orelse=orelse),
                                 statement)  # type: ignore[return-value]

    def leave_loop(self, line: cst.SimpleStatementLine) -> list[cst.BaseStatement]:
        """`...; return v` in a loop: `...`, `returned_value = v`, `returned = True`, `break`."""
        k = next(j for j, small in enumerate(line.body) if isinstance(small, cst.Return))
        returned = line.body[k]
        result = returned.value or cst.Name("None")  # type: ignore[attr-defined]
        parts = [e.value for e in result.elements] if isinstance(result, cst.Tuple) else [result]
        if self.values is None:  # `return a, b` gives two values, kept in a name each
            self.as_tuple = isinstance(result, cst.Tuple)
            self.values = [self.value] + [_unused(self.value, self.taken) for _ in parts[1:]]
        if len(parts) != len(self.values) or self.as_tuple != isinstance(result, cst.Tuple):
            raise UnsupportedSyntax("the returns of this function give different numbers of values",
                                    self.parsed.span(returned), "return the same number of values everywhere")
        span = self.parsed.span(returned)
        self.sites.append((_code(self.parsed, returned), span.line if span is not None else None,
                           [_code(self.parsed, part) for part in parts]))
        smalls = [*line.body[:k], *(cst.Assign([cst.AssignTarget(cst.Name(n))], part)
                                    for n, part in zip(self.values, parts)),
                  cst.Assign([cst.AssignTarget(cst.Name(self.flag))], cst.Name("True")), cst.Break()]
        for small in smalls[k:]:
            self.parsed.moved(small, returned)
        return [self.parsed.moved(cst.SimpleStatementLine([small]), line) for small in smalls]


def _code(parsed: ParsedFunction, node: cst.CSTNode) -> str:
    return " ".join(parsed.module.code_for_node(node).split())


def single_exit(statements: list[cst.BaseStatement], parsed: ParsedFunction) -> list[cst.BaseStatement]:
    """An early `return` in a branch: the rest of the block moves into the other branch,
    so that every way through the function ends with a return of its own. What follows a
    return in its block never runs, and is dropped."""
    statements = _until_return(statements, parsed)
    for i, statement in enumerate(statements):
        if isinstance(statement, cst.If) and _has_return(statement):
            rest = statements[i + 1:]
            branches = []
            for block in (_lines(statement.body), _else_lines(statement)):
                alone = single_exit(block, parsed)
                branches.append(alone if _ends_in_return(alone) else single_exit(block + rest, parsed))
            orelse = cst.Else(body=cst.IndentedBlock(body=branches[1])) if branches[1] else None
            if orelse is not None:
                parsed.moved(orelse, statement.orelse or statement)
            changed = statement.with_changes(body=cst.IndentedBlock(body=branches[0]), orelse=orelse)
            return statements[:i] + [parsed.moved(changed, statement)]  # type: ignore[list-item]
    return statements


def _until_return(statements: list[cst.BaseStatement], parsed: ParsedFunction) -> list[cst.BaseStatement]:
    """The block up to its first return statement (Python never runs what follows it)."""
    for k, statement in enumerate(statements):
        if isinstance(statement, cst.SimpleStatementLine):
            at = next((j for j, small in enumerate(statement.body) if isinstance(small, cst.Return)), None)
            if at is not None:
                line = statement.with_changes(body=statement.body[:at + 1])
                return [*statements[:k], parsed.moved(line, statement)]  # type: ignore[list-item]
    return statements
