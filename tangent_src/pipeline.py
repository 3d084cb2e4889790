"""The order of the stages, and nothing else.

parse -> normalize -> analyze -> transform -> optimize -> emit -> load.
Each stage is a module of its own; this one only calls them in turn and says
which stage failed when one raises something that is not a TransformError.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy

from . import rules  # noqa: F401  (registers the rule table)
from .analysis.activity import analyze
from .analysis.effects import NONE, Effects, check_updated_arguments, effects
from .analysis.inference import COTANGENT, TANGENT, UNKNOWN, Abstract, Inference, infer
from .analysis.shapes import bases, containers
from .codegen import annotate, docstrings, emit, lean, optimize
from .codegen.load import load
from .frontend import kept
from .errors import BadWrt, InternalError, TransformError, UnsupportedSyntax
from .frontend import results
from .frontend.functions import NeedsValue, check_values, specialize_callees
from .frontend.normalize import normalize
from .frontend.source import ParsedFunction, none_tests, parse_function
from .ir import Apply, Function, dump, walk
from .transforms import forward, reverse, split
from .transforms.common import HELPERS, Context, Names

MODES = ("grad", "value_and_grad", "vjp", "jvp")


@dataclass(frozen=True)
class Derivative:
    """What a transformation produced: the loaded function, and its source text, formatted by black
    when first asked for (the code loaded is the same code, unformatted: formatting is for people)."""

    primal: Callable
    mode: str
    wrt: tuple[str, ...]
    single: bool
    name: str
    nodes: tuple[ast.FunctionDef, ...]  # the derivative and the derivatives it calls, callees first
    numpy: str
    names: dict[str, object]
    function: Callable

    @functools.cached_property
    def source(self) -> str:
        return emit.module_source(list(self.nodes), self.numpy, self.names)


@dataclass
class Variant:
    """One emitted derivative function: of the user's function, or of a function it calls."""

    name: str
    node: ast.FunctionDef
    numpy: str
    function: Callable
    tangent_params: dict[str, str]  # jvp: wrt parameter -> the keyword that takes its tangent
    cotangent_param: str | None  # vjp: the keyword that takes the cotangent
    single: bool
    callees: list["Variant"] = field(default_factory=list)
    names: dict[str, object] = field(default_factory=dict)  # names the rules used, besides numpy and helpers


