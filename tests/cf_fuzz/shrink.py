"""Shrinks a failing program of tests/cf_fuzz by deleting lines while it still fails the same way.

    python -m tests.cf_fuzz.shrink --seed 1005
"""

from __future__ import annotations

import argparse
import warnings

from .generator import Gen, check


def _valid(source: str) -> bool:
    try:
        compile(source, "<shrink>", "exec")
    except SyntaxError:
        return False
    return "def f(" in source


def shrink(source: str, seed: int, status: str) -> str:
    lines = source.splitlines()
    changed = True
    while changed:
        changed = False
        for k in range(len(lines) - 1, -1, -1):
            trial = lines[:k] + lines[k + 1:]
            text = "\n".join(trial) + "\n"
            if _valid(text) and check(text, seed)[0] == status:
                lines, changed = trial, True
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.cf_fuzz.shrink")
    parser.add_argument("--seed", type=int, required=True)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    source = Gen(args.seed).program()
    status, message = check(source, args.seed)
    print(f"status: {status}\n{message}")
    if status in ("wrong", "crash", "internal"):
        small = shrink(source, args.seed, status)
        print(small)
        print(check(small, args.seed)[1])
    return 0


if __name__ == "__main__":
    main()
