"""Functions as values (part of the normalizer): calls of local names, nested defs, lambdas.

Stage: frontend. Input: libcst calls whose callee is a value of the function
(a parameter, a local name, an attribute of one), nested `def`s and lambdas.
Output: `_Op`s applying a rule of the table or the rule of a user function.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:
    from .calls import _Op
    from .normalize import _Normalizer


class Functions:
    """The functions-as-values part of the normalizer (mixed into `_Normalizer`)."""

    def local_call(self: _Normalizer, node: cst.Call, func: cst.Name, args: list[ast.expr],
                   kwargs: dict[str, ast.expr]) -> _Op:
        """`f(x)` where f is a value of the function (a parameter, or a name bound in it)."""
        raise self.unsupported(func, f"`{func.value}` is a local value; calling it is not supported")

    def object_method_call(self: _Normalizer, node: cst.Call, func: cst.Attribute, args: list[ast.expr],
                           kwargs: dict[str, ast.expr]) -> _Op | None:
        """`obj.method(x)` where obj is a value of the function and `.method` is no array or
        container method: None when it is not a call this part can resolve."""
        return None

    def function_statement(self: _Normalizer, node: cst.FunctionDef) -> None:
        """A nested `def` in the function's body."""
        raise self.unsupported(node, "a nested function is not supported",
                               hint="define the function at module level")

    def lambda_expr(self: _Normalizer, node: cst.Lambda) -> _Op:
        raise self.unsupported(node, "a lambda is not supported yet", hint="define the function with `def`")
