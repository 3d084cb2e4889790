"""The normalized form of a function that every stage after the front end reads.

A `Function` is a block of statements, then one return of atoms. A statement
is an `Apply` (one primitive applied to atoms: names, literals, constant
attributes, tuples of those), an `If`, a `Loop`, or an `Effect` (a print or an
assert, kept in the primal). Names are in single-assignment form within each
block: a name the user binds twice gets a new version (`x`, `x_2`), so every
value keeps its own name and the reverse sweep can read any of them. Where
control flow joins, one name holds the value: both branches of an `If` assign
the merged version, and a `Loop` copies each value it carries into the next
trip back to the name it had on entry (`Loop.carry`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from .errors import SourceSpan
from .rules.registry import Rule


@dataclass
class Apply:
    """`targets = rule(args)`, spelled in the generated code as `primal`."""

    targets: tuple[str, ...]
    rule: Rule
    args: dict[str, ast.expr]  # bound parameters, as atoms; only those the call passed
    primal: ast.expr  # the right-hand side as the user wrote it, operands replaced by atoms
    span: SourceSpan | None = None
    source: str = ""  # the user's statement this came from (for annotations)

    @property
    def target(self) -> str:
        return self.targets[0]


@dataclass
class If:
    """`if test: body else: orelse`; `test` is an atom."""

    test: ast.expr
    body: list["Stmt"]
    orelse: list["Stmt"]
    span: SourceSpan | None = None


@dataclass
class Loop:
    """A `for` over an iterable or a `while` loop, in single-exit form.

    A `break` the user wrote as the last statement of an `if` branch has been
    turned into an `exits` condition checked at the end of the trip (the rest
    of the body moved into the other branch); a `continue` likewise needs no
    statement of its own.
    """

    kind: str  # "for" or "while"
    target: str | None  # for: the loop variable
    iterable: ast.expr | None  # for: what it iterates over
    test_body: list["Stmt"]  # while: statements computing the test, run before each trip
    test: ast.expr | None  # while: the test atom (None: `while True`)
    body: list["Stmt"]
    carry: list[Apply]  # `entry = exit` copies of the values carried into the next trip
    exits: list[ast.expr]  # conditions, evaluated after a trip, that end the loop
    span: SourceSpan | None = None
    # `# tangent_src: checkpoint(snapshots=8)` on the line before the loop: 8, "sqrt", or False
    # (never checkpointed); None: the call's setting (see transforms/checkpointing.py)
    checkpoint: int | str | bool | None = None


@dataclass
class Effect:
    """A statement kept for its effect only (print, assert): no derivative."""

    statement: ast.stmt
    span: SourceSpan | None = None
    # a write into a dict the caller passed (`bn_param["mean"] = m`): the caller's object, which
    # the statement changes rather than reads
    writes_into: str | None = None
    # the dict is one the function reached through an object or a container (`self.bn_params[i]`),
    # which other names may share: a differentiated value must not be written into it
    shared: bool = False
    # the dict is one the function made itself: writing into it is no effect outside the function
    local: bool = False


Stmt = Apply | If | Loop | Effect


@dataclass
class Param:
    """A parameter of the user's function."""

    name: str
    kind: str  # "positional" or "keyword"
    default: str | None = None  # the default's source text, if any


@dataclass
class Function:
    """A user function after normalization."""

    name: str
    params: list[Param]
    body: list[Stmt]
    returns: list[ast.expr]  # atoms
    returns_tuple: bool
    span: SourceSpan
    names: set[str] = field(default_factory=set)  # every name already taken in generated code
    generated: set[str] = field(default_factory=set)  # temporaries introduced by normalization
    writes_into_parameters: list = field(default_factory=list)  # spans of `v[i] = ...` with v a parameter
    updates_parameters: list = field(default_factory=list)  # (parameter, span) of `p += v`, p a parameter


def dump(fn: Function) -> str:
    """The normalized function as text, one primitive per line (for debugging the stages)."""
    params = ", ".join(p.name for p in fn.params)
    lines = [f"def {fn.name}({params}):", *_dump_block(fn.body, "    ")]
    lines.append(f"    return {', '.join(ast.unparse(r) for r in fn.returns)}")
    return "\n".join(lines)