@dataclass
class Session:
    """One call of `derive`: the derivative functions made so far, each made once."""

    variants: dict[tuple, Variant] = field(default_factory=dict)
    in_progress: list[Callable] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    reserved: set[str] = field(default_factory=set)  # names of derivatives asked for, which internal ones avoid
    annotate: bool = False  # comments naming the primal statement of each derivative statement
    vector: bool = False  # forward mode with k directions on a leading axis of every tangent
    effects: dict[Callable, Effects] = field(default_factory=dict)  # the user's functions called, by function
    activities: dict[tuple, tuple[bool, ...] | None] = field(default_factory=dict)  # (fn, varied params) -> results
    # the caller (the Python API) makes the derivative again for the arguments' values where the
    # function needs them (NeedsValue); the CLI cannot, and the generated code checks them instead
    on_demand: bool = False
    # reverse mode's checkpointing of loops (transforms/checkpointing.py): the call's setting, which
    # applies to the outermost range loops of the function asked for (False: none, directives too)
    checkpoint: int | str | bool | None = None
    # a derivative specialized to its arguments: per parameter, what inference starts from
    # (analysis/inference.py); None: the general code
    arguments: dict | None = None
    check_only: bool = False  # stop after the analysis of the function asked for (`check`)

    def effects_of(self, fn: Callable) -> Effects:
        """What calling a function of the user's does besides computing its result (derived once)."""
        if fn not in self.effects:
            self.effects[fn] = NONE  # a recursive call finds this (recursion is refused elsewhere)
            try:
                self.effects[fn] = effects(normalized(parse_function(fn)), self.effects_of)
            except TransformError:
                pass  # one that cannot be differentiated is only ever run as it is, once
        return self.effects[fn]

    def outputs_varied(self, fn: Callable, varied: frozenset[str]) -> tuple[bool, ...] | None:
        """Which results of a function of the user's vary when the parameters `varied` do (its own
        activity analysis: a helper returning a shape, or a pair (array, shape), gives results that
        do not vary); None where it cannot be told (the caller then takes every result to vary)."""
        key = (fn, varied)
        if key not in self.activities:
            self.activities[key] = None  # (a recursive call finds this)
            try:
                ir = normalized(parse_function(fn))
                params = tuple(p.name for p in ir.params if p.name in varied)
                if params:
                    found = analyze(ir, params, self.outputs_varied)
                    self.activities[key] = tuple(isinstance(r, ast.Name) and r.id in found.varied
                                                 for r in ir.returns)
            except Exception:  # noqa: BLE001  (anything it cannot normalize: every result varies)
                pass
        return self.activities[key]

    def facts_of(self, ir: Function, arguments: dict | None, wrt: tuple[str, ...] = ()) -> dict | None:
        if arguments is None:
            return None
        for k, name in enumerate(wrt):  # a jvp's tangents: each shaped like its argument, or the general code
            given = arguments.get(f"{TANGENT}{k}")
            if given is not None and not _shaped_alike(given, [arguments.get(name, UNKNOWN)], False):
                return None
        facts = infer(ir, arguments, callee=_callee_ir)
        given = arguments.get(COTANGENT)
        if given is not None and not _shaped_alike(given, [Inference(ir).atom(r) if not isinstance(r, ast.Name)
                                                          else facts.get(r.id, UNKNOWN) for r in ir.returns],
                                                   ir.returns_tuple):
            return None  # a cotangent not shaped like the result (a 1.0 for an array): the general code
        return facts

    def variant(self, fn: Callable, mode: str, wrt: Any, internal: bool,
                dump_after: str | None = None, has_aux: bool = False, arguments: dict | None = None) -> Variant:
        """The derivative of fn (internal: for a call of it; arguments: what its arguments are known
        to be there, for one specialized to them)."""
        known = arguments if internal else self.arguments
        facts_key = tuple(sorted(known.items())) if known else None
        key = (fn, mode, wrt if not isinstance(wrt, list) else tuple(wrt), internal, has_aux, facts_key)
        if key not in self.variants:
            if fn in self.in_progress:
                raise UnsupportedSyntax(f"{getattr(fn, '__qualname__', fn)} calls itself (recursion); "
                                        "recursive functions cannot be differentiated yet",
                                        hint="write the recursion as a loop")
            self.in_progress.append(fn)
            try:
                self.variants[key] = self.make(fn, mode, wrt, internal, dump_after, has_aux,
                                               arguments if internal else self.arguments)
            finally:
                self.in_progress.pop()
        return self.variants[key]

    def make(self, fn: Callable, mode: str, wrt: Any, internal: bool, dump_after: str | None,
             has_aux: bool = False, arguments: dict | None = None) -> Variant:
        stage = "parse"
        try:
            key = (mode, has_aux, internal, self.on_demand and not internal)
            parsed, ir = kept.normalized_before(fn, key)
            if ir is None:
                parsed = parse_function(fn)
                parsed.scratch["values_on_demand"] = self.on_demand and not internal
                stage = "normalize"
                ir = _checked_and_normalized(parsed, mode, has_aux, internal)
                kept.remember(fn, key, parsed, ir)
            if dump_after == "normalize":
                print(dump(ir))
            names, single = resolve_wrt(ir, wrt)
            if internal and ir.writes_into_parameters:
                raise UnsupportedSyntax(
                    f"{ir.name} writes into its argument in place, which its caller would see",
                    ir.writes_into_parameters[0],
                    hint="copy the argument first (`v = v.copy()`), then write into the copy")
            stage = "analyze"
            check_updated_arguments(ir, self.effects_of)
            activity = analyze(ir, names, self.outputs_varied)
            if self.check_only and not internal:
                _refuse_recursion(ir, [getattr(fn, "function", fn)])
                raise _Checked()
            numpy_name = _numpy_name(parsed, ir)
            callees: list[Variant] = []

            def callee(target: Callable, callee_mode: str, callee_wrt: tuple[str, ...],
                       known: dict | None = None) -> Variant:
                try:
                    made = self.variant(target, callee_mode, callee_wrt, internal=True, arguments=known)
                except NeedsValue as need:
                    raise _passed_on(ir, parsed, target, need) from None
                if made not in callees:
                    callees.append(made)
                return made

            taken = set(ir.names) | HELPERS | {numpy_name}
            ctx = Context(ir, activity, names, numpy_name, Names(taken, own=set(ir.names)), bases(ir), callee=callee,
                          containers=containers(ir), annotate=self.annotate, effects=self.effects_of,
                          vector=self.vector,
                          checkpoint=self.checkpoint if not internal or self.checkpoint is False else None,
                          facts=self.facts_of(ir, arguments, names))
            stage = "transform"
            name = self.name_for("fwd" if mode == "split" else mode, ir.name, names, ir, internal)
            node, tangent_params, cotangent = _transform(ctx, mode, single, name, internal,
                                                         (has_aux, results.describe(parsed)))
            stage = "emit"
            used_globals = {k: v for a in walk(ir.body) if isinstance(a, Apply) for k, v in a.rule.globals.items()}
            used_globals.update({k: v for k, v in parsed.scratch.get("imported", {}).items()  # imports in the function
                                 if k in emit.names_in(node)})
            source = emit.module_source([node], numpy_name, used_globals, formatted=False)
            extra = {**used_globals, **{c.name: c.function for c in callees}}
            function = load(source, node.name, fn, numpy_name, emit.helpers_used(node), {**parsed.closure, **extra})
        except (TransformError, _Checked):
            raise
        except Exception as err:  # noqa: BLE001
            raise InternalError(
                f"tangent_src failed in its {stage} stage on {getattr(fn, '__qualname__', fn)}: "
                f"{type(err).__name__}: {err}",
                hint="this is a bug in tangent_src; please report it with the function that triggered it",
            ) from err
        if mode in ("grad", "value_and_grad") or internal:
            function.__defaults__ = getattr(fn, "__defaults__", None)
        function.__kwdefaults__ = {**(getattr(fn, "__kwdefaults__", None) or {})} or None
        return Variant(node.name, node, numpy_name, function, tangent_params, cotangent, single, callees,
                       used_globals)

    def name_for(self, mode: str, base: str, wrt: tuple[str, ...], ir: Function, internal: bool) -> str:
        positional = tuple(p.name for p in ir.params if p.kind == "positional")
        name = f"{mode}_{base}" if not internal or wrt == positional else f"{mode}_{base}_{'_'.join(wrt)}"
        candidate, k = name, 1
        while candidate in self.names or (internal and candidate in self.reserved):
            k += 1
            candidate = f"{name}_{k}"
        self.names.add(candidate)
        return candidate


