"""The numba target: a specialized derivative compiled by `numba.njit` (issue 14).

Stage: API (run time), after a derivative is made for the signature of a call's arguments
(specialization.py). `ts.grad(f, target="numba")` compiles that code, unchanged, with numba: the
code specialized to the arguments' shapes is plain numpy on arrays, numbers and a tape (a list of
tuples of one type per loop), which is numba's subset for the scalar loops it is meant for (a
Rosenbrock sum, a recurrence over the entries of an array). The functions the code calls (the
derivatives of the user's functions it calls, and the user's functions the forward sweep calls) are
compiled the same way, each once. The source stays the readable numpy code `ts.source` shows.

Where the code leaves numba's subset (a runtime helper shapes did not remove, a dict, an object),
the first call raises `UnsupportedSyntax` naming the line of the generated code numba stopped at, and
what numba said. numba is an optional extra: `pip install 'tangent_src[numba]'`.
"""

from __future__ import annotations

import linecache
import re
import types
from typing import Any, Callable

from .errors import UnsupportedSyntax


def numba_module() -> Any:
    try:
        import numba
    except ImportError:
        raise ImportError("target='numba' needs numba: pip install 'tangent_src[numba]'") from None
    return numba


def compiled(function: Callable, name: str) -> Callable:
    """`function` (a generated derivative) compiled by numba, with what it calls; calling it
    raises UnsupportedSyntax where numba cannot compile the code. name: the user's function."""
    numba = numba_module()
    jitted = _jitted(function, numba, {})

    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return jitted(*args, **kwargs)
        except numba.core.errors.TypingError as err:
            raise _refusal(err, name) from None

    call.__wrapped__ = function  # type: ignore[attr-defined]
    call.__name__ = getattr(function, "__name__", "derivative")
    call.__numba__ = jitted  # type: ignore[attr-defined]
    return call


def _generated(fn: Any) -> bool:
    return isinstance(fn, types.FunctionType) and fn.__code__.co_filename.startswith("<tangent_src ")


def _jitted(fn: types.FunctionType, numba: Any, memo: dict[int, Any]) -> Any:
    """fn compiled by numba, its closure's functions (generated, or the user's) compiled first."""
    if id(fn) in memo:
        return memo[id(fn)]
    cells = []
    for cell in fn.__closure__ or ():
        value = cell.cell_contents
        if _generated(value) or isinstance(value, types.FunctionType) and _plain_python(value):
            value = _jitted(value, numba, memo)
        cells.append(types.CellType(value))
    names = dict(fn.__globals__)  # (the user's functions it calls by their global names, compiled)
    for name in fn.__code__.co_names:
        value = names.get(name)
        if isinstance(value, types.FunctionType) and (_generated(value) or _plain_python(value)) and value is not fn:
            names[name] = _jitted(value, numba, memo)
    code = fn.__code__
    if code.co_kwonlyargcount and not fn.__kwdefaults__:  # (numba binds keywords to plain parameters only:
        # `vjp_g(x, bout=...)`, the cotangent by keyword, then binds as before)
        code = code.replace(co_argcount=code.co_argcount + code.co_kwonlyargcount, co_kwonlyargcount=0)
    rebuilt = types.FunctionType(code, names, fn.__name__, fn.__defaults__,
                                 tuple(cells) if fn.__closure__ else None)
    rebuilt.__kwdefaults__ = fn.__kwdefaults__ if code is fn.__code__ else None
    memo[id(fn)] = made = numba.njit(cache=False)(rebuilt)
    return made


def _plain_python(fn: types.FunctionType) -> bool:
    """A function of the user's (not numpy's, not a runtime helper): compiled too, where it is called."""
    module = getattr(fn, "__module__", "") or ""
    return not module.startswith(("numpy", "tangent_src", "numba", "scipy"))


def _refusal(err: Exception, name: str) -> UnsupportedSyntax:
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(err))  # (numba colours its messages)
    found = re.findall(r'File "(<tangent_src [^"]+>)", line (\d+)', text)
    where = ""
    if found:
        filename, line = found[-1]
        code = linecache.getline(filename, int(line)).strip()
        function = filename.split()[1]
        where = f" at `{code}` in {function}"
    reason = next((line.strip() for line in text.splitlines()
                   if line.strip() and not line.startswith(("-", "Failed in", "File", "During"))), text)
    helper = re.search(r"Untyped global name '(\w+)'", text)
    if helper:
        reason = f"it calls {helper.group(1)}, which numba cannot compile ({reason})"
    return UnsupportedSyntax(
        f"numba cannot compile the derivative of {name}{where}: {reason}",
        hint="numba compiles numpy code on arrays and numbers (scalar loops); leave target='numba' out for this "
             "function (the same code runs in CPython), or see ts.source(derivative, *args) for the line")


__all__ = ["compiled", "numba_module"]
