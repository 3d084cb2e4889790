"""`tangent-src derive --html`: the page is opened in a real headless browser (Debian's
chromium, which .ci/run installs): every derivative line's link points at a primal line
that exists, opening the page at a derivative line highlights it and its primal line,
and a screenshot is rendered (then deleted; run with TANGENT_SRC_KEEP_SCREENSHOT=path
to keep one and look at it)."""

import html.parser
import os
import shutil
import subprocess
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
