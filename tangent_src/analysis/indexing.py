"""Helpers of the inference stage (inference.py): slices, makers' arguments, dict entries.

Stage: analysis. Pure functions of the IR's expressions and of `Abstract` values.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from ..ir import Apply

if TYPE_CHECKING:
    from .inference import Abstract, Dim, Inference


def _with_entry(target: Abstract, index: ast.expr | None, written: Abstract) -> Abstract:
    """A dict with `d[k] = v` done (a string key k): its entry k is v, new or replaced."""
    from .inference import Abstract
    if target.items is None or target.keys is None or not (isinstance(index, ast.Constant)
                                                            and type(index.value) is str):
        return Abstract("dict")
    keys, items = list(target.keys), list(target.items)
    if index.value in keys:
        items[keys.index(index.value)] = written
    else:
        keys.append(index.value)
        items.append(written)
    return Abstract("dict", items=tuple(items), keys=tuple(keys))


def _reshaped(apply: Apply) -> bool:
    """Whether an array maker is given anything besides its shape or model (a keyword: `shape=`,
    `like=`, `dtype=`; a second positional argument of *_like, which is its dtype): not followed."""
    packed, positional = apply.args.get("kwargs"), apply.args.get("args")
    keywords = packed is not None and not (isinstance(packed, (ast.Tuple, ast.Dict)) and not (
        packed.elts if isinstance(packed, ast.Tuple) else packed.keys))
    return keywords or isinstance(positional, ast.Tuple) and len(positional.elts) > 2


def _is_range(iterable: ast.expr | None) -> bool:
    node = iterable.args[0] if isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Name) \
        and iterable.func.id == "reversed" and iterable.args else iterable
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range"


def _is_slice(part: ast.expr) -> bool:
    return isinstance(part, ast.Slice) or isinstance(part, ast.Call) and isinstance(part.func, ast.Name) \
        and part.func.id == "slice"


def _sliced(dim: Dim, part: ast.expr, inference: Inference) -> Dim:
    bounds = [part.lower, part.upper, part.step] if isinstance(part, ast.Slice) else list(part.args)  # type: ignore
    if isinstance(part, ast.Call) and len(bounds) == 1:
        bounds = [None, bounds[0], None]
    bounds += [None] * (3 - len(bounds))
    values = [None if b is None or isinstance(b, ast.Constant) and b.value is None else inference.atom(b).value
              for b in bounds]
    given = [b is not None and not (isinstance(b, ast.Constant) and b.value is None) for b in bounds]
    if not any(given):
        return dim  # `:`
    if not isinstance(dim, int) or any(g and not isinstance(v, int) for g, v in zip(given, values)):
        return None
    return len(range(dim)[slice(*values)])


def _product(dims: tuple[Dim, ...] | None) -> int | None:
    if dims is None or any(not isinstance(d, int) for d in dims):
        return None
    total = 1
    for d in dims:
        total *= d  # type: ignore[operator]
    return total
