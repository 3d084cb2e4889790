"""Pages and notebook views of derivative code: highlighted, each derivative line linked
to the primal line it comes from.

Stage: codegen (optional: `tangent-src derive --html`, and `_repr_html_` of
derivatives in IPython/Jupyter). Input: derivative functions carrying the
annotation markers (codegen/annotate.py), whose text says, for each primal
statement, the file and line it was written on. Output: one self-contained HTML
page (no script or style from elsewhere): the user's functions on the left,
their derivatives on the right; hovering or clicking a line highlights it and
its partner(s), and a link ending in `#d12` (derivative line 12) or `#p7`
(primal line 7) opens with that pair highlighted.

Highlighting uses Python's own tokenizer, so the page needs nothing installed.
"""

from __future__ import annotations

import builtins
import html
import inspect
import io
import keyword
import tokenize
from dataclasses import dataclass

from .annotate import read_marker
from .emit import definitions, format_module, import_lines

_BUILTINS = set(dir(builtins))


@dataclass
class Line:
    """One line of code on the page: its text, and the primal line it comes from."""

    text: str
    origin: int | None = None  # the primal line (in the user's file) of a derivative line
    note: str = ""  # the rule and statement it differentiates


def derivative_lines(text: str, path: str) -> list[Line]:
    """The formatted derivative text without its marker lines, each line knowing its origin.

    A marker locates the statement after it: its first line and its continuation
    lines (indented further, or closing a bracket at its indentation)."""
    lines: list[Line] = []
    current: tuple[int, int | None, str] | None = None  # (indent, primal line, note)
    started = False
    for raw in text.splitlines():
        marker = read_marker(raw)
        if marker is not None:
            indent, where, number, note = marker
            current, started = (len(indent), number if where == path else None, note), False
            continue
        indent = len(raw) - len(raw.lstrip())
        if current is not None and started and raw.strip():
            continues = indent > current[0] or (indent == current[0] and raw.strip()[0] in ")]}")
            if not continues:
                current = None
        if current is not None and raw.strip():
            lines.append(Line(raw, current[1], current[2]))
            started = True
        else:
            lines.append(Line(raw))
    return lines


def highlight(text: str) -> list[str]:
    """Each line of Python source as HTML with <span class=...> around keywords, names, literals."""
    lines = text.split("\n")
    out = [""] * len(lines)
    position = (1, 0)

    def emit(start: tuple[int, int], end: tuple[int, int], css: str | None) -> None:
        for row in range(start[0], end[0] + 1):
            first = start[1] if row == start[0] else 0
            last = end[1] if row == end[0] else len(lines[row - 1])
            piece = html.escape(lines[row - 1][first:last])
            if piece:
                out[row - 1] += f'<span class="{css}">{piece}</span>' if css else piece

    previous = None
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in (tokenize.ENDMARKER,) or token.start[0] > len(lines):
                break
            emit(position, token.start, None)
            emit(token.start, token.end, _css(token, previous))
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


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; background: #fbfbfa; color: #222; }
h1 { font-size: 1.3em; } h2 { font-size: 1.05em; margin: 0 0 .4em 0; }
.panes { display: flex; gap: 1.5em; align-items: flex-start; }
.pane { flex: 1; min-width: 0; }
.code { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: .5em 0; overflow: auto;
        max-height: calc(100vh - 11em); position: relative;
        font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px; line-height: 1.45; }
.line { white-space: pre; padding: 0 .8em 0 0; }
.line .no { display: inline-block; width: 3.2em; color: #999; text-align: right; margin-right: 1em;
            user-select: none; }
