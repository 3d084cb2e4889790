"""Print the outcome of every real-world program: `python -m tests.realworld.report` from the repository root."""

from __future__ import annotations

import sys

from .test_realworld import ALL_CASES
from .harness import outcome


def main() -> int:
    for case in ALL_CASES:
        print(f"{case.name:40s} {outcome(case)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
