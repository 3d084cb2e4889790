"""`tangent-src derive --html`: the page is opened in a real headless browser (Debian's
chromium, which .ci/run installs): every derivative line's link points at a primal line
that exists, opening the page at a derivative line highlights it and its primal line,
and a screenshot is rendered (then deleted; run with TANGENT_SRC_KEEP_SCREENSHOT=path
to keep one and look at it). The page's content: each linked line's rule in its tooltip, the
runtime helpers the code calls, the user's functions in other files (test_html_page.py: clicks,
hovers and sizes in the browser, and the graph)."""

import html
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tangent_src.cli import main

from test_derive import MODEL  # pytest puts this folder on sys.path (no __init__.py)

BROWSER_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--hide-scrollbars"]


def browser() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("TANGENT_SRC_BROWSER_TESTS") == "required":
        pytest.fail("no chromium found, and .ci/run asked for the browser tests")
    pytest.skip("no chromium (install Debian's chromium package; .ci/run does)")


def open_page(page: Path, fragment: str, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [browser(), *BROWSER_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=3000",
         *extra, f"{page.as_uri()}#{fragment}"],
        capture_output=True, text=True, timeout=120)


def scripted(page: Path, script: str, tmp_path: Path, *extra: str):
    """What `script` (the body of a JavaScript function) returns, or its promise gives, run in the page
    once it is loaded: a copy of the page gets the script at its end, which writes the value (as JSON) into a
    <pre id="test-result"> that the browser's --dump-dom prints. The page's own script runs first,
    so the test drives it as a reader would (clicks, mouseenter, mouseleave)."""
    driven = page.with_name(f"{page.stem}-driven.html")
    harness = ("<script>window.addEventListener('load', function () { setTimeout(function () {"
               " function write(out) { var pre = document.createElement('pre'); pre.id = 'test-result';"
               " pre.textContent = JSON.stringify(out); document.body.appendChild(pre); }"
               " function failed(e) { write({error: String(e)}); }"
               f" try {{ Promise.resolve((function () {{ {script} }})()).then(write, failed); }}"
               " catch (e) { failed(e); }"
               " }, 0); });</script>")
    head, tail = page.read_text().rsplit("</body>", 1)
    driven.write_text(head + harness + "</body>" + tail)
    done = open_page(driven, "", tmp_path, "--dump-dom", *extra)
    assert done.returncode == 0, done.stderr[-2000:]
    found = re.search(r'<pre id="test-result">(.*?)</pre>', done.stdout, re.S)
    assert found, "the test script wrote no result"
    result = json.loads(html.unescape(found.group(1)))
    assert not (isinstance(result, dict) and "error" in result), result
    return result


def derive_page(tmp_path: Path, monkeypatch, source: str, function: str, *options: str) -> Path:
    """The --html page of `function` in a file holding `source` (written in tmp_path, the working folder)."""
    (tmp_path / "model.py").write_text(source)
    monkeypatch.chdir(tmp_path)
    assert main(["derive", "model.py", function, *options, "-o", "out.py", "--html", f"{function}.html"]) == 0
    return tmp_path / f"{function}.html"


class Lines(html.parser.HTMLParser):
    """Every div.line of the page: id -> (classes, data-from)."""

    def __init__(self):
        super().__init__()
        self.lines: dict[str, tuple[set[str], str | None]] = {}

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        classes = set((found.get("class") or "").split())
        if tag == "div" and "line" in classes:
            self.lines[found["id"]] = (classes, found.get("data-from"))


class Rows(html.parser.HTMLParser):
    """Every div.line of the page: id -> its attributes, and its text (without the line number)."""

    def __init__(self):
        super().__init__()
        self.rows: dict[str, dict] = {}
        self.open: list[dict | None] = []  # per open div: its row, if it is a line
        self.number = False  # inside the line number's span

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "div":
            row = {**found, "text": ""} if "line" in (found.get("class") or "").split() else None
            if row is not None:
                self.rows[found["id"]] = row
            self.open.append(row)
        self.number = tag == "span" and found.get("class") == "no" or self.number

    def handle_endtag(self, tag):
        if tag == "div" and self.open:
            self.open.pop()
        if tag == "span":
            self.number = False

    def handle_data(self, data):
        if self.open and self.open[-1] is not None and not self.number:
            self.open[-1]["text"] += data


