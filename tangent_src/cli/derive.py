"""`tangent-src derive`: a file's functions in, a module of their derivatives out.

Stage: none (command line). It loads the file statically (frontend/static.py:
the file is read, never run), derives the functions asked for in one session
(pipeline.derive_all), writes the standalone module (codegen/standalone.py)
and writes it atomically: to a temporary file beside the target, then renamed,
so that a failure never leaves a partial file.
"""

from __future__ import annotations

import argparse
import ast
import os
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

from .. import __version__
from ..codegen import annotate, standalone
from ..errors import InternalError, TransformError
from ..frontend.static import load_file
from ..pipeline import derive_all
from . import like
from .higher import HIGHER_MODES, derive_higher

# Exit codes (documented in `tangent-src derive --help` and the README).
OK = 0
TRANSFORM_FAILED = 1  # the function cannot be differentiated (the message has file:line:col and a caret)
USAGE = 2  # bad command line (argparse's own code)
EXISTS = 3  # the output file exists and --force was not given
IO_FAILED = 4  # the input could not be read or the output could not be written
INTERNAL = 5  # a bug in tangent_src (the message says so)

MODES = {
    "reverse": ("grad",),
    "forward": ("jvp",),
    "both": ("grad", "jvp"),
    "grad": ("grad",),
    "value_and_grad": ("value_and_grad",),
    "vjp": ("vjp",),
    "jvp": ("jvp",),
    "hvp": ("hvp",),  # (cli/higher.py: the gradient differentiated again, and wrappers)
    "hessian": ("hessian",),
    "jacobian": ("jacobian",),
}

