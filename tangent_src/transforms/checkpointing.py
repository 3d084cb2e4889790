"""Checkpointed loops in reverse mode: trips run again from snapshots instead of all recorded.

Stage: transforms (part of reverse mode, transforms/reverse.py). A loop `for t in range(n)` whose
reverse sweep reads what its trips computed records every trip on its tape: O(n) memory. Under
checkpointing (`grad(f, checkpoint=10)`, or `# tangent_src: checkpoint(snapshots=10)` on the line
before the loop) it keeps at most 10 snapshots of the values the loop carries from trip to trip,
and runs trips again from the nearest snapshot when the reverse sweep needs their records, as the
schedule of runtime/checkpoint.py says (binomial: the fewest trips run again; "sqrt": snapshots
evenly spaced). The emitted code reads as two loops over the schedule's actions:

    steps = range(n)
    checkpoints = Checkpoints(len(steps), snapshots=10)
    tape = checkpoints.tape
    for action, start, stop in checkpoints.forward():
        if action == "take":
            checkpoints.take(start, (h,))
        else:  # "advance" or "record": run trips start, ..., stop - 1 (the tape keeps what it records)
            for t in steps[start:stop]:
                ...  the trip, as in a loop without checkpointing
    ...
    for action, start, stop in checkpoints.reverse():
        if action == "reverse":
            ...  the trip's reverse sweep, from its record, as in a loop without checkpointing
        elif action == "take":
            checkpoints.take(start, (h,))
        elif action == "restore":
            (h,) = checkpoints.restore(start)
        else:
            for t in steps[start:stop]:
                ...  the trip again

Which loops: a `for` loop over `range(...)` (a loop over a sequence is one: `for x in xs` runs over
`range(len(xs))`), without a `break`, so that its number of trips is known when it starts. The
call's setting applies to the function's outermost such loops; a directive to the loop it marks,
at any depth, and `snapshots=None` keeps a loop out. A `while` loop keeps its full tape (a
directive on one is refused). A trip run again must compute what it computed the first time: a
checkpointed loop whose body draws random numbers, prints, writes into an object or calls a
function of the user's that does is refused (see `refuse_effects`).
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass, field

from ..errors import UnsupportedSyntax
from ..memory import is_checkpointed
from ..ir import Apply, Effect, Loop, walk
from .common import Context, keeps


@dataclass
class Plan:
    """How one loop is checkpointed: its schedule's setting, the names the code uses, and the reverse
    sweep's copy of the trip (filled when the forward sweep is made, after the reverse sweep)."""

    snapshots: int | str
    steps: str
    checkpoints: str
    state: list[str]  # the names the loop carries: what a snapshot holds
    words: tuple[str, str, str]  # the names of an action's parts: action, start, stop
    # carried names that may be unbound when the loop starts (a loop variable of a loop nested in it,
    # a value only its trips bind): None before the loop, so that the first snapshot can hold them
    # (a trip reads such a name only after binding it: the function itself would fail otherwise)
    unbound: list[str] = field(default_factory=list)
    again: list[ast.stmt] = field(default_factory=list)


def plan_for(ctx: Context, loop: Loop, outermost: bool, bound: set[str]) -> Plan | None:
    """The plan for a loop, or None where it keeps its full tape; `bound`: the names certainly bound
    where the loop starts."""
    chosen = loop.checkpoint if loop.checkpoint is not None else ctx.checkpoint if outermost else None
    if ctx.checkpoint is False or chosen is None or chosen is False:
        return None
    directive = loop.checkpoint is not None
    if not _known_trips(loop):
        if directive:
            raise UnsupportedSyntax(
                "this loop is marked for checkpointing, but its number of trips is not known when it starts "
                "(a `break`, or a loop over something other than range(...) or a sequence)", loop.span,
                hint="checkpoint a `for t in range(n)` loop without `break`, or remove the directive")
        return None
    refuse_effects(ctx, loop)
    names = ctx.names
    state = carried(loop)
    parameters = {p.name for p in ctx.fn.params}
    return Plan(chosen, names.fresh("steps"), names.fresh("checkpoints"), state,  # type: ignore[arg-type]
                (names.fresh("action"), names.fresh("start"), names.fresh("stop")),
                [n for n in state if n not in bound and n not in parameters])


