"""`tangent-src graph FILE.py FUNCTION [--derivative MODE] [-o OUT]`: the graph written as SVG
(or printed as DOT), and errors given as the other subcommands give them."""

import importlib.util
import os
import shutil
import xml.etree.ElementTree as ET

import pytest

from tangent_src.cli import main

SOURCE = '''import numpy as np


def f(x, y):
    return np.sin(x + y ** 2)
'''


def needs_dot():
    if shutil.which("dot") and importlib.util.find_spec("graphviz"):
        return
    if os.environ.get("TANGENT_SRC_GRAPH_TESTS") == "required":
        pytest.fail("Graphviz's dot or the graphviz package is missing, and .ci/run asked for the graph tests")
    pytest.skip("no Graphviz dot (apt-get install graphviz; .ci/run does) or no graphviz package")


def titles(svg: str, kind: str) -> set[str]:
    root = ET.fromstring(svg)
    return {g.findtext("{http://www.w3.org/2000/svg}title") for g in root.iter("{http://www.w3.org/2000/svg}g")
            if kind in (g.get("class") or "").split()}


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(SOURCE)
    return path


def test_writes_the_svg(model, tmp_path):
    needs_dot()
    out = tmp_path / "f.svg"
    assert main(["graph", str(model), "f", "-o", str(out)]) == 0
    svg = out.read_text()
    assert {"x", "y", "t1", "t2", "out"} <= titles(svg, "node")
    assert {"x->t2", "y->t1", "t1->t2", "t2->out"} <= titles(svg, "edge")


def test_writes_the_derivative_and_refuses_to_overwrite(model, tmp_path, capsys):
    needs_dot()
    out = tmp_path / "grad_f.svg"
    assert main(["graph", str(model), "f", "--derivative", "grad", "--wrt", "x,y", "-o", str(out)]) == 0
    svg = out.read_text()
    assert {"cluster_forward", "cluster_reverse"} <= titles(svg, "cluster")
    assert {"bt2->out", "by->t1"} <= titles(svg, "edge")
    assert main(["graph", str(model), "f", "-o", str(out)]) == 3
    assert "exists" in capsys.readouterr().err
    assert main(["graph", str(model), "f", "-o", str(out), "--force"]) == 0


def test_prints_dot_without_output(model, capsys):
    assert main(["graph", str(model), "f", "--derivative", "jvp"]) == 0
    text = capsys.readouterr().out
    assert text.startswith('digraph "jvp_f"') and '"dout" -> "out"' in text


def test_a_missing_function_is_an_error_like_the_others(model, capsys):
    assert main(["graph", str(model), "nope", "-o", "never.svg"]) == 1
    err = capsys.readouterr().err
    assert "no top-level function named 'nope'" in err and "f" in err
    assert not os.path.exists("never.svg")


def test_an_unknown_extension_is_a_usage_error(model, capsys):
    assert main(["graph", str(model), "f", "-o", "f.txt"]) == 2
    assert ".svg" in capsys.readouterr().err


def test_missing_dot_is_its_own_error(model, tmp_path, monkeypatch, capsys):
    pytest.importorskip("graphviz")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["graph", str(model), "f", "-o", str(tmp_path / "f.svg")]) == 6
    assert "apt-get install graphviz" in capsys.readouterr().err
    assert not (tmp_path / "f.svg").exists()