def rows(text: str) -> dict[str, dict]:
    parser = Rows()
    parser.feed(text)
    return parser.rows


def parse(text: str) -> dict[str, tuple[set[str], str | None]]:
    parser = Lines()
    parser.feed(text)
    return parser.lines


@pytest.fixture
def page(tmp_path: Path, monkeypatch) -> Path:
    (tmp_path / "model.py").write_text(MODEL)
    monkeypatch.chdir(tmp_path)
    assert main(["derive", "model.py", "loss", "--wrt", "W", "-o", "out.py", "--html", "loss.html"]) == 0
    return tmp_path / "loss.html"


def test_every_derivative_line_links_to_an_existing_primal_line(page):
    lines = parse(page.read_text())
    links = {i: origin for i, (_, origin) in lines.items() if origin}
    assert len(links) > 10
    assert all(origin in lines for origin in links.values()), "a link to a primal line that is not on the page"
    primal = MODEL.splitlines()
    # the tanh adjoint of cell comes from the line `return np.tanh(W @ h + x) * SCALE`
    tanh_line = next(n for n, text in enumerate(primal, 1) if "np.tanh" in text)
    assert f"p{tanh_line}" in links.values()
    assert "np.tanh" in primal[tanh_line - 1]


def test_browser_highlights_the_pair_and_renders(page, tmp_path):
    static = parse(page.read_text())
    target = next(i for i, (_, origin) in static.items() if origin)
    origin = static[target][1]
    done = open_page(page, target, tmp_path, "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    live = parse(done.stdout)
    assert "active" in live[target][0], "the line named in the address is not highlighted"
    assert "partner" in live[origin][0], "its primal line is not highlighted"
    assert {i for i, (c, _) in live.items() if "partner" in c} >= {origin}
    shot = Path(os.environ.get("TANGENT_SRC_KEEP_SCREENSHOT") or tmp_path / "page.png")
    done = open_page(page, target, tmp_path, "--window-size=1400,900", f"--screenshot={shot}")
    assert done.returncode == 0, done.stderr[-2000:]
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 10_000
    if not os.environ.get("TANGENT_SRC_KEEP_SCREENSHOT"):
        shot.unlink()


FEATURES = '''\
import numpy as np


def f(W, x, b, c):
    h = np.tanh(W @ x + b)
    z = h[0] * c + np.sum(h * c)
    return z
'''


def test_every_linked_derivative_line_has_its_rule_in_its_tooltip(tmp_path, monkeypatch):
    """@, np.tanh, np.sum, broadcasting and subscripting, in both modes: each line linked to a
    primal line says (in its title) the statement it comes from and, in brackets, the rule."""
    shown = rows(derive_page(tmp_path, monkeypatch, FEATURES, "f", "--mode", "both").read_text())
    linked = {i: r for i, r in shown.items() if r.get("data-from")}
    assert len(linked) > 20
    for ident, row in linked.items():
        found = re.fullmatch(r"from: (.+)   \((.+)\)", row.get("title") or "", re.S)
        assert found and found.group(2).strip(), f"{ident} ({row['text'].strip()}): no rule in {row.get('title')!r}"
        assert found.group(1) in FEATURES, f"{ident}: its tooltip quotes no statement of the file"
    adjoints = [r for r in linked.values() if "matmul_adjoint" in r["text"] or r["text"].strip().startswith("b")
                and "@" in r["text"]]
    assert adjoints, "no adjoint line of the matmul"
    for row in adjoints:
        rule = row["title"].split("   (", 1)[1]
        assert "@" in rule and "T" in rule, f"the matmul adjoint's tooltip does not say its rule: {rule!r}"


def test_the_runtime_helpers_called_are_listed_with_their_docs(tmp_path, monkeypatch):
    """W @ x + b broadcasts, so the gradient calls unbroadcast: the page lists it, with its docstring's
    first paragraph and its source, and its name in the code links there; helpers not called (the
    forward mode's broadcast_like) are not listed."""
    from tangent_src import runtime
    from tangent_src.codegen import html_notes

    text = derive_page(tmp_path, monkeypatch, FEATURES, "f").read_text()
    shown = rows(text)
    code = "\n".join(r["text"] for i, r in shown.items() if re.fullmatch(r"d\d+", i))
    assert "unbroadcast(" in code and "broadcast_like" not in code
    listed = set(re.findall(r'<div class="helper" id="helper-(\w+)">', text))
    called = {name for name in re.findall(r"\b(\w+)\(", code) if html_notes.runtime_helpers({name})}
    assert "unbroadcast" in listed and listed == called, (listed, called)
    section = re.search(r'id="helper-unbroadcast">(.*?)(<div class="helper"|</section>)', text, re.S).group(1)
    assert html.escape(html_notes.first_paragraph(runtime.unbroadcast)) in section
    assert len(html_notes.first_paragraph(runtime.unbroadcast)) > 20
    source = "\n".join(r["text"] for i, r in shown.items() if i.startswith("h-unbroadcast-"))
    assert source.startswith("def unbroadcast(") and "return" in source
    assert '<a class="ref" href="#helper-unbroadcast">' in text


LAYERS = '''\
import numpy as np


def dense(W, x, b):
    return np.tanh(W @ x + b)
'''

NET = '''\
import numpy as np

from ts_html_net.layers import dense


def loss(W, x, b):
    h = dense(W, x, b)
    return np.sum(h * h)
'''


@pytest.fixture
def two_files(tmp_path, monkeypatch) -> Path:
    return derive_two_files(tmp_path, monkeypatch)


def derive_two_files(tmp_path: Path, monkeypatch) -> Path:
    """The page of loss in a package of two files: loss (model.py) calls dense (layers.py)."""
    package = tmp_path / "ts_html_net"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "layers.py").write_text(LAYERS)
    (package / "model.py").write_text(NET)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    try:
        assert main(["derive", "ts_html_net/model.py", "loss", "--wrt", "W", "-o", "out.py", "--html",
                     "loss.html"]) == 0
    finally:
        for name in [n for n in sys.modules if n.split(".")[0] == "ts_html_net"]:
            monkeypatch.delitem(sys.modules, name)
    return tmp_path / "loss.html"


