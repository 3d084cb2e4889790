"""What both transforms share: derivative names and rule instantiation for one statement.

Stage: transforms. The transforms ask the rule table for templates and this
module for names; neither holds the derivative of any particular primitive.
"""

from __future__ import annotations

import ast
import copy
import inspect
from dataclasses import dataclass, field
from typing import Callable

from .. import runtime
from ..analysis.activity import Activity
from ..errors import TransformError
from ..analysis.shapes import Basis, basis_of
from ..codegen.templates import Bindings, instantiate, is_zero, simplify, zero, zero_value
from ..ir import Apply, Function, names_in, walk
from ..rules.registry import Rule

HELPERS = frozenset(n for n, v in vars(runtime).items()
                    if (inspect.isfunction(v) or inspect.isclass(v)) and not n.startswith("_"))


@dataclass
class Names:
    """Deterministic names for derivatives and template locals, never clashing with the user's."""

    taken: set[str]
    given: dict[tuple[str, str], str] = field(default_factory=dict)
    own: set[str] = field(default_factory=set)  # the function's own names (its variables, their versions)
    suffixed: dict[str, bool] = field(default_factory=dict)  # prefix -> whether its derivatives are x_bar / x_dot

    def fresh(self, base: str) -> str:
        name, k = base, 1
        while name in self.taken:
            k += 1
            name = f"{base}_{k}"
        self.taken.add(name)
        return name

    def derivative(self, prefix: str, name: str) -> str:
        """`dx` (prefix d: the tangent) or `bx` (prefix b: the adjoint, "x bar") for the value `x`;
        in a function that has names of both spellings itself (a bias `by` beside a value `y`, a
        step `dt` beside a time `t`), every tangent is `x_dot` and every adjoint `x_bar` instead,
        so that no derivative reads as a name of the function's, a version of one (`by_2`), or the
        derivative of another (`bby`)."""
        key = (prefix, name)
        if key not in self.given:
            if prefix not in self.suffixed:
                self.suffixed[prefix] = any(prefix + n in self.own for n in self.own)
            spelled = f"{name}_{SUFFIXES.get(prefix, prefix)}" if self.suffixed[prefix] else prefix + name
            self.given[key] = self.fresh(spelled)
        return self.given[key]


SUFFIXES = {"b": "bar", "d": "dot"}  # the spelling x_bar / x_dot (see Names.derivative)


@dataclass
class Context:
    """One transformation: the function, what is active, and how names are spelled."""

    fn: Function
    activity: Activity
    wrt: tuple[str, ...]
    numpy: str
    names: Names
    bases: dict[str, Basis] = field(default_factory=dict)
    callee: Callable | None = None  # (function, mode, wrt) -> the derivative of a function of the user's
    containers: set[str] = field(default_factory=set)  # names holding lists, tuples or dicts of values
    annotate: bool = False  # tag derivative statements with the primal statement they come from
    derivative_names: set[str] = field(default_factory=set)
    effects: Callable | None = None  # a function of the user's -> its Effects (analysis/effects.py)
    arrays: set[str] | None = None  # names certainly holding arrays or numbers (see certain_arrays)
    # vector forward mode: tangents carry the number of directions held by this name on a leading axis
    directions: str | None = None
    vector: bool = False  # make the forward mode of vector mode (transforms/forward.py)
    callee_results: set[str] | None = None  # names a call of a function of the user's binds
    shapes: set[str] = field(default_factory=set)  # names holding shapes, sizes and lengths
    # reverse mode: snapshots for the outermost range loops (a number, "sqrt"), None (only the loops
    # a directive marks), False (none, directives too): see transforms/checkpointing.py
    checkpoint: int | str | bool | None = None
    # a derivative specialized to its arguments: what inference knows of each value (None: general code)
    facts: dict | None = None

    def d(self, prefix: str, name: str) -> str:
        found = self.names.derivative(prefix, name)
        self.derivative_names.add(found)
        return found

    def bindings(self, apply: Apply, values: dict[str, ast.expr]) -> Bindings:
        rule = apply.rule
        dropped = {p for p in rule.params if p not in apply.args}
        defaults = {p: ast.Constant(rule.signature.parameters[p].default) for p in dropped
                    if rule.signature.parameters[p].default is not inspect.Parameter.empty}
        bound = {**apply.args, "z": ast.Name(apply.target), **values}
        return Bindings(
            values=bound,
            renames={"np": self.numpy},
            dropped=dropped,
            defaults=defaults,
            fresh=self.names.fresh,
            linear=self.derivative_names,
            numpy=self.numpy,
            containers=self.containers,
            zeros=self.directional_zeros if self.directions else self.structured_zeros,
        )

    def structured_zeros(self, of: ast.expr) -> ast.expr:
        """The zero derivative of a value: `zeros_like_tree` for what a function of the user's returned
        (a cache: a tuple or dict of values, whose zero has its structure), else as zero_value."""
        if self.callee_results is None:
            applies = [s for s in walk(self.fn.body) if isinstance(s, Apply)]
            self.callee_results = {t for s in applies if s.rule.callee is not None for t in s.targets}
            self.shapes = {t for s in applies if s.rule.key in _SHAPE_RULES for t in s.targets}
        if isinstance(of, ast.Name) and of.id in self.callee_results:
            return ast.Call(ast.Name("zeros_like_tree"), [of], [])
        if isinstance(of, ast.Name) and of.id in self.shapes:
            return ast.Constant(0.0)  # a shape or a count (recorded on a tape): no array of zeros for it
        return zero_value(of, self.numpy, self.containers)

    def directional_zeros(self, of: ast.expr) -> ast.expr:
        """A zero tangent in every direction (vector mode): zeros shaped (k,) + the value's shape."""
        if isinstance(of, ast.Constant) and (of.value is None or isinstance(of.value, (str, bytes))):
            return ast.Constant(None)
        return ast.Call(ast.Name("zeros_along"), [of, ast.Name(self.directions)], [])  # type: ignore[arg-type]