def _shaped_alike(given: Abstract, results: list[Abstract], as_tuple: bool) -> bool:
    """Whether a vjp's cotangent may have its result's shape, a jvp's tangent its argument's (False
    only where it certainly has not)."""
    if as_tuple:
        return given.kind == "tuple" and given.items is not None and len(given.items) == len(results) \
            and all(_shaped_alike(g, [r], False) for g, r in zip(given.items, results))
    result = results[0]
    if result.kind in ("tuple", "dict") and result.items is not None:  # item by item
        return given.kind == result.kind and given.items is not None and len(given.items) == len(result.items) \
            and all(_shaped_alike(g, [r], False) for g, r in zip(given.items, result.items))
    shape = lambda a: () if a.kind in ("number", "scalar") else a.shape if a.kind == "array" else None  # noqa: E731
    mine, theirs = shape(given), shape(result)
    if result.kind == "unknown" or theirs is None:
        return True
    return mine is not None and len(mine) == len(theirs) and all(
        a == b or a is None or b is None for a, b in zip(mine, theirs))


def _callee_ir(fn: Callable) -> Function | None:
    """A function of the user's, normalized, for inference to follow a call into (None: it cannot)."""
    try:
        return normalized(parse_function(fn))
    except Exception:  # noqa: BLE001  (a call inference does not follow)
        return None


