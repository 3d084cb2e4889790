"""The normalized form of a function that every stage after the front end reads.

A `Function` is a straight list of `Apply` statements, each one primitive
applied to atoms (names, literals, constant attributes, tuples of those), then
one return of atoms. Names are in single-assignment form: a name the user binds
twice gets a new version (`x`, `x_2`), so every value keeps its own name and the
reverse sweep can read any of them.
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
    body: list[Apply]
    returns: list[ast.expr]  # atoms
    returns_tuple: bool
    span: SourceSpan
    names: set[str] = field(default_factory=set)  # every name already taken in generated code
    generated: set[str] = field(default_factory=set)  # temporaries introduced by normalization


def dump(fn: Function) -> str:
    """The normalized function as text, one primitive per line (for debugging the stages)."""
    params = ", ".join(p.name for p in fn.params)
    lines = [f"def {fn.name}({params}):"]
    for apply in fn.body:
        lines.append(f"    {', '.join(apply.targets)} = {ast.unparse(apply.primal)}    # {apply.rule.key}")
    lines.append(f"    return {', '.join(ast.unparse(r) for r in fn.returns)}")
    return "\n".join(lines)


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