.line.linked { cursor: pointer; }
.line.linked:hover, .line.active { background: #fff2b3; }
.line.partner { background: #d7ecff; }
.kw { color: #a626a4; font-weight: 600; } .fn { color: #4078f2; font-weight: 600; } .bi { color: #c18401; }
.num { color: #986801; } .str { color: #50a14f; } .com { color: #8a8a8a; font-style: italic; }
.op { color: #555; }
.help { color: #555; font-size: .92em; max-width: 60em; }
"""

_SCRIPT = """
(function () {
  function all(selector) { return Array.prototype.slice.call(document.querySelectorAll(selector)); }
  function clear() {
    all('.active, .partner').forEach(function (e) { e.classList.remove('active', 'partner'); });
  }
  function select(line) {
    clear();
    if (!line) { return; }
    line.classList.add('active');
    var origin = line.getAttribute('data-from');
    if (origin) {  // a derivative line: its primal line, and the derivative lines that share it
      var primal = document.getElementById(origin);
      if (primal) { primal.classList.add('partner'); }
      all('[data-from="' + origin + '"]').forEach(function (e) { if (e !== line) e.classList.add('partner'); });
    } else {  // a primal line: every derivative line made from it
      all('[data-from="' + line.id + '"]').forEach(function (e) { e.classList.add('partner'); });
    }
  }
  all('.line.linked').forEach(function (line) {
    line.addEventListener('mouseenter', function () { select(line); });
    line.addEventListener('click', function () { history.replaceState(null, '', '#' + line.id); select(line); });
  });
  function fromHash() {
    var line = location.hash ? document.getElementById(location.hash.slice(1)) : null;
    if (!line) { return; }
    select(line);
    [document.querySelector('#primal .partner, #primal .active'), line].forEach(function (e) {
      if (e) { e.parentNode.scrollTop = e.offsetTop - e.parentNode.clientHeight / 3; }  // within its pane
    });
    window.scrollTo(0, 0);  // undo the browser's own jump to the fragment: the panes scroll instead
  }
  window.addEventListener('hashchange', fromHash);
  window.addEventListener('load', function () { setTimeout(fromHash, 0); });  // after the browser's own jump
  fromHash();
})();
"""


def _code_block(lines: list[Line], highlighted: list[str], prefix: str, numbers: list[int],
                linked_primal: set[int]) -> str:
    rows = []
    for line, markup, number in zip(lines, highlighted, numbers):
        attributes = f'id="{prefix}{number}"'
        classes = "line"
        if prefix == "d" and line.origin is not None:
            attributes += f' data-from="p{line.origin}" title="{html.escape(line.note, quote=True)}"'
            classes += " linked"
        if prefix == "p" and number in linked_primal:
            classes += " linked"
        rows.append(f'<div class="{classes}" {attributes}><span class="no">{number}</span>{markup}</div>')
    return '<div class="code">' + "\n".join(rows) + "</div>"


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


def page(functions: list, nodes: list, numpy: str, title: str, path: str | None = None) -> str:
    """The whole page: the functions (primal) beside the derivative code made from them."""
    path = path or inspect.getsourcefile(inspect.unwrap(functions[0])) or ""
    shown = _with_callees(functions, nodes, path)
    primal, numbers = primal_lines(shown)
    text = format_module("\n".join(import_lines(nodes, numpy)) + "\n\n\n" + definitions(nodes), comments=False)
    derived = derivative_lines(text, path)
    linked = {line.origin for line in derived if line.origin is not None}
    primal_html = _code_block(primal, highlight("\n".join(x.text for x in primal)), "p", numbers, linked)
    derived_html = _code_block(derived, highlight("\n".join(x.text for x in derived)), "d",
                               list(range(1, len(derived) + 1)), set())
    name = html.escape(title)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{name}: derivative code by tangent_src</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>{name}: the function and its derivative</h1>
<p class="help">Left: your code. Right: the derivative code tangent_src wrote from it. Hover or click a
derivative line to see the statement it differentiates (in blue) and the rule it used (in the tooltip);
click a line of your code to see every derivative line made from it. A link ending in #d12 or #p7 opens
with that line selected.</p>
<div class="panes">
<div class="pane" id="primal"><h2>{html.escape(path.rsplit("/", 1)[-1])}</h2>
{primal_html}
</div>
<div class="pane" id="derivative"><h2>derivative</h2>
{derived_html}
</div>
</div>
<script>{_SCRIPT}</script>
</body>
</html>
"""


def _with_callees(functions: list, nodes: list, path: str) -> list:
    """The functions asked for, then those of theirs they call (named in the derivative functions)."""
    shown = list(functions)
    names = {n.name for n in nodes}
    for fn in functions:
        module = getattr(fn, "__globals__", {})
        for name, value in module.items():
            if value in shown or not inspect.isfunction(value) or getattr(value, "__module__", None) != fn.__module__:
                continue
            if any(n == f"vjp_{name}" or n.startswith(f"vjp_{name}_") or n == f"jvp_{name}"
                   or n.startswith(f"jvp_{name}_") for n in names):
                try:
                    if inspect.getsourcefile(value) == path:
                        shown.append(value)
                except TypeError:
                    continue
    return shown


def code_html(source: str) -> str:
    """Highlighted code for a notebook (`_repr_html_`): a self-contained <div>."""
    rows = "\n".join(f'<div class="line">{markup or " "}</div>' for markup in highlight(source.rstrip("\n")))
    style = _STYLE.replace("body {", ".tangent-src-body {")
    return f'<div class="tangent-src-body"><style>{style}</style><div class="code">{rows}</div></div>'


__all__ = ["Line", "code_html", "derivative_lines", "highlight", "page", "primal_lines"]
