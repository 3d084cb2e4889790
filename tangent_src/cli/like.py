"""What the arguments of a function will be, for `tangent-src derive` to write specialized code.

Stage: none (command line). Input: `--like NAME=SHAPE[:DTYPE]` options, and the annotations in the
user's file. Output: per function, an `Abstract` per parameter (analysis/inference.py), which the
pipeline specializes the derivative to, as `ts.grad` does for the arguments of a call.

- `--like X=B,784` (an array of shape (B, 784), float64), `--like W=784,10:float32`, `--like h0=H`,
  `--like s=()` (shape ()), `--like lr=number` (a Python number). A dimension is a number or a
  name; the same name is the same dimension everywhere, different names may be different (they are
  taken to be at least 2: a dimension that may be 1 is written 1).
- Annotations in jaxtyping's style, read from the source (jaxtyping need not be installed):
  `x: Float[np.ndarray, "B D"]`, `Float32[...]`, `Float64[...]` (Float is taken as float64),
  `"..."`-free shapes only; `x: float` for a Python number. An option overrides an annotation.
Parameters neither names are not known: the code is general there.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from typing import Any, Callable

from ..analysis.inference import NUMBER, Abstract, array

_DTYPES = {"float16", "float32", "float64", "longdouble"}
_JAXTYPING = {"Float": "float64", "Float64": "float64", "Float32": "float32", "Float16": "float16", "Shaped": None}


def parse_like(text: str) -> tuple[str, Abstract]:
    """`NAME=SHAPE[:DTYPE]` as (name, what it is); ValueError with the reason."""
    name, sep, rest = text.partition("=")
    if not sep or not name.strip().isidentifier():
        raise ValueError(f"expected NAME=SHAPE[:DTYPE] (e.g. X=B,784 or W=784,10:float32), not {text!r}")
    shape, _, dtype = rest.partition(":")
    shape, dtype = shape.strip(), dtype.strip() or "float64"
    if dtype not in _DTYPES:
        raise ValueError(f"{text!r}: the dtype must be one of {', '.join(sorted(_DTYPES))}, not {dtype!r}")
    if shape in ("number", "float"):
        return name.strip(), NUMBER
    return name.strip(), array(_dims(shape, text), dtype)


def _dims(shape: str, text: str) -> tuple:
    inner = shape.strip().strip("()")
    dims = []
    for part in filter(None, (p.strip() for p in re.split(r"[,\s]+", inner))):
        if part.isdigit():
            dims.append(int(part))
        elif part.isidentifier():
            dims.append(part)
        else:
            raise ValueError(f"{text!r}: a dimension is a number or a name, not {part!r}")
    return tuple(dims)


def from_annotations(fn: Callable) -> dict[str, Abstract]:
    """What the function's annotations say its parameters are (those they say nothing of: left out)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return {}
    node = next((n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    if node is None:
        return {}
    found = {}
    for arg in node.args.posonlyargs + node.args.args + node.args.kwonlyargs:
        known = _annotation(arg.annotation)
        if known is not None:
            found[arg.arg] = known
    return found


def _annotation(node: ast.expr | None) -> Abstract | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):  # a string annotation
        try:
            node = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return None
    if isinstance(node, ast.Name) and node.id == "float":
        return NUMBER
    if not (isinstance(node, ast.Subscript) and isinstance(node.value, (ast.Name, ast.Attribute))):
        return None
    kind = node.value.id if isinstance(node.value, ast.Name) else node.value.attr
    if kind not in _JAXTYPING or not isinstance(node.slice, ast.Tuple) or len(node.slice.elts) != 2:
        return None
    shape = node.slice.elts[1]
    if not (isinstance(shape, ast.Constant) and isinstance(shape.value, str)) or "..." in shape.value \
            or "*" in shape.value:
        return None
    try:
        return array(_dims(shape.value, shape.value), _JAXTYPING[kind])
    except ValueError:
        return None


def arguments_for(functions: list[Callable], options: list[str] | None) -> dict[Callable, dict[str, Any]]:
    """Per function, its parameters' Abstracts from its annotations and the --like options."""
    given = dict(parse_like(text) for text in options or [])
    found: dict[Callable, dict[str, Any]] = {}
    for fn in functions:
        params = set(inspect.signature(fn).parameters)
        known = {**from_annotations(fn), **{k: v for k, v in given.items() if k in params}}
        if known:
            found[fn] = known
    unknown = set(given) - {p for fn in functions for p in inspect.signature(fn).parameters}
    if unknown:
        raise ValueError(f"--like names {', '.join(sorted(unknown))}, which no function asked for takes")
    return found


__all__ = ["arguments_for", "from_annotations", "parse_like"]
