"""Docstrings of emitted functions: what they compute, their arguments and results."""

from __future__ import annotations

from typing import Any

from ..ir import Function

_CONVENTION = {
    "jvp": 'The tangent of a value v is written dv ("v dot"): its derivative along the\n'
           "direction given by the input tangents.",
    "reverse": 'The adjoint of a value v is written bv ("v bar"): the derivative of the\n'
               "result with respect to v, accumulated from the result backwards.",
}


_SUFFIXED = {
    "jvp": 'The tangent of a value v is written v_dot: its derivative along the direction\n'
           "given by the input tangents (dv would read as a name of the function's own).",
    "reverse": 'The adjoint of a value v is written v_bar: the derivative of the result with\n'
               "respect to v, accumulated from the result backwards (bv would read as a name of\n"
               "the function's own).",
}


def describe(fn: Function, mode: str, wrt: tuple[str, ...], single: bool, params: list[str],
             internal: bool = False, has_aux: bool = False, names: Any = None) -> str:
    """names: the transformation's Names (transforms/common.py), which spell the derivatives."""
    def spelled(prefix: str, name: str) -> str:
        return names.derivative(prefix, name) if names is not None else prefix + name

    suffixed = names is not None and names.suffixed.get("d" if mode == "jvp" else "b", False)
    conventions = _SUFFIXED if suffixed else _CONVENTION
    args = ", ".join(p.name for p in fn.params)
    wrt_text = ", ".join(wrt)
    grads = ", ".join(spelled("b", w) for w in wrt)
    grads = grads if single else f"({grads})"
    if mode == "jvp":
        head = f"Forward-mode derivative of {fn.name}({args}) with respect to {wrt_text}."
        tangents = ", ".join(spelled("d", w) for w in wrt)
        body = (f"Arguments: those of {fn.name}, then the tangents {tangents} of {wrt_text}.\n"
                f"Returns: ({fn.name}'s value, its tangent).")
        convention = conventions["jvp"]
    else:
        convention = conventions["reverse"]
        if mode == "vjp":
            head = f"Vector-Jacobian product of {fn.name}({args}) with respect to {wrt_text}."
            body = (f"Arguments: those of {fn.name}, then {params[-1]}, a cotangent shaped like its result.\n"
                    f"Returns: {grads}, the cotangent pulled back to {wrt_text}.")
        elif mode == "grad":
            head = f"Gradient of {fn.name}({args}) with respect to {wrt_text}, by reverse mode."
            body = f"Returns: {grads}, the derivatives of {fn.name}'s scalar result."
            if has_aux:
                body = (f"{fn.name} returns (value, aux): value is a scalar, aux is not differentiated.\n"
                        f"Returns: ({grads}, aux), the derivatives of the value and aux as {fn.name} returns it.")
        else:
            head = f"Value and gradient of {fn.name}({args}) with respect to {wrt_text}, by reverse mode."
            body = f"Returns: ({fn.name}'s value, {grads})."
            if has_aux:
                body = (f"{fn.name} returns (value, aux): value is a scalar, aux is not differentiated.\n"
                        f"Returns: ((value, aux), {grads}), {fn.name}'s result and the derivatives of its value.")
    if internal:
        body += "\nCalled by the derivatives of functions that call " + fn.name + "; the " + \
            ("tangents are" if mode == "jvp" else "cotangent is") + " passed by keyword."
    return f"{head}\n\n{convention}\n\n{body}\n"
