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
- numpy.typing's `x: npt.NDArray[np.float64]` (or `NDArray[np.float32]`, ...) with the shape in a
  comment on the parameter's line: `# shape: (B, D)`, or, for several parameters on one line,
  `# X: (B, D), W: (D, H)`. An NDArray without a shape comment says too little: the code is
  general there.
Parameters neither names are not known: the code is general there.
"""

from __future__ import annotations

import ast
import inspect
import io
import re
import textwrap
import tokenize
from typing import Any, Callable

from ..analysis.inference import NUMBER, Abstract, array

_DTYPES = {"float16", "float32", "float64", "longdouble"}
_NUMPY_DTYPES = {"float64": "float64", "double": "float64", "float_": "float64", "float32": "float32",
                 "single": "float32", "float16": "float16", "half": "float16", "longdouble": "longdouble"}
_SHAPE_COMMENT = re.compile(r"shape\s*[:=]?\s*(\([^)]*\))")
_NAMED_SHAPE = re.compile(r"([A-Za-z_]\w*)\s*[:=]\s*(\([^)]*\))")
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
        text = textwrap.dedent(inspect.getsource(fn))
        tree = ast.parse(text)
    except (OSError, TypeError, SyntaxError):
        return {}
    node = next((n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    if node is None:
        return {}
    comments = _signature_comments(text, node)
    found = {}
    params = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
    ndarrays = {p.arg: (p.lineno, dtype) for p in params if (dtype := _ndarray_dtype(p.annotation))}
    for arg in params:
        known = _annotation(arg.annotation)
        if known is None and arg.arg in ndarrays:
            line, dtype = ndarrays[arg.arg]
            alone = [name for name, (other, _) in ndarrays.items() if other == line] == [arg.arg]
            known = _ndarray(arg.arg, dtype, comments.get(line, ""), alone)
        if known is not None:
            found[arg.arg] = known
    return found


def _signature_comments(text: str, node: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[int, str]:
    """The comments on the lines of the function's signature, by line number."""
    last = node.body[0].lineno - 1 if node.body else node.lineno
    comments: dict[int, str] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.start[0] > last:
                break
            if token.type == tokenize.COMMENT and token.start[0] >= node.lineno:
                comments[token.start[0]] = token.string.lstrip("#").strip()
    except (tokenize.TokenError, IndentationError):
        pass
    return comments


def _ndarray_dtype(node: ast.expr | None) -> str | None:
    """The dtype `npt.NDArray[np.float64]` names (None: not such an annotation, or not a float)."""
    node = _unquoted(node)
    if not (isinstance(node, ast.Subscript) and isinstance(node.value, (ast.Name, ast.Attribute))):
        return None
    kind = node.value.id if isinstance(node.value, ast.Name) else node.value.attr
    inner = node.slice
    name = inner.id if isinstance(inner, ast.Name) else inner.attr if isinstance(inner, ast.Attribute) else None
    return _NUMPY_DTYPES.get(name) if kind == "NDArray" else None


def _ndarray(name: str, dtype: str, comment: str, alone: bool) -> Abstract | None:
    """An `NDArray[np.float64]` parameter with its shape from the comment on its line: `NAME: (...)`,
    or `shape: (...)` where it is the only NDArray on the line."""
    shape = dict(_NAMED_SHAPE.findall(comment)).get(name)
    if shape is None and alone:
        match = _SHAPE_COMMENT.search(comment)
        shape = match.group(1) if match else None
    if shape is None:
        return None
    try:
        return array(_dims(shape, comment), dtype)
    except ValueError:
        return None


def _unquoted(node: ast.expr | None) -> ast.expr | None:
    """A string annotation parsed (None where it is not Python); any other as it is."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            return ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return None
    return node


def _annotation(node: ast.expr | None) -> Abstract | None:
    node = _unquoted(node)
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
