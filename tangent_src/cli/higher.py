"""`tangent-src derive --mode hvp|hessian|jacobian`: second derivatives and Jacobians, written out.

Stage: none (command line). A Hessian-vector product is the forward-mode derivative of the
generated gradient: the gradient is made in one session and loaded (its source stays readable,
as for any derivative), then differentiated again in a second session. Small wrapper functions,
written here as plain numpy code, give hvp_f (v shaped like the argument), hessian_f (one hvp per
element) and jacobian_f (columns of jvp_f or rows of vjp_f, whichever sweeps fewer times).
"""

from __future__ import annotations

import ast
from typing import Any, Callable

from ..errors import BadWrt
from ..pipeline import Variant, derive_all

HIGHER_MODES = ("hvp", "hessian", "jacobian")


def derive_higher(fn: Callable, mode: str, wrt: Any, annotate: bool) -> tuple[list[Variant], list[ast.FunctionDef]]:
    """The variants to write (callees first) and the wrapper functions, for one function."""
    if isinstance(wrt, tuple):
        raise BadWrt(f"--mode {mode} writes the derivatives with respect to one parameter; for several, use the "
                     f"Python API (ts.{mode}(f, wrt=(...)) gives the blocks)")
    name = fn.__name__
    if mode == "jacobian":
        mains, ordered = derive_all([(fn, "jvp", wrt), (fn, "vjp", wrt)], annotate=annotate)
        forward, reverse = mains
        primal = _parameters(forward.node)[:-1]
        return ordered, [_wrapper(_JACOBIAN, name, primal, forward.numpy, jvp=forward.name, vjp=reverse.name,
                                  x=_wrt_name(primal, wrt))]
    gradient, _ = derive_all([(fn, "grad", wrt)], checkpoint=False)  # (a checkpointed loop has no forward rules)
    mains, ordered = derive_all([(gradient[0].function, "jvp", wrt)], annotate=annotate)
    outer = mains[0]
    primal = _parameters(outer.node)[:-1]
    v = "v"
    while v in primal:
        v += "_"
    wrappers = [_wrapper(_HVP, name, primal, outer.numpy, jvp=outer.name, v=v)]
    if mode == "hessian":
        wrappers.append(_wrapper(_HESSIAN, name, primal, outer.numpy, x=_wrt_name(primal, wrt)))
    return ordered, wrappers


def _parameters(node: ast.FunctionDef) -> list[str]:
    return [a.arg for a in node.args.args]


def _wrt_name(primal: list[str], wrt: Any) -> str:
    return primal[wrt] if isinstance(wrt, int) else str(wrt)


def _wrapper(template: str, name: str, primal: list[str], numpy: str, **names: str) -> ast.FunctionDef:
    text = template.format(name=name, args=", ".join(primal), np=numpy, **names)
    node = ast.parse(text).body[0]
    assert isinstance(node, ast.FunctionDef)
    return node


_HVP = '''
def hvp_{name}({args}, {v}):
    """H {v}, for H the Hessian of {name}: the tangent of its gradient along {v} (forward over reverse)."""
    return {jvp}({args}, {v})[1]
'''

_HESSIAN = '''
def hessian_{name}({args}):
    """The Hessian of {name} with respect to {x}, shaped {x}.shape + {x}.shape: one hvp per element of {x}."""
    n = {np}.size({x})
    eye = {np}.eye(n, like={x})
    columns = [hvp_{name}({args}, {np}.reshape(eye[i], {np}.shape({x}))) for i in range(n)]
    return {np}.reshape({np}.stack(columns, axis=-1), {np}.shape({x}) + {np}.shape({x}))
'''

_JACOBIAN = '''
def jacobian_{name}({args}):
    """The Jacobian of {name}'s (one) result with respect to {x}, shaped result.shape + {x}.shape:
    one jvp per element of {x} (forward mode) where {x} has no more elements than the result,
    else one vjp per element of the result (reverse mode)."""
    n = {np}.size({x})
    eye = {np}.eye(n, like={x})
    value, first = {jvp}({args}, {np}.reshape(eye[0], {np}.shape({x})))
    m = {np}.size(value)
    if n <= m:
        columns = [first] + [{jvp}({args}, {np}.reshape(eye[i], {np}.shape({x})))[1] for i in range(1, n)]
        return {np}.reshape({np}.stack(columns, axis=-1), {np}.shape(value) + {np}.shape({x}))
    basis = {np}.eye(m, like={x})
    rows = [{vjp}({args}, {np}.reshape(basis[i], {np}.shape(value))) for i in range(m)]
    return {np}.reshape({np}.stack(rows), {np}.shape(value) + {np}.shape({x}))
'''