EPILOG = """\
examples:
  tangent-src derive model.py loss --wrt W,b -o grad_model.py
  tangent-src derive model.py loss predict --mode both --annotate > derivatives.py
  tangent-src derive model.py loss --wrt W --html loss.html
  tangent-src derive model.py loss_and_accuracy --has-aux -o grad_model.py
  tangent-src derive rnn.py loss --wrt W --checkpoint 10 -o grad_rnn.py
  tangent-src derive model.py loss --wrt W,b --like X=B,784 --like W=784,10 -o grad_model.py
  tangent-src derive rosenbrock.py rosenbrock --like x=N --target numba -o grad_rosenbrock.py

modes: reverse (grad_f, for functions with a scalar result), forward (jvp_f),
both; or one of grad, value_and_grad, vjp, jvp; or hvp (hvp_f(*args, v), the
Hessian times v, forward mode over the gradient), hessian (hessian_f, one hvp
per element) or jacobian (jacobian_f, by jvp_f or vjp_f, whichever sweeps
fewer times), for one --wrt parameter. A function that returns a
tuple is refused by the gradient modes, unless --has-aux says it returns
(value, aux): then grad_f returns (gradient, aux), aux not differentiated.

The file is read as text and never run: its functions are compiled from their
`def` statements alone and its import statements are done (so that numpy's
functions are numpy's); everything else at its top level is left alone. The
written module imports numpy, and the file's own module (by --module name,
default the file's name) for the constants and helper functions the
derivatives use; it does not import tangent_src (the helpers it calls are
copied into it).

exit codes: 0 written; 1 the function cannot be differentiated (the message
says file:line:col, with a caret); 2 bad command line; 3 the output exists
(use --force); 4 the input could not be read or the output not written;
5 an internal error (a bug in tangent_src: please report it).
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "derive", help="write a module of derivative functions",
        description="Write a Python module holding the derivatives of functions in FILE.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", metavar="FILE.py", help="the Python file that defines the functions")
    parser.add_argument("functions", metavar="FUNCTION", nargs="+", help="top-level functions to differentiate")
    parser.add_argument("--wrt", default=None, metavar="NAME[,NAME...]",
                        help="parameters to differentiate with respect to (default: the first)")
    parser.add_argument("--mode", choices=list(MODES), default="reverse", help="which derivatives (default reverse)")
    parser.add_argument("-o", "--output", metavar="OUT.py", help="write here instead of standard output")
    parser.add_argument("--force", action="store_true", help="overwrite OUT.py (and OUT.html) if they exist")
    parser.add_argument("--has-aux", action="store_true",
                        help="each function returns (value, aux): differentiate the scalar value and pass aux "
                        "through (grad and value_and_grad modes; reverse means grad)")
    parser.add_argument("--annotate", action="store_true",
                        help="comment each derivative statement with its primal statement and rule")
    parser.add_argument("--html", metavar="OUT.html",
                        help="also write a page showing each function beside its derivative, lines linked (and "
                        "the derivative's computational graph, where graphviz and its dot are installed)")
    parser.add_argument("--checkpoint", metavar="K", type=_checkpoint, default=None,
                        help="reverse modes: each function's outermost `for ... in range(...)` loops keep at most K "
                        "snapshots and run trips again from them instead of recording every trip (binomial "
                        "checkpointing); K=sqrt: snapshots every sqrt(n) trips; K=none: not even the loops marked "
                        "`# tangent_src: checkpoint(snapshots=k)`")
    parser.add_argument("--like", metavar="NAME=SHAPE[:DTYPE]", action="append", default=None,
                        help="what an argument will be (X=B,784  W=784,10:float32  lr=number), repeated: the code "
                        "is specialized to it, as ts.grad does at a call (annotations such as "
                        "Float[np.ndarray, \"B D\"] count too); without any, the general code")
    parser.add_argument("--target", choices=["python", "numba"], default="python",
                        help="numba: the written module compiles each derivative with numba.njit (needs numba)")
    parser.add_argument("--module", metavar="NAME",
                        help="the name that imports FILE (default: its file name without .py)")
    parser.set_defaults(run=run)


def _checkpoint(text: str) -> int | str | bool:
    if text in ("sqrt", "none"):
        return "sqrt" if text == "sqrt" else False
    if text.isdigit() and int(text) >= 1:
        return int(text)
    raise argparse.ArgumentTypeError(f"expected a number of snapshots >= 1, sqrt or none, not {text!r}")


def run(args: argparse.Namespace, argv: list[str] | None = None) -> int:
    if getattr(args, "has_aux", False) and not set(MODES[args.mode]) <= {"grad", "value_and_grad"}:
        print(f"tangent-src: --has-aux applies to the modes reverse, grad and value_and_grad, not {args.mode}",
              file=sys.stderr)
        return USAGE
    try:
        for text in getattr(args, "like", None) or []:
            like.parse_like(text)
    except ValueError as err:
        print(f"tangent-src: --like {err}", file=sys.stderr)
        return USAGE
    targets = [t for t in (args.output, args.html) if t]
    for target in targets:
        if os.path.exists(target) and not args.force:
            print(f"tangent-src: {target} exists; pass --force to overwrite it", file=sys.stderr)
            return EXISTS
    made, failed = reported(lambda: build(args, argv), args.file)
    if failed is not None:
        return failed
    text, page = made
    try:
        for target, content in ((args.output, text), (args.html, page)):
            if target and content is not None:
                write_atomically(target, content, args.force)
    except FileExistsError as err:
        print(f"tangent-src: {err.filename} exists; pass --force to overwrite it", file=sys.stderr)
        return EXISTS
    except OSError as err:
        print(f"tangent-src: cannot write {err.filename or ''}: {err.strerror or err}", file=sys.stderr)
        return IO_FAILED
    if not args.output:
        sys.stdout.write(text)
    return OK


def reported(make, path: str, also: tuple = ()) -> tuple[object, int | None]:
    """(make(), None); or, where it raised, (None, the exit code) after saying why on stderr: our
    bug (INTERNAL: an InternalError, or any exception no other case names), the user's code
    (TRANSFORM_FAILED), a file that cannot be read (IO_FAILED). `also` holds (exception types,
    exit code) pairs the command adds, checked after TransformError; nothing is written."""
    try:
        return make(), None
    except InternalError as err:  # a TransformError too, but our bug, not the user's code
        print(f"tangent-src: internal error, please report it: {err}", file=sys.stderr)
        return None, INTERNAL
    except TransformError as err:
        print(f"tangent-src: {err}", file=sys.stderr)
        return None, TRANSFORM_FAILED
    except Exception as err:  # noqa: BLE001  (a bug: say so, write nothing)
        for kinds, code in also:
            if isinstance(err, kinds):
                print(f"tangent-src: {err}", file=sys.stderr)
                return None, code
        if isinstance(err, OSError):
            print(f"tangent-src: cannot read {path}: {err}", file=sys.stderr)
            return None, IO_FAILED
        print(f"tangent-src: internal error, please report it: {type(err).__name__}: {err}", file=sys.stderr)
        return None, INTERNAL


def build(args: argparse.Namespace, argv: list[str] | None) -> tuple[str, str | None]:
    """The module text (and the HTML page, when asked for)."""
    static = load_file(args.file, args.module)
    wrt: object = 0
    if args.wrt:
        names = [n.strip() for n in args.wrt.split(",") if n.strip()]
        wrt = names[0] if len(names) == 1 else tuple(names)
    requests = [(static.function(name), mode, wrt) for name in args.functions for mode in MODES[args.mode]]
    wrappers: list = []
    if args.mode in HIGHER_MODES:
        ordered = []
        for fn, mode, _ in requests:
            made, written = derive_higher(fn, mode, wrt, args.annotate or bool(args.html))
            ordered += [v for v in made if v not in ordered]
            wrappers += written
        mains = ordered[-1:]
    else:
        functions = list(dict.fromkeys(fn for fn, _, _ in requests))
        mains, ordered = derive_all(requests, annotate=args.annotate or bool(args.html),
                                    has_aux=getattr(args, "has_aux", False),
                                    checkpoint=getattr(args, "checkpoint", None),
                                    arguments=like.arguments_for(functions, getattr(args, "like", None)))
    nodes = [v.node for v in ordered]
    rule_names = {k: v for variant in ordered for k, v in variant.names.items()}
    command = "tangent-src " + shlex.join(argv if argv is not None else sys.argv[1:])
    header = [f"# Generated by tangent_src {__version__}; do not edit: edit {Path(args.file).name} and run again:",
              f"#     {command}"]
    summary = [f"Derivatives of {', '.join(args.functions)} in {Path(args.file).name}, written by tangent_src.", ""]
    summary += [f"{v.name}: {_kind(v)}" for v in mains]
    summary += [f"{w.name}: {ast.get_docstring(w).splitlines()[0]}" for w in wrappers]  # type: ignore[union-attr]
    summary += ["", "Functions named vjp_*/jvp_* with keyword cotangents or tangents are those of the",
                "functions they call. Generated code: regenerate rather than edit."]
    page = None
    if args.html:
        from ..codegen import html

        svg = None if args.mode in HIGHER_MODES else _graph_svg(requests[0][0], nodes, mains[0], args.file)
        page = html.page([fn for fn, _, _ in requests[::len(MODES[args.mode])]], nodes, mains[0].numpy,
                         title=", ".join(args.functions), path=args.file, graph_svg=svg)
        if not args.annotate:
            for node in nodes:
                node.body = annotate.strip_markers(node.body)
    text = standalone.module_text(nodes + wrappers, mains[0].numpy, rule_names, static, header, summary)
    if getattr(args, "target", "python") == "numba":  # the same code, compiled at its first call
        text += ("\n\n# target numba: each derivative compiled by numba.njit (pip install numba)\n"
                 "import numba  # noqa: E402\n\n"
                 + "".join(f"{v.name} = numba.njit({v.name})\n" for v in ordered))
    return text, page


def _graph_svg(fn, nodes: list, main, path: str) -> str | None:
    """The computational graph of the first derivative asked for, as SVG for the --html page, each
    node linking to its line there; None (the page then has no graph) where the graphviz package or
    Graphviz's `dot` is missing, or the graph cannot be drawn: the page is worth having without it."""
    if shutil.which("dot") is None:
        return None
    try:
        import graphviz  # noqa: F401  (the graph extra)

        from ..graph import of_nodes

        return of_nodes(fn, nodes, main.numpy, path=path, name=main.name, links=True).svg()
    except Exception:  # noqa: BLE001  (an optional picture: never the reason a page is not written)
        return None


def _kind(variant) -> str:
    words = {"grad": "gradient (reverse mode)", "value_and_grad": "value and gradient (reverse mode)",
             "vjp": "vector-Jacobian product (reverse mode)", "jvp": "Jacobian-vector product (forward mode)"}
    mode = variant.name.split("_")[0] if not variant.name.startswith("value_and_grad") else "value_and_grad"
    return words.get(mode, mode)


def write_atomically(path: str, text: str, force: bool) -> None:
    """Write to a temporary file in the target's folder, then move it into place in one step.

    Without `force` the move fails if the target appeared in the meantime (a hard
    link is made, which never replaces a file)."""
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        if force:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)  # FileExistsError if the target exists
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


__all__ = ["EXISTS", "INTERNAL", "IO_FAILED", "OK", "TRANSFORM_FAILED", "USAGE", "add_parser", "run",
           "write_atomically"]
