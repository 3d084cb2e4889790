"""The public API: grad, value_and_grad, vjp, jvp, source, differentiate; and the derivative cache.

Derivatives are generated once per (function, mode, wrt, has_aux) and cached;
the returned objects are the generated functions themselves (for vjp and jvp, a
thin wrapper that binds the primal arguments as the function does: see
`_bind`), so calling one costs nothing beyond the derivative code.

What can be differentiated (`_unbind`): a `def` or a lambda; a bound method
(`model.loss`: self is bound, the derivative takes the method's other
arguments); an object with `__call__`; `functools.partial(f, a)` (a is bound);
a `@differentiate` function; a primitive of the rule table itself (`np.sin`,
through a one-line wrapper whose body calls it). `wrt` may name an attribute
path of an argument (`wrt="self.params"`): it becomes a parameter of its own.

A function that calls one of its arguments, or a method of one (`f(y)`,
`model.forward(x)`), is derived at the first call of its derivative, for the
function or object passed (`_Lazy`); another function or object makes another
derivative.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import linecache
import sys
import types
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy

from typing import TYPE_CHECKING

from . import numba_target
from .decorator import Differentiable, differentiate  # noqa: F401  (re-exported)
from .errors import BadWrt, MissingRule
from .runtime.directions import direction_count
from .specialization import Specialized

if TYPE_CHECKING:
    from .pipeline import Derivative

# The transformer (libcst, the rule table, the stages) is imported when the first derivative is
# made, not by `import tangent_src`: see _stages.
MODES = ("grad", "value_and_grad", "vjp", "jvp")


def _stages():  # noqa: ANN202
    """The modules that make derivatives, imported at first use (they take most of the import time)."""
    from . import pipeline
    from .analysis import inference
    from .frontend import functions, source
    from .rules import registry

    return pipeline, functions, source, registry, inference

# fn (or what stands for it: a bound method's function) -> key -> the function handed to the user
_CACHE: "weakref.WeakKeyDictionary[Callable, dict[tuple, Callable]]" = weakref.WeakKeyDictionary()


def _wrt_key(wrt: Any) -> tuple:
    return ("tuple", tuple(wrt)) if isinstance(wrt, (tuple, list)) else ("one", wrt)


def _slot(fn: Callable) -> tuple[Any, Any]:
    """A weakly referable object to cache fn's derivatives under, and what else tells fn apart."""
    if isinstance(fn, types.MethodType):
        return fn.__func__, ("self", id(fn.__self__))  # made anew at each `model.loss`
    try:
        weakref.ref(fn)
        return fn, None
    except TypeError:
        wrapper = _primitive_wrapper(fn)
        return (wrapper, None) if wrapper is not None else (type(fn), ("object", id(fn)))


def _derivative(fn: Callable, mode: str, wrt: Any, annotate: bool = False, has_aux: bool = False,
                checkpoint: int | str | bool | None = None, specialize: bool = False,
                target: str | None = None) -> Callable:
    _check_checkpoint(checkpoint)
    if target not in (None, "python", "numba"):
        raise ValueError(f"target must be None (CPython) or 'numba', not {target!r}")
    if target == "numba" and not specialize:
        raise ValueError("target='numba' compiles the code made for each call's argument shapes: it needs "
                         "specialize=True (the default)")
    if target == "numba":
        numba_target.numba_module()  # (the extra installed: said now, not at the first call)
    holder, which = _slot(fn)
    per_function = _CACHE.setdefault(holder, {})
    key = (which, mode, _wrt_key(wrt), annotate, has_aux, checkpoint, specialize, target)
    if key not in per_function:
        per_function[key] = _specialized(fn, mode, wrt, annotate, has_aux, checkpoint, target) if specialize \
            else _make(fn, mode, wrt, annotate, has_aux, checkpoint)
    return per_function[key]


def _specialized(fn: Callable, mode: str, wrt: Any, annotate: bool, has_aux: bool,
                 checkpoint: int | str | bool | None, target_name: str | None = None) -> Specialized:
    target = _unbind(fn)
    count = 0 if mode in ("grad", "value_and_grad") else 1 if mode == "vjp" else \
        (len(wrt) if isinstance(wrt, (tuple, list)) else 1)

    def make(arguments: dict | None) -> Callable:
        if arguments is None:  # the general code: the very derivative specialize=False gives
            return _derivative(fn, mode, wrt, annotate, has_aux, checkpoint, specialize=False)
        compiled = target_name == "numba"  # (the general code stays CPython's)
        return _make(fn, mode, wrt, annotate, has_aux, checkpoint, arguments=arguments, numba=compiled)

    made = Specialized(fn, target.function, target.leading, target.keywords, count, make, tangents=mode == "jvp")
    _make(fn, mode, wrt, annotate, has_aux, checkpoint, check_only=True)  # refused now, what the source shows
    return made


