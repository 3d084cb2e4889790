"""A long differential-fuzzing campaign: `python -m tests.fuzz.campaign --programs 10000`.

Program k uses seed start + k, so any program can be drawn again by its number.
With `--kind mix` (the default) even seeds draw a statement program
(tests/fuzz/programs.py) and odd seeds a program of one of the construct
families of tests/fuzz/constructs.py (tuple results and has_aux, random draws in
callees, reused loop variables, break/continue, iteration over values,
containers, per-step lists, arrays made in loops, in-place updates, edge points,
linspace/arange); `--kind programs` or `--kind constructs` draws only one sort.
Each program is checked as the tests do (tests/fuzz/check.py) and counted as

    passed       both modes agree with each other and with finite differences
    refused      a TransformError with file:line (a construct not supported)
    wrong        a wrong derivative or shape, an input modified, grad of a tuple accepted
    crashed      the generated derivative raised (an exception inside generated code)
    internal     the transformation crashed or raised InternalError
    bad-refusal  a TransformError without file:line, or naming an internal temporary
    invalid      the fuzzer's own error (f itself failed, or the generator raised)

Each program of the last five kinds is written, with its seed, to the report file;
the first of each kind of failure (its outcome and the first line of its message,
numbers left out) is also shrunk (tests/fuzz/shrink.py). `--jobs n` checks
programs on n processes; `--strict` also runs the derivatives on StrictArray inputs
(a stand-in for a CuPy array that refuses conversion to numpy) wherever f itself runs
on them; `--recheck REPORT` checks the failures of an earlier report again.

    python -m tests.fuzz.campaign --programs 10000 --seed 500000 --jobs 2 --out fuzz-campaign.txt
    python -m tests.fuzz.campaign --seed 1234 --programs 1   # one program again, by its seed
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import sys
import time
import warnings

from .check import FAILING, check_case, check_program
from .constructs import generate_case
from .programs import RandomDraw, generate
from .shrink import shrink, shrink_case, signature

KINDS = ("passed", "refused", "wrong", "crashed", "internal", "bad-refusal", "invalid")


def draw(seed: int, kind: str):
    """The program of a seed: ("program", Program) or ("case", Case)."""
    if kind == "programs" or (kind == "mix" and seed % 2 == 0):
        return "program", generate(RandomDraw(seed))
    return "case", generate_case(RandomDraw(seed))


def run_one(job: tuple) -> tuple:
    """(seed, status, family, reason, report) for one seed; in a worker process."""
    seed, kind = job
    warnings.simplefilter("ignore")  # numpy warnings of programs are not the point here
    try:
        sort, program = draw(seed, kind)
        family = program.family if sort == "case" else "statements"
        outcome = check_case(program, seed) if sort == "case" else check_program(program, seed)
    except Exception as e:  # noqa: BLE001 - the fuzzer's own error: count it, keep going
        return seed, "invalid", "?", f"generator error {e!r}", f"generator error {e!r}\n", ""
    reason = _reason(outcome.message)
    if outcome.status == "refused":
        reason = outcome.message.splitlines()[0].split(": ", 2)[-1][:100]
    return seed, outcome.status, family, reason, outcome.message, outcome.checkpointed


def _reason(message: str) -> str:
    """The kind of a failure: its first line without numbers; for a crash also the exception's class."""
    reason = signature(message)
    if reason.endswith("raised:"):
        body = message.split("\n\n--- program")[0].splitlines()
        last = [line for line in body if line and not line.startswith(" ")][-1:]
        reason += " " + (last[0].split(":")[0] if last else "?")
    return reason