def tangent_expression(ctx: Context, apply: Apply, wrap: Callable | None = None) -> tuple[list[ast.stmt], ast.expr]:
    """Statements and expression for the tangent of `apply`'s result; `wrap(parameter, tangent)`
    gives the expression a varying tangent stands for in the template (vector mode)."""
    rule = apply.rule
    values: dict[str, ast.expr] = {}
    for p in rule.diff:
        arg = apply.args.get(p)
        if arg is None:  # an optional argument left out: a constant
            values["d" + p] = zero(ast.Constant(rule.signature.parameters[p].default))
        elif isinstance(arg, ast.Name) and arg.id in ctx.activity.varied:
            values["d" + p] = ast.Name(ctx.d("d", arg.id))
            if wrap is not None:
                values["d" + p] = wrap(p, values["d" + p])
        else:
            values["d" + p] = zero(arg)
    assert rule.tangent is not None
    statements, expr = instantiate(rule.tangent, rule.tangent.result, ctx.bindings(apply, values))
    if is_zero(expr):  # every input's tangent is zero here (it varies on another path)
        return statements, zeros_like(ctx, apply.target)
    if rule.elementwise and _loses_shape(ctx, apply, _unlifted(expr)):
        expr = ast.Call(ast.Name("broadcast_like"), [expr], [ast.keyword("like", ast.Name(apply.target))])
    return statements, expr


class _Unlift(ast.NodeTransformer):
    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id == "lift" and node.args:
            return node.args[0]
        return node


def _unlifted(expr: ast.expr) -> ast.expr:
    """The tangent with `lift(dx, like=z)` read as dx (vector mode): lifting inserts axes of length
    1, which broadcast but do not give the tangent z's shape."""
    return _Unlift().visit(copy.deepcopy(expr))


def _loses_shape(ctx: Context, apply: Apply, expr: ast.expr) -> bool:
    """Whether the tangent, once inactive terms were dropped, may be narrower than the result."""
    primal_of = {d: p for (prefix, p), d in ctx.names.given.items() if prefix == "d"}
    mentioned = {primal_of.get(n, n) for n in names_in(expr)}
    if ctx.facts is not None and not ctx.vector:  # specialized: the shapes of what the tangent is made of
        from ..analysis.inference import broadcast

        shapes = [_known_shape(ctx, ast.Name(n)) for n in mentioned]
        result = _known_shape(ctx, ast.Name(apply.target))
        if result is not None and shapes and None not in shapes and broadcast(shapes) == result:  # type: ignore
            return False
    covered: set[str] = set()
    for name in mentioned:
        covered |= ctx.bases.get(name, frozenset({name}))
    return not statement_basis(ctx, apply) <= covered