def _check_checkpoint(checkpoint: Any) -> None:
    if checkpoint is None or checkpoint is False or checkpoint == "sqrt" \
            or isinstance(checkpoint, int) and not isinstance(checkpoint, bool) and checkpoint >= 1:
        return
    raise ValueError(f"checkpoint must be a number of snapshots >= 1, 'sqrt', None (only the loops a "
                     f"`# tangent_src: checkpoint(...)` directive marks) or False (none); got {checkpoint!r}")


@dataclass
class _Target:
    """What the user's callable runs: a function of theirs, and the arguments it binds first."""

    function: Callable  # a def or a lambda (or the wrapper of a primitive)
    leading: tuple = ()  # positional arguments bound before the caller's (self, a partial's)
    keywords: dict = field(default_factory=dict)  # keyword arguments bound (a partial's)


def _unbind(fn: Callable) -> _Target:
    if isinstance(fn, Differentiable):
        return _unbind(fn.function)
    if isinstance(fn, Specialized) or isinstance(getattr(fn, "__wrapped__", None), Specialized):
        made = fn if isinstance(fn, Specialized) else fn.__wrapped__  # (a derivative, or one functools.wraps wrapped)
        return _unbind(made.general)  # differentiated again: its general code
    derivative = getattr(fn, "__tangent_src_target__", None)
    if derivative is not None:  # a derivative made here: its generated code, bound as the user calls it
        return derivative
    if isinstance(fn, _Lazy):
        raise MissingRule(f"the derivative {getattr(fn, '__name__', fn)!r} is made at its first call (the function "
                          "calls a function or an object passed to it), so there is no code yet to differentiate",
                          hint="pass the function or object it calls with functools.partial (then the derivative "
                          "is made at once), or make it a global")
    if isinstance(fn, functools.partial):
        inner = _unbind(fn.func)
        return _Target(inner.function, (*inner.leading, *fn.args), {**inner.keywords, **fn.keywords})
    if isinstance(fn, types.MethodType):
        inner = _unbind(fn.__func__)
        return _Target(inner.function, (fn.__self__, *inner.leading), inner.keywords)
    if isinstance(fn, types.FunctionType) and not _library(fn):
        return _Target(fn)
    wrapper = _primitive_wrapper(fn)
    if wrapper is not None:
        return _Target(wrapper)
    call = inspect.getattr_static(type(fn), "__call__", None)
    if isinstance(call, types.FunctionType) and not isinstance(fn, type):
        return _Target(call, (fn,))
    raise MissingRule(f"{getattr(fn, '__qualname__', fn)!r} is neither a function of yours nor a primitive of the "
                      "rule table", hint="differentiate a def or a lambda (or a bound method, a partial, an object "
                      "with __call__); `python -m tangent_src rules` lists the primitives")


def _library(fn: Callable) -> bool:
    return (getattr(fn, "__module__", "") or "").split(".")[0] in {"numpy", "scipy", "math", "builtins"}


_WRAPPERS: dict[str, Callable] = {}


def _primitive_wrapper(obj: Any) -> Callable | None:
    """`def sin(x): return np.sin(x)` for a primitive of the rule table (its source registered in
    linecache, as for any function), so that `grad(np.sin)` differentiates a function of one call."""
    registry = _stages()[3]
    try:
        key = registry.key_of(obj)
    except TypeError:
        return None
    rule = registry.lookup(key) if key else None
    if rule is None:
        return None
    if key not in _WRAPPERS:
        params, passed, keyword_only = [], [], False
        for p in rule.signature.parameters.values():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                return None
            if p.default is not p.empty and not _literal(p.default):
                continue  # left to the primitive's own default
            if p.kind is p.KEYWORD_ONLY and not keyword_only:
                params.append("*")
                keyword_only = True
            params.append(p.name if p.default is p.empty else f"{p.name}={p.default!r}")
            passed.append(p.name if p.kind is not p.KEYWORD_ONLY and p.default is p.empty else f"{p.name}={p.name}")
        root, _, rest = key.partition(".")
        spelled = f"np.{rest}" if root == "numpy" else key
        name = key.rsplit(".", 1)[1]
        source = f"def {name}({', '.join(params)}):\n    return {spelled}({', '.join(passed)})\n"
        filename = f"<tangent_src: the primitive {key}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        namespace = {"__name__": "tangent_src.primitives", "np": numpy, root: sys.modules.get(root, numpy)}
        exec(compile(source, filename, "exec"), namespace)  # noqa: S102
        _WRAPPERS[key] = namespace[name]
    return _WRAPPERS[key]


