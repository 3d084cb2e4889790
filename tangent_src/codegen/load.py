"""Loading: emitted source -> a live function bound to the original's globals.

Stage: codegen, last. The derivative must see the user's module globals (its
constants) live, as the original does, without our names (numpy, runtime
helpers) being written into the user's module. So the def is compiled inside a
factory whose parameters supply those names as closure variables; the
function's globals are the original's own dictionary.
"""

from __future__ import annotations

import itertools
import linecache
import math
import textwrap
from typing import Any, Callable

import numpy

from .. import runtime

_COUNT = itertools.count(1)  # each compiled derivative gets a file name of its own, for tracebacks


def load(source: str, name: str, fn: Callable, numpy_name: str, helpers: list[str],
         closure: dict[str, Any]) -> Callable:
    """Compile `source` (which defines `name`) into a function bound to fn's globals."""
    provided = {numpy_name: numpy, "math": math, **{h: getattr(runtime, h) for h in helpers}, **closure}
    body = _definition_only(source)
    factory = (f"def __tangent_src_factory__({', '.join(provided)}):\n"
               f"{textwrap.indent(body, '    ')}\n    return {name}\n")
    where = f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', name)}"
    filename = f"<tangent_src {name} of {where} #{next(_COUNT)}>"
    linecache.cache[filename] = (len(factory), None, factory.splitlines(True), filename)
    namespace: dict[str, Any] = {}
    exec(compile(factory, filename, "exec"), fn.__globals__, namespace)  # noqa: S102
    return namespace["__tangent_src_factory__"](**provided)


def _definition_only(source: str) -> str:
    """The source without its import lines (the factory supplies those names)."""
    lines = source.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("def "))
    return "\n".join(lines[start:])
