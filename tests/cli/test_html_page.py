"""The --html page's behaviour in a real headless browser (chromium, as tests/cli/test_html.py
drives it): a script appended to a copy of the page clicks and hovers lines as a reader would,
and reports the classes, styles and sizes the page's own script and style gave them. Then the
computational graph's section (when Graphviz's dot is installed)."""

import re
import shutil
from pathlib import Path

import pytest

from test_html import FEATURES, derive_page, derive_two_files, rows, scripted  # (this folder is on sys.path)


@pytest.fixture
def features(tmp_path, monkeypatch) -> Path:
    return derive_page(tmp_path, monkeypatch, FEATURES, "f", "--wrt", "W")


@pytest.fixture
def two_files(tmp_path, monkeypatch) -> Path:
    return derive_two_files(tmp_path, monkeypatch)


def numbered(ident: str) -> int:
    return int(ident[1:])


def test_a_click_on_a_primal_line_selects_its_adjoint_lines(features, tmp_path):
    """The tanh line's first click goes to its adjoints, in the reverse sweep (after the seed), not
    to its forward-sweep copies; the derivative pane (short here: a small window) scrolls to them."""
    shown = rows(features.read_text())
    tanh = next(i for i, r in shown.items() if i.startswith("p") and "np.tanh" in r["text"])
    seed = next(numbered(i) for i, r in shown.items() if "scalar_seed(" in r["text"])
    copies = [numbered(i) for i, r in shown.items() if r.get("data-from") == tanh and r["data-role"] == "primal"]
    assert copies and max(copies) < seed
    result = scripted(features, f"""
        var line = document.getElementById('{tanh}');
        line.dispatchEvent(new MouseEvent('click', {{bubbles: true}}));
        var marked = Array.prototype.slice.call(document.querySelectorAll('#derivative .current'));
        var box = document.querySelector('#derivative .code').getBoundingClientRect();
        return {{marked: marked.map(function (e) {{ return e.id; }}), active: line.classList.contains('active'),
                 visible: marked.every(function (e) {{ var r = e.getBoundingClientRect();
                                                       return r.top >= box.top && r.bottom <= box.bottom; }}),
                 scrolled: document.querySelector('#derivative .code').scrollTop}};
        """, tmp_path, "--window-size=1200,420")
    assert result["active"], "the clicked line is not marked"
    assert result["marked"], "no derivative line got the current class"
    for ident in result["marked"]:
        assert numbered(ident) > seed, f"{ident} is not in the reverse sweep"
        assert shown[ident]["data-from"] == tanh and shown[ident]["data-role"] == "derivative"
    assert any("(1 - h**2)" in shown[i]["text"] for i in result["marked"]), "not the tanh adjoint"
    assert result["scrolled"] > 0 and result["visible"], "the derivative pane did not scroll to the adjoints"


def test_hover_highlighting_ends_when_the_pointer_leaves(features, tmp_path):
    shown = rows(features.read_text())
    adjoint = next(i for i, r in shown.items() if "matmul_adjoint" in r["text"])
    result = scripted(features, f"""
        function lit() {{ return Array.prototype.slice.call(document.querySelectorAll('.active, .partner, .current'))
                            .map(function (e) {{ return e.id + ':' + e.className; }}); }}
        var line = document.getElementById('{adjoint}');
        line.dispatchEvent(new MouseEvent('mouseenter'));
        var on = lit();
        line.dispatchEvent(new MouseEvent('mouseleave'));
        var off = lit();
        var primal = document.getElementById(line.getAttribute('data-from'));
        primal.dispatchEvent(new MouseEvent('mouseenter'));
        var onPrimal = lit();
        primal.dispatchEvent(new MouseEvent('mouseleave'));
        return {{on: on, off: off, onPrimal: onPrimal, offPrimal: lit()}};
        """, tmp_path)
    origin = shown[adjoint]["data-from"]
    assert f"{adjoint}:line linked active" in result["on"]
    assert any(x.startswith(f"{origin}:") and "partner" in x for x in result["on"]), "its primal line is not lit"
    assert result["off"] == [], f"still highlighted after mouseleave: {result['off']}"
    assert len(result["onPrimal"]) > 3 and result["offPrimal"] == []


LONG = '''\
import numpy as np


def long(x, y):
    z = x * y + np.sin(x) * np.cos(y)  # a long comment, a long comment, a long comment, a long comment, a long comment
    return np.sum(z * z * np.exp(-np.abs(x * x * y * y * x * y * x * y * x * y * x * y * x * y * x * y * x * y * x)))
'''