def normalized(parsed: ParsedFunction) -> Function:
    """The function normalized, its calls of the user's functions made for the functions and objects
    their arguments are, and checked for values the generated code could not hold."""
    ir = normalize(parsed)
    specialize_callees(ir, parsed)
    check_values(ir, parsed)
    return ir


def _checked_and_normalized(parsed: ParsedFunction, mode: str, has_aux: bool, internal: bool) -> Function:
    """results.check (a callee's results are whatever its caller makes of them), then normalization.
    Where either refuses a function that tests an argument with `is None` (`if y is None: return
    scores`), the derivative is made instead for the kind of argument given, at the first call, with
    only the branch that argument takes (NeedsValue: see api.py)."""
    try:
        if not internal:
            results.check(parsed, mode, has_aux)
        return normalized(parsed)
    except NeedsValue:
        raise
    except TransformError as err:
        tested = [name for name in none_tests(parsed) if name not in parsed.known]
        if internal or not tested:
            raise
        raise NeedsValue(tested[0], "function tests whether it is None, and cannot be derived for both ways "
                         f"({err.message})") from err


def _passed_on(ir: Function, parsed: ParsedFunction, target: Callable, need: NeedsValue) -> TransformError:
    """A callee needs the value of its argument `need.parameter`: where the caller passes one of its own
    parameters, whose value is not known either, the caller needs it; otherwise the call is refused
    (at the call: callee_variant gives the place)."""
    name = getattr(target, "__name__", "the function")
    for stmt in walk(ir.body):
        if isinstance(stmt, Apply) and stmt.rule.callee == target:
            atom = stmt.args.get(need.parameter)
            if isinstance(atom, ast.Name) and atom.id in {p.name for p in ir.params} and atom.id not in parsed.known:
                return NeedsValue(atom.id, f"call passes it to `{name}`, which {need.doing}",
                                  stmt.span)
    return UnsupportedSyntax(f"`{name}` needs the value of its argument `{need.parameter}` (it {need.doing}), "
                             "and the value passed here is not known when the derivative is made",
                             hint="pass a module-level function or object by its name, or a parameter of the "
                             "function you differentiate")


def _refuse_recursion(ir: Function, stack: list) -> None:
    """A call, from here or from the functions called, of a function being called: refused where
    the transformation would refuse it (variant), at the call."""
    for apply in walk(ir.body):
        target = getattr(getattr(apply, "rule", None), "callee", None)
        if target is None:
            continue
        plain = getattr(target, "function", target)
        if plain in stack:
            raise UnsupportedSyntax(f"{getattr(plain, '__qualname__', plain)} calls itself (recursion); "
                                    "recursive functions cannot be differentiated yet", apply.span,
                                    hint="write the recursion as a loop")
        inner = _callee_ir(target)
        if inner is not None and len(stack) < 16:
            _refuse_recursion(inner, [*stack, plain])


class _Checked(Exception):
    """A check of a function (`check`) got through its analysis: what would refuse it there did not."""


def check(fn: Callable, mode: str, wrt: Any, has_aux: bool = False, on_demand: bool = False) -> None:
    """Parse, normalize and analyze the function as `derive` does, raising what they refuse, and
    stop there (a derivative made at its first call, for its arguments, refuses the rest then); the
    normalized IR is kept for that derivative."""
    try:
        Session(on_demand=on_demand, check_only=True).variant(fn, mode, wrt, internal=False, has_aux=has_aux)
    except _Checked:
        pass


