"""Every refusal speaks the user's language: it names file:line:col of the user's file, the construct in
the user's words (never an internal temporary such as `t21`, `bt3` or a renaming `x_3`, never a made-up
name such as `returned_value`, never a libcst class name such as `SimpleStatementSuite`), and has a hint
specific to the construct (not the catch-all "write it with what is supported").

Programs: small unsupported ones (each marked STAYS, a construct that stays unsupported, or MAY, one that
issue 11 may make work: skipped once it is accepted), the refusals the fuzzers found (tests/fuzz,
tests/cf_fuzz), and every program tests/realworld lists as refused for now. A refusal whose words are wrong
today, made in a module of the front end or the analysis, is marked xfail(strict) with the module and the
message proposed, so that the mark goes when the message is fixed.
"""

from __future__ import annotations

import inspect
import io
import re
import sys
import textwrap
import tokenize
import warnings
from dataclasses import dataclass
from pathlib import Path

import libcst as cst
import numpy as np
import pytest

import tangent_src as ts
from helpers import make_function
from tangent_src.errors import InternalError, TransformError, UnsupportedSyntax

STAYS, MAY = "stays unsupported", "issue 11 may make it work"
PACKAGE = Path(ts.__file__).resolve().parent
LIBCST_NAMES = {name for name, value in vars(cst).items()
                if isinstance(value, type) and issubclass(value, cst.CSTNode)}
TEMPORARY = re.compile(r"\b(?:b|d)?t\d+\b")  # t21, bt3, dt4
RENAMED = re.compile(r"\b[A-Za-z_]\w*?_\d+\b")  # x_3, bh_2
CATCH_ALL = {UnsupportedSyntax.default_hint, TransformError.default_hint}
# names the tool makes up (frontend/exits.py, the transforms) or takes from a rule's signature (getattr's `obj`)
MADE_UP = {"returned_value", "returned", "going", "either", "chosen", "tape", "cotangents", "bout", "obj"}


@dataclass(frozen=True)
class Program:
    source: str
    kind: str  # STAYS or MAY
    not_words: tuple[str, ...] = ()  # words that misname the construct (a dict's method is no "array method")


def program(source: str, kind: str = STAYS, not_words: tuple[str, ...] = ()) -> Program:
    return Program(textwrap.dedent(source).strip() + "\n", kind, not_words)