def shrunk(seed: int, kind: str) -> str:
    """The message of the failing program of a seed, shrunk."""
    warnings.simplefilter("ignore")
    sort, program = draw(seed, kind)
    try:
        small = shrink_case(program) if sort == "case" else shrink(program)
        return (check_case(small) if sort == "case" else check_program(small)).message
    except Exception as e:  # noqa: BLE001 - keep the program as drawn
        return f"(shrinking failed: {e!r})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz.campaign", description=__doc__.splitlines()[0])
    parser.add_argument("--programs", type=int, default=1000, help="how many programs to draw")
    parser.add_argument("--seed", type=int, default=0, help="the seed of the first program")
    parser.add_argument("--kind", choices=("mix", "programs", "constructs"), default="mix")
    parser.add_argument("--jobs", type=int, default=1, help="processes checking programs")
    parser.add_argument("--out", default=None, help="file to write failures and refusals to")
    parser.add_argument("--every", type=int, default=500, help="print the counts every so many programs")
    parser.add_argument("--no-shrink", action="store_true", help="report failures as drawn, none shrunk")
    parser.add_argument("--strict", action="store_true",
                        help="also run the derivatives on StrictArray inputs (tests/strict_array.py)")
    parser.add_argument("--recheck", metavar="REPORT", help="check again the failures of a report (after a fix)")
    args = parser.parse_args(argv)
    if args.strict:
        _strict()
    if args.recheck:
        return recheck(args.recheck, args.kind)

    counts: collections.Counter = collections.Counter()
    kinds: collections.Counter = collections.Counter()
    refusals: collections.Counter = collections.Counter()
    families: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    out = open(args.out, "w", encoding="utf-8") if args.out else None
    start = time.time()
    jobs = [(args.seed + k, args.kind) for k in range(args.programs)]
    pool = multiprocessing.Pool(args.jobs, _strict if args.strict else None, maxtasksperchild=200) \
        if args.jobs > 1 else None
    results = pool.imap_unordered(run_one, jobs, chunksize=4) if pool else map(run_one, jobs)
    checkpointed: collections.Counter = collections.Counter()
    for k, (seed, status, family, reason, message, checkpoint) in enumerate(results):
        counts["programs"] += 1
        counts[status] += 1
        checkpointed[checkpoint] += 1
        families[family][status] += 1
        if status == "refused":
            refusals[reason] += 1
            _write(out, f"=== seed {seed} ({family}): refused\n{message}\n")
        elif status != "passed":
            kinds[(status, reason)] += 1
            if kinds[(status, reason)] == 1 and status in FAILING and not args.no_shrink:
                message += "\n--- shrunk (the first program of this kind) ---\n" + shrunk(seed, args.kind)
            _write(out, f"=== seed {seed} ({family}): {status.upper()} ({reason})\n{message}\n")
            print(f"seed {seed} ({family}): {status.upper()} ({reason})", flush=True)
        if (k + 1) % args.every == 0:
            _print_counts(counts, time.time() - start)
    if pool:
        pool.close()
        pool.join()
    _print_counts(counts, time.time() - start)
    for family in sorted(families):
        print(f"  {family}: " + ", ".join(f"{s} {families[family][s]}" for s in KINDS if families[family][s]))
    print(f"  loops checkpointed (checkpoint=1, 2, 3 or 'sqrt'), equal to the full tape: {checkpointed['checked']}; "
          f"refused for checkpointing (an effect in the loop): {checkpointed['refused']}")
    for (status, kind), n in kinds.most_common():
        print(f"  {status} x{n}: {kind}")
    for reason, n in refusals.most_common(10):
        print(f"  refused x{n}: {reason}")
    if out:
        out.close()
    return 1 if any(counts[s] for s in FAILING) else 0


def recheck(path: str, kind: str) -> int:
    """Check again every failing program of a report file: construct programs from their text
    (source, inputs, wrt, mode as written), statement programs by their seed."""
    import re

    import numpy as np

    from .construct_base import Case

    warnings.simplefilter("ignore")
    text = open(path, encoding="utf-8").read()
    counts: collections.Counter = collections.Counter()
    for block in re.split(r"(?m)^(?==== seed )", text):
        head = re.match(r"=== seed (\d+) \((.*?)\): (\S+)", block)
        if not head or head.group(3) in ("refused", "INVALID"):
            continue
        seed, family = int(head.group(1)), head.group(2)
        drawn = block.split("--- shrunk")[0]
        if family == "statements":
            outcome = check_program(draw(seed, kind)[1], seed)
        else:
            found = re.search(r"--- program \(.*?\) ---\n(.*?)--- inputs ---\n(.*?)\nwrt = (.*?)\nmode = '(\w+)'",
                              drawn, re.S)
            if not found:
                continue
            namespace: dict = {"np": np, "array": np.array}
            exec(found.group(2), namespace)  # noqa: S102 - the report's own `x0 = ...` lines
            inputs = [namespace[f"x{k}"] for k in range(len([n for n in namespace if re.fullmatch(r"x\d+", n)]))]
            case = Case(found.group(1), inputs, eval(found.group(3)), found.group(4),  # noqa: S307
                        "draws" in family, family)
            outcome = check_case(case, seed)
        counts[outcome.status] += 1
        print(f"seed {seed} ({family}): was {head.group(3)}, now {outcome.status} {_reason(outcome.message)}")
    print(", ".join(f"{s} {counts[s]}" for s in KINDS if counts[s]))
    return 1 if any(counts[s] for s in FAILING) else 0


def _strict() -> None:
    from . import check

    check.STRICT = True


def _write(out, text: str) -> None:
    if out:
        out.write(text)
        out.flush()


def _print_counts(counts: collections.Counter, seconds: float) -> None:
    print(f"programs {counts['programs']}: " + ", ".join(f"{s} {counts[s]}" for s in KINDS)
          + f" ({seconds:.0f} s)", flush=True)


if __name__ == "__main__":
    sys.exit(main())