def derive(fn: Callable, mode: str, wrt: Any, dump_after: str | None = None, annotate: bool = False,
           has_aux: bool = False, on_demand: bool = False, vector: bool = False,
           checkpoint: int | str | bool | None = None, arguments: dict | None = None) -> Derivative:
    """Run every stage for one (function, mode, wrt), and for the functions of the user's it calls.

    dump_after="normalize" prints the function in its normalized form, one
    primitive per line, for debugging the stages. has_aux (grad, value_and_grad):
    the function returns (value, aux), and aux is passed through undifferentiated. checkpoint:
    see transforms/checkpointing.py.
    """
    session = Session(annotate=annotate, on_demand=on_demand, vector=vector, checkpoint=checkpoint,
                      arguments=arguments)
    main = session.variant(fn, mode, wrt, internal=False, dump_after=dump_after, has_aux=has_aux)
    ordered: list[Variant] = []
    _callees_first(main, ordered)
    names = {k: v for variant in ordered for k, v in variant.names.items()}
    return Derivative(fn, mode, tuple(main.tangent_params), main.single, main.name, tuple(v.node for v in ordered),
                      main.numpy, names, main.function)


def derive_all(requests: list[tuple[Callable, str, Any]], annotate: bool = False,
               has_aux: bool = False, checkpoint: int | str | bool | None = None,
               arguments: dict[Callable, dict] | None = None) -> tuple[list[Variant], list[Variant]]:
    """Several derivatives made in one session, so that functions they share are derived once.

    Returns the requested variants, and every variant to write, callees first.
    has_aux applies to the grad and value_and_grad requests. arguments: per function, what its
    parameters are (analysis/inference.py's Abstract: from --like or annotations), for code
    specialized to them; a function without gets the general code.
    """
    session = Session(annotate=annotate, reserved={f"{mode}_{fn.__name__}" for fn, mode, _ in requests},
                      checkpoint=checkpoint)
    mains = []
    for fn, mode, wrt in requests:
        session.arguments = (arguments or {}).get(fn) or None
        mains.append(session.variant(fn, mode, wrt, internal=False,
                                     has_aux=has_aux and mode in ("grad", "value_and_grad")))
    ordered: list[Variant] = []
    for main in mains:
        _callees_first(main, ordered)
    return mains, ordered


def _callees_first(variant: Variant, ordered: list[Variant]) -> None:
    for callee in variant.callees:
        _callees_first(callee, ordered)
    if variant not in ordered:
        ordered.append(variant)


def resolve_wrt(ir: Function, wrt: Any) -> tuple[tuple[str, ...], bool]:
    """`wrt` (index, name, or tuple of them) as parameter names, and whether it was a single one."""
    single = not isinstance(wrt, (tuple, list))
    items = [wrt] if single else list(wrt)
    positional = [p.name for p in ir.params if p.kind == "positional"]
    keyword = {p.name for p in ir.params if p.kind == "keyword"}
    names: list[str] = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise BadWrt(f"wrt must be a parameter index, a name, or a tuple of them; got {item!r}", ir.span)
        if isinstance(item, int):
            if not 0 <= item < len(positional):
                raise BadWrt(f"wrt={item} is out of range: {ir.name} has {len(positional)} positional "
                             f"parameters {tuple(positional)}", ir.span)
            item = positional[item]
        elif item not in positional and item not in keyword:
            raise BadWrt(f"{ir.name} has no parameter named {item!r}; its parameters are {tuple(positional)}",
                         ir.span, hint="pass wrt as one of those names or as an index")
        if item in names:
            raise BadWrt(f"the parameter {item!r} appears twice in wrt", ir.span)
        names.append(item)
    if not names:
        raise BadWrt("wrt names no parameter", ir.span)
    return tuple(names), single


def _numpy_name(parsed: ParsedFunction, ir: Function) -> str:
    if "np" not in ir.names:
        return "np"
    try:
        return "np" if parsed.lookup("np") is numpy else "numpy_"
    except KeyError:
        return "np"