def statement_basis(ctx: Context, apply: Apply) -> Basis:
    """The basis of what this elementwise statement computes: all its operands'."""
    found: set[str] = set()
    for arg in apply.args.values():
        found |= basis_of(arg, ctx.bases)
    return frozenset(found)


def adjoint_contributions(ctx: Context, apply: Apply, bz: ast.expr | None = None
                          ) -> tuple[list[ast.stmt], dict[str, ast.expr]]:
    """Local statements and, per active argument name, its adjoint contribution."""
    rule = apply.rule
    active = ctx.activity.active_args(apply)
    assert rule.adjoint is not None
    bz = bz or ast.Name(ctx.d("b", apply.target))
    statements, results = instantiate(rule.adjoint, rule.adjoint.result, ctx.bindings(apply, {"bz": bz}))
    elements = list(results.elts) if isinstance(results, ast.Tuple) else [results]
    contributions: dict[str, ast.expr] = {}
    for param, expr in zip(rule.diff, elements):
        if param not in active:
            continue
        if rule.elementwise and _same_shape(ctx, apply, param):
            expr = _strip_unbroadcast(expr, apply.args[param])
        elif rule.elementwise and ctx.facts is not None:
            expr = _summed_unbroadcast(expr, apply.args[param], _broadcast_axes(ctx, apply, param))
        name = active[param]
        if name in contributions:  # the same value in two arguments (x * x)
            expr = simplify(ast.BinOp(contributions[name], ast.Add(), expr), ctx.derivative_names)
        contributions[name] = expr
    return statements, contributions


def _same_shape(ctx: Context, apply: Apply, param: str) -> bool:
    """Whether the argument certainly has the result's shape (then unbroadcast is a no-op): by the
    bases of analysis/shapes.py, or, in a derivative specialized to its arguments, by the shapes
    inference knows (analysis/inference.py; a Python number has shape ())."""
    if basis_of(apply.args[param], ctx.bases) == statement_basis(ctx, apply):
        return True
    mine, result = _known_shape(ctx, apply.args[param]), _known_shape(ctx, ast.Name(apply.target))
    return mine is not None and mine == result


def _known_shape(ctx: Context, value: ast.expr) -> tuple | None:
    """The shape of a value where inference knows every dimension (a Python number's is ())."""
    if ctx.facts is None:
        return None
    if isinstance(value, ast.Constant) and isinstance(value.value, (int, float)) and not isinstance(value.value, bool):
        return ()
    fact = ctx.facts.get(value.id) if isinstance(value, ast.Name) else None
    if fact is None or fact.kind not in ("array", "number", "scalar") or fact.shape is None and fact.kind == "array":
        return None
    shape = () if fact.kind in ("number", "scalar") else fact.shape
    return shape if None not in shape else None


def _broadcast_axes(ctx: Context, apply: Apply, param: str) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """Where the argument was broadcast to the result's shape, as inference knows the ranks and which
    dimensions are 1: (the leading axes the argument lacks, the axes where it has 1 and the result
    not), in the result's numbering; None where that cannot be told."""
    mine, result = _known_shape(ctx, apply.args[param]), _known_shape(ctx, ast.Name(apply.target))
    if mine is None or result is None or len(mine) > len(result) or not mine and not result:
        return None
    lead = len(result) - len(mine)
    kept = tuple(lead + k for k, d in enumerate(mine) if d == 1 and result[lead + k] != 1)
    if any(d != 1 and d != result[lead + k] for k, d in enumerate(mine)):
        return None
    return tuple(range(lead)), kept


