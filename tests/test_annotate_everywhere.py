"""Annotation works on every function the transformation accepts: each example and each golden case.

For every function an example script differentiates (found by running the
script's main() with ts.grad/value_and_grad/vjp/jvp recording what they are
called on) and every golden case (tests/golden/<case>/input.py):

- ts.grad/vjp(..., annotate=True) and ts.jvp(..., annotate=True) load (their
  source compiles), carry provenance comments of one line each, differ from the
  plain derivative's source by those comments only, and give the plain
  derivative's numbers;
- `tangent-src derive --annotate` and `tangent-src derive --html` write modules
  that give the same numbers, and the page links each derivative line to a line
  of the user's function that is on the page.
"""

from __future__ import annotations

import contextlib
import functools
import html.parser
import importlib.util
import inspect
import io
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

import tangent_src as ts
from tangent_src.cli import main as cli

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.py") if p.name != "walkthrough.py")  # as test_examples
GOLDEN = ROOT / "tests" / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "input.py").is_file())  # as tests/golden/test_golden.py
KINDS = ("grad", "value_and_grad", "vjp", "jvp")
COMMENT = re.compile(r"^\s*# from: (.*)   \((.*)\)$")


@contextlib.contextmanager
def on_path(folder: Path):
    sys.path.insert(0, str(folder))
    try:
        yield
    finally:
        sys.path.remove(str(folder))


def load_module(path: Path, name: str):
    """The file imported under `name` (which the written modules then import it by)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    with on_path(path.parent):
        spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------ what is differentiated, with which inputs


@functools.cache
def example_targets(script: Path) -> list[tuple[Callable, Any, tuple]]:
    """(function, wrt, primal arguments) for each function the script's main() differentiates:
    its first call of each derivative is recorded."""
    module = load_module(script, script.stem)
    seen: dict[tuple, tuple[Callable, Any, tuple]] = {}
    real = {kind: getattr(ts, kind) for kind in KINDS}

    def recording(kind: str) -> Callable:
        def make(fn, wrt=0, **options):
            derivative = real[kind](fn, wrt, **options)
            extras = {"vjp": 1, "jvp": len(wrt) if isinstance(wrt, (tuple, list)) else 1}.get(kind, 0)

            @functools.wraps(derivative)
            def call(*args):
                key = (fn, repr(wrt))
                if key not in seen and not options:
                    seen[key] = (fn, wrt, args[:len(args) - extras])
                return derivative(*args)

            return call

        return make

    saved = os.getcwd()
    with pytest.MonkeyPatch.context() as patch, on_path(script.parent), \
            contextlib.redirect_stdout(io.StringIO()), tempfile.TemporaryDirectory() as scratch:
        for kind in KINDS:
            patch.setattr(ts, kind, recording(kind))
        os.chdir(scratch)  # where the files it writes (a plot) land
        try:
            module.main()  # its status is test_examples' business (it also checks quoted generated lines)
        finally:
            os.chdir(saved)
    assert seen, f"{script.name} differentiates nothing"
    return list(seen.values())


@functools.cache
def golden_target(case: str) -> tuple[Callable, Any, tuple]:
    module = load_module(GOLDEN / case / "input.py", f"golden_{case}_input")  # as test_golden's load_case
    fn = next(getattr(module, name) for name in ("loss", "f") if hasattr(module, name))
    return fn, module.WRT, tuple(module.example_inputs(np.random.default_rng(0)))


def targets(which: str) -> list[tuple[Callable, Any, tuple]]:
    kind, name = which.split(":")
    return example_targets(ROOT / "examples" / name) if kind == "example" else [golden_target(name)]


WHICH = [f"example:{p.name}" for p in EXAMPLES] + [f"golden:{c}" for c in CASES]


# ------------------------------------------------------------------ values


def copy_tree(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: copy_tree(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(copy_tree(v) for v in x)
    return x.copy() if isinstance(x, np.ndarray) else x


def random_tree(x: Any, rng: np.random.Generator) -> Any:
    if isinstance(x, dict):
        return {k: random_tree(v, rng) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(random_tree(v, rng) for v in x)
    return float(rng.standard_normal()) if isinstance(x, (int, float)) else rng.standard_normal(np.shape(x))


def leaves(x: Any) -> list:
    if isinstance(x, dict):
        return [leaf for k in sorted(x) for leaf in leaves(x[k])]
    if isinstance(x, (list, tuple)):
        return [leaf for v in x for leaf in leaves(v)]
    return [x]


def assert_same(found: Any, expected: Any, what: str) -> None:
    found, expected = leaves(found), leaves(expected)
    assert len(found) == len(expected), what
    for a, b in zip(found, expected):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=0, err_msg=what)


def wrt_items(fn: Callable, wrt: Any) -> list[int]:
    names = list(inspect.signature(fn).parameters)
    items = list(wrt) if isinstance(wrt, (tuple, list)) else [wrt]
    return [w if isinstance(w, int) else names.index(w) for w in items]


def is_scalar(value: Any) -> bool:
    return not isinstance(value, (tuple, list, dict)) and np.ndim(value) == 0


def inputs(fn: Callable, wrt: Any, args: tuple) -> tuple[str, tuple, tuple]:
    """The reverse kind this function takes, and the arguments after f's of it and of jvp."""
    rng = np.random.default_rng(1)
    value = fn(*copy_tree(args))
    tangents = tuple(random_tree(args[i], rng) for i in wrt_items(fn, wrt))
    if is_scalar(value):
        return "grad", (), tangents
    return "vjp", (random_tree(value, rng),), tangents


