"""Pages and notebook views of derivative code: highlighted, each derivative line linked
to the primal line it comes from.

Stage: codegen (optional: `tangent-src derive --html`, and `_repr_html_` of
derivatives in IPython/Jupyter). Input: derivative functions carrying the
annotation markers (codegen/annotate.py), whose text says, for each primal
statement, the file and line it was written on. Output: one self-contained HTML
page (no script or style from elsewhere; page.css and page.js beside this module
are copied into it): the user's functions on the left (those of theirs the
derivatives call too, from any file), their derivatives on the right, then the
runtime helpers the derivatives call, and a computational graph when one is given.

Every linked derivative line has a tooltip naming its primal statement and its rule.
Hovering a line highlights its partners until the pointer leaves it; clicking a line
of the user's code scrolls the derivative to its rule's lines (the reverse sweep's
adjoints, or forward mode's tangents), and clicking it again steps through its other
groups of lines (then the primal copies); a link ending in `#d12` (derivative line 12)
or `#p7` (primal line 7 of the main file) opens with that line selected.

Highlighting uses Python's own tokenizer, so the page needs nothing installed.
"""

from __future__ import annotations

import builtins
import html
import inspect
import io
import keyword
import os
import re
import tokenize
from dataclasses import dataclass
from importlib import resources

from . import html_notes
from .annotate import read_marker
from .emit import definitions, format_module, import_lines

_BUILTINS = set(dir(builtins))
_DEF = re.compile(r"^\s*(?:async\s+)?def\s+(\w+)")
_FROM = re.compile(r"^(from: .*?)   \(")
_NUMPY = re.compile(r"^import numpy(?: as (\w+))?$", re.MULTILINE)


@dataclass
class Line:
    """One line of code on the page: its text, and the primal line it comes from."""

    text: str
    origin: int | None = None  # the primal line (in the file `path`) of a derivative line
    note: str = ""  # the rule and statement it differentiates
    source: tuple[str, int] | None = None  # (file, line) of its primal statement, in any file
    role: str = ""  # "derivative" (a rule's tangent or adjoint statement) or "primal" (the primal value)


def derivative_lines(text: str, path: str) -> list[Line]:
    """The formatted derivative text without its marker lines, each line knowing its origin.

    A marker locates the statement after it: its first line and its continuation
    lines (indented further, or closing a bracket at its indentation). Every located
    line gets a note: a rule's statements the rule's math (the statements after the
    first of an adjoint share its marker's), a primal statement its primitive's rule."""
    lines: list[Line] = []
    groups: list[tuple[list[int], bool]] = []  # the lines of each primal statement, and in a forward-mode function?
    current: tuple[int, int | None, str, tuple[str, int] | None, str] | None = None
    previous: tuple[tuple[str, int] | None, str, str] | None = None  # the last marker of this function
    forward = started = False
    for raw in text.splitlines():
        found = _DEF.match(raw)
        if found:
            previous, forward = None, found.group(1).startswith("jvp_")
        marker = read_marker(raw)
        if marker is not None:
            indent, where, number, note = marker
            at = (where, number) if number is not None else None
            role = "derivative" if note else "primal"
            if not note and not forward and previous is not None and previous[0] == at and previous[2] == "derivative":
                note, role = previous[1], "derivative"  # a further statement of the same adjoint
            previous = (at, note, role)
            current, started = (len(indent), number if _same(where, path) else None, note, at, role), False
            if role == "primal":
                groups.append(([], forward))
            continue
        indent = len(raw) - len(raw.lstrip())
        if current is not None and started and raw.strip():
            continues = indent > current[0] or (indent == current[0] and raw.strip()[0] in ")]}")
            if not continues:
                current = None
        if current is not None and raw.strip():
            lines.append(Line(raw, current[1], current[2], current[3], current[4]))
            if current[4] == "primal":
                groups[-1][0].append(len(lines) - 1)
            started = True
        else:
            lines.append(Line(raw))
    _note_primal_statements(lines, groups, text)
    return lines