def test_a_long_line_makes_its_pane_scroll_as_a_whole(tmp_path, monkeypatch):
    """One sideways scroll per pane: no line scrolls (or clips) on its own, every line of a pane is
    as wide as its widest (so a highlight spans it), and the page is no wider than the window."""
    page = derive_page(tmp_path, monkeypatch, LONG, "long")
    result = scripted(page, """
        return Array.prototype.slice.call(document.querySelectorAll('.pane .code')).map(function (box) {
          var lines = Array.prototype.slice.call(box.querySelectorAll('.line'));
          return {box: [box.scrollWidth, box.clientWidth, getComputedStyle(box).overflowX],
                  own: lines.filter(function (e) { return e.scrollWidth > e.clientWidth + 1; }).map(function (e) {
                    return e.id; }),
                  styles: lines.map(function (e) { return getComputedStyle(e).overflowX; })
                    .filter(function (v, k, all) { return all.indexOf(v) === k; }),
                  widths: lines.map(function (e) { return e.offsetWidth; })
                    .filter(function (v, k, all) { return all.indexOf(v) === k; }),
                  page: [document.documentElement.scrollWidth, window.innerWidth]};
        });
        """, tmp_path, "--window-size=1000,700")
    assert len(result) == 2
    width, visible, _ = result[0]["box"]  # (the primal pane, which holds the long lines)
    assert width > visible, "the long lines do not make their pane scroll"
    for pane in result:
        assert pane["box"][2] == "auto", "a pane that does not scroll sideways"
        assert pane["own"] == [], f"lines that scroll on their own: {pane['own']}"
        assert pane["styles"] == ["visible"] and len(pane["widths"]) == 1, pane
        assert pane["page"][0] <= pane["page"][1], "the page is wider than the window"


def test_a_click_on_a_callee_line_in_another_file(two_files, tmp_path):
    """dense (layers.py): a click on its line goes to the adjoints in vjp_dense_W."""
    text = two_files.read_text()
    shown = rows(text)
    prefix = re.search(r'<div class="file" id="file-(\w+)">layers\.py</div>', text).group(1)
    tanh = f"{prefix}5"
    result = scripted(two_files, f"""
        document.getElementById('{tanh}').dispatchEvent(new MouseEvent('click', {{bubbles: true}}));
        return Array.prototype.slice.call(document.querySelectorAll('#derivative .current')).map(function (e) {{
          return e.id; }});
        """, tmp_path)
    assert result and all(shown[i]["data-from"] == tanh and shown[i]["data-role"] == "derivative" for i in result)
    assert any("matmul_adjoint" in shown[i]["text"] for i in result)


def test_a_click_on_a_graph_node_selects_its_line(features, tmp_path):
    text = features.read_text()
    if '<section id="graph">' not in text:
        pytest.skip("no graph on the page (it needs the graphviz package and Graphviz's dot)")
    shown = rows(text)
    target = next(t for t in re.findall(r'xlink:href="#(d\d+)"', text) if "matmul_adjoint" in shown[t]["text"])
    result = scripted(features, f"""
        var node = document.querySelector('#graph a[*|href="#{target}"]');
        node.dispatchEvent(new MouseEvent('click', {{bubbles: true, cancelable: true}}));
        return new Promise(function (done) {{ setTimeout(function () {{
          done({{hash: location.hash, active: Array.prototype.slice.call(document.querySelectorAll('.active'))
                   .map(function (e) {{ return e.id; }})}}); }}, 50); }});
        """, tmp_path)
    assert result == {"hash": f"#{target}", "active": [target]}


def test_the_graph_is_embedded_when_dot_is_there(tmp_path, monkeypatch):
    pytest.importorskip("graphviz")
    if shutil.which("dot") is None:
        pytest.skip("no Graphviz dot (apt-get install graphviz)")
    text = derive_page(tmp_path, monkeypatch, FEATURES, "f").read_text()
    section = text[text.index('<section id="graph">'):]
    assert section.count("<svg") == 1 and "<?xml" not in text and "<!DOCTYPE svg" not in text
    shown = rows(text)
    targets = set(re.findall(r'xlink:href="#(d\d+)"', section))
    assert len(targets) > 5 and targets <= set(shown), "a graph node links to no line of the page"
    assert any("matmul_adjoint" in shown[t]["text"] for t in targets)


def test_without_dot_the_page_has_no_graph(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # (no dot on it)
    text = derive_page(tmp_path, monkeypatch, FEATURES, "f").read_text()
    assert 'id="graph"' not in text and "<svg" not in text
    assert "data-from" in text