PROGRAMS = {
    # ---------------------------------------------------------------- statements
    "try_except": program("""
        def f(x):
            try:
                y = np.sin(x)
            except ValueError:
                y = x
            return np.sum(y)
        """),
    "try_finally": program("""
        def f(x):
            try:
                y = np.sin(x)
            finally:
                pass
            return np.sum(y)
        """),
    "with": program("""
        def f(x):
            with np.errstate(all="ignore"):
                y = np.log(x)
            return np.sum(y)
        """),
    "class_definition": program("""
        def f(x):
            class Box:
                pass
            return np.sum(x)
        """),
    "while_else": program("""
        def f(x):
            i = 0
            while i < 3:
                x = x * 2
                i += 1
            else:
                x = x + 1
            return np.sum(x)
        """),
    "for_else": program("""
        def f(x):
            for i in range(3):
                x = x * 2
            else:
                x = x + 1
            return np.sum(x)
        """),
    "star_assignment_into_an_item": program("""
        def f(x):
            y = [0.0, 0.0]
            y[0], *rest = x
            return y[0] * 2
        """),
    "item_of_a_call_as_target": program("""
        def f(x):
            y = x.copy()
            y.reshape(3)[0] = 1.0
            return np.sum(y * x)
        """),
    "loop_into_an_item": program("""
        def f(x):
            y = x * 1.0
            for y[0] in [1.0, 2.0]:
                pass
            return np.sum(y)
        """),
    "write_into_a_global_array": program("""
        BUF = np.zeros(3)

        def f(x):
            BUF[0] = np.sum(x)
            return np.sum(x * BUF)
        """),
    "call_for_its_effect": program("""
        def f(x):
            y = x * 1.0
            y.sort()
            return np.sum(y * x)
        """),
    "bitwise_or_in_place": program("""
        def f(x):
            y = x * 1.0
            y |= 1
            return np.sum(y)
        """),
    "shift_in_place": program("""
        def f(x):
            y = x * 1.0
            y <<= 1
            return np.sum(y)
        """),
    # ---------------------------------------------------------------- functions
    "generator": program("""
        def f(x):
            yield np.sum(x)
        """),
    "yield_from": program("""
        def f(x):
            yield from [np.sum(x)]
        """),
    "async_def": program("""
        async def f(x):
            return np.sum(x)
        """),
    "kwargs_parameter": program("""
        def f(x, **options):
            return np.sum(x)
        """),
    "varargs_parameter": program("""
        def f(x, *rest):
            return np.sum(x)
        """),
    "recursion": program("""
        def f(x):
            if np.sum(x) > 100:
                return np.sum(x)
            return f(x * 2)
        """),
    "returns_of_different_lengths": program("""
        def f(x):
            if np.sum(x) > 0:
                return x, x
            return x
        """, MAY),
    "returns_a_truth_value": program("""
        def f(x):
            loss = np.sum(x)
            return loss > 0.0
        """),
    "returns_a_string": program("""
        def f(x):
            return "value"
        """),
    "lambda": program("""
        def f(x):
            g = lambda v, k=2: v * k
            return np.sum(g(x))
        """, MAY),
    "function_as_argument": program("""
        def apply(g, v):
            return g(v)

        def f(x):
            return np.sum(apply(np.sin, x))
        """, MAY),
    # ---------------------------------------------------------------- expressions
    "shift": program("""
        def f(x):
            return np.sum(x << 1)
        """),
    "comprehension_with_two_fors": program("""
        def f(x):
            return sum(a * b for a in x for b in x)
        """, MAY),
    # ---------------------------------------------------------------- calls
    "star_arguments_to_a_differentiable_function": program("""
        def f(x):
            pair = (x, x * 2)
            return np.sum(np.maximum(*pair))
        """),
    "double_star_arguments": program("""
        def f(x, options):
            return np.sum(x, **options)
        """),
    "library_function_without_a_rule": program("""
        def f(x):
            return np.sum(np.fft.fft(x).real)
        """),
    "eval": program("""
        def f(x):
            return eval("np.sum(x)")
        """),
    "setattr": program("""
        def f(x):
            setattr(x, "foo", 1)
            return np.sum(x)
        """),
    "array_method_without_a_rule": program("""
        def f(x):
            return np.sum(x.frobnicate())
        """),
    "list_method_without_a_rule": program("""
        def f(x):
            xs = [x, x]
            return np.sum(xs.frobnicate(0))
        """, MAY, not_words=("array method",)),
    "attribute_assignment": program("""
        def f(x):
            x.flags.writeable = False
            return np.sum(x)
        """, MAY),
    # ---------------------------------------------------------------- found by the fuzzers
    "enumerate_of_zip": program("""
        def f(x):
            s = x[0] * 0.0
            for k, (r, w) in enumerate(zip(x, [x[0], x[1], x[2]])):
                s = s + r * w + k
            return np.sum(s)
        """, MAY),
    "reversed_range": program("""
        def f(x):
            s = x[0] * 1.0
            for i in reversed(range(3)):
                s = np.tanh(s + x[1] * i)
            return np.sum(s)
        """, MAY),
    "in_place_update_of_a_shared_array": program("""
        def f(x):
            s = x
            s += 1.0
            s *= x[0]
            return np.sum(s * x)
        """, MAY),
    "callee_updates_an_argument_the_caller_reads": program("""
        def helper(a, b):
            a += b
            return np.sum(a)

        def f(x):
            x = x * 2
            s = helper(x, x)
            return s + np.sum(x)
        """),
    "in_place_update_after_a_return_in_a_loop": program("""
        def f(x):
            for k in range(3):
                if k == 1:
                    return x
                x -= x * 0.5
            return x
        """),
}