def _same(a: str, b: str) -> bool:
    return a == b or os.path.realpath(a) == os.path.realpath(b)


def _note_primal_statements(lines: list[Line], groups: list[tuple[list[int], bool]], text: str) -> None:
    """Give each primal statement's lines the note of its primitive (the marker says only where it is from)."""
    found = _NUMPY.search(text)
    numpy = (found.group(1) or "numpy") if found else "np"
    quoted = {}  # (file, line) -> `from: <the user's statement>`, as the rules' notes quote it
    for line in lines:
        match = _FROM.match(line.note)
        if line.source is not None and match:
            quoted.setdefault(line.source, match.group(1)[len("from: "):])
    for members, forward in groups:
        if not members:
            continue
        first = lines[members[0]]
        statement = "\n".join(lines[i].text for i in members)
        number = first.source[1] if first.source is not None else None
        note = html_notes.primal_note(statement, numpy, not forward, quoted.get(first.source, ""), number)
        for i in members:
            lines[i].note = note


def highlight(text: str, links: dict[str, str] | None = None) -> list[str]:
    """Each line of Python source as HTML with <span class=...> around keywords, names, literals;
    a name in `links` (not an attribute, not the name a `def` binds) is a link to its address."""
    lines = text.split("\n")
    out = [""] * len(lines)
    position = (1, 0)

    def emit(start: tuple[int, int], end: tuple[int, int], css: str | None, href: str | None = None) -> None:
        for row in range(start[0], end[0] + 1):
            first = start[1] if row == start[0] else 0
            last = end[1] if row == end[0] else len(lines[row - 1])
            piece = html.escape(lines[row - 1][first:last])
            if piece:
                piece = f'<span class="{css}">{piece}</span>' if css else piece
                out[row - 1] += f'<a class="ref" href="{href}">{piece}</a>' if href else piece

    previous = None
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in (tokenize.ENDMARKER,) or token.start[0] > len(lines):
                break
            emit(position, token.start, None)
            href = None
            if links and token.type == tokenize.NAME and token.string in links and \
                    (previous is None or previous.string not in (".", "def", "class")):
                href = links[token.string]
            emit(token.start, token.end, _css(token, previous), href)
            position = token.end
            if token.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                                  tokenize.COMMENT):
                previous = token
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    emit(position, (len(lines), len(lines[-1])), None)
    return out


def _css(token: tokenize.TokenInfo, previous: tokenize.TokenInfo | None) -> str | None:
    if token.type == tokenize.NAME:
        if keyword.iskeyword(token.string):
            return "kw"
        if previous is not None and previous.string in ("def", "class"):
            return "fn"
        return "bi" if token.string in _BUILTINS else None
    if token.type == tokenize.NUMBER:
        return "num"
    if token.type == tokenize.STRING:
        return "str"
    if token.type == tokenize.COMMENT:
        return "com"
    if token.type == tokenize.OP:
        return "op"
    return None


def _asset(name: str) -> str:
    """page.css or page.js, package data beside this module."""
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def _rows(rows: list[str]) -> str:
    """Lines in one box as wide as the longest: the pane scrolls sideways as a whole, not line by line."""
    return '<div class="code"><div class="rows">' + "\n".join(rows) + "</div></div>"


def _derivative_rows(lines: list[Line], highlighted: list[str],
                     primal_ids: dict[tuple[str, int], tuple[str, str]]) -> list[str]:
    rows = []
    for number, (line, markup) in enumerate(zip(lines, highlighted), 1):
        attributes = f'id="d{number}"'
        classes = "line"
        target, quoted = primal_ids.get((os.path.realpath(line.source[0]), line.source[1]), (None, "")) \
            if line.source else (None, "")
        if target is not None:
            note = line.note
            if note.startswith("from line ") and quoted.strip():  # no rule's note quotes the statement: quote it
                note = f"from: {quoted.strip()}" + note[note.index("   ("):] if "   (" in note else note
            note = html.escape(note, quote=True)
            attributes += f' data-from="{target}" data-role="{line.role}" title="{note}"'
            classes += " linked"
        rows.append(f'<div class="{classes}" {attributes}><span class="no">{number}</span>{markup}</div>')
    return rows


