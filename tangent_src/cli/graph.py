"""`tangent-src graph`: the computational graph of a function in a file, or of its derivative.

Stage: none (command line). It loads the file statically (frontend/static.py: read, never run),
normalizes the function, or derives it (pipeline.derive_all, annotated so that each derivative
statement knows the statement it differentiates), and draws the graph (tangent_src/graph.py).
Without -o it prints the DOT text, which needs no Graphviz (`| dot -Tsvg > f.svg`); with -o it
writes the file the extension names, laid out by Graphviz's `dot`.
"""

from __future__ import annotations

import argparse
import os
import sys

from ..codegen.graph import GraphvizNotFound
from .derive import EXISTS, IO_FAILED, OK, USAGE, reported, write_atomically

NO_GRAPHVIZ = 6  # the graphviz package or Graphviz's `dot` program is missing (the message says how to install it)
FORMATS = ("svg", "png", "pdf", "dot", "gv")

EPILOG = """\
examples:
  tangent-src graph model.py f -o f.svg
  tangent-src graph model.py loss --derivative grad --wrt W,b -o grad_loss.svg
  tangent-src graph model.py f --derivative jvp | dot -Tpng > jvp_f.png

Nodes are the function's parameters and its statements in the normalized form,
one operation per statement, named as the generated code names them; edges are
the data dependencies. With --derivative, the derivative's code: the forward
sweep beside the reverse sweep (jvp: the primal statements beside the tangent
statements), a dashed edge from each derivative statement to the statement it
differentiates. A loop is a box holding its body once, a dotted edge carrying a
value to the next trip; an if, a test and a box per branch.

Without -o the DOT text is printed (it needs no Graphviz). -o OUT writes by
OUT's extension: .svg, .png or .pdf laid out by Graphviz's `dot` (pip install
'tangent_src[graph]', and apt-get install graphviz / brew install graphviz /
conda install -c conda-forge graphviz), .dot or .gv the DOT text.

exit codes: 0 written; 1 the function cannot be normalized or differentiated
(file:line:col, with a caret), or the file has no such function; 2 bad command
line; 3 the output exists (use --force); 4 the input could not be read or the
output not written; 5 an internal error (please report it); 6 graphviz or its
`dot` program is missing.
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "graph", help="draw the computational graph of a function or of its derivative",
        description="Draw the computational graph of FUNCTION in FILE, or of its derivative.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", metavar="FILE.py", help="the Python file that defines the function")
    parser.add_argument("function", metavar="FUNCTION", help="a top-level function of FILE")
    parser.add_argument("--derivative", choices=["grad", "value_and_grad", "vjp", "jvp"], default=None,
                        help="draw this derivative of the function (default: the function itself)")
    parser.add_argument("--wrt", default=None, metavar="NAME[,NAME...]",
                        help="with --derivative: the parameters to differentiate with respect to (default: the first)")
    parser.add_argument("-o", "--output", metavar="OUT.svg",
                        help="write here (.svg, .png, .pdf, .dot) instead of printing the DOT text")
    parser.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    parser.add_argument("--module", metavar="NAME", help="the name that imports FILE (default: its file name)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    extension = os.path.splitext(args.output)[1].lower().lstrip(".") if args.output else "dot"
    if extension not in FORMATS:
        print(f"tangent-src: cannot tell the format of {args.output} from its extension: use .svg, .png, .pdf or "
              ".dot", file=sys.stderr)
        return USAGE
    if args.wrt and not args.derivative:
        print("tangent-src: --wrt applies with --derivative", file=sys.stderr)
        return USAGE
    if args.output and os.path.exists(args.output) and not args.force:
        print(f"tangent-src: {args.output} exists; pass --force to overwrite it", file=sys.stderr)
        return EXISTS
    def drawn() -> bytes:
        graph = build(args)
        return graph.dot().encode("utf-8") if extension in ("dot", "gv") else graph.pipe(extension)

    # the graphviz package or Graphviz's dot missing: the message says how to install it
    content, failed = reported(drawn, args.file, also=(((ImportError, GraphvizNotFound), NO_GRAPHVIZ),))
    if failed is not None:
        return failed
    if not args.output:
        sys.stdout.write(content.decode("utf-8"))
        return OK
    try:
        if extension in ("png", "pdf"):
            with open(args.output, "wb" if args.force else "xb") as stream:
                stream.write(content)
        else:
            write_atomically(args.output, content.decode("utf-8"), args.force)
    except FileExistsError:
        print(f"tangent-src: {args.output} exists; pass --force to overwrite it", file=sys.stderr)
        return EXISTS
    except OSError as err:
        print(f"tangent-src: cannot write {args.output}: {err.strerror or err}", file=sys.stderr)
        return IO_FAILED
    return OK


def build(args: argparse.Namespace):  # noqa: ANN201  (a Graph)
    """The graph asked for."""
    from ..frontend.static import load_file
    from ..graph import of_function, of_nodes
    from ..pipeline import derive_all

    static = load_file(args.file, args.module)
    fn = static.function(args.function)
    if not args.derivative:
        return of_function(fn)
    wrt: object = 0
    if args.wrt:
        names = [n.strip() for n in args.wrt.split(",") if n.strip()]
        wrt = names[0] if len(names) == 1 else tuple(names)
    mains, ordered = derive_all([(fn, args.derivative, wrt)], annotate=True)
    return of_nodes(fn, [v.node for v in ordered], mains[0].numpy, name=mains[0].name)


__all__ = ["NO_GRAPHVIZ", "add_parser", "build", "run"]