def test_callees_in_other_files_are_shown_and_linked(two_files):
    text = two_files.read_text()
    shown = rows(text)
    assert re.search(r'<div class="file" id="file-(\w+)">layers\.py</div>', text)
    prefix = re.search(r'<div class="file" id="file-(\w+)">layers\.py</div>', text).group(1)
    callee = {i: r for i, r in shown.items() if re.fullmatch(prefix + r"\d+", i)}
    assert [r["text"] for r in callee.values()][:1] == ["def dense(W, x, b):"], "the callee's source is not shown"
    tanh = next(i for i, r in callee.items() if "np.tanh" in r["text"])
    assert tanh == f"{prefix}5", "the callee's lines are not numbered as in layers.py"
    vjp = next(int(i[1:]) for i, r in shown.items() if r["text"].startswith("def vjp_dense"))
    end = next(int(i[1:]) for i, r in shown.items() if r["text"].startswith("def grad_loss"))
    inside = [r for i, r in shown.items() if re.fullmatch(r"d\d+", i) and vjp < int(i[1:]) < end
              and r.get("data-from")]
    assert len(inside) >= 4 and all(r["data-from"] == tanh for r in inside)
    assert any("matmul_adjoint" in r["text"] for r in inside)
    assert "linked" in shown[tanh]["class"]
    assert f'href="#{prefix}4"' in text, "the call of dense in model.py does not link to its def"