def _summed_unbroadcast(expr: ast.expr, like: ast.expr, axes: tuple[tuple[int, ...], tuple[int, ...]] | None
                        ) -> ast.expr:
    """The expression with its `unbroadcast(e, like=<like>)` calls written as the sums they are,
    `e.sum(axis=0)` for a bias, `e.sum(axis=1, keepdims=True)` for a column (axes: _broadcast_axes)."""
    if axes is None:
        return expr
    target = ast.dump(like)
    lead, kept = axes

    def summed(e: ast.expr) -> ast.expr:
        if not lead and not kept:
            return e
        if kept:
            e = ast.Call(ast.Attribute(e, "sum"), [], [ast.keyword("axis", _axis(lead + kept)),
                                                       ast.keyword("keepdims", ast.Constant(True))])
            if not lead:
                return e
            index = ast.Constant(0) if len(lead) == 1 else ast.Tuple([ast.Constant(0)] * len(lead), ast.Load())
            return ast.Subscript(e, index)  # the leading axes, summed to 1, dropped
        return ast.Call(ast.Attribute(e, "sum"), [], [ast.keyword("axis", _axis(lead))])

    class Sum(ast.NodeTransformer):
        def visit_Call(self, node: ast.Call) -> ast.expr:
            self.generic_visit(node)
            if isinstance(node.func, ast.Name) and node.func.id == "unbroadcast" and node.args and any(
                    k.arg == "like" and ast.dump(k.value) == target for k in node.keywords):
                return summed(node.args[0])
            return node

    return Sum().visit(expr)


def _axis(axes: tuple[int, ...]) -> ast.expr:
    return ast.Constant(axes[0]) if len(axes) == 1 else ast.Tuple([ast.Constant(a) for a in axes], ast.Load())


def _strip_unbroadcast(expr: ast.expr, like: ast.expr) -> ast.expr:
    """The expression without its `unbroadcast(e, like=<like>)` calls (at any depth): `e` has
    like's shape already."""
    target = ast.dump(like)

    class Strip(ast.NodeTransformer):
        def visit_Call(self, node: ast.Call) -> ast.expr:
            self.generic_visit(node)
            if isinstance(node.func, ast.Name) and node.func.id == "unbroadcast" and node.args and any(
                    k.arg == "like" and ast.dump(k.value) == target for k in node.keywords):
                return node.args[0]
            return node

    return Strip().visit(expr)


def is_differentiable(rule: Rule) -> bool:
    return bool(rule.diff) and (rule.tangent is not None or rule.callee is not None)


def derivative_call(ctx: Context, apply: Apply, mode: str, wrt: tuple[str, ...],
                    keywords: dict[str, ast.expr]) -> ast.Call:
    """The call, in place of `apply`'s call of a function of the user's, of its derivative."""
    variant = callee_variant(ctx, apply, mode, wrt)
    primal = apply.primal
    assert isinstance(primal, ast.Call)
    names = variant.tangent_params if mode == "jvp" else {}
    extra = [ast.keyword(names.get(k, k) if mode == "jvp" else variant.cotangent_param, v)
             for k, v in keywords.items()]
    return ast.Call(ast.Name(variant.name), list(primal.args), list(primal.keywords) + extra)


def _call_facts(ctx: Context, apply: Apply) -> dict | None:
    """What inference knows of a call's arguments, per parameter of the function called (for its
    derivative specialized to them; None: nothing, the general code)."""
    if ctx.facts is None:
        return None
    from ..analysis.inference import Inference

    reader = Inference(ctx.fn)
    reader.facts = ctx.facts
    found = {p: reader.atom(v) for p, v in apply.args.items() if isinstance(v, ast.expr)}
    return found if any(f.kind != "unknown" for f in found.values()) else None


def callee_variant(ctx: Context, apply: Apply, mode: str, wrt: tuple[str, ...]):  # noqa: ANN201
    """The derivative (a pipeline Variant) of the function of the user's that `apply` calls."""
    try:
        return ctx.callee(apply.rule.callee, mode, wrt[0] if len(wrt) == 1 else wrt,  # type: ignore[misc]
                          _call_facts(ctx, apply))
    except TransformError as err:
        if err.span is not None:
            raise
        raise type(err)(err.message, apply.span, err.hint) from None  # say where the call is


def has_effects(ctx: Context, apply: Apply) -> bool:
    """Whether `apply` calls a function of the user's that changes state when it runs
    (then the reverse sweep must not run it again)."""
    return apply.rule.callee is not None and ctx.effects is not None and bool(ctx.effects(apply.rule.callee))