# programs whose messages were fixed in this issue (restored here; they stay refused)
PROGRAMS.update({
    "global": program("""
        G = 1.0

        def f(x):
            global G
            G = 2.0
            return np.sum(x * G)
        """),
    "del": program("""
        def f(x):
            y = x * 2.0
            del y
            return np.sum(x)
        """),
    "relative_import_in_function": program("""
        def f(x):
            from .helpers import scale
            return np.sum(x) * scale
        """),
    "match": program("""
        def f(x):
            match x.ndim:
                case 1:
                    y = x
                case _:
                    y = x * 2.0
            return np.sum(y)
        """),
    "await": program("""
        async def g(v):
            return v

        async def f(x):
            y = await g(x)
            return np.sum(y)
        """),
    "no_return": program("""
        def f(x):
            y = np.sum(x)
        """),
    "bare_return": program("""
        def f(x):
            return
        """),
    "nested_def_with_nonlocal": program("""
        def f(x):
            total = 0.0
            def add(v):
                nonlocal total
                total = total + v
                return total
            add(np.sum(x))
            return total
        """),
    "set_display": program("""
        def f(x):
            s = {1, 2}
            return np.sum(x) * len(s)
        """),
    "set_comprehension": program("""
        def f(x):
            s = {k for k in range(3)}
            return np.sum(x) * len(s)
        """),
    "walrus": program("""
        def f(x):
            if (n := x.shape[0]) > 2:
                x = x * n
            return np.sum(x)
        """),
    "starred_item_in_a_list": program("""
        def f(x):
            xs = [x, x]
            ys = [x, *xs]
            return np.sum(np.stack(ys))
        """),
    "undefined_name": program("""
        def f(x):
            return np.sum(x * UNDEFINED_SCALE)
        """),
    "function_that_does_not_exist": program("""
        def f(x):
            return np.sum(np.frobnicate(x))
        """),
    "too_many_arguments_to_numpy": program("""
        def f(x):
            return np.sum(np.sin(x, x, x, x))
        """),
    "too_many_arguments_to_a_function_of_yours": program("""
        def g(a):
            return a * 2.0

        def f(x):
            return np.sum(g(x, x))
        """),
    "calling_a_call": program("""
        def make():
            return np.sin

        def f(x):
            return np.sum(make()(x))
        """, MAY),
    "calling_np_vectorize": program("""
        def f(x):
            return np.sum(np.vectorize(np.sin)(x))
        """),
    "dict_method_without_a_rule": program("""
        def f(x):
            d = {"a": x}
            return np.sum(d.frobnicate("a"))
        """, MAY, not_words=("array method",)),
    "string_method": program("""
        def f(x):
            label = "{}".format(1)
            return np.sum(x) * len(label)
        """, MAY, not_words=("array method",)),
    "method_an_object_does_not_have": program("""
        class Box:
            def __init__(self, v):
                self.v = v

        B = Box(2.0)

        def f(x):
            return np.sum(x * B.frobnicate())
        """, MAY),
    "zip_unpacked_into_too_few_names": program("""
        def f(x):
            s = 0.0
            for a, b in zip(x, x, x):
                s = s + a * b
            return s
        """),
})

# wrong words today, in messages made outside this test's owner's files: program -> module and proposal
KNOWN_BAD = {
    "bitwise_or_in_place": "normalize.py: the operator `|=` ... hint: bitwise operators have no derivative; "
                           "use np.bitwise_or on integer arrays, or arithmetic",
    "shift_in_place": "normalize.py: the operator `<<=` ... hint as for `|=`",
    "function_as_argument": "functions.py: `np.sin` is a function ... hint: call it here (`np.sin(x)`), or "
                            "pass a function of yours and call it by name",
    "list_method_without_a_rule": "calls.py: `the array method .frobnicate()` for a list; propose "
                                  "`a list has no method \\`.frobnicate()\\`` (append is supported)",
}


# ------------------------------------------------------------------ the checks