def carried(loop: Loop) -> list[str]:
    """The names whose values go from trip to trip: the loop's carries, and those of loops nested in
    it that write back a name from before this loop (`x = x_2` of an inner loop over x). Every one:
    the reverse sweep reads carried values too (a trip's record holds the values it started from,
    which the reverse sweep of what ran before the loop reads), so a trip run again must start
    from all of them."""
    nested = [a for s in walk(loop.body) if isinstance(s, Loop) for a in s.carry]
    inner = {id(a) for a in nested}
    made = {t for s in walk(loop.body) if isinstance(s, Apply) and id(s) not in inner for t in s.targets}
    found = [a.target for a in loop.carry]
    return found + sorted({a.target for a in nested if a.target not in made} - set(found))


def _known_trips(loop: Loop) -> bool:
    return loop.kind == "for" and not loop.exits and _range(loop.iterable) is not None


def _range(iterable: ast.expr | None) -> ast.expr | None:
    """The loop's iterable as a range object (`reversed(range(n))` as `range(n)[::-1]`), or None."""
    if isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Name):
        if iterable.func.id == "range":
            return iterable
        if iterable.func.id == "reversed" and len(iterable.args) == 1 and _range(iterable.args[0]) is not None:
            return ast.Subscript(iterable.args[0], ast.Slice(None, None, ast.Constant(-1)))
    return None


def refuse_effects(ctx: Context, loop: Loop) -> None:
    """A checkpointed loop runs trips again: one with an effect (a random draw, a print, a write into
    an object, a call of a function of the user's that has one) would not compute the same values
    again, or would repeat the effect. Checks (asserts, raises) may run again."""
    for stmt in walk(loop.body):
        why = None
        if isinstance(stmt, Apply) and keeps(ctx, stmt):
            written = stmt.span.text.strip() if stmt.span is not None else stmt.source or ast.unparse(stmt.primal)
            why = (f"`{written}` has an effect (a random draw, or a call "
                   "of a function that draws, prints or writes into its arguments) that would happen again")
        elif isinstance(stmt, Effect) and not _check(stmt.statement):
            written = stmt.span.text.strip() if stmt.span is not None else ast.unparse(stmt.statement)
            why = f"`{written}` " + _effect(stmt)
        if why is not None:
            raise UnsupportedSyntax(
                f"a checkpointed loop runs its trips again, and {why}", stmt.span or loop.span,
                hint="keep this loop's full tape: `# tangent_src: checkpoint(snapshots=None)` on the line before "
                     "it; or move the effect out of the loop (draw random numbers before it, keep per-step values "
                     "in variables the loop carries rather than in a dict or list it writes into)")


def _effect(effect: Effect) -> str:
    statement = effect.statement
    target = statement.targets[0] if isinstance(statement, ast.Assign) else None
    if isinstance(target, ast.Subscript):
        written = effect.span.source().split("[", 1)[0] if effect.span is not None else ast.unparse(target.value)
        return (f"writes into `{written}`, an object that outlives the trip: it keeps every "
                "trip's values (checkpointing would save nothing), and a trip run again would find it as the last "
                "trip left it")
    if isinstance(target, ast.Attribute):
        return "sets an attribute of an object, which a trip run again would find as the last trip left it"
    return "has an effect (output, or a change of state) that would happen again"


def refuse_rerun(apply: Apply) -> None:
    """A call of a function with effects runs once (split mode: its reverse sweep keeps what it
    computed); one marked `@checkpoint` promised to be run again in the reverse sweep: refused."""
    if is_checkpointed(apply.rule.callee):
        raise UnsupportedSyntax(
            f"{getattr(apply.rule.callee, '__qualname__', 'this function')} is marked @checkpoint (called again "
            "in the reverse sweep), but it has effects (random draws, output, or writes into its arguments), "
            "which would happen again", apply.span,
            hint="remove @checkpoint (the call then runs once, its reverse sweep keeping what it computed), "
                 "or move the effect out of the function")