def keeps(ctx: Context, apply: Apply) -> bool:
    """Whether the primal statement must run even where nothing reads its result: it has an effect
    (a random draw changes the state the next draw starts from; a callee may print)."""
    return apply.rule.effect or has_effects(ctx, apply)


def call_wrt(ctx: Context, apply: Apply, names: set[str]) -> tuple[str, ...]:
    """The parameters of a called function that receive one of `names` here, in signature order."""
    return tuple(p for p in apply.rule.diff if isinstance(apply.args.get(p), ast.Name)
                 and apply.args[p].id in names)  # type: ignore[union-attr]


def zeros_like(ctx: Context, name: str) -> ast.expr:
    """A derivative that is zero, shaped and placed like the value: `np.zeros_like(name)` where
    the value is certainly an array or a number, else `zeros_like_tree(name)` (a parameter, an
    item or slice of a list, a part of a helper's result may be a tuple, list or dict of arrays
    of unequal shapes, whose zero has its structure)."""
    if ctx.directions:
        return ctx.directional_zeros(ast.Name(name))
    if ctx.arrays is None:
        ctx.arrays = certain_arrays(ctx.fn, ctx.containers)
    if name not in ctx.arrays:
        return ast.Call(ast.Name("zeros_like_tree"), [ast.Name(name)], [])
    return zero_value(ast.Name(name), ctx.numpy, ctx.containers)


# non-elementwise primitives whose result is always one array (never a tuple or list of them)
_ARRAY_RESULTS = frozenset({
    "operator.matmul", "numpy.dot", "numpy.matmul", "numpy.tensordot", "numpy.einsum", "numpy.outer",
    "numpy.inner", "numpy.vdot", "numpy.kron", "numpy.sum", "numpy.mean", "numpy.max", "numpy.min",
    "numpy.prod", "numpy.var", "numpy.std", "numpy.reshape", "numpy.transpose", "ndarray.T",
    "ndarray.flatten", "numpy.ravel", "numpy.concatenate", "numpy.stack", "numpy.hstack", "numpy.vstack",
    "numpy.cumsum", "numpy.cumprod", "numpy.linalg.inv", "numpy.linalg.det", "numpy.linalg.solve",
    "numpy.linalg.norm", "numpy.linalg.cholesky", "numpy.expand_dims", "numpy.squeeze", "numpy.diag",
    "numpy.trace", "numpy.copy", "numpy.tile", "numpy.repeat", "numpy.broadcast_to", "numpy.pad",
    "numpy.zeros", "numpy.ones", "numpy.zeros_like", "numpy.ones_like", "numpy.full", "numpy.full_like",
    "numpy.eye", "numpy.arange", "numpy.linspace", "scipy.special.logsumexp", "scipy.special.softmax",
    "scipy.special.log_softmax",
})


_SHAPE_RULES = frozenset({"numpy.shape", "ndarray.shape", "numpy.ndim", "ndarray.ndim", "numpy.size", "ndarray.size",
                          "builtins.len"})


def certain_arrays(fn: Function, containers: set[str]) -> set[str]:
    """Names every statement assigning which certainly gives an array or a number: an elementwise
    primitive (not `+` or `*` of a list, which join or repeat it), a primitive of `_ARRAY_RESULTS`,
    a number, or a copy of such a name. Parameters, items, slices and unpacked parts of values,
    and the results of the user's functions are not known to be arrays."""
    producers: dict[str, list[Apply]] = {}
    for stmt in walk(fn.body):
        if isinstance(stmt, Apply):
            for target in stmt.targets:
                producers.setdefault(target, []).append(stmt)
    found: set[str] = set()
    size = -1
    while size != len(found):
        size = len(found)
        for name, applies in producers.items():
            if name not in found and name not in containers and all(_makes_array(a, found, containers)
                                                                       for a in applies):
                found.add(name)
    return found


