"""A long differential-fuzzing campaign: `python -m tests.fuzz.campaign --programs 10000`.

Draws programs with the generator of tests/fuzz/programs.py from a seeded
`random.Random` (program k uses seed start + k, so any program can be drawn
again by its number), checks each one as the tests do (tests/fuzz/check.py),
and counts programs, refused (a TransformError), passed and failed. Each failure
is shrunk (tests/fuzz/shrink.py) and written, with its seed, to the report
file; the counts are printed every `--every` programs and at the end.

    python -m tests.fuzz.campaign --programs 10000 --out fuzz-campaign.txt
    python -m tests.fuzz.campaign --seed 1234 --programs 1   # one program again, by its seed
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
import warnings

from .check import check_program
from .programs import RandomDraw, generate
from .shrink import shrink, signature


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz.campaign", description=__doc__.splitlines()[0])
    parser.add_argument("--programs", type=int, default=1000, help="how many programs to draw")
    parser.add_argument("--seed", type=int, default=0, help="the seed of the first program")
    parser.add_argument("--out", default=None, help="file to write failures and refusals to")
    parser.add_argument("--every", type=int, default=500, help="print the counts every so many programs")
    parser.add_argument("--no-shrink", action="store_true", help="report failures as drawn")
    args = parser.parse_args(argv)

    warnings.simplefilter("ignore")  # numpy warnings of programs are not the point here
    counts: collections.Counter = collections.Counter()
    kinds: collections.Counter = collections.Counter()
    refusals: collections.Counter = collections.Counter()
    out = open(args.out, "w", encoding="utf-8") if args.out else None
    start = time.time()
    for k in range(args.programs):
        seed = args.seed + k
        try:
            program = generate(RandomDraw(seed))
        except Exception as e:  # noqa: BLE001 - the fuzzer's own error: count it, keep going
            counts["generator errors"] += 1
            _write(out, f"=== seed {seed}: generator error {e!r}\n")
            continue
        try:
            outcome = check_program(program, seed)
        except Exception as e:  # noqa: BLE001 - the fuzzer's own error: count it, keep going
            counts["generator errors"] += 1
            _write(out, f"=== seed {seed}: generator error {e!r}\n{program.source()}\n")
            continue
        counts["programs"] += 1
        counts[outcome.status] += 1
        if outcome.status == "refused":
            reason = outcome.message.splitlines()[0].split(": ", 2)[-1][:100]
            refusals[reason] += 1
            _write(out, f"=== seed {seed}: refused\n{outcome.message}\n")
        elif outcome.status == "failed":
            kind = signature(outcome.message)
            kinds[kind] += 1
            message = outcome.message
            if not args.no_shrink:
                try:
                    message = check_program(shrink(program)).message
                except Exception as e:  # noqa: BLE001 - keep the program as drawn
                    message += f"\n(shrinking failed: {e!r})"
            _write(out, f"=== seed {seed}: FAILED ({kind})\n{message}\n")
            print(f"seed {seed}: FAILED ({kind})", flush=True)
        if (k + 1) % args.every == 0:
            _print_counts(counts, time.time() - start)
    _print_counts(counts, time.time() - start)
    for kind, n in kinds.most_common():
        print(f"  failed x{n}: {kind}")
    for reason, n in refusals.most_common(10):
        print(f"  refused x{n}: {reason}")
    if out:
        out.close()
    return 1 if counts["failed"] else 0


def _write(out, text: str) -> None:
    if out:
        out.write(text)
        out.flush()


def _print_counts(counts: collections.Counter, seconds: float) -> None:
    print(f"programs {counts['programs']}, refused {counts['refused']}, passed {counts['passed']}, "
          f"failed {counts['failed']}, generator errors {counts['generator errors']} ({seconds:.0f} s)", flush=True)


if __name__ == "__main__":
    sys.exit(main())
