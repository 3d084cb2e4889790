"""A written module: derivatives that run where tangent_src is not installed.

Stage: codegen, for the command line. Input: the derivative functions (the
functions they call first), the statically loaded user module they came from,
and a header. Output: module text, black-formatted, made of

- the header (how it was generated) and a docstring listing the derivatives;
- imports: numpy, math, and what the derivatives use from the user's file
  (its constants and primal helpers, `from model import EPS, helper`; its own
  imports, such as `import scipy.special`, repeated as written);
- the runtime helpers the derivatives call, copied from tangent_src/runtime
  with everything they use, so the module never imports tangent_src;
- the derivatives.
"""

from __future__ import annotations

import ast
import builtins
import functools
from dataclasses import dataclass
from pathlib import Path

from .. import runtime
from ..errors import UnsupportedSyntax
from ..frontend.static import StaticModule
from . import emit

_RUNTIME_MODULES = ("core", "statistics", "movement", "special", "linalg", "einsum", "decompositions", "stencils",
                    "updates", "checkpoint")


@dataclass(frozen=True)
class _Definition:
    """One top-level statement of a runtime module: a def, a class or a constant."""

    order: tuple[int, int]  # (module, line): definitions are written in the runtime's own order
    source: str
    uses: frozenset[str]  # top-level runtime names and module imports it reads


@functools.lru_cache(maxsize=1)
def _runtime_index() -> tuple[dict[str, _Definition], dict[str, str]]:
    """Every top-level runtime name -> its definition; every imported module alias -> its import."""
    definitions: dict[str, _Definition] = {}
    imports: dict[str, str] = {}
    folder = Path(runtime.__file__).parent
    parsed = []
    for index, module in enumerate(_RUNTIME_MODULES):
        text = (folder / f"{module}.py").read_text(encoding="utf-8")
        parsed.append((index, text, ast.parse(text)))
        for stmt in ast.parse(text).body:
            if isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    bound = alias.asname or alias.name.split(".")[0]
                    imports[bound] = f"import {alias.name}" + (f" as {alias.asname}" if alias.asname else "")
            elif isinstance(stmt, ast.ImportFrom) and not stmt.level:
                for alias in stmt.names:
                    imports[alias.asname or alias.name] = f"from {stmt.module} import {alias.name}"
    for index, text, tree in parsed:
        lines = text.splitlines()
        for stmt in tree.body:
            names = _defined(stmt)
            if not names:
                continue
            first = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
            source = "\n".join(lines[first - 1:stmt.end_lineno])
            used = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)} - set(names)
            for name in names:
                definitions[name] = _Definition((index, first), source, frozenset(used))
    known = set(definitions) | set(imports)
    for name, found in definitions.items():
        definitions[name] = _Definition(found.order, found.source, frozenset(found.uses & known))
    return definitions, imports


def _defined(stmt: ast.stmt) -> list[str]:
    if isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
        return [stmt.name]
    if isinstance(stmt, ast.Assign):
        return [t.id for t in stmt.targets if isinstance(t, ast.Name)]
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return [stmt.target.id]
    return []


def runtime_definitions(names: set[str]) -> tuple[list[str], list[str], set[str]]:
    """The imports and the source of the runtime helpers named and everything they use,
    in the runtime's own order; and every name those definitions bind."""
    definitions, imports = _runtime_index()
    needed: set[str] = set()
    pending = sorted(names)
    while pending:
        name = pending.pop()
        if name in needed or name not in definitions:
            continue
        needed.add(name)
        pending += sorted(definitions[name].uses - needed)
    sources: dict[str, tuple[int, int]] = {}
    for name in needed:
        sources.setdefault(definitions[name].source, definitions[name].order)
    used_imports = {imports[u] for n in needed for u in definitions[n].uses if u in imports}
    return sorted(used_imports), sorted(sources, key=sources.__getitem__), needed


def free_names(nodes: list[ast.FunctionDef]) -> set[str]:
    """Names the functions read but do not bind: globals, builtins and helpers."""
    found: set[str] = set()
    for node in (ast.parse(ast.unparse(n)).body[0] for n in nodes):  # parsed again: every name has its ctx
        assert isinstance(node, ast.FunctionDef)
        bound = {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}
        bound |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
        bound |= {n.name for n in ast.walk(node) if isinstance(n, ast.FunctionDef)}  # bwd_g inside fwd_g
        found |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - bound
    return found


def module_text(nodes: list[ast.FunctionDef], numpy: str, rule_names: dict[str, object], static: StaticModule,
                header: list[str], summary: list[str]) -> str:
    """The whole written module (see the module docstring), formatted."""
    helpers = set().union(*(emit.helpers_used(n) for n in nodes))
    helper_imports, helper_sources, helper_names = runtime_definitions(helpers)
    defined = {n.name for n in nodes} | helper_names | set(rule_names)
    from_user: list[str] = []
    user_imports: list[str] = []
    for name in sorted(free_names(nodes) - defined - {numpy, "math"}):
        if name in static.imports:
            user_imports.append(static.imports[name])
        elif name in static.namespace:
            from_user.append(name)
        elif not hasattr(builtins, name):
            raise UnsupportedSyntax(f"the derivative refers to `{name}`, which {static.path} does not define")
    clash = (set(from_user) | {_bound(line) for line in user_imports}) & (helper_names | _bound_all(helper_imports))
    clash = {name for name in clash if _import_of(name, user_imports) != _import_of(name, helper_imports)}
    if clash:
        raise UnsupportedSyntax(
            f"{static.path} defines {', '.join(sorted(clash))}, a name the copied runtime helpers also use",
            hint="rename it in your file")
    imports = _unique(emit.import_lines(nodes, numpy, rule_names) + helper_imports + user_imports)
    if from_user:
        imports.append(f"from {static.module_name} import {', '.join(from_user)}")
    docstring = '"""' + "\n".join(summary) + '\n"""'
    parts = ["\n".join(header), docstring, "\n".join(imports)]
    if helper_sources:
        parts.append("# Runtime helpers, copied from tangent_src.runtime: this module does not import tangent_src.")
        parts.append("\n\n\n".join(helper_sources))
    parts.append(emit.definitions(nodes))
    return emit.format_module("\n\n\n".join(parts[:2]) + "\n\n" + "\n\n\n".join(parts[2:]))


def _bound(line: str) -> str:
    tail = line.split(" as ")[-1] if " as " in line else line.split()[-1]
    return tail.split(".")[0]


def _bound_all(lines: list[str]) -> set[str]:
    return {_bound(line) for line in lines}


def _import_of(name: str, lines: list[str]) -> str | None:
    return next((line for line in lines if _bound(line) == name), None)


def _unique(lines: list[str]) -> list[str]:
    return list(dict.fromkeys(lines))


__all__ = ["free_names", "module_text", "runtime_definitions"]