def _makes_array(apply: Apply, arrays: set[str], containers: set[str]) -> bool:
    rule = apply.rule
    if len(apply.targets) != 1 or rule.callee is not None:
        return False
    if rule.key == "identity":
        value = apply.args.get("a")
        return isinstance(value, ast.Name) and value.id in arrays
    if rule.key == "constant":
        return isinstance(apply.primal, ast.Constant) and isinstance(apply.primal.value, (int, float))
    if rule.key in ("operator.add", "operator.mul"):
        return not any(isinstance(v, (ast.List, ast.Tuple)) or (isinstance(v, ast.Name) and v.id in containers)
                       for v in apply.args.values())
    return rule.elementwise or rule.key in _ARRAY_RESULTS


_DISPLAYS = ("list.display", "tuple.display", "dict.display")


def certain_containers(fn: Function) -> set[str]:
    """Names every statement assigning which certainly gives a list, tuple or dict: a display (a
    constant one too), `xs.append(v)`, a dict copy, or an item written into (`d[k] = v`) or a copy
    of such a name. (analysis/shapes.py's `containers` also holds names that may hold arrays.)"""
    producers: dict[str, list[Apply]] = {}
    for stmt in walk(fn.body):
        if isinstance(stmt, Apply) and len(stmt.targets) == 1:
            producers.setdefault(stmt.target, []).append(stmt)
        elif isinstance(stmt, Apply):
            for target in stmt.targets:
                producers[target] = []  # a part of an unpacked value: not known
    found = {name for name, applies in producers.items() if applies}  # the largest set that holds:
    size = -1  # a loop carries a container into itself (`d = d_2`, `d_2 = with_item(d, k, v)`)
    while size != len(found):
        size = len(found)
        found = {name for name in found if all(_makes_container(a, found) for a in producers[name])}
    return found - {p.name for p in fn.params}


def _makes_container(apply: Apply, found: set[str]) -> bool:
    key = apply.rule.key
    if key.startswith(_DISPLAYS) or key in ("list.append", "dict.copy"):  # (`d.copy()` only of a dict)
        return True
    if key == "constant":
        return isinstance(apply.primal, (ast.List, ast.Tuple, ast.Dict))
    source = apply.args.get("a")
    return key in ("identity", "setitem", "dict.setitem") and isinstance(source, ast.Name) and source.id in found


def mark_container_items(body: list[ast.stmt], ctx: Context) -> None:
    """Mark, for the optimizer (codegen/inplace.py), the reads `c[k]` of an item of a certain
    container or of its derivative (`container_item`: one of the values it holds, never a view
    of its storage), and those of an item of any other value that carries a derivative
    (`copyable`: an item of an array of real numbers, which `.copy()` may copy where the array is
    written in place afterwards, at the cost of the item rather than of a copy of the whole)."""
    primal = certain_containers(ctx.fn)
    containers = primal | {d for (_, p), d in ctx.names.given.items() if p in primal}
    arrays = _written_arrays(ctx.fn, certain_arrays(ctx.fn, ctx.containers)) & set(ctx.activity.varied)
    real = arrays | {d for (_, p), d in ctx.names.given.items() if p in arrays}
    for stmt in body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
                if node.value.id in containers:
                    node.container_item = True  # type: ignore[attr-defined]
                elif node.value.id in real and isinstance(getattr(node, "ctx", ast.Load()), ast.Load):
                    node.copyable = True  # type: ignore[attr-defined]


def _written_arrays(fn: Function, arrays: set[str]) -> set[str]:
    """The certain arrays, and the versions an item written into one gives (`y_2` of `y[i] = v`,
    carried back into y by a loop): arrays of real numbers, whose items `.copy()` copies."""
    producers: dict[str, list[Apply]] = {}
    for stmt in walk(fn.body):
        if isinstance(stmt, Apply):
            for target in stmt.targets:
                producers.setdefault(target, []).append(stmt)
    found = set(arrays) | {n for n, applies in producers.items() if all(_keeps(a, set(producers)) for a in applies)}
    size = -1
    while size != len(found):
        size = len(found)
        found = {n for n in found if n in arrays or all(_keeps(a, found) for a in producers.get(n, []))}
    return found - {p.name for p in fn.params}


def _keeps(apply: Apply, found: set[str]) -> bool:
    """Whether the statement gives a version of a value of `found` (an item written, a copy)."""
    source = apply.args.get("a")
    return len(apply.targets) == 1 and apply.rule.key in ("setitem", "identity") \
        and isinstance(source, ast.Name) and source.id in found