# ------------------------------------------------------------------ the Python API


def check_annotated_source(text: str, plain: str) -> None:
    compile(text, "<annotated>", "exec")
    comments = [line for line in text.splitlines() if line.strip().startswith("# from:")]
    assert comments, "annotate=True wrote no provenance comment"
    for line in comments:
        assert COMMENT.match(line), f"a provenance comment not of the form `# from: statement   (rule)`: {line}"
    assert [line for line in text.splitlines() if line not in comments] == plain.splitlines()


@pytest.mark.parametrize("which", WHICH)
def test_annotated_derivatives_give_the_same_numbers(which):
    for fn, wrt, args in targets(which):
        reverse, extras, tangents = inputs(fn, wrt, args)
        for make, after in ((getattr(ts, reverse), extras), (ts.jvp, tangents)):
            annotated, plain = make(fn, wrt, annotate=True), make(fn, wrt)
            check_annotated_source(ts.source(annotated), ts.source(plain))
            what = f"{make.__name__}({fn.__name__}, {wrt!r}, annotate=True)"
            assert_same(annotated(*copy_tree(args), *after), plain(*copy_tree(args), *after), what)


# ------------------------------------------------------------------ the command line


class Page(html.parser.HTMLParser):
    """The ids of the page's lines and the primal lines its derivative lines link to."""

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "div" and "line" in (found.get("class") or "").split():
            self.ids.add(found.get("id"))
            if found.get("data-from"):
                self.links.append(found["data-from"])


def derive(path: Path, module: str, fn: Callable, wrt: Any, mode: str, tmp: Path, *options: str) -> Any:
    """Run `tangent-src derive` and import the module it wrote."""
    names = list(inspect.signature(fn).parameters)
    out = tmp / f"derived_{module}_{fn.__name__}_{mode}_{len(list(tmp.iterdir()))}.py"
    argv = ["derive", str(path), fn.__name__, "--wrt", ",".join(names[i] for i in wrt_items(fn, wrt)),
            "--mode", mode, "--module", module, "-o", str(out), *options]
    with contextlib.redirect_stderr(io.StringIO()) as errors:
        status = cli(argv)
    assert status == 0, f"tangent-src {' '.join(argv)} exited with {status}:\n{errors.getvalue()}"
    return load_module(out, out.stem)


@pytest.mark.parametrize("which", WHICH)
def test_command_line_annotate_and_html(which, tmp_path):
    kind, name = which.split(":")
    path = ROOT / "examples" / name if kind == "example" else GOLDEN / name / "input.py"
    module = Path(name).stem if kind == "example" else f"golden_{name}_input"
    for fn, wrt, args in targets(which):
        reverse, extras, tangents = inputs(fn, wrt, args)
        for mode, after in ((reverse, extras), ("jvp", tangents)):
            expected = getattr(ts, mode)(fn, wrt)(*copy_tree(args), *after)
            page = tmp_path / f"{fn.__name__}_{mode}.html"
            annotated = derive(path, module, fn, wrt, mode, tmp_path, "--annotate")
            shown = derive(path, module, fn, wrt, mode, tmp_path, "--html", str(page))
            assert "# from: " in inspect.getsource(annotated)
            assert "# from: " not in inspect.getsource(shown)  # --html alone writes no comments
            for written, option in ((annotated, "--annotate"), (shown, "--html")):
                found = getattr(written, f"{mode}_{fn.__name__}")(*copy_tree(args), *after)
                assert_same(found, expected, f"tangent-src derive {name} {fn.__name__} --mode {mode} {option}")
            lines = Page()
            lines.feed(page.read_text())
            assert lines.links, f"{page.name}: no derivative line links to a line of {name}"
            assert set(lines.links) <= lines.ids, f"{page.name} links to lines it does not show"
