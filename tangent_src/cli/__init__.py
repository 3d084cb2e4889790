"""The `tangent-src` command line (also `python -m tangent_src`).

Stage: none; it calls the pipeline and the rule table and holds no
transformation logic. Subcommands: `rules`, which lists the rule table, and
`derive`, which writes a module of derivatives (cli/derive.py).
"""

from __future__ import annotations

import argparse
import sys

from .. import rules as _rules  # noqa: F401  (registers the table)
from . import derive, graph, listing


def rules_command(args: argparse.Namespace) -> int:
    """Print one primitive per line with the modes it supports (or the markdown page)."""
    if args.markdown:
        print(listing.markdown(), end="")
    else:
        print("\n".join(listing.lines()))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tangent-src",
        description="Source-to-source automatic differentiation of numpy code.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    rules_parser = sub.add_parser(
        "rules", help="list the rule table",
        description="List every primitive in the rule table with the modes it supports.",
        epilog="example: tangent-src rules | grep numpy.sum",
    )
    rules_parser.add_argument("--markdown", action="store_true",
                              help="print docs/rules.md: every rule with its formulas")
    rules_parser.set_defaults(run=rules_command)
    derive.add_parser(sub)
    graph.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.run is derive.run:
            return derive.run(args, argv)
        return args.run(args)
    except BrokenPipeError:  # `tangent-src rules | head`: the reader has what it wanted
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