def _literal(value: Any) -> bool:
    import ast

    try:
        return ast.literal_eval(repr(value)) == value
    except (ValueError, SyntaxError):
        return False


def _map_wrt(target: _Target, wrt: Any) -> tuple[Any, dict[str, str]]:
    """wrt in terms of target.function's parameters (an index counts the parameters left to the
    caller), and the attribute paths it names: path -> the parameter standing for it."""
    single = not isinstance(wrt, (tuple, list))
    items = [wrt] if single else list(wrt)
    attributes: dict[str, str] = {}
    signature = inspect.signature(target.function)
    positional = [p.name for p in signature.parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    bound = set(positional[:len(target.leading)]) | set(target.keywords)
    public = [n for n in positional[len(target.leading):] if n not in target.keywords]
    mapped: list[Any] = []
    for item in items:
        if isinstance(item, str) and "." in item:
            if item.split(".")[0] not in signature.parameters:
                raise BadWrt(f"wrt={item!r}: {getattr(target.function, '__name__', 'the function')} has no "
                             f"parameter named {item.split('.')[0]!r}; its parameters are "
                             f"{tuple(signature.parameters)}",
                             hint="name an attribute of a parameter, such as wrt='self.params'")
            attributes[item] = _stages()[2].attribute_parameter(target.function, item)
            mapped.append(attributes[item])
        elif not bound:
            mapped.append(item)
        elif isinstance(item, int) and not isinstance(item, bool):
            if not 0 <= item < len(public):
                raise BadWrt(f"wrt={item} is out of range: the function takes {len(public)} positional arguments "
                             f"{tuple(public)}")
            mapped.append(public[item])
        elif isinstance(item, str) and item in bound:
            raise BadWrt(f"wrt={item!r} names an argument already bound (self of a method, or a partial's)",
                         hint="differentiate with respect to the arguments left to the caller, or an attribute "
                         "path such as wrt='self.params'")
        else:
            mapped.append(item)
    return (mapped[0] if single else tuple(mapped)), attributes


def _make(fn: Callable, mode: str, wrt: Any, annotate: bool, has_aux: bool,
          checkpoint: int | str | bool | None = None, arguments: dict | None = None, numba: bool = False,
          check_only: bool = False) -> Callable:
    """The derivative (check_only: parse, normalize and analyze it only, raising what they refuse;
    where it is made at its first call for the functions passed in, nothing)."""
    pipeline, functions, source, *_ = _stages()
    vector = mode == "vector_jvp"  # forward mode, k directions on a leading axis of each tangent
    mode = "jvp" if vector else mode
    target = _unbind(fn)
    names, attributes = _map_wrt(target, wrt)
    signature = inspect.signature(target.function)
    positional = list(signature.parameters)
    known = {positional[i]: v for i, v in enumerate(target.leading)
             if i < len(positional) and functions.specializable(v)}
    known.update({k: v for k, v in target.keywords.items() if functions.specializable(v)})
    count = {"vjp": 1, "jvp": len(names) if isinstance(names, tuple) else 1}.get(mode, 0)

    def build(values: dict[str, Any], on_demand: bool = True) -> Callable:
        function = source.specialized(target.function, {**known, **values}, attributes)
        if check_only:
            pipeline.check(function, mode, names, has_aux=has_aux, on_demand=on_demand)
            return None  # type: ignore[return-value]
        made = pipeline.derive(function, mode, names, annotate=annotate, has_aux=has_aux, on_demand=on_demand,
                               vector=vector, checkpoint=checkpoint, arguments=arguments)
        if numba:  # the same code, compiled by numba.njit (numba_target.py)
            made = dataclasses.replace(made, function=numba_target.compiled(made.function, made.primal.__name__))
        return _published(made, target, count, attributes)

    roots = sorted({path.split(".")[0] for path in attributes} - set(known))
    if roots and check_only:
        return None  # type: ignore[return-value]
    if roots:
        return _Lazy(fn, target, build, roots, count)
    try:
        return build({})
    except functions.NeedsValue as need:
        if check_only:
            return None  # type: ignore[return-value]
        lazy = _Lazy(fn, target, build, [need.parameter], count)
        if need.doing != functions.LOOPS_OVER:
            return lazy
    try:  # loops over arguments: made now for sequences (the code checks), again for a dict given
        return _unless_dict(build({}, on_demand=False), lazy)
    except functions.NeedsValue:
        return lazy


def _unless_dict(made: Callable, lazy: "_Lazy") -> Callable:
    """The derivative made for arguments that are sequences, and made again (by `lazy`) where a
    call passes a dict, whose loop gives its keys."""

    @functools.wraps(made)
    def call(*args: Any, **kwargs: Any) -> Any:
        if any(isinstance(a, dict) for a in args) or any(isinstance(a, dict) for a in kwargs.values()):
            return lazy(*args, **kwargs)
        return made(*args, **kwargs)

    return call  # (functools.wraps copied __tangent_src__ and the notebook views with made's __dict__)


def _published(made: Derivative, target: _Target, count: int, attributes: dict[str, str]) -> Callable:
    public = _bind(target, made.function, count, attributes)
    public.__tangent_src__ = made  # type: ignore[attr-defined]
    if not attributes:  # differentiated again, it is the generated function, bound as target binds f
        public.__tangent_src_target__ = _Target(made.function, target.leading, target.keywords)  # type: ignore
    # (IPython/Jupyter; the text is formatted when first shown)
    public._repr_html_ = lambda: SourceCode(made.source)._repr_html_()  # type: ignore[attr-defined]
    public._repr_markdown_ = lambda: SourceCode(made.source)._repr_markdown_()  # type: ignore[attr-defined]
    return public


def _bind(target: _Target, derivative: Callable, count: int, attributes: dict[str, str]) -> Callable:
    """`vjp_f(*args, cotangent)` / `jvp_f(*args, *tangents)` / `grad_f(*args)` called as the user calls f.

    The rule: the last `count` positional arguments are the cotangent (vjp) or the
    tangents (jvp); all the others, and every keyword argument, are f's own, bound
    as f binds them (so a parameter with a default may be left out, or given by
    name), after the arguments the target binds itself (self, a partial's); each
    attribute path differentiated is read from its object at each call. The
    generated function takes every primal parameter, then the extras."""
    primal = inspect.signature(target.function)
    generated = list(inspect.signature(derivative).parameters.values())
    positional = [p.name for p in generated if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    names, extras = positional[:len(positional) - count], positional[len(positional) - count:]
    keyword = [p.name for p in generated if p.kind is inspect.Parameter.KEYWORD_ONLY
               and p.name not in attributes.values()]
    total = len(positional)
    plain = not target.leading and not target.keywords and not attributes
    if plain and count == 0:
        return derivative
    name = getattr(target.function, "__name__", "f")

    @functools.wraps(derivative)
    def call(*args: Any, **kwargs: Any) -> Any:
        if plain and not kwargs and len(args) == total:
            return derivative(*args)
        args, kwargs = (*target.leading, *args), {**target.keywords, **kwargs}
        given = {k: kwargs.pop(k) for k in extras if k in kwargs}
        missing = [k for k in extras if k not in given]
        split = len(args) - len(missing)
        if split < 0:
            raise TypeError(f"{derivative.__name__}() takes {name}'s arguments, then "
                            f"{', '.join(extras)}; got {len(args)} positional arguments")
        given.update(zip(missing, args[split:]))
        bound = primal.bind(*args[:split], **kwargs)
        bound.apply_defaults()
        read = {parameter: _read_path(bound.arguments, path) for path, parameter in attributes.items()}
        return derivative(*(bound.arguments[n] for n in names), *(given[k] for k in extras),
                          **{k: bound.arguments[k] for k in keyword if k in bound.arguments}, **read)

    return call


def _read_path(arguments: dict[str, Any], path: str) -> Any:
    root, *rest = path.split(".")
    value = arguments[root]
    for part in rest:
        value = getattr(value, part)
    return value


class _Lazy:
    """The derivative of a function that calls an argument, or a method of one: made at the first
    call for the functions and objects passed (a plain value, such as an array, counts by its type),
    and again for others."""

    def __init__(self, fn: Callable, target: _Target, build: Callable, needed: list[str], count: int):
        functools.update_wrapper(self, target.function)
        self._target, self._build, self._needed, self._count = target, build, list(needed), count
        self._primal = inspect.signature(target.function)
        self._made: dict[tuple, Callable] = {}
        self._values: dict[tuple, dict[str, Any]] = {}  # keeps the objects keyed by id alive
        self._last: Callable | None = None

    def _arguments(self, args: tuple, kwargs: dict) -> dict[str, Any]:
        args, kwargs = (*self._target.leading, *args), {**self._target.keywords, **kwargs}
        own = {k: v for k, v in kwargs.items() if k in self._primal.parameters}
        extras = self._count - (len(kwargs) - len(own))
        bound = self._primal.bind_partial(*args[:len(args) - max(extras, 0)], **own)
        bound.apply_defaults()
        return dict(bound.arguments)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        arguments = self._arguments(args, kwargs)
        _, functions, source, *_ = _stages()
        while True:
            values = {p: arguments.get(p) for p in self._needed}
            key = tuple((p, source.identity(v) if functions.specializable(v) else ("plain", type(v)))
                        for p, v in values.items())
            if key in self._made:
                break
            try:
                self._made[key] = self._build({p: v if functions.specializable(v) else functions.Opaque.of(type(v))
                                               for p, v in values.items()})
                self._values[key] = values
                break
            except functions.NeedsValue as need:
                if need.parameter in self._needed or need.parameter not in arguments:
                    raise
                self._needed.append(need.parameter)
        self._last = self._made[key]
        return self._last(*args, **kwargs)

    @property
    def __tangent_src__(self) -> Derivative:
        if self._last is None:
            raise AttributeError("__tangent_src__")
        return self._last.__tangent_src__  # type: ignore[attr-defined]


def grad(fn: Callable, wrt: Any = 0, *, has_aux: bool = False, annotate: bool = False,
         checkpoint: int | str | bool | None = None, specialize: bool = True, target: str | None = None) -> Callable:
    """The gradient of fn's scalar result: `grad(f, wrt=0)(*args)`.

    has_aux=True: fn returns `(value, aux)` with value a scalar; the derivative
    returns `(gradient, aux)`, aux as fn returns it (never differentiated).
    annotate=True comments each derivative statement with the statement it comes from.
    checkpoint=k: each outermost `for t in range(n)` loop of fn keeps at most k snapshots
    of the values it carries and runs trips again from them (binomial checkpointing: the
    fewest trips run again), instead of recording every trip; checkpoint="sqrt": snapshots
    every ceil(sqrt(n)) trips; None: only loops marked `# tangent_src: checkpoint(snapshots=k)`
    on the line before them; False: no loop, marked or not. See the README's "Memory".
    specialize=True (the default): the derivative is made at the first call for the signature of
    its arguments (kinds, ranks, dtypes, which dimensions are equal and which are 1), and again for
    each other signature, with the runtime helpers whose work those shapes tell written as that work
    (no `unbroadcast` of equal shapes, `g @ W.T` for a matrix product, `bx[i] += g`: see
    codegen/lean.py); `ts.source(g, *args)` shows that code, `ts.source(g)` the general code, which
    specialize=False makes for every call.
    target="numba": that code compiled by numba.njit (scalar loops; `pip install 'tangent_src[numba]'`);
    where it leaves numba's subset, the first call says which line.
    """
    return _derivative(fn, "grad", wrt, annotate, has_aux, checkpoint, specialize=specialize, target=target)


def value_and_grad(fn: Callable, wrt: Any = 0, *, has_aux: bool = False, annotate: bool = False,
                   checkpoint: int | str | bool | None = None, specialize: bool = True,
                   target: str | None = None) -> Callable:
    """`value_and_grad(f, wrt)(*args)` returns (f(*args), gradient).

    has_aux=True: fn returns `(value, aux)` with value a scalar; the derivative
    returns `((value, aux), gradient)`, aux never differentiated.
    annotate=True comments each derivative statement with the statement it comes from.
    checkpoint, specialize, target: as for grad.
    """
    return _derivative(fn, "value_and_grad", wrt, annotate, has_aux, checkpoint, specialize=specialize,
                       target=target)


def vjp(fn: Callable, wrt: Any = 0, *, annotate: bool = False,
        checkpoint: int | str | bool | None = None, specialize: bool = True, target: str | None = None) -> Callable:
    """`vjp(f, wrt)(*args, cotangent)`: the cotangent (shaped like f's result) pulled back.

    The last positional argument is the cotangent; the others and the keyword
    arguments are f's, bound as f binds them (defaults may be left out).
    annotate=True comments each derivative statement with the statement it comes from.
    checkpoint, specialize, target: as for grad.
    """
    return _derivative(fn, "vjp", wrt, annotate, checkpoint=checkpoint, specialize=specialize, target=target)


def jvp(fn: Callable, wrt: Any = 0, *, annotate: bool = False, directions: int | None = None,
        specialize: bool = True) -> Callable:
    """`jvp(f, wrt)(*args, *tangents)` returns (f(*args), the tangent of the result).

    The last len(wrt) positional arguments are the tangents, one per wrt parameter;
    the others and the keyword arguments are f's, bound as f binds them.
    annotate=True comments each derivative statement with the statement it comes from.
    directions=k: vector forward mode (Tapenade's -vector): each tangent carries k directions on a
    leading axis (shape (k,) + the argument's shape), and so does the result's tangent, all in one
    sweep; elementwise operations broadcast over the directions, the others run once per direction.
    specialize: as for grad (tangents not shaped like their arguments get the general code; vector
    mode is not specialized).
    """
    if directions is None:
        return _derivative(fn, "jvp", wrt, annotate, specialize=specialize)
    if isinstance(directions, bool) or not isinstance(directions, int) or directions < 1:
        raise ValueError(f"directions must be a positive int (the number of tangents), got {directions!r}")
    made = _derivative(fn, "vector_jvp", wrt, annotate)
    count = len(wrt) if isinstance(wrt, (tuple, list)) else 1

    @functools.wraps(made)
    def in_directions(*args: Any, **kwargs: Any) -> Any:
        tangents = args[len(args) - count:]
        found = direction_count(*tangents)
        if found is not None and found != directions:
            raise ValueError(f"jvp(..., directions={directions}) got tangents with {found} directions on their "
                             "leading axis")
        value, tangent = made(*args, **kwargs)
        return value, _along(tangent, value, directions, tangents)

    in_directions.directions = directions  # type: ignore[attr-defined]
    return in_directions


def _along(tangent: Any, value: Any, directions: int, tangents: tuple) -> Any:
    """The result's tangent with its direction axis where it is a zero number (a constant result)."""
    if isinstance(tangent, (tuple, list)):
        return type(tangent)(_along(t, v, directions, tangents) for t, v in zip(tangent, value))
    if isinstance(tangent, dict):
        return {k: _along(t, value[k], directions, tangents) for k, t in tangent.items()}
    if hasattr(tangent, "shape") and numpy.ndim(tangent) == numpy.ndim(value) + 1:
        return tangent
    like = next((t for t in tangents if hasattr(t, "shape")), None)
    zeros = numpy.zeros_like(like, shape=(directions,) + numpy.shape(value)) if like is not None \
        else numpy.zeros((directions,) + numpy.shape(value))
    return zeros + tangent


class SourceCode(str):
    """Generated source text: a str that IPython and Jupyter show highlighted."""

    def _repr_html_(self) -> str:
        from .codegen.html import code_html

        return code_html(self)

    def _repr_markdown_(self) -> str:
        return f"```python\n{self}```"


def source(derivative: Callable, *args: Any, **kwargs: Any) -> SourceCode:
    """The generated source text of a derivative made by grad, value_and_grad, vjp or jvp: given the
    arguments (as the derivative takes them), the code specialized to their signature; without, the
    general code (for any arguments)."""
    while not isinstance(derivative, (Specialized, _Lazy)) and not hasattr(derivative, "__tangent_src__") \
            and hasattr(derivative, "__wrapped__"):
        derivative = derivative.__wrapped__  # a derivative wrapped by functools.wraps
    if isinstance(derivative, Specialized) and (args or kwargs):
        derivative = derivative.for_arguments(args, kwargs)
    elif isinstance(derivative, Specialized):  # the general code (made at a call too for functions passed in)
        general = derivative.general
        derivative = derivative._last if isinstance(general, _Lazy) and general._last is None \
            and derivative._last is not None else general
    if isinstance(derivative, _Lazy) and derivative._last is None:
        raise TypeError(f"the derivative of {derivative.__name__} is made at its first call, for the functions "
                        "and objects it is given: call it once, then ask for its source")
    made = getattr(derivative, "__tangent_src__", None)
    if made is None:
        raise TypeError(f"{derivative!r} was not made by tangent_src (use grad, value_and_grad, vjp or jvp)")
    return SourceCode(made.source)