def _primal_rows(highlighted: list[str], prefix: str, numbers: list[int], linked: set[str]) -> list[str]:
    rows = []
    for markup, number in zip(highlighted, numbers):
        ident = f"{prefix}{number}"
        extra = ' title="click: its derivative lines (click again: the next group of them)"' if ident in linked else ""
        classes = "line linked" if ident in linked else "line"
        rows.append(f'<div class="{classes}" id="{ident}"{extra}><span class="no">{number}</span>{markup}</div>')
    return rows


def primal_lines(functions: list) -> tuple[list[Line], list[int]]:
    """The functions' source lines as written in their file, and their line numbers."""
    lines: list[Line] = []
    numbers: list[int] = []
    for fn in functions:
        source, first = inspect.getsourcelines(inspect.unwrap(fn))
        if lines:
            lines.append(Line(""))
            numbers.append(numbers[-1] + 1 if numbers else 0)
        for offset, text in enumerate(source):
            lines.append(Line(text.rstrip("\n")))
            numbers.append(first + offset)
    return lines, numbers


def _files(functions: list, nodes: list, path: str) -> list[tuple[str, str, list]]:
    """(file, id prefix, functions) for the main file (`p`), then each other file of the user's the
    derivatives reach (`f1p`, `f2p`, ...), in the order they are reached."""
    main = os.path.realpath(path)
    groups: dict[str, list] = {main: []}
    for fn in html_notes.callees(functions, {n.name for n in nodes}):
        where = html_notes.source_file(fn) or main
        groups.setdefault(where, []).append(fn)
    return [(file, "p" if k == 0 else f"f{k}p", fns) for k, (file, fns) in enumerate(groups.items()) if fns]


def _primal_pane(files: list[tuple[str, str, list]],
                 derived: list[Line]) -> tuple[str, dict[tuple[str, int], tuple[str, str]]]:
    """The user's code, file by file; and the id and text of each (file, line) shown."""
    blocks: list[tuple[str, str, list[Line], list[int]]] = []
    ids: dict[tuple[str, int], tuple[str, str]] = {}
    calls: dict[str, str] = {}  # a function's name -> the id of its `def` line
    for file, prefix, fns in files:
        lines, numbers = primal_lines(fns)
        blocks.append((file, prefix, lines, numbers))
        for line, number in zip(lines, numbers):
            ids[(file, number)] = (f"{prefix}{number}", line.text)
            found = _DEF.match(line.text)
            if found and found.group(1) in {fn.__name__ for fn in fns}:
                calls.setdefault(found.group(1), f"#{prefix}{number}")
    shown = ((os.path.realpath(x.source[0]), x.source[1]) for x in derived if x.source)
    linked = {ids[k][0] for k in shown if k in ids}
    rows: list[str] = []
    for file, prefix, lines, numbers in blocks:
        if len(blocks) > 1:
            rows.append(f'<div class="file" id="file-{prefix}">{html.escape(os.path.basename(file))}</div>')
        text = "\n".join(x.text for x in lines)
        rows += _primal_rows(highlight(text, calls), prefix, numbers, linked)
    return _rows(rows), ids


def _helpers_section(nodes: list) -> tuple[str, dict[str, str]]:
    """The runtime helpers the derivatives call: each one's docstring (first paragraph) and source."""
    from .standalone import free_names

    helpers = html_notes.runtime_helpers(free_names(nodes))
    links = {name: f"#helper-{name}" for name, _ in helpers}
    if not helpers:
        return "", links
    parts = ['<section id="helpers"><h2>The helpers the derivative calls</h2>',
             '<p class="help">The derivative code calls these functions of tangent_src/runtime (a written module '
             "holds a copy of each, so it runs without tangent_src). Click a name in the code to come here.</p>"]
    for name, obj in helpers:
        source = html_notes.helper_source(obj)
        rows = [f'<div class="line" id="h-{name}-{k}">{markup or " "}</div>'
                for k, markup in enumerate(highlight(source, links), 1)]
        parts.append(f'<div class="helper" id="helper-{name}"><h3><code>{html.escape(name)}</code></h3>'
                     f'<p class="doc">{html.escape(html_notes.first_paragraph(obj))}</p>'
                     f'<details open><summary>source</summary>{_rows(rows)}</details></div>')
    parts.append("</section>")
    return "\n".join(parts), links