def identifiers(source: str) -> set[str]:
    found = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.NAME:
                found.add(token.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        found |= set(re.findall(r"[A-Za-z_]\w*", source))
    return found


def problems(err: TransformError, source: str, allowed: set[str] = frozenset()) -> list[str]:
    """What is wrong with a refusal's words (an empty list: nothing)."""
    found = []
    if isinstance(err, InternalError):
        return [f"an InternalError, not a refusal: {err}"]
    span = err.span
    if span is None:
        return [f"no file:line:col: {err}"]
    path = Path(span.path)
    if not path.is_file() or PACKAGE in path.resolve().parents:
        found.append(f"the location {span.path} is not a file of the user's")
    elif not (0 < span.line <= len(path.read_text().splitlines())) or \
            path.read_text().splitlines()[span.line - 1] != span.text.rstrip("\n"):
        found.append(f"line {span.line} of {span.path} is not the line the message shows")
    if f"{span.path}:{span.line}:{span.column + 1}: " not in str(err):
        found.append("the message does not start with file:line:col")
    known = identifiers(source) | allowed
    for text, what in ((err.message, "message"), (err.hint or "", "hint")):
        for name in set(TEMPORARY.findall(text)) | set(RENAMED.findall(text)):
            if name not in known:
                found.append(f"the {what} names `{name}`, an internal temporary or renaming")
        prose = re.sub(r"`[^`]*`", "``", text)
        for name in set(re.findall(r"\b[A-Z][A-Za-z]*\b", prose)) & LIBCST_NAMES:
            found.append(f"the {what} says `{name}`, a libcst class name")
    for quoted in re.findall(r"`([^`]*)`", err.message):
        for name in re.findall(r"[A-Za-z_]\w*", quoted):
            if name not in known and (name in MADE_UP or name.endswith(("_shape", "_final"))):
                found.append(f"the message quotes `{name}`, a name the tool made up (the program has none)")
    if not (err.hint or "").strip():
        found.append("no hint")
    elif err.hint in CATCH_ALL:
        found.append(f"the catch-all hint, not one for the construct: {err.hint!r}")
    return found


def refusal(fn, make, args: tuple) -> TransformError | None:
    """The TransformError deriving (or first calling) make(fn) raises; None if it is accepted."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            derivative = make(fn, 0)
            derivative(*args)
    except TransformError as err:
        return err
    return None


X = np.array([0.5, 0.25, 0.75])


def _param(name: str):
    marks = [pytest.mark.xfail(strict=True, reason=KNOWN_BAD[name])] if name in KNOWN_BAD else []
    return pytest.param(name, id=name, marks=marks)


@pytest.mark.parametrize("name", [_param(n) for n in PROGRAMS])
def test_refusal_names_the_construct_in_the_users_words(name):
    case = PROGRAMS[name]
    for make, args in ((ts.grad, (X.copy(),)), (ts.jvp, (X.copy(), np.ones(3)))):
        fn = make_function(case.source)  # a fresh module each time: no cached derivative
        err = refusal(fn, make, args)
        if err is None:
            if case.kind == MAY:
                pytest.skip(f"accepted now by {make.__name__}: {case.kind}")
            pytest.fail(f"{make.__name__} accepts {name}, which should be refused ({case.kind})")
        source = inspect.getsource(inspect.getmodule(fn))
        found = problems(err, source, {fn.__module__})
        found += [f"the message says {w!r}" for w in case.not_words if w in str(err)]
        assert not found, f"{make.__name__}: " + "; ".join(found) + f"\n--- the refusal ---\n{err}"


def test_the_checks_catch_bad_words():
    """The checks themselves: each bad message is caught (so that a passing test means something)."""
    from tangent_src.errors import SourceSpan

    path = inspect.getsourcefile(make_function("def f(x):\n    return x\n"))
    line = Path(path).read_text().splitlines()[5]
    span = SourceSpan(path, 6, 0, 6, 3, line)
    source = Path(path).read_text()
    good = UnsupportedSyntax("`f` is not supported", span, hint="write g instead")
    assert problems(good, source) == []
    for bad in (UnsupportedSyntax("`t21` is not supported", span, hint="x"),
                UnsupportedSyntax("the value `x_3` is shared", span, hint="x"),
                UnsupportedSyntax("SimpleStatementSuite is not supported", span, hint="x"),
                UnsupportedSyntax("`returned_value` is shared", span, hint="x"),
                UnsupportedSyntax("`f` is not supported", span),
                UnsupportedSyntax("`f` is not supported", None, hint="x")):
        assert problems(bad, source), str(bad)


# ------------------------------------------------------------------ the programs tests/realworld refuses today


def _realworld():
    try:
        from realworld.test_realworld import ALL_CASES, REFUSED_FOR_NOW
    except ImportError:  # the suite is being changed: nothing to check from it
        return []
    return [case for case in ALL_CASES if case.name in REFUSED_FOR_NOW]


# wrong words today in the refusals of tests/realworld: case -> module and proposal
REALWORLD_KNOWN_BAD = {
}


def _realworld_param(case):
    marks = [pytest.mark.xfail(strict=True, reason=REALWORLD_KNOWN_BAD[case.name])] \
        if case.name in REALWORLD_KNOWN_BAD else []
    return pytest.param(case, id=case.name, marks=marks)


def _derivatives(case):
    """(derivative, extra arguments after the case's own) for its reverse mode and for jvp."""
    from realworld.harness import copy_tree, random_tree

    args = case.make_args(np.random.default_rng(0))
    rng = np.random.default_rng(1)
    if case.has_aux or case.scalar:
        yield (lambda: ts.grad(case.fn, case.wrt, has_aux=case.has_aux)), args, ()
    else:
        yield (lambda: ts.vjp(case.fn, case.wrt)), args, (random_tree(case.fn(*copy_tree(args)), rng),)
    primals = [_wrt_value(case, args, w) for w in case.wrt]
    tangents = None if any(p is None for p in primals) else tuple(random_tree(p, rng) for p in primals)
    yield (lambda: ts.jvp(case.fn, case.wrt)), args, tangents


def _wrt_value(case, args, w):
    """The value a wrt item names (`0`, `"W"`, `"self.params"`); None where this test cannot tell."""
    names = list(inspect.signature(case.fn).parameters)
    if isinstance(w, int):
        return args[w]
    head, *rest = str(w).split(".")
    value = args[names.index(head)] if head in names else getattr(case.fn, "__self__", None)
    for part in rest:
        value = getattr(value, part, None)
    return value


@pytest.mark.parametrize("case", [_realworld_param(c) for c in _realworld()])
def test_realworld_refusal_names_the_construct_in_the_users_words(case):
    from realworld.harness import copy_tree

    for make, args, extras in _derivatives(case):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                derivative = make()
                if extras is not None:  # (a wrt this test cannot find: the derivative is made, not run)
                    derivative(*copy_tree(args), *extras)
        except TransformError as err:
            fn = inspect.unwrap(getattr(case.fn, "__func__", case.fn))
            found = problems(err, inspect.getsource(inspect.getmodule(fn)))
            assert not found, "; ".join(found) + f"\n--- the refusal ---\n{err}"
            return
    pytest.skip("accepted now")


# ------------------------------------------------------------------ the command line (it reads the file, never runs it)

FILES = {
    "a_name_computed_when_the_file_runs": {"model.py": """
        import numpy as np

        act = getattr(np, "tanh")


        def f(x):
            return np.sum(act(x))
        """},
    "a_helper_reads_a_name_the_file_means_otherwise": {"helpers_words.py": """
        import numpy as np


        def _scale(z):
            return 2.0 * z


        def layer(x):
            return np.tanh(_scale(x))
        """, "model.py": """
        import numpy as np
        from helpers_words import layer


        def _scale(z):
            return 3.0 * z


        def f(x):
            return np.sum(layer(x))
        """},
}


@pytest.mark.parametrize("name", list(FILES))
def test_command_line_refusal_names_the_construct_in_the_users_words(name, tmp_path, monkeypatch):
    from tangent_src.frontend.static import load_file
    from tangent_src.pipeline import derive_all

    monkeypatch.syspath_prepend(str(tmp_path))
    for file, text in FILES[name].items():
        (tmp_path / file).write_text(textwrap.dedent(text).strip() + "\n")
    monkeypatch.delitem(sys.modules, "helpers_words", raising=False)
    with pytest.raises(TransformError) as caught:
        static = load_file(str(tmp_path / "model.py"))
        derive_all([(static.function("f"), "grad", 0)])
    source = "\n".join((tmp_path / file).read_text() for file in FILES[name])
    found = problems(caught.value, source)
    assert not found, "; ".join(found) + f"\n--- the refusal ---\n{caught.value}"