def _transform(ctx: Context, mode: str, single: bool, name: str, internal: bool,
               result: tuple[bool, str] = (False, "the result")) -> tuple[ast.FunctionDef, dict[str, str], str | None]:
    """The derivative function; internal ones (for calls) keep defaults and take their
    tangents or cotangent by keyword. result: (has_aux, how a runtime error names the result)."""
    fn = ctx.fn
    has_aux, described = result
    keep_defaults = mode in ("grad", "value_and_grad") or internal
    params = [(p.name, p.default if keep_defaults else None) for p in fn.params if p.kind == "positional"]
    keyword = [(p.name, p.default) for p in fn.params if p.kind == "keyword"]
    extra: list[tuple[str, str | None]] = []  # the tangents or the cotangent
    value = _pack(fn.returns, fn.returns_tuple)
    tangent_params: dict[str, str] = dict.fromkeys(ctx.wrt, "")
    cotangent: str | None = None
    if mode == "jvp":
        code = forward.transform(ctx, vector=ctx.vector)
        returns = [value, _pack(code.tangents, fn.returns_tuple)]
        body = code.body
        extra += [(t, None) for t in code.tangent_params]
        tangent_params = dict(zip(ctx.wrt, code.tangent_params))
    else:
        rcode = reverse.transform(ctx, seed_scalar=mode not in ("vjp", "split"), has_aux=has_aux, result=described)
        value = _pack(rcode.values, fn.returns_tuple)
        grads = _pack(rcode.gradients, not single)
        returns = [value, grads] if mode == "value_and_grad" else [grads]
        if has_aux and mode == "grad":
            returns.append(rcode.values[1])
        body = rcode.body
        if mode in ("vjp", "split"):
            cotangent, prologue = _cotangent_parameter(ctx, rcode.cotangent_params, fn.returns_tuple)
            extra.append((cotangent, None))
            body = prologue + body if mode == "vjp" else body
        if mode == "split":  # a callee with effects: fwd_g, which returns its reverse sweep bwd_g
            body, marker = split.marked(rcode.body, rcode.split, prologue)
            returns = [value, grads]
    parameters = {p for p, _ in params + keyword + extra}
    if not internal:  # the caller of an internal derivative has checked already
        body = [ast.Expr(ast.Call(ast.Name("check_real"), [ast.Name(w) for w in ctx.wrt], []))] + body
    body = optimize.drop_restores(body)
    if ctx.facts is not None:  # specialized: helpers whose work the shapes tell, written as that work
        own = tuple(p.name for p in fn.params)
        body = lean.fold(body, ctx.facts, ctx.numpy, ctx.wrt, own)
        body = lean.propagate_constants(body, returns, ctx.derivative_names)
        body = lean.fold(body, ctx.facts, ctx.numpy, ctx.wrt, own)  # (what the seed's 1.0 made numbers)
    body = optimize.propagate_copies(body, returns, set(fn.generated) | ctx.derivative_names, parameters)
    body = optimize.fold_first_contributions(body, ctx.derivative_names)
    body = optimize.remove_dead(body, returns)
    body = optimize.accumulate_in_place(body, parameters)
    if ctx.facts is not None:
        body = lean.inline_add_at(body, ctx.facts, ctx.numpy)
    if ctx.annotate:
        body = annotate.insert_markers(body)
    if mode == "split":
        back = ctx.names.fresh(name.replace("fwd_", "bwd_", 1))
        docs = split.docstrings(fn.name, ", ".join(p.name for p in fn.params), ctx.wrt, single, back, cotangent)
        node = split.forward_function(name, back, params, keyword, docs, body, marker, returns, cotangent)
        return node, tangent_params, cotangent
    returned = returns[0] if len(returns) == 1 else ast.Tuple(returns)
    doc = docstrings.describe(fn, mode, ctx.wrt, single, [p for p, _ in params + extra], internal, has_aux,
                              ctx.names)
    if internal:
        keyword += extra
    else:
        params += extra
    node = emit.function_def(name, params, keyword, doc, body, returned)
    return node, tangent_params, cotangent


def _pack(values: list[ast.expr], as_tuple: bool) -> ast.expr:
    return ast.Tuple(list(values)) if as_tuple else values[0]


def _cotangent_parameter(ctx: Context, cotangents: list[str], as_tuple: bool) -> tuple[str, list[ast.stmt]]:
    if not as_tuple:
        return cotangents[0], []
    param = ctx.names.fresh("cotangents")
    target = ast.Tuple([ast.Name(c, ast.Store()) for c in cotangents], ast.Store())
    return param, [ast.Assign([target], ast.Name(param), lineno=0)]


__all__ = ["Derivative", "MODES", "Variant", "check", "derive", "derive_all", "resolve_wrt"]
