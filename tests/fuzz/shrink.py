"""Shrinking a failing program by deleting statements (for the campaign's own random driver).

Hypothesis shrinks the programs of tests/fuzz/test_fuzz.py through their
choices; the campaign draws with `random.Random`, so it shrinks the program
form directly: it tries, over and over until nothing changes, to delete a
statement, a helper statement or a whole branch or loop, to replace an `if` by
one of its branches, and to drop inputs from `wrt`, keeping each change after
which the program still fails in the same way (the first line of its message,
numbers left out). A change that makes the program invalid (a name no longer
defined, a guard no longer met) is not kept.
"""

from __future__ import annotations

import copy
import re
from typing import Callable

from .check import check_program
from .programs import For, If, Program, Return


def signature(message: str) -> str:
    """What kind of failure a message reports: its first line without numbers or arrays."""
    first = message.splitlines()[0] if message else ""
    return re.sub(r"[-+]?\d[\d.e+-]*|\(.*?\)", "#", first)[:80]


def shrink(program: Program, fails: Callable[[Program], bool] | None = None, budget: int = 400) -> Program:
    """A smaller program for which `fails` still holds (by default: it fails as program does)."""
    if fails is None:
        kind = signature(check_program(program).message)

        def fails(p: Program) -> bool:
            try:
                outcome = check_program(p)
            except Exception:  # noqa: BLE001 - an invalid candidate
                return False
            return outcome.status == "failed" and signature(outcome.message) == kind

    tries = 0
    changed = True
    while changed and tries < budget:
        changed = False
        for candidate in _candidates(program):
            tries += 1
            if tries >= budget:
                break
            if fails(candidate):
                program = candidate
                changed = True
                break
    return program


def _candidates(program: Program):
    # fewer differentiated inputs
    if len(program.wrt) > 1:
        for k in range(len(program.wrt)):
            p = copy.deepcopy(program)
            p.wrt = program.wrt[:k] + program.wrt[k + 1:]
            yield p
    # whole helpers' statements, then the body's
    for h in range(len(program.helpers)):
        for path in _paths(program.helpers[h].body):
            for edit in _edits(program.helpers[h].body, path):
                p = copy.deepcopy(program)
                p.helpers[h].body = edit(p.helpers[h].body)
                yield p
    for path in _paths(program.body):
        for edit in _edits(program.body, path):
            p = copy.deepcopy(program)
            p.body = edit(p.body)
            yield p


def _paths(block: list, prefix: tuple = ()):
    """Paths to every statement: (index,) or (index, branch, index, ...)."""
    for k, s in enumerate(block):
        yield prefix + (k,)
        if isinstance(s, If):
            yield from _paths(s.then, prefix + (k, "then"))
            yield from _paths(s.orelse, prefix + (k, "orelse"))
        elif isinstance(s, For):
            yield from _paths(s.body, prefix + (k, "body"))


def _edits(block: list, path: tuple):
    """Functions that make an edited copy of a block: delete the statement at path, or replace it."""
    target = _at(block, path)
    if not (isinstance(target, Return) and len(path) == 1):
        yield lambda b: _replace(b, path, [])
    if isinstance(target, If):
        yield lambda b: _replace(b, path, copy.deepcopy(target.then))
        yield lambda b: _replace(b, path, copy.deepcopy(target.orelse))


def _at(block: list, path: tuple):
    s = block[path[0]]
    rest = path[1:]
    while rest:
        s = getattr(s, rest[0])[rest[1]]
        rest = rest[2:]
    return s


def _replace(block: list, path: tuple, new: list) -> list:
    block = copy.deepcopy(block)
    if len(path) == 1:
        return block[: path[0]] + new + block[path[0] + 1:]
    holder = block[path[0]]
    rest = path[1:]
    while len(rest) > 2:
        holder = getattr(holder, rest[0])[rest[1]]
        rest = rest[2:]
    inner = getattr(holder, rest[0])
    setattr(holder, rest[0], inner[: rest[1]] + new + inner[rest[1] + 1:])
    return block


# ------------------------------------------------------------------ programs of tests/fuzz/constructs.py


def shrink_case(case, fails: Callable | None = None, budget: int = 300):
    """A smaller Case (tests/fuzz/constructs.py) that still fails as `case` does.

    Cases are source text, so this deletes lines: a statement with the block under it, or a
    block's header with its body dedented (an `if`, `for` or `while` replaced by its body);
    a deletion that leaves an invalid program is not kept. It also drops inputs from wrt.
    """
    from .check import check_case

    if fails is None:
        first = check_case(case)
        kind = (first.status, signature(first.message))

        def fails(c) -> bool:
            try:
                outcome = check_case(c)
            except Exception:  # noqa: BLE001 - an invalid candidate
                return False
            return (outcome.status, signature(outcome.message)) == kind

    tries = 0
    changed = True
    while changed and tries < budget:
        changed = False
        for candidate in _case_candidates(case):
            tries += 1
            if tries >= budget:
                break
            if fails(candidate):
                case, changed = candidate, True
                break
    return case


def _case_candidates(case):
    if len(case.wrt) > 1:
        for k in range(len(case.wrt)):
            yield _with(case, wrt=case.wrt[:k] + case.wrt[k + 1:])
    lines = case.source.splitlines()
    for k, line in enumerate(lines):
        text = line.strip()
        if not text or text.startswith(("def ", "import ")) or line.startswith("    return "):
            continue  # a function's header and its final return stay
        end = _block_end(lines, k)
        yield _with(case, source="\n".join(lines[:k] + lines[end:]) + "\n")
        if text.endswith(":") and end > k + 1:  # the header only, its body dedented
            body = [b[4:] for b in lines[k + 1:end]]
            yield _with(case, source="\n".join(lines[:k] + body + lines[end:]) + "\n")


def _block_end(lines: list[str], k: int) -> int:
    indent = len(lines[k]) - len(lines[k].lstrip())
    end = k + 1
    while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent):
        end += 1
    # an `elif`/`else` continues the statement of the `if` before it
    while end < len(lines) and lines[end].strip().startswith(("elif", "else")) and \
            len(lines[end]) - len(lines[end].lstrip()) == indent:
        end = _block_end(lines, end)
    return end


def _with(case, **changes):
    new = copy.copy(case)
    for key, value in changes.items():
        setattr(new, key, value)
    return new
