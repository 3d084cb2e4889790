"""Print the outcome of every real-world program, then the course checklist (each kind of course program
the issue names, with how many of its programs pass): `python -m tests.realworld.report` from the
repository root."""

from __future__ import annotations

import sys

from .test_realworld import ALL_CASES, COURSE_CHECKLIST
from .harness import outcome


def main() -> int:
    outcomes = {}
    for case in ALL_CASES:
        outcomes[case.name] = outcome(case)
        print(f"{case.name:50s} {outcomes[case.name]}")
    print("\ncourse checklist (programs passing / registered):")
    for kind, programs in COURSE_CHECKLIST.items():
        passing = [name for name in programs if outcomes[name] == "pass"]
        print(f"  {kind:56s} {len(passing)}/{len(programs)}  {', '.join(passing)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