def _graph_section(svg: str) -> str:
    """The graph's <svg> element, without the XML declaration and doctype `dot` writes before it
    (in an HTML page they are stray text); its nodes link to the lines (`#d12`) as the code does."""
    start = svg.find("<svg")
    element = svg[start:] if start >= 0 else svg
    return ('<section id="graph"><h2>Computational graph</h2><p class="help">The derivative\'s statements, '
            "the forward sweep beside the reverse sweep (forward mode: the primal values beside the tangents). "
            "Click a statement to select its line above.</p>"
            f'<div class="graph">{element}</div></section>')


def page(functions: list, nodes: list, numpy: str, title: str, path: str | None = None,
         graph_svg: str | None = None) -> str:
    """The whole page: the functions (primal) beside the derivative code made from them, the runtime
    helpers that code calls, and `graph_svg` (an SVG document or element), when given, as a
    computational-graph section."""
    path = path or inspect.getsourcefile(inspect.unwrap(functions[0])) or ""
    text = format_module("\n".join(import_lines(nodes, numpy)) + "\n\n\n" + definitions(nodes), comments=False)
    derived = derivative_lines(text, path)
    files = _files(functions, nodes, path)
    primal_html, primal_ids = _primal_pane(files, derived)
    helpers_html, links = _helpers_section(nodes)
    derived_text = "\n".join(x.text for x in derived)
    for number, line in enumerate(derived, 1):
        found = _DEF.match(line.text)
        if found:
            links.setdefault(found.group(1), f"#d{number}")
    derived_html = _rows(_derivative_rows(derived, highlight(derived_text, links), primal_ids))
    name = html.escape(title)
    heading = " and ".join(html.escape(os.path.basename(f)) for f, _, _ in files) or html.escape(path)
    graph = _graph_section(graph_svg) if graph_svg else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{name}: derivative code by tangent_src</title>
<style>{_asset("page.css")}</style>
</head>
<body>
<h1>{name}: the function and its derivative</h1>
<p class="help">Left: your code (and the functions of yours it calls, from any file). Right: the derivative
code tangent_src wrote from it. Hover a line to see its partners (in blue) while the pointer is on it; a
derivative line's tooltip names the statement it comes from and the rule it applies. Click a line of your
code: the derivative scrolls to the lines its rule wrote (in reverse mode the adjoints, in the reverse
sweep); click it again for its next group of lines, ending with the primal value's copy (in reverse mode
the forward sweep), then round again. Click a derivative line to scroll to its statement. Underlined names
are links: to a function's derivative, or to a helper below. A link ending in #d12 or #p7 opens with that
line selected.</p>
<div class="panes">
<div class="pane" id="primal"><h2>{heading}</h2>
{primal_html}
</div>
<div class="pane" id="derivative"><h2>derivative <span id="where"></span></h2>
{derived_html}
</div>
</div>
{helpers_html}
{graph}
<script>{_asset("page.js")}</script>
</body>
</html>
"""


def code_html(source: str) -> str:
    """Highlighted code for a notebook (`_repr_html_`): a self-contained <div>."""
    rows = [f'<div class="line">{markup or " "}</div>' for markup in highlight(source.rstrip("\n"))]
    style = _asset("page.css").replace("body {", ".tangent-src-body {")
    return f'<div class="tangent-src-body"><style>{style}</style>{_rows(rows)}</div>'


__all__ = ["Line", "code_html", "derivative_lines", "highlight", "page", "primal_lines"]