def _check(statement: ast.stmt) -> bool:
    if isinstance(statement, (ast.Assert, ast.Raise)):
        return True
    if isinstance(statement, ast.If):  # `if len(v) < 2: raise ValueError(...)`
        return all(isinstance(s, ast.Raise) for s in statement.body) and not statement.orelse
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call) \
        and isinstance(statement.value.func, ast.Name) and statement.value.func.id.startswith("check_")


def _state(plan: Plan) -> ast.Tuple:
    return ast.Tuple([ast.Name(n) for n in plan.state])


def _take(plan: Plan) -> ast.stmt:
    call = ast.Call(ast.Attribute(ast.Name(plan.checkpoints), "take"), [ast.Name(plan.words[1]), _state(plan)], [])
    return ast.Expr(call)


def _is(plan: Plan, action: str) -> ast.expr:
    return ast.Compare(ast.Name(plan.words[0]), [ast.Eq()], [ast.Constant(action)])


def _actions(plan: Plan, sweep: str, body: list[ast.stmt]) -> ast.For:
    target = ast.Tuple([ast.Name(n, ast.Store()) for n in plan.words], ast.Store())
    pull = ast.Call(ast.Attribute(ast.Name(plan.checkpoints), sweep), [], [])
    return ast.For(target, pull, body, [], lineno=0)


def forward_loop(plan: Plan, loop: Loop, tape: str, trip: list[ast.stmt]) -> list[ast.stmt]:
    """The forward sweep's loop over the schedule's actions, up to the record of the last trip; `trip`
    is one trip as a loop without checkpointing runs it (its recording and carries included). Makes
    the reverse sweep's copy of the trip too (plan.again)."""
    steps = _range(loop.iterable)
    span = ast.Subscript(ast.Name(plan.steps), ast.Slice(ast.Name(plan.words[1]), ast.Name(plan.words[2])))
    trips = ast.For(ast.Name(loop.target, ast.Store()), span, trip or [ast.Pass()], [], lineno=0)  # type: ignore
    plan.again[:] = [copy.deepcopy(trips)]
    make = ast.Call(ast.Name("Checkpoints"), [ast.Call(ast.Name("len"), [ast.Name(plan.steps)], [])],
                    [ast.keyword("snapshots", ast.Constant(plan.snapshots))])
    return [_assign(name, ast.Constant(None)) for name in plan.unbound] + [
        _assign(plan.steps, steps),  # type: ignore[arg-type]
        _assign(plan.checkpoints, make),
        _assign(tape, ast.Attribute(ast.Name(plan.checkpoints), "tape")),
        _actions(plan, "forward", [ast.If(_is(plan, "take"), [_take(plan)], [trips])]),
    ]


def reverse_loop(plan: Plan, body: list[ast.stmt]) -> ast.For:
    """The reverse sweep's loop over the schedule's actions; `body` reverses one trip from its record.
    Its last branch, the trips run again, is plan.again (filled by forward_loop)."""
    restore = ast.Call(ast.Attribute(ast.Name(plan.checkpoints), "restore"), [ast.Name(plan.words[1])], [])
    restored: ast.stmt = ast.Assign([ast.Tuple([ast.Name(n, ast.Store()) for n in plan.state], ast.Store())],
                                    restore, lineno=0) if plan.state else ast.Pass()
    branches = ast.If(_is(plan, "take"), [_take(plan)], [ast.If(_is(plan, "restore"), [restored], plan.again)])
    return _actions(plan, "reverse", [ast.If(_is(plan, "reverse"), body or [ast.Pass()], [branches])])


def _assign(name: str, value: ast.expr) -> ast.Assign:
    return ast.Assign([ast.Name(name, ast.Store())], value, lineno=0)
