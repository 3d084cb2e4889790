"""Reverse mode: a forward sweep of primal statements, then a reverse sweep of adjoints.

Stage: transforms. Input: `Context`. Output: the body of `vjp_f` / `grad_f` as
ast statements.

Outside loops, names are in single-assignment form, so every value the reverse
sweep reads is still there: nothing is recomputed and nothing is recorded.
Inside a loop each trip overwrites the values of the last, so each trip ends by
appending what the reverse sweep will read of it to the loop's tape (`tape`,
a list); the reverse sweep pops one entry per trip, newest first, and so
replays exactly the trips the forward sweep made. A branch inside a loop
records its own values the same way. Nothing else is recorded.

The adjoint `bx` of a value used several times gets its first contribution
assigned and the others added (`bx = bx + ...`, never in place here: bx may be the
caller's cotangent; the optimizer adds in place where the code owns bx, see
codegen/inplace.py, helped by transforms/recording.py: names the tape records only
for their structure, and writes into an adjoint placed after its other reads). Where
control flow joins, an adjoint defined on one path only is set to zeros on the
other, so that it is defined however the program ran.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from ..codegen.annotate import locate, tag
from ..codegen.templates import simplify
from ..ir import Apply, Effect, If, Loop, Stmt, names_in, walk
from . import checkpointing
from .common import (Context, adjoint_contributions, call_wrt, callee_variant, derivative_call, has_effects,
                     is_differentiable, keeps, mark_container_items, statement_basis, zeros_like)
from .forward import assign, loop_statements
from .recording import after, read_for_structure, recorded, writes_into


@dataclass
class ReverseCode:
    body: list[ast.stmt]
    values: list[ast.expr]
    cotangent_params: list[str]  # one per returned value (vjp), in order
    gradients: list[ast.expr]  # one per wrt parameter
    split: int = 0  # body[:split] is the forward sweep, body[split:] the reverse sweep


def transform(ctx: Context, seed_scalar: bool, has_aux: bool = False,
              result: str = "the function") -> ReverseCode:
    """seed_scalar: grad's seed 1 (after checking the result is a scalar; `result` names the function
    in the message); has_aux: the function returns (value, aux) and only the value is differentiated."""
    fn = ctx.fn
    sweep = _Sweep(ctx)
    differentiated = fn.returns[:1] if has_aux else fn.returns
    cotangents = [ctx.d("b", r.id) if isinstance(r, ast.Name) else ctx.names.fresh("bout") for r in differentiated]
    defined = {c for r, c in zip(differentiated, cotangents)
               if isinstance(r, ast.Name) and ctx.activity.active(r.id)}
    seeds: list[ast.stmt] = []
    if seed_scalar:
        sweep.final_sum = _final_sum(ctx)
        seeds = [_seed(r, c, c in defined, result) for r, c in zip(differentiated, cotangents)
                 if sweep.final_sum is None]
    backward = sweep.reverse_block(fn.body, defined, None)
    sweep.keep_carried(backward)
    forward = sweep.forward_block(fn.body, None)
    gradients = [_gradient_of(ctx, name, defined) for name in ctx.wrt]
    values, keep = _kept_values(ctx, fn.returns, backward)
    mark_container_items(forward + keep + seeds + backward, ctx)
    return ReverseCode(forward + keep + seeds + backward, values, cotangents, gradients,
                       len(forward + keep + seeds))


def _seed(value: ast.expr, cotangent: str, active: bool, result: str) -> ast.stmt:
    """`bout = scalar_seed(out, ...)`; a result that does not depend on the input is checked all the
    same (a vector or a string is no scalar, even when its gradient would be zero)."""
    if active:
        return assign((cotangent,), ast.Call(ast.Name("scalar_seed"), [value, ast.Constant(result)], []))
    constant = [ast.keyword("constant", ast.Constant(True))]
    return ast.Expr(ast.Call(ast.Name("scalar_seed"), [value, ast.Constant(result)], constant))


def _kept_values(ctx: Context, returns: list[ast.expr], backward: list[ast.stmt]) -> tuple[list[ast.expr], list]:
    """The results, copied aside where the reverse sweep gives their names back older values."""
    restored = {n.id for s in backward for n in ast.walk(s)
                if isinstance(n, ast.Name) and isinstance(getattr(n, "ctx", None), ast.Store)}
    values: list[ast.expr] = []
    keep: list[ast.stmt] = []
    for value in returns:
        if isinstance(value, ast.Name) and value.id in restored:
            final = ctx.names.fresh(f"{value.id}_final")
            keep.append(assign((final,), ast.Name(value.id)))
            value = ast.Name(final)
        values.append(value)
    return values, keep


def _gradient_of(ctx: Context, name: str, defined: set[str]) -> ast.expr:
    """The gradient of a parameter; zeros where the result does not depend on it (a parameter
    of unknown kind may be a tuple or dict of arrays: its zeros have its structure)."""
    adjoint = ctx.d("b", name)
    if adjoint in defined:
        return ast.Name(adjoint)
    return ast.Call(ast.Name("zeros_like_tree"), [ast.Name(name)], [])


def _final_sum(ctx: Context) -> tuple[Apply, Apply] | None:
    """`return np.sum(t)` (a rule with `total_of`, given only that argument) with t made by an
    elementwise statement and used nowhere else, both in the function's own block: (the sum,
    the statement that makes t), else None.

    Then `grad` needs neither the seed (a full sum is a scalar) nor the ones the sum's
    adjoint spreads over t: the adjoint of t's operands is dt/du (times 1) itself, and
    the sum, often t too, is dead code (the gradient of sum(sin(v)) is cos(v), with no
    sin computed)."""
    fn = ctx.fn
    if len(fn.returns) != 1 or not isinstance(fn.returns[0], ast.Name):
        return None
    made = {t: s for s in fn.body if isinstance(s, Apply) for t in s.targets}
    total = made.get(fn.returns[0].id)
    if total is None or total.rule.total_of is None or set(total.args) != {total.rule.total_of} \
            or not isinstance(total.args[total.rule.total_of], ast.Name):
        return None
    t = total.args[total.rule.total_of].id
    producer = made.get(t)
    if producer is None or not producer.rule.elementwise or producer.rule.callee is not None \
            or len(producer.targets) != 1 or not ctx.activity.active(t):
        return None
    readers = [s for s in walk(fn.body) if isinstance(s, Apply) and any(t in names_in(v) for v in s.args.values())]
    assigned = [s for s in walk(fn.body) if isinstance(s, Apply) and ({t, total.target} & set(s.targets))]
    read_total = any(total.target in names_in(v) for s in walk(fn.body) if isinstance(s, Apply)
                     for v in s.args.values())
    if readers != [total] or len(assigned) != 2 or read_total:
        return None
    return total, producer


@dataclass
class _Sweep:
    ctx: Context
    tapes: dict[int, str] = field(default_factory=dict)  # id(loop) -> the name of its tape
    records: dict[int, list[tuple[str, str | None]]] = field(default_factory=dict)  # id(block) -> what its end
    # records: (name, the name its shape goes by in the reverse sweep, if only its shape is recorded)
    # (the reverse sweep's loop, the loop, the statements of one trip of it)
    reverse_loops: list[tuple[ast.stmt, Loop, list[ast.stmt]]] = field(default_factory=list)
    plans: dict[int, checkpointing.Plan] = field(default_factory=dict)  # id(loop) -> how it is checkpointed
    bound: set[str] = field(default_factory=set)  # names certainly bound where the statement at hand starts
    shape_uses: dict[str, list[ast.Name]] = field(default_factory=dict)  # x_shape -> the `like=` it renamed
    # id(block) -> the recorded names the reverse sweep reads only for their structure (`like=` of
    # unindex): an item written in place into them since changes nothing it reads (recording.recorded)
    structural: dict[int, set[str]] = field(default_factory=dict)
    final_sum: tuple[Apply, Apply] | None = None  # grad of `return np.sum(t)`: see _final_sum
    # id(call) -> (the name of its reverse sweep, the call of its forward sweep), for the calls
    # of functions with effects, which the reverse sweep must not run again: see reverse_call
    splits: dict[int, tuple[str, ast.Call]] = field(default_factory=dict)

    def tape(self, loop: Loop) -> str:
        if id(loop) not in self.tapes:
            self.tapes[id(loop)] = self.ctx.names.fresh("tape")
        return self.tapes[id(loop)]

    # ------------------------------------------------------------ reverse sweep

    def reverse_block(self, block: list[Stmt], defined: set[str], loop: Loop | None) -> list[ast.stmt]:
        """Adjoint statements of a block, last statement first; `defined` is updated."""
        out: list[ast.stmt] = []
        outer = self.bound
        before = [set(outer)]  # names certainly bound before each statement
        for stmt in block[:-1]:
            before.append(before[-1] | _definite([stmt], self))
        for stmt, bound in zip(reversed(block), reversed(before)):
            self.bound = bound
            if isinstance(stmt, Apply):
                out += self.reverse_apply(stmt, defined)
            elif isinstance(stmt, If):
                out += self.reverse_if(stmt, defined, loop)
            elif isinstance(stmt, Loop):
                out += self.reverse_loop(stmt, defined, outermost=loop is None)
        self.bound = outer
        return out

    def reverse_apply(self, apply: Apply, defined: set[str]) -> list[ast.stmt]:
        if self.final_sum is not None and apply is self.final_sum[0]:
            defined.add(self.ctx.d("b", self.final_sum[1].target))  # ones, never written out
            return []
        if self.final_sum is not None and apply is self.final_sum[1]:
            out = self.ones_adjoints(apply, defined)
        elif apply.rule.callee is not None:
            out = self.reverse_call(apply, defined)
        else:
            out = self.adjoints(apply, defined)
        return tag(out, apply) if self.ctx.annotate else out

    def ones_adjoints(self, apply: Apply, defined: set[str]) -> list[ast.stmt]:
        """The adjoints of an elementwise statement whose result's adjoint is all ones: each
        partial derivative itself, where it certainly has the result's shape; otherwise the
        ones are made (`bt = np.ones_like(t)`) and multiplied as usual."""
        whole = statement_basis(self.ctx, apply)
        _, contributions = adjoint_contributions(self.ctx, apply, ast.Constant(1.0))
        if all(_covers(self.ctx, expr, whole) and _certainly_float(expr, self.ctx.activity.varied)
               for expr in contributions.values()):
            return self.adjoints(apply, defined, ast.Constant(1.0))
        ones = self.ctx.d("b", apply.target)
        make = ast.Call(ast.Attribute(ast.Name(self.ctx.numpy), "ones_like"), [ast.Name(apply.target)], [])
        return [assign((ones,), make)] + self.adjoints(apply, defined)

    def adjoints(self, apply: Apply, defined: set[str], ones: ast.expr | None = None) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        owns = [self.ctx.d("b", t) if t in self.ctx.activity.varied else None for t in apply.targets]
        if any(self.ctx.activity.active(t) for t in apply.targets) and is_differentiable(apply.rule) \
                and set(owns) & defined:
            bz = ones
            if len(owns) > 1:  # `a, b = x`: the adjoints of the parts, None for those that have none
                bz = ast.Tuple([ast.Name(o) if o in defined else ast.Constant(None) for o in owns])
            statements, contributions = adjoint_contributions(self.ctx, apply, bz)
            out += statements
            result = bz or ast.Name(self.ctx.d("b", apply.target))
            for name, expr in sorted(contributions.items(), key=lambda item: writes_into(item[1], result)):
                adjoint = self.ctx.d("b", name)
                if adjoint in defined:
                    expr = simplify(ast.BinOp(ast.Name(adjoint), ast.Add(), expr), self.ctx.derivative_names)
                defined.add(adjoint)
                out.append(assign((adjoint,), expr))
        for own in owns:
            defined.discard(own)  # type: ignore[arg-type]  # the value before this statement is another value
        return out

    def reverse_call(self, apply: Apply, defined: set[str]) -> list[ast.stmt]:
        """`bx_g, by_g = vjp_g(x, y, bz=bz)`, then each part added to its adjoint.

        A function with effects (random draws, prints, in-place updates of its arguments) is
        never run again: the forward sweep calls its forward sweep, `z, bwd_g = fwd_g(x, y)`,
        which returns its reverse sweep bound to what that one run computed, and here
        `bx_g, by_g = bwd_g(bz=bz)`."""
        ctx = self.ctx
        adjoints = [ctx.d("b", t) if t in ctx.activity.varied else None for t in apply.targets]
        live = [a for a in adjoints if a in defined]
        wrt = call_wrt(ctx, apply, {n for n in ctx.activity.varied if ctx.activity.active(n)})
        out: list[ast.stmt] = []
        if live and wrt:
            cotangents = [ast.Name(a) if a in defined else zeros_like(ctx, t)
                          for a, t in zip(adjoints, apply.targets)]
            cotangent = cotangents[0] if len(cotangents) == 1 else ast.Tuple(cotangents)
            if has_effects(ctx, apply):
                checkpointing.refuse_rerun(apply)  # (a function marked @checkpoint promised to run again)
            call = self.split_call(apply, wrt, cotangent) if has_effects(ctx, apply) else \
                derivative_call(ctx, apply, "vjp", wrt, {"cotangent": cotangent})
            sources = [apply.args[p].id for p in wrt]  # type: ignore[union-attr]
            name = getattr(apply.rule.callee, "__name__", "call")
            parts = [ctx.names.fresh(f"{ctx.d('b', s)}_{name}") for s in sources]
            ctx.derivative_names.update(parts)
            out.append(assign(tuple(parts), call))
            for source, part in zip(sources, parts):
                adjoint = ctx.d("b", source)
                expr: ast.expr = ast.Name(part)
                if adjoint in defined:
                    expr = ast.BinOp(ast.Name(adjoint), ast.Add(), expr)
                defined.add(adjoint)
                out.append(assign((adjoint,), expr))
        for adjoint in adjoints:
            defined.discard(adjoint)  # type: ignore[arg-type]
        return out

    def split_call(self, apply: Apply, wrt: tuple[str, ...], cotangent: ast.expr) -> ast.Call:
        """`bwd_g(bz=bz)`, the reverse sweep that the forward sweep's `z, bwd_g = fwd_g(x)` returned."""
        variant = callee_variant(self.ctx, apply, "split", wrt)
        back = self.ctx.names.fresh(variant.name.replace("fwd_", "bwd_", 1))
        primal = apply.primal
        assert isinstance(primal, ast.Call)
        self.splits[id(apply)] = (back, ast.Call(ast.Name(variant.name), list(primal.args), list(primal.keywords)))
        return ast.Call(ast.Name(back), [], [ast.keyword(variant.cotangent_param, cotangent)])

    def reverse_if(self, stmt: If, defined: set[str], loop: Loop | None) -> list[ast.stmt]:
        then_defined, else_defined = set(defined), set(defined)
        bound = self.bound
        then = self.reverse_block(stmt.body, then_defined, loop)
        other = self.reverse_block(stmt.orelse, else_defined, loop)
        then += self.fill(else_defined - then_defined, loop, bound | _definite(stmt.body, self))
        other += self.fill(then_defined - else_defined, loop, bound | _definite(stmt.orelse, self))
        defined.clear()
        defined.update(then_defined | else_defined)
        if loop is not None:
            then = self.restore(stmt.body, then, loop) + then
            other = self.restore(stmt.orelse, other, loop) + other
        if not then and not other:
            return []
        return [ast.If(stmt.test, then or [ast.Pass()], other)]

    def reverse_loop(self, loop: Loop, defined: set[str], outermost: bool = False) -> list[ast.stmt]:
        before = set(defined)
        defined |= self.entering(loop)
        head = set(defined)
        body = self.reverse_block(list(loop.carry), defined, loop)
        body += self.reverse_block(loop.body, defined, loop)
        # where a trip of the reverse sweep ends, the names bound before the loop are bound, and so
        # are those every trip binds: the forward sweep made this trip, and nothing unbinds a name
        trip = loop.test_body + loop.body + list(loop.carry)
        body += self.fill(head - defined, None, self.bound | _definite(trip, self))
        # adjoints that enter the loop, and those a trip defines first (defined after the loop
        # only if it made a trip): zero before it, so that a loop of no trips leaves them bound
        inits = self.fill((head | defined) - before, None, self.bound)
        defined |= head
        tape = self.tape(loop)
        body = self.restore(trip, body, loop, tape_pop=True, also={loop.target} - {None}) + body
        plan = checkpointing.plan_for(self.ctx, loop, outermost, self.bound) if any(
            not isinstance(s, ast.Expr) for s in body) else None  # (a loop whose reverse sweep reads nothing)
        if plan is not None:
            self.plans[id(loop)] = plan
            reverse: ast.stmt = checkpointing.reverse_loop(plan, body)
        else:
            reverse = ast.While(ast.Name(tape), body, [])
        self.reverse_loops.append((reverse, loop, body))
        return inits + [reverse]

    def entering(self, loop: Loop) -> set[str]:
        """Adjoints that must hold a value when a trip of the reverse sweep begins: those of
        values from before the loop that the loop reads, and of the values it carries."""
        # a nested loop's carry writes back a name that already held a value before that loop
        # (`x0 = x0_2` carried by an inner loop): if the name comes from before this loop too,
        # this loop carries it as well, and its adjoint must flow from trip to trip
        nested_carries = {id(a) for s in walk(loop.body) if isinstance(s, Loop) for a in s.carry}
        inside = {t for s in walk(loop.body + list(loop.carry)) if isinstance(s, Apply)
                  and id(s) not in nested_carries for t in s.targets}
        read: set[str] = set()
        for s in walk(loop.body + list(loop.carry)):
            if isinstance(s, Apply) and self.ctx.activity.active(s.target):
                read |= set(self.ctx.activity.active_args(s).values())
        needed = {n for n in read if n not in inside} | {a.target for a in loop.carry}
        return {self.ctx.d("b", n) for n in needed if self.ctx.activity.active(n)}

    def fill(self, adjoints: set[str], loop: Loop | None = None, bound: set[str] = frozenset()) -> list[ast.stmt]:  # type: ignore[assignment]
        """`bv = zeros_like(v)` for adjoints that must be defined but got no contribution.

        Outside loops, a value bound only on some paths (in one branch, or inside a loop
        that may make no trip) may be unbound here: its zero is written 0.0, unless it is
        certainly `bound` where the fill runs (0.0 would not do for an adjoint rule that
        needs an array, such as the split of a concatenation's adjoint).
        """
        primal = {d: p for (prefix, p), d in self.ctx.names.given.items() if prefix == "b"}
        maybe_unbound = self.maybe_unbound() - bound if loop is None else set()
        return [assign((b,), ast.Constant(0.0) if primal[b] in maybe_unbound else zeros_like(self.ctx, primal[b]))
                for b in sorted(adjoints)]

    def maybe_unbound(self) -> set[str]:
        targets = {t for s in walk(self.ctx.fn.body) if isinstance(s, Apply) for t in s.targets}
        parameters = {p.name for p in self.ctx.fn.params}  # bound on entry, though a loop may carry one
        return targets - _definite(self.ctx.fn.body, self) - parameters

    # ------------------------------------------------------------ recording

    def restore(self, block: list[Stmt], code: list[ast.stmt], loop: Loop, tape_pop: bool = False,
                also: set = frozenset()) -> list[ast.stmt]:  # type: ignore[assignment]
        """The pop that gives back, at the start of a trip (or branch) of the reverse sweep,
        the values of that trip the code reads; remembers what its forward sweep records.

        A value the loop carries into the next trip needs no entry of its own: when the
        reverse sweep starts a trip, the carried name still holds it. A value read only
        for its shape (to undo a broadcast) is recorded as its shape.
        """
        read = set().union(*(names_in(s) for s in code)) if code else set()
        names = set(read & (_definite(block, self) | also))
        prelude: list[ast.stmt] = []
        if tape_pop:
            for carry in loop.carry:
                exit_value = carry.args["a"].id  # type: ignore[attr-defined]
                if exit_value in names:
                    names.discard(exit_value)
                    names.add(carry.target)
                    prelude.append(assign((exit_value,), ast.Name(carry.target)))
        carried = {a.target for a in loop.carry if a.args["a"].id in read} if tape_pop else set()  # type: ignore
        # (the prelude reads a carried value whole: it must be restored whole)
        entries = [(n, None if n in carried else self.shape_name(n, code)) for n in sorted(names)]
        self.records[id(loop) if tape_pop else id(block)] = entries
        exits = {a.target: a.args["a"].id for a in loop.carry} if tape_pop else {}  # type: ignore[attr-defined]
        self.structural[id(loop) if tape_pop else id(block)] = {  # (a carried value: its exit value too)
            n for n, shape in entries if shape is None and read_for_structure((n, exits.get(n, n)), code)}
        pop = ast.Call(ast.Attribute(ast.Name(self.tape(loop)), "pop"), [], [])
        if not entries:
            return prelude + [ast.Expr(pop)] if tape_pop else []
        targets = tuple(shape or name for name, shape in entries)
        return prelude + [assign(targets, pop)]

    def shape_name(self, name: str, code: list[ast.stmt]) -> str | None:
        """`x_shape`, if the code reads x only as `like=x` of unbroadcast (then it is renamed there)."""
        if name in self.ctx.containers:  # a list's or tuple's adjoint is undone by its items, not a shape
            return None
        uses = [n for s in code for n in ast.walk(s) if isinstance(n, ast.Name) and n.id == name]
        likes = [k.value for s in code for c in ast.walk(s) if isinstance(c, ast.Call)
                 and isinstance(c.func, ast.Name) and c.func.id == "unbroadcast"
                 for k in c.keywords if k.arg == "like" and isinstance(k.value, ast.Name) and k.value.id == name]
        if not uses or len(uses) != len(likes):
            return None
        shape = self.ctx.names.fresh(f"{name}_shape")
        for node in likes:
            node.id = shape
        self.shape_uses[shape] = likes
        return shape

    def keep_carried(self, backward: list[ast.stmt]) -> None:
        """Record whole the values a loop carries that the reverse sweep reads after the loop.

        A carried value goes back, trip by trip, to the name it had before the loop, so the
        adjoints of the statements before the loop (`(1 - v**2) * bv` for `v = np.tanh(x)`)
        read that name: each trip's pop must restore it, even where the trip itself reads it
        only for its shape, or not at all.
        """
        for reverse, loop, trip in self.reverse_loops:
            inside = {id(n) for n in ast.walk(reverse)}
            # what runs after the loop, whose pops assign the names last (what runs before it in its
            # own trip of an outer loop reads what that loop's pop gave back)
            following = after(backward, reverse) or []
            read_after = {n.id for s in following for n in ast.walk(s) if isinstance(n, ast.Name)
                          and id(n) not in inside and not isinstance(getattr(n, "ctx", None), ast.Store)}
            needed = {a.target for a in loop.carry} & read_after
            entries = self.records[id(loop)]
            self.structural.get(id(loop), set()).difference_update(needed)  # read whole after the loop
            missing = needed - {n for n, shape in entries if shape is None}
            if not missing:
                continue
            for k, (name, shape) in enumerate(entries):
                if name in missing and shape is not None:
                    for node in self.shape_uses.pop(shape):
                        node.id = name
                    entries[k] = (name, None)
            entries += [(name, None) for name in sorted(missing - {n for n, _ in entries})]
            entries.sort()
            pop = ast.Call(ast.Attribute(ast.Name(self.tape(loop)), "pop"), [], [])
            restore = assign(tuple(shape or name for name, shape in entries), pop)
            for k, stmt in enumerate(trip):
                value = getattr(stmt, "value", None)
                if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) \
                        and value.func.attr == "pop" and getattr(value.func.value, "id", None) == self.tape(loop):
                    trip[k] = restore
                    break

    def record(self, block: list[Stmt], loop: Loop, whole_trip: bool) -> list[ast.stmt]:
        entries = self.records.get(id(loop) if whole_trip else id(block), [])
        if not entries and not whole_trip:
            return []
        shape = ast.Attribute(ast.Name(self.ctx.numpy), "shape")
        structural = self.structural.get(id(loop) if whole_trip else id(block), set())
        values = [ast.Call(shape, [ast.Name(n)], []) if as_shape else recorded(n, n in structural)
                  for n, as_shape in entries]
        value: ast.expr = ast.Constant(None) if not values else values[0] if len(values) == 1 else ast.Tuple(values)
        append = ast.Call(ast.Attribute(ast.Name(self.tape(loop)), "append"), [value], [])
        return [ast.Expr(append)]

    # ------------------------------------------------------------ forward sweep

    def forward_block(self, block: list[Stmt], loop: Loop | None) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for stmt in block:
            if isinstance(stmt, Apply):
                primal = self.forward_call(stmt) if id(stmt) in self.splits else \
                    assign(stmt.targets, stmt.primal, keeps(self.ctx, stmt))
                out.append(locate(primal, stmt) if self.ctx.annotate else primal)
            elif isinstance(stmt, Effect):
                out.append(stmt.statement)
            elif isinstance(stmt, If):
                then = self.forward_block(stmt.body, loop)
                other = self.forward_block(stmt.orelse, loop)
                if loop is not None:
                    then += self.record(stmt.body, loop, whole_trip=False)
                    other += self.record(stmt.orelse, loop, whole_trip=False)
                out.append(ast.If(stmt.test, then or [ast.Pass()], other))
            else:
                out += self.forward_loop(stmt)
        return out

    def forward_call(self, apply: Apply) -> ast.Assign:
        """`z, bwd_g = fwd_g(x)`: the call of a function with effects, run once (see reverse_call)."""
        back, call = self.splits[id(apply)]
        value = assign(apply.targets, call).targets[0]
        node = ast.Assign([ast.Tuple([value, ast.Name(back, ast.Store())], ast.Store())], call, lineno=0)
        node.keep = True  # type: ignore[attr-defined]
        return node

    def forward_loop(self, loop: Loop) -> list[ast.stmt]:
        tape = self.tape(loop)
        test_body = self.forward_block(loop.test_body, loop)
        trip = self.forward_block(loop.body, loop)
        carry = self.forward_block(list(loop.carry), loop)
        recording = self.record(loop.body, loop, whole_trip=True)
        if id(loop) in self.plans:
            return checkpointing.forward_loop(self.plans[id(loop)], loop, tape, trip + recording + carry)
        start = assign((tape,), ast.List([]))
        return [start] + loop_statements(loop, test_body, trip, carry, recording)


