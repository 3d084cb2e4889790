"""The `tangent-src` command line (also `python -m tangent_src`).

Stage: none; it calls the pipeline and the rule table and holds no
transformation logic. Subcommands so far: `rules`, which lists the rule table.
"""

from __future__ import annotations

import argparse
import sys

from .. import rules as _rules  # noqa: F401  (registers the table)
from ..rules.registry import all_rules


def _modes(rule) -> str:  # noqa: ANN001
    if not rule.diff:
        return "non-differentiable"
    return "forward reverse"


def rules_command(args: argparse.Namespace) -> int:
    """Print one primitive per line with the modes it supports."""
    for rule in all_rules():
        if "." not in rule.key:
            continue  # internal entries (a copy of a name), not something a user calls
        doc = rule.doc.splitlines()[0] if rule.doc and rule.diff else ""
        print(f"{rule.key:<24} {_modes(rule):<20} {doc}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tangent-src",
        description="Source-to-source automatic differentiation of numpy code.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser(
        "rules", help="list the rule table",
        description="List every primitive in the rule table with the modes it supports.",
        epilog="example: tangent-src rules | grep numpy.sum",
    )
    listing.set_defaults(run=rules_command)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except BrokenPipeError:  # `tangent-src rules | head`: the reader has what it wanted
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