def _dump_block(block: list[Stmt], indent: str) -> list[str]:
    lines: list[str] = []
    for stmt in block:
        if isinstance(stmt, Apply):
            lines.append(f"{indent}{', '.join(stmt.targets)} = {ast.unparse(stmt.primal)}    # {stmt.rule.key}")
        elif isinstance(stmt, Effect):
            lines.append(indent + ast.unparse(stmt.statement))
        elif isinstance(stmt, If):
            lines.append(f"{indent}if {ast.unparse(stmt.test)}:")
            lines += _dump_block(stmt.body, indent + "    ") or [indent + "    pass"]
            lines.append(f"{indent}else:")
            lines += _dump_block(stmt.orelse, indent + "    ") or [indent + "    pass"]
        else:
            head = (f"for {stmt.target} in {ast.unparse(stmt.iterable)}:" if stmt.kind == "for"  # type: ignore
                    else f"while {ast.unparse(stmt.test) if stmt.test is not None else 'True'}:")
            lines += _dump_block(stmt.test_body, indent + "  (test) ")
            lines.append(indent + head)
            lines += _dump_block(stmt.body + list(stmt.carry), indent + "    ")
            lines += [f"{indent}    if {ast.unparse(e)}: break" for e in stmt.exits]
    return lines


def walk(block: list[Stmt]):  # noqa: ANN201
    """Every statement of a block, nested ones included, in source order."""
    for stmt in block:
        yield stmt
        if isinstance(stmt, If):
            yield from walk(stmt.body)
            yield from walk(stmt.orelse)
        elif isinstance(stmt, Loop):
            yield from walk(stmt.test_body)
            yield from walk(stmt.body)
            yield from walk(list(stmt.carry))


def rename(block: list[Stmt], old: str, new: str) -> None:
    """Rename a value everywhere in a block, in place (used to merge versions at joins)."""
    renamer = _Renamer(old, new)
    for stmt in walk(block):
        if isinstance(stmt, Apply):
            stmt.targets = tuple(new if t == old else t for t in stmt.targets)
            stmt.args = {k: renamer.visit(v) for k, v in stmt.args.items()}
            stmt.primal = renamer.visit(stmt.primal)
        elif isinstance(stmt, If):
            stmt.test = renamer.visit(stmt.test)
        elif isinstance(stmt, Effect):
            stmt.statement = renamer.visit(stmt.statement)
        elif isinstance(stmt, Loop):
            stmt.target = new if stmt.target == old else stmt.target
            stmt.iterable = renamer.visit(stmt.iterable) if stmt.iterable is not None else None
            stmt.test = renamer.visit(stmt.test) if stmt.test is not None else None
            stmt.exits = [renamer.visit(e) for e in stmt.exits]


class _Renamer(ast.NodeTransformer):
    def __init__(self, old: str, new: str):
        self.old, self.new = old, new

    def visit_Name(self, node: ast.Name) -> ast.Name:
        return ast.Name(self.new, getattr(node, "ctx", ast.Load())) if node.id == self.old else node


def names_in(expr: ast.AST) -> set[str]:
    """The variable names an expression reads."""
    return {n.id for n in ast.walk(expr) if isinstance(n, ast.Name)}


def is_literal(expr: ast.expr) -> bool:
    """A literal constant: a number (negative ones too), string, None, bool, or a tuple of them."""
    if isinstance(expr, ast.Constant):
        return True
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub):
        return is_literal(expr.operand)
    if isinstance(expr, (ast.Tuple, ast.List)):
        return all(is_literal(e) for e in expr.elts)
    return False


def pretty_index(index: ast.expr) -> ast.expr:
    """An index as written inside brackets: `slice(a, b)` calls back to `a:b`."""
    if isinstance(index, ast.Tuple):
        return ast.Tuple([pretty_index(e) for e in index.elts])
    if isinstance(index, ast.Call) and isinstance(index.func, ast.Name) and index.func.id == "slice":
        args = list(index.args)
        bounds = [None, args[0], None] if len(args) == 1 else args + [None] * (3 - len(args))
        bounds = [None if isinstance(b, ast.Constant) and b.value is None else b for b in bounds]
        return ast.Slice(*bounds)
    return index