def _definite(block: list[Stmt], sweep: _Sweep) -> set[str]:
    """Names certainly bound at the end of the block, whichever way it ran (not inside its loops)."""
    found: set[str] = set()
    for stmt in block:
        if isinstance(stmt, Apply):
            found.update(stmt.targets)
            if id(stmt) in sweep.splits:
                found.add(sweep.splits[id(stmt)][0])  # `z, bwd_g = fwd_g(x)`
        elif isinstance(stmt, If):
            found |= _definite(stmt.body, sweep) & _definite(stmt.orelse, sweep)
        elif isinstance(stmt, Loop):
            found.add(sweep.tape(stmt))
            found.update(a.target for a in stmt.carry)  # bound before the loop already
            if id(stmt) in sweep.plans:  # `steps = range(n)`, `checkpoints = Checkpoints(...)`
                found.update((sweep.plans[id(stmt)].steps, sweep.plans[id(stmt)].checkpoints))
    return found


def _certainly_float(expr: ast.expr, varied: frozenset[str]) -> bool:
    """Whether a partial derivative, used as a value by the final-sum shortcut, certainly has a
    float type: arithmetic on a differentiated value. A mask (`x >= y`, a condition, `a & b`) or
    a constant operand is not, and gets multiplied by ones of the result's type instead."""
    if isinstance(expr, ast.Name):
        return expr.id in varied
    if isinstance(expr, ast.UnaryOp):
        return isinstance(expr.op, (ast.USub, ast.UAdd)) and _certainly_float(expr.operand, varied)
    if isinstance(expr, ast.BinOp):
        arithmetic = isinstance(expr.op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow))
        return arithmetic and (_certainly_float(expr.left, varied) or _certainly_float(expr.right, varied))
    if isinstance(expr, ast.Call):
        name = expr.func.attr if isinstance(expr.func, ast.Attribute) else getattr(expr.func, "id", "")
        return not name.startswith("logical_") and any(_certainly_float(a, varied) for a in expr.args)
    return False


def _covers(ctx: Context, expr: ast.expr, whole: frozenset) -> bool:
    """Whether an adjoint expression certainly has the statement's full shape: the values it
    reads (besides the `like=` of an unbroadcast, which only gives a shape) cover its basis."""
    found: set[str] = set()
    skip = {id(k.value) for node in ast.walk(expr) if isinstance(node, ast.Call) for k in node.keywords
            if k.arg == "like"}
    for node in ast.walk(expr):
        if isinstance(node, ast.Name) and id(node) not in skip:
            found |= ctx.bases.get(node.id, frozenset({node.id}))
    return bool(whole) and whole <= found
